"""Reading submitted values field by field, shared by the livelihood services (forms, API
bodies, import rows): each bad value becomes a field error in Chinese, nothing raises."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _

from shouwang.surveillance.validation import parse_day as read_day

Errors = dict[str, list[Any]]

# How a yes/no cell or form value may be written (forms send "on"; registers 是/否, √/×).
YES = frozenset({"1", "true", "yes", "y", "on", "是", "有", "√", "✓"})
NO = frozenset({"0", "false", "no", "n", "off", "否", "无", "×", "✗"})


def add_error(errors: Errors, field: str, message: str | Promise) -> None:
    errors.setdefault(field, []).append(message)


def text_of(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    return "" if value is None else str(value).strip()


def parse_day(value: Any, field: str, errors: Errors, *, required: bool = False,
              missing: str = "") -> date | None:
    """A date from a date, a datetime (its local day) or 'YYYY-MM-DD'; a field error when bad
    (or when missing and `required`)."""
    if value in (None, ""):
        if required:
            add_error(errors, field, missing or _("请填写日期。"))
        return None
    day = read_day(value)
    if day is None:
        add_error(errors, field, _("日期格式应为 YYYY-MM-DD。"))
    return day


def yes_no(value: Any) -> bool | None:
    """True or False; None when blank; ValueError when it reads as neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = "" if value is None else str(value).strip().lower()
    if not text:
        return None
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(text)
