"""Why an alert was raised, in plain words and the reader's language, from its stored numbers.

    alert_reason(alert) -> str

One function per method reads `Alert.details` (written by services.raise_alerts) and fills a
translated sentence with named placeholders: "C3 above threshold for 3 days: observed 17,
expected 4.2". Nothing is stored as text, so the same alert reads in Chinese or English.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from shouwang.warning.models import Alert, Method


def number(value: Any, digits: int = 1) -> str:
    """17 → "17", 4.25 → "4.2", 12.04 → "12" (no decimals when they round to zeros), a value
    below 1 with one more decimal (0.036 → "0.04", so that a small expectation does not read
    as 0), None → "—"."""
    if value is None:
        return "—"
    x = float(value)
    places = digits + 1 if 0 < abs(x) < 1 else digits
    text = f"{x:.{places}f}"
    whole, _dot, decimals = text.partition(".")
    return whole if not decimals.strip("0") else text


def _ears(alert: Alert) -> str:
    d = alert.details
    names: dict[str, str] = {Method.EARS_C1: "C1", Method.EARS_C2: "C2"}
    name = names.get(alert.method, "C3")
    days = int(d.get("days") or 1)
    values = {"method": name, "days": days,
              "observed": number(d.get("observed", alert.observed)),
              "expected": number(d.get("expected", alert.expected)),
              "threshold": number(d.get("upperbound", alert.threshold))}
    if days > 1:
        return _("%(method)s 连续 %(days)s 天超过阈值：观察 %(observed)s，期望 %(expected)s，"
                 "阈值 %(threshold)s") % values
    return _("%(method)s 超过阈值：观察 %(observed)s，期望 %(expected)s，"
             "阈值 %(threshold)s") % values


def _farrington(alert: Alert) -> str:
    d = alert.details
    return _("Farrington 灵活法：%(start)s 至 %(end)s 一周观察 %(observed)s，期望 %(expected)s，"
             "上限 %(threshold)s") % {
        "start": d.get("week_start", ""), "end": d.get("week_end", alert.day.isoformat()),
        "observed": number(d.get("observed", alert.observed)),
        "expected": number(d.get("expected", alert.expected)),
        "threshold": number(d.get("upperbound", alert.threshold))}


def _cusum(alert: Alert) -> str:
    d = alert.details
    return _("CUSUM 累积和 %(cusum)s 达到决策界（%(days)s 天）：观察 %(observed)s，"
             "期望 %(expected)s") % {
        "cusum": number(d.get("cusum"), 2), "days": int(d.get("days") or 1),
        "observed": number(d.get("observed", alert.observed)),
        "expected": number(d.get("expected", alert.expected))}


def _scan(alert: Alert) -> str:
    d = alert.details
    return _("时空聚集：%(divisions)s 个区划（半径 %(radius)s 公里）%(start)s 至 %(end)s "
             "观察 %(observed)s 例，期望 %(expected)s 例，P = %(p)s") % {
        "divisions": int(d.get("divisions") or 1), "radius": number(d.get("radius_km")),
        "start": d.get("start", ""), "end": d.get("end", ""),
        "observed": number(d.get("observed", alert.observed)),
        "expected": number(d.get("expected", alert.expected)),
        "p": f"{float(d.get('p_value') or 0):.3g}"}


def _rt(alert: Alert) -> str:
    d = alert.details
    return _("Rt 的 95%% 可信区间下限连续 %(days)s 天高于 %(limit)s：最新 Rt %(mean)s"
             "（%(lower)s–%(upper)s），这些天发病 %(cases)s 例") % {
        "days": int(d.get("days") or 0), "limit": number(d.get("limit", 1)),
        "mean": number(d.get("mean"), 2), "lower": number(d.get("lower"), 2),
        "upper": number(d.get("upper"), 2), "cases": number(d.get("cases"))}


def _other(alert: Alert) -> str:
    return _("%(method)s：观察 %(observed)s，期望 %(expected)s") % {
        "method": alert.get_method_display(), "observed": number(alert.observed),
        "expected": number(alert.expected)}


REASONS: dict[str, Callable[[Alert], str]] = {
    Method.EARS_C1: _ears, Method.EARS_C2: _ears, Method.EARS_C3: _ears,
    Method.FARRINGTON: _farrington, Method.CUSUM: _cusum, Method.SCAN: _scan, Method.RT: _rt,
}


def alert_reason(alert: Alert) -> str:
    """The alert's reason in the active language."""
    return REASONS.get(alert.method, _other)(alert)
