"""Account pages: login, the second factor, "my account" (tokens), user management."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import user_has_device

from shouwang.accounts import selectors, services
from shouwang.accounts.forms import (
    ApiTokenCreateForm,
    LoginForm,
    OtpTokenForm,
    PasswordSetForm,
    UserCreateForm,
    add_service_errors,
)
from shouwang.accounts.models import User
from shouwang.accounts.otp import otp_qr_data_uri, otp_secret_text, otp_verify_token
from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.accounts.roles import Role, capabilities_of
from shouwang.accounts.tokens import api_token_create, api_token_revoke
from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction


class ShouwangLoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def _next_url(request: HttpRequest, default: str = "/") -> str:
    url = request.POST.get("next") or request.GET.get("next") or default
    if not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return default
    return url


@login_required
def otp_verify(request: AuthedRequest) -> HttpResponse:
    """The second factor, for users with a confirmed device."""
    user = request.user
    next_url = _next_url(request)
    if user.is_verified():
        return redirect(next_url)
    if not user_has_device(user):
        return redirect(f"{reverse('accounts:otp-enrol')}?{urlencode({'next': next_url})}")
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = otp_verify_token(user, form.cleaned_data["otp_token"])
        if device is not None:
            otp_login(request, device)
            audit_log(actor=user, action=AuditAction.LOGIN, **services.user_audit_ref(user),
                      summary=f"second factor passed by {user.username}")
            return redirect(next_url)
        audit_log(actor=None, action=AuditAction.LOGIN_FAILED, **services.user_audit_ref(user),
                  summary=f"second factor failed for {user.username!r}")
        form.add_error(
            "otp_token", _("动态码不正确或已过期，请重新输入。多次错误后需等待更长时间。")
        )
    return render(request, "accounts/otp.html", {"form": form, "next": next_url})


@login_required
def otp_enrol(request: AuthedRequest) -> HttpResponse:
    """Bind an authenticator app: show its secret as a QR code, confirm it with one code."""
    user = request.user
    next_url = _next_url(request, default=reverse("accounts:account"))
    if user_has_device(user):
        # Replacing a device goes through removing it (or an administrator's reset) first.
        return redirect(next_url if user.is_verified()
                        else f"{reverse('accounts:otp')}?{urlencode({'next': next_url})}")
    device = services.otp_device_start(user=user)
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            confirmed = services.otp_device_confirm(
                actor=user, device=device, token=form.cleaned_data["otp_token"]
            )
        except InvalidInput as exc:
            add_service_errors(form, exc)
        else:
            otp_login(request, confirmed)
            messages.success(request, _("二次验证已启用。"))
            return redirect(next_url)
    return render(request, "accounts/otp_enrol.html", {
        "form": form, "next": next_url, "qr_data_uri": otp_qr_data_uri(device),
        "secret": otp_secret_text(device), "mandatory": user.second_factor_mandatory,
    })


def _account_context(request: AuthedRequest, **extra: Any) -> dict[str, Any]:
    user = request.user
    return {
        "tokens": selectors.api_token_list(owner=user),
        "capabilities": sorted(capabilities_of(user.role)),
        "has_otp": user_has_device(user),
        "token_form": ApiTokenCreateForm(),
        "password_form": PasswordChangeForm(user),
        **extra,
    }


@login_required
def account(request: AuthedRequest) -> HttpResponse:
    """My account: who I am, my second factor, my API tokens, my password."""
    return render(request, "accounts/account.html", _account_context(request))


@login_required
@require_POST
def account_token_create(request: AuthedRequest) -> HttpResponse:
    form = ApiTokenCreateForm(request.POST)
    if form.is_valid():
        try:
            token, secret = api_token_create(
                actor=request.user, user=request.user,
                name=form.cleaned_data["name"], days=form.cleaned_data["days"],
            )
        except InvalidInput as exc:
            add_service_errors(form, exc)
        else:
            # Rendered, not redirected: the secret exists only in this one response.
            response = render(request, "accounts/account.html", _account_context(
                request, new_token=token, new_secret=secret,
            ))
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "accounts/account.html", _account_context(request, token_form=form),
                  status=422)


@login_required
@require_POST
def account_token_revoke(request: AuthedRequest, token_id: int) -> HttpResponse:
    token = selectors.api_token_get(owner=request.user, token_id=token_id)
    api_token_revoke(actor=request.user, token=token)
    messages.success(request, _("令牌 %(prefix)s 已吊销。") % {"prefix": token.prefix})
    return redirect("accounts:account")


@login_required
@require_POST
def account_password(request: AuthedRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST)
    if form.is_valid():
        services.user_set_password(actor=request.user, user=request.user,
                                   password=form.cleaned_data["new_password1"],
                                   check_password_strength=False)  # the form just did
        update_session_auth_hash(request, request.user)
        messages.success(request, _("密码已修改。"))
        return redirect("accounts:account")
    return render(request, "accounts/account.html",
                  _account_context(request, password_form=form), status=422)


@login_required
@require_POST
def account_otp_remove(request: AuthedRequest) -> HttpResponse:
    try:
        services.otp_devices_remove(actor=request.user, user=request.user)
    except InvalidInput as exc:
        for msgs in exc.fields.values():
            for m in msgs:
                messages.error(request, str(m))
    else:
        messages.success(request, _("二次验证已关闭。"))
    return redirect("accounts:account")


# --- User management (system administrators) ----------------------------------------------------

@require_capability("accounts.manage")
def user_list(request: AuthedRequest) -> HttpResponse:
    g = request.GET
    active = {"1": True, "0": False}.get(g.get("active", ""))
    filters = selectors.UserFilters(q=g.get("q") or None, role=g.get("role") or None,
                                    is_active=active)
    page = Paginator(selectors.user_list(viewer=request.user, filters=filters), 50).get_page(
        g.get("page")
    )
    return render(request, "accounts/user_list.html", {
        "page": page, "filters": filters, "roles": Role.choices, "active": g.get("active", ""),
    })


@require_capability("accounts.manage")
def user_create(request: AuthedRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None,
                          initial={"division_code": request.user.division_code})
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(actor=request.user, **form.cleaned_data)
        except InvalidInput as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("账号 %(u)s 已创建。") % {"u": user.username})
            return redirect("accounts:user-detail", user_id=user.pk)
    return render(request, "accounts/user_form.html", {"form": form},
                  status=422 if form.is_bound and form.errors else 200)


def _render_user_detail(
    request: AuthedRequest, target: User, password_form: PasswordSetForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(request, "accounts/user_detail.html", {
        "target": target, "password_form": password_form or PasswordSetForm(),
        "target_has_otp": user_has_device(target),
    }, status=status)


@require_capability("accounts.manage")
def user_detail(request: AuthedRequest, user_id: int) -> HttpResponse:
    target = selectors.user_get(viewer=request.user, user_id=user_id)
    return _render_user_detail(request, target)


# The actions below answer with the user's page itself rather than a redirect: each is
# idempotent (it sets a state, it does not toggle one), so a repeated submission is harmless.

@require_capability("accounts.manage")
@require_POST
def user_set_active(request: AuthedRequest, user_id: int) -> HttpResponse:
    target = selectors.user_get(viewer=request.user, user_id=user_id)
    active = request.POST.get("active") == "1"
    try:
        services.user_set_active(actor=request.user, user=target, active=active)
    except InvalidInput as exc:
        for msgs in exc.fields.values():
            for m in msgs:
                messages.error(request, str(m))
        return _render_user_detail(request, target, status=422)
    messages.success(request, _("账号已启用。") if active else _("账号已停用。"))
    return _render_user_detail(request, target)


@require_capability("accounts.manage")
@require_POST
def user_password(request: AuthedRequest, user_id: int) -> HttpResponse:
    target = selectors.user_get(viewer=request.user, user_id=user_id)
    form = PasswordSetForm(request.POST)
    if form.is_valid():
        try:
            services.user_set_password(actor=request.user, user=target,
                                       password=form.cleaned_data["password"])
        except InvalidInput as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("密码已重置。"))
            return _render_user_detail(request, target)
    return _render_user_detail(request, target, password_form=form, status=422)


@require_capability("accounts.manage")
@require_POST
def user_otp_reset(request: AuthedRequest, user_id: int) -> HttpResponse:
    target = selectors.user_get(viewer=request.user, user_id=user_id)
    services.otp_devices_remove(actor=request.user, user=target)
    messages.success(request, _("已清除该账号的二次验证设备，用户下次登录时需重新绑定。"))
    return _render_user_detail(request, target)
