from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from shouwang.core.context import (
    RequestContext,
    new_request_id,
    reset_request_context,
    set_request_context,
)


def client_ip(request: HttpRequest) -> str | None:
    # Behind a proxy, the proxy must set REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips);
    # X-Forwarded-For is not trusted here because any client can forge it.
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ctx = RequestContext(
            request_id=request.headers.get("X-Request-ID", "")[:64] or new_request_id(),
            ip_address=client_ip(request),
            user_agent=request.headers.get("User-Agent", "")[:256],
            path=request.path[:512],
        )
        token = set_request_context(ctx)
        try:
            response = self.get_response(request)
        finally:
            reset_request_context(token)
        response["X-Request-ID"] = ctx.request_id
        return response
