"""services/overrides.py: who may override where, the mandatory reason, times, the audit, the
notifications of the area's officers, revocation, and that nothing published is rewritten."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditEvent
from shouwang.risk.models import AreaRisk, RiskOverride
from shouwang.risk.selectors.levels import levels_in_force
from shouwang.risk.services.overrides import override_create, override_revoke
from shouwang.warning.models import Notification
from tests.risk.levels_factory import publish_levels

pytestmark = pytest.mark.django_db


def _make(actor: Any, code: str = "420106", **kw: Any) -> RiskOverride:
    args: dict[str, Any] = {"disease": "covid19", "division_code": code, "level": "high",
                            "reason": "发现聚集性疫情，提前升级"}
    args.update(kw)
    return override_create(actor=actor, **args)


def test_provincial_officer_overrides_an_area_of_the_province(
        officers: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    publish_levels(timezone.localdate(), {"420106": "low"})
    published = list(AreaRisk.objects.order_by("id").values_list("id", "level", "reason"))
    with django_capture_on_commit_callbacks(execute=True):
        made = _make(officers["hubei"])
    assert (made.division_code, made.level, made.created_by) == ("420106", "high",
                                                                  officers["hubei"])
    assert made.effective_at <= timezone.now()
    # Layered on top: in force now, and the published rows are untouched.
    now = levels_in_force(prefix="420106")["420106"]
    assert (now.level, now.override_id) == ("high", made.pk)
    assert list(AreaRisk.objects.order_by("id").values_list("id", "level", "reason")) == published
    event = AuditEvent.objects.get(object_type="risk.riskoverride", object_id=str(made.pk))
    assert event.action == "create" and event.division_code == "420106"
    assert event.changes["reason"] == "发现聚集性疫情，提前升级"
    # The area's county, city and provincial officers are told; not the sibling county, not
    # the other province, not the actor; the channels ran after commit.
    told = set(Notification.objects.filter(kind="risk_override")
               .values_list("user__username", flat=True))
    assert told == {"wuchang", "wuhan"}
    note = Notification.objects.get(user=officers["wuchang"])
    assert "武昌区" in note.subject and "高风险" in note.subject
    assert "发现聚集性疫情" in note.body and note.alert_id is None
    assert "console" in note.channels


def test_national_officer_may_override_anywhere(officers: dict[str, Any]) -> None:
    assert _make(officers["china"], "430102", level="medium").level == "medium"


@pytest.mark.parametrize("who,code", [("hunan", "420106"), ("hubei", "430102"),
                                      ("hubei", "429999"), ("hubei", "abc")])
def test_outside_the_jurisdiction_or_unknown_is_not_found(officers: dict[str, Any], who: str,
                                                          code: str) -> None:
    with pytest.raises(NotFound):
        _make(officers[who], code)
    assert not RiskOverride.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize("who", ["wuchang", "wuhan", "grid"])
def test_officers_without_risk_override_are_refused(officers: dict[str, Any], who: str) -> None:
    with pytest.raises(PermissionDenied):
        _make(officers[who])
    assert not RiskOverride.objects.exists()


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_a_reason_is_mandatory(officers: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        _make(officers["hubei"], reason=reason)
    assert "理由" in str(exc.value.fields["reason"][0])
    assert not RiskOverride.objects.exists()
    assert not AuditEvent.objects.filter(object_type="risk.riskoverride").exists()
    assert not Notification.objects.exists()


def test_bad_level_times_and_division_level_are_field_errors(officers: dict[str, Any]) -> None:
    now = timezone.now()
    with pytest.raises(InvalidInput) as exc:
        _make(officers["hubei"], level="extreme", effective_at=now - timedelta(hours=2))
    assert set(exc.value.fields) == {"level", "effective_at"}
    with pytest.raises(InvalidInput) as exc:
        _make(officers["hubei"], effective_at=now + timedelta(days=1), ends_at=now)
    assert set(exc.value.fields) == {"ends_at"}
    with pytest.raises(InvalidInput) as exc:
        _make(officers["hubei"], "420100")  # a prefecture has no level of its own
    assert set(exc.value.fields) == {"division_code"}
    assert not RiskOverride.objects.exists()


def test_a_little_clock_drift_is_tolerated_and_a_future_start_waits(
        officers: dict[str, Any]) -> None:
    made = _make(officers["hubei"], effective_at=timezone.now() - timedelta(minutes=1))
    assert made.effective_at >= timezone.now() - timedelta(seconds=5)
    later = _make(officers["hubei"], "420111", level="medium",
                  effective_at=timezone.now() + timedelta(hours=3),
                  ends_at=timezone.now() + timedelta(days=3))
    assert "420111" not in levels_in_force(prefix="420111")
    in_force = levels_in_force(at=timezone.now() + timedelta(hours=4), prefix="420111")
    assert in_force["420111"].override_id == later.pk


def test_township_override(officers: dict[str, Any]) -> None:
    made = _make(officers["hubei"], "420111001", level="medium")
    assert levels_in_force(prefix="420111")["420111001"].override_id == made.pk


def test_revoke(officers: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    publish_levels(timezone.localdate() - timedelta(days=1), {"420106": "medium"})
    made = _make(officers["hubei"])
    assert levels_in_force(prefix="420106")["420106"].level == "high"
    with pytest.raises(InvalidInput) as exc:
        override_revoke(actor=officers["china"], override=made, reason=" ")
    assert "reason" in exc.value.fields
    with pytest.raises(NotFound):
        override_revoke(actor=officers["hunan"], override=made, reason="不在辖区")
    with pytest.raises(PermissionDenied):
        override_revoke(actor=officers["wuchang"], override=made, reason="县级无权撤销")
    made.refresh_from_db()
    assert made.revoked_at is None
    with django_capture_on_commit_callbacks(execute=True):
        done = override_revoke(actor=officers["china"], override=made, reason="核实为误报")
    assert (done.revoked_by, done.revoke_reason) == (officers["china"], "核实为误报")
    # The published level is in force again.
    assert levels_in_force(prefix="420106")["420106"].level == "medium"
    assert AuditEvent.objects.filter(object_type="risk.riskoverride", object_id=str(made.pk),
                                     action="update").count() == 1
    assert Notification.objects.filter(kind="risk_revoke", user=officers["hubei"]).count() == 1
    with pytest.raises(InvalidInput):
        override_revoke(actor=officers["china"], override=made, reason="再撤一次")


def test_published_day_is_not_rewritten_by_a_later_override(officers: dict[str, Any]) -> None:
    day = date(2026, 3, 1)
    publish_levels(day, {"420106": "medium"})
    _make(officers["hubei"], level="low", reason="核酸筛查全阴，解除")
    row = AreaRisk.objects.get(day=day, division_code="420106")
    assert (row.level, row.override_id) == ("medium", None)
