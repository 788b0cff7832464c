"""Forms of the account pages. They only parse input; the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from shouwang.accounts.roles import Role
from shouwang.core.errors import InvalidInput

USERNAME_MAX_LENGTH = 150


class LoginForm(AuthenticationForm):
    """Django's login form (it calls authenticate(request, …), so django-axes counts attempts)
    with our own wording, translated like every other string of the app."""

    error_messages = {
        "invalid_login": _("账号或密码不正确。请注意区分大小写；连续多次失败后账号将被暂时锁定。"),
        "inactive": _("该账号已停用，请联系系统管理员。"),
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("账号")
        self.fields["password"].label = _("密码")
        self.fields["username"].error_messages["required"] = _("请输入账号。")
        self.fields["password"].error_messages["required"] = _("请输入密码。")

    def clean_username(self) -> str:
        # Django's login form puts max_length on the widget only, so an over-long name would
        # reach authenticate() and django-axes, whose attempt log holds 255 characters: on
        # PostgreSQL that is a 500. No account has such a name, so it is a plain field error.
        username: str = self.cleaned_data.get("username") or ""
        if len(username) > USERNAME_MAX_LENGTH:
            raise forms.ValidationError(
                _("账号不能超过 %(n)d 个字符。") % {"n": USERNAME_MAX_LENGTH}, code="max_length"
            )
        return username


class OtpTokenForm(forms.Form):
    otp_token = forms.CharField(
        label=_("动态码"), max_length=16,
        error_messages={"required": _("请输入动态码。")},
        widget=forms.TextInput(attrs={
            "autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True,
        }),
    )


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=64,
                           error_messages={"required": _("请填写令牌名称。")})
    days = forms.IntegerField(label=_("有效期（天）"), min_value=1, max_value=366, initial=90,
                              error_messages={"invalid": _("请输入整数。")})


class UserCreateForm(forms.Form):
    username = forms.CharField(label=_("账号"), max_length=150)
    display_name = forms.CharField(label=_("姓名"), max_length=64, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    division_code = forms.CharField(label=_("所属区划代码"), max_length=12)
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput, strip=False)


class PasswordSetForm(forms.Form):
    password = forms.CharField(label=_("新密码"), widget=forms.PasswordInput, strip=False)
    password_again = forms.CharField(label=_("再次输入新密码"), widget=forms.PasswordInput,
                                     strip=False)

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        if data and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("两次输入的密码不一致。"))
        return data


def add_service_errors(form: forms.Form, exc: InvalidInput) -> None:
    """Show a service's field errors on the form; a field the form lacks goes on top."""
    for field, messages in exc.fields.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, str(message))
