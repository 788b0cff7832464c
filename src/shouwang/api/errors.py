"""One error body for the whole API: `{code, message, fields}`, in the request's language."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from shouwang.core.errors import InvalidInput, NotFound


def error_body(
    code: str, message: str, fields: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    return {"code": code, "message": message, "fields": fields or {}}


def _field_path(loc: list[Any] | tuple[Any, ...]) -> str:
    # ninja prefixes the location with where it came from (body/query/path) and the param name.
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in {"payload", "data", "filters"}:
        parts = parts[1:]
    return ".".join(parts) or "__all__"


_PYDANTIC_MESSAGES = {
    "missing": lambda e: _("此项为必填项。"),
    "string_too_long": lambda e: (
        _("不能超过 %(n)s 个字符。") % {"n": e.get("ctx", {}).get("max_length")}
    ),
    "string_too_short": lambda e: (
        _("至少需要 %(n)s 个字符。") % {"n": e.get("ctx", {}).get("min_length")}
    ),
    "int_parsing": lambda e: _("请输入整数。"),
    "float_parsing": lambda e: _("请输入数字。"),
    "date_from_datetime_parsing": lambda e: _("请输入有效日期（YYYY-MM-DD）。"),
    "date_parsing": lambda e: _("请输入有效日期（YYYY-MM-DD）。"),
    "datetime_parsing": lambda e: _("请输入有效的日期时间。"),
    "datetime_from_date_parsing": lambda e: _("请输入有效的日期时间。"),
    "bool_parsing": lambda e: _("请输入是或否。"),
    "enum": lambda e: (
        _("取值无效，可选：%(opts)s。") % {"opts": e.get("ctx", {}).get("expected", "")}
    ),
    "literal_error": lambda e: (
        _("取值无效，可选：%(opts)s。") % {"opts": e.get("ctx", {}).get("expected", "")}
    ),
    "string_pattern_mismatch": lambda e: _("格式不正确。"),
    "json_invalid": lambda e: _("请求体不是有效的 JSON。"),
    "model_attributes_type": lambda e: _("请求体格式不正确。"),
}


def _pydantic_message(err: dict[str, Any]) -> str:
    maker = _PYDANTIC_MESSAGES.get(err.get("type", ""))
    if maker is not None:
        return str(maker(err))
    msg = str(err.get("msg", ""))
    if msg.startswith("Value error, "):
        return msg[len("Value error, ") :]
    return msg or _("取值无效。")


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationError)
    def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            fields.setdefault(_field_path(err.get("loc", ())), []).append(_pydantic_message(err))
        return api.create_response(
            request,
            error_body("invalid_input", _("输入有误，请检查标出的字段。"), fields),
            status=422,
        )

    @api.exception_handler(InvalidInput)
    def _invalid(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
        fields = {k: [str(m) for m in v] for k, v in exc.fields.items()}
        message = str(exc.message) if exc.message else _("输入有误，请检查标出的字段。")
        return api.create_response(request, error_body(exc.code, message, fields), status=422)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(
            request,
            error_body("unauthenticated", _("未登录或令牌无效、已过期、已吊销。")),
            status=401,
        )

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(
            request, error_body("not_found", _("未找到该记录。")), status=404
        )

    api.exception_handler(NotFound)(_not_found)

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        codes = {
            400: "bad_request",
            401: "unauthenticated",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            409: "conflict",
            429: "too_many_requests",
        }
        return api.create_response(
            request,
            error_body(codes.get(exc.status_code, "error"), str(exc.message)),
            status=exc.status_code,
        )
