"""The alert workflow: transitions and their errors, stale versions, jurisdiction, escalation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditEvent
from shouwang.warning.models import (
    Alert,
    AlertHistory,
    AlertStatus,
    Notification,
    RunStatus,
)
from shouwang.warning.services.alerts import (
    AlertConflict,
    alert_assign,
    alert_confirm,
    alert_dismiss,
    alert_note,
    alert_start_verification,
    alerts_escalate,
    max_escalation,
)
from tests.warning.factories import make_alert, make_cluster

pytestmark = pytest.mark.django_db



def _fields(exc: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return set(exc.value.fields)


# --- transitions -------------------------------------------------------------------------------


def test_the_whole_way_to_confirmed(officers: dict[str, Any]) -> None:
    alert = make_alert("420106")
    a = alert_assign(actor=officers["wuhan"], alert=alert, assignee=officers["wuchang"], version=1)
    assert (a.version, a.assigned_to_id, a.status) == (2, officers["wuchang"].pk, "new")
    a = alert_start_verification(actor=officers["wuchang"], alert=a, version=2)
    assert (a.version, a.status) == (3, "verifying")
    a = alert_confirm(actor=officers["wuchang"], alert=a, version=3, linked_event="学校聚集性疫情")
    assert (a.version, a.status, a.linked_event) == (4, "confirmed", "学校聚集性疫情")
    kinds = list(AlertHistory.objects.filter(alert=a).values_list("kind", "from_status",
                                                                  "to_status", "version"))
    assert kinds == [("raise", "", "new", 1), ("assign", "", "", 2),
                     ("status", "new", "verifying", 3), ("status", "verifying", "confirmed", 4)]
    audits = AuditEvent.objects.filter(object_type="warning.alert", object_id=str(a.pk))
    assert audits.count() == 3
    assert all(e.division_code == "420106" for e in audits)
    # The assignee heard of the assignment; the assigner of the changes the assignee made.
    told = list(Notification.objects.order_by("id").values_list("user__username", "kind"))
    assert told == [("wuchang", "assigned"), ("wuhan", "status"), ("wuhan", "status")]


def test_confirm_with_amake_cluster(officers: dict[str, Any]) -> None:
    alert = make_alert("420106", status=AlertStatus.VERIFYING)
    cluster = make_cluster()
    a = alert_confirm(actor=officers["wuchang"], alert=alert, version=1, cluster_id=cluster.pk)
    assert a.cluster_id == cluster.pk and a.status == "confirmed"


@pytest.mark.parametrize("which", ["other_disease", "outside", "unfinished", "missing"])
def test_confirm_refuses_a_cluster_it_may_not_link(officers: dict[str, Any], which: str) -> None:
    alert = make_alert("420106", status=AlertStatus.VERIFYING)
    makers: dict[str, Callable[[], int]] = {
        "other_disease": lambda: make_cluster(disease="influenza").pk,
        "outside": lambda: make_cluster(centre="420111").pk,
        "unfinished": lambda: make_cluster(status=RunStatus.RUNNING).pk,
        "missing": lambda: 99999,
    }
    cluster_id = makers[which]()
    with pytest.raises(InvalidInput) as exc:
        alert_confirm(actor=officers["wuchang"], alert=alert, version=1, cluster_id=cluster_id)
    assert _fields(exc) == {"cluster_id"}
    assert Alert.objects.get(pk=alert.pk).status == "verifying"


def test_confirm_needs_a_link(officers: dict[str, Any]) -> None:
    alert = make_alert("420106", status=AlertStatus.VERIFYING)
    with pytest.raises(InvalidInput) as exc:
        alert_confirm(actor=officers["wuchang"], alert=alert, version=1, linked_event="   ")
    assert _fields(exc) == {"cluster_id", "linked_event"}
    assert "时空聚集" in str(exc.value.fields["linked_event"][0])


def test_confirm_needs_verification_first(officers: dict[str, Any]) -> None:
    alert = make_alert("420106")
    with pytest.raises(InvalidInput) as exc:
        alert_confirm(actor=officers["wuchang"], alert=alert, version=1, linked_event="x")
    assert _fields(exc) == {"status"} and exc.value.code == "invalid_transition"


def test_dismiss_needs_a_reason_and_stores_it(officers: dict[str, Any]) -> None:
    alert = make_alert("420106")
    with pytest.raises(InvalidInput) as exc:
        alert_dismiss(actor=officers["wuchang"], alert=alert, version=1, reason=" ")
    assert _fields(exc) == {"reason"}
    with pytest.raises(InvalidInput):
        alert_dismiss(actor=officers["wuchang"], alert=alert, version=1, reason="x" * 256)
    a = alert_dismiss(actor=officers["wuchang"], alert=alert, version=1, reason="报告积压补报")
    assert (a.status, a.dismissed_reason) == ("dismissed", "报告积压补报")
    assert a.history.last().note == "报告积压补报"  # type: ignore[union-attr]


def test_closed_alerts_take_no_more_transitions(officers: dict[str, Any]) -> None:
    alert = alert_dismiss(actor=officers["wuchang"], alert=make_alert(), version=1, reason="r")
    calls: tuple[Callable[[], Any], ...] = (
        lambda: alert_start_verification(actor=officers["wuchang"], alert=alert, version=2),
        lambda: alert_dismiss(actor=officers["wuchang"], alert=alert, version=2, reason="r"),
        lambda: alert_assign(actor=officers["wuchang"], alert=alert, assignee=officers["wuchang"],
                             version=2),
    )
    for call in calls:
        with pytest.raises(InvalidInput) as exc:
            call()
        assert _fields(exc) == {"status"}
    # Notes still go on a closed alert's history.
    assert alert_note(actor=officers["wuchang"], alert=alert, note="复核无误").version == 3


def test_start_verification_takes_an_unassigned_alert(officers: dict[str, Any]) -> None:
    a = alert_start_verification(actor=officers["wuchang"], alert=make_alert(), version=1)
    assert a.assigned_to_id == officers["wuchang"].pk
    b = alert_start_verification(actor=officers["wuhan"], alert=make_alert(day=date(2026, 1, 1)),
                                 version=1)
    assert b.assigned_to_id is None  # a city officer is no assignee


@pytest.mark.parametrize("who", ["hongshan", "wuhan", "lab", "inactive"])
def test_assignee_must_be_an_active_county_officer_of_the_area(
        officers: dict[str, Any], who: str) -> None:
    if who == "inactive":
        officers["wuchang2"].is_active = False
        officers["wuchang2"].save()
        who = "wuchang2"
    with pytest.raises(InvalidInput) as exc:
        alert_assign(actor=officers["wuhan"], alert=make_alert(), assignee=officers[who], version=1)
    assert _fields(exc) == {"assignee"}


def test_township_alert_goes_to_its_county_officer(officers: dict[str, Any]) -> None:
    alert = make_alert("420111001")
    a = alert_assign(actor=officers["wuhan"], alert=alert, assignee=officers["hongshan"], version=1)
    assert a.assigned_to_id == officers["hongshan"].pk


def test_a_stale_version_is_refused_and_changes_nothing(officers: dict[str, Any]) -> None:
    alert = make_alert("420106")
    alert_start_verification(actor=officers["wuchang"], alert=alert, version=1)
    with pytest.raises(AlertConflict) as exc:
        alert_dismiss(actor=officers["wuchang2"], alert=alert, version=1, reason="重复")
    assert exc.value.current_version == 2
    assert "已被他人修改" in exc.value.message and "2" in exc.value.message
    fresh = Alert.objects.get(pk=alert.pk)
    assert (fresh.status, fresh.version, fresh.dismissed_reason) == ("verifying", 2, "")
    assert AlertHistory.objects.filter(alert=alert).count() == 2


def test_an_invalid_request_changes_nothing(officers: dict[str, Any]) -> None:
    alert = make_alert("420106", status=AlertStatus.VERIFYING)
    with pytest.raises(InvalidInput):
        alert_confirm(actor=officers["wuchang"], alert=alert, version=1)
    assert Alert.objects.get(pk=alert.pk).version == 1
    assert not AuditEvent.objects.filter(object_type="warning.alert").exists()


def test_outside_the_jurisdiction_is_not_found(officers: dict[str, Any]) -> None:
    alert = make_alert("420106")
    with pytest.raises(NotFound):
        alert_start_verification(actor=officers["hongshan"], alert=alert, version=1)
    with pytest.raises(NotFound):
        alert_note(actor=officers["hongshan"], alert=alert, note="x")


def test_without_the_write_capability_nothing_happens(officers: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        alert_start_verification(actor=officers["lab"], alert=make_alert(), version=1)


def test_note_needs_text(officers: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as exc:
        alert_note(actor=officers["wuchang"], alert=make_alert(), note="")
    assert _fields(exc) == {"note"}


# --- escalation ----------------------------------------------------------------------------------

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.get_fixed_timezone(480))


def test_escalation_timing(officers: dict[str, Any], settings: Any) -> None:
    settings.SHOUWANG_ALERT_VERIFY_HOURS = 24
    alert = make_alert("420106", raised_at=T0)  # due T0 + 24 h
    assert alerts_escalate(now=T0 + timedelta(hours=23, minutes=59))["escalated"] == 0
    figures = alerts_escalate(now=T0 + timedelta(hours=24))
    assert (figures["overdue"], figures["escalated"], figures["notifications"]) == (1, 1, 1)
    a = Alert.objects.get(pk=alert.pk)
    assert (a.escalation_level, a.escalated_at, a.verify_due_at, a.version) == (
        1, T0 + timedelta(hours=24), T0 + timedelta(hours=48), 2)
    assert a.history.last().kind == "escalate"  # type: ignore[union-attr]
    assert list(Notification.objects.values_list("user__username", "kind")) == [
        ("wuhan", "escalated")]
    # Running again before the new deadline does nothing.
    assert alerts_escalate(now=T0 + timedelta(hours=47))["escalated"] == 0
    # The second escalation goes to the province, the third to the national officers; then it
    # stays at the top.
    assert alerts_escalate(now=T0 + timedelta(hours=48))["escalated"] == 1
    assert Notification.objects.filter(kind="escalated").latest("id").user == officers["hubei"]
    assert alerts_escalate(now=T0 + timedelta(hours=72))["escalated"] == 1
    assert Notification.objects.filter(kind="escalated").latest("id").user == officers["china"]
    assert Alert.objects.get(pk=alert.pk).escalation_level == 3
    figures = alerts_escalate(now=T0 + timedelta(days=10))
    assert (figures["overdue"], figures["escalated"], figures["at_top_level"]) == (1, 0, 1)
    assert Alert.objects.get(pk=alert.pk).escalation_level == 3
    assert Notification.objects.filter(kind="escalated").count() == 3


def test_escalation_long_overdue_moves_the_deadline_from_now(
        officers: dict[str, Any], settings: Any) -> None:
    settings.SHOUWANG_ALERT_VERIFY_HOURS = 6
    alert = make_alert("420106", raised_at=T0, verify_hours=6)
    alerts_escalate(now=T0 + timedelta(days=3))
    a = Alert.objects.get(pk=alert.pk)
    assert a.verify_due_at == T0 + timedelta(days=3, hours=6)


def test_a_job_that_missed_days_escalates_once(officers: dict[str, Any], settings: Any) -> None:
    settings.SHOUWANG_ALERT_VERIFY_HOURS = 24
    alert = make_alert("420106", raised_at=T0)
    figures = alerts_escalate(now=T0 + timedelta(days=5))  # four periods missed
    assert (figures["escalated"], figures["notifications"]) == (1, 1)
    a = Alert.objects.get(pk=alert.pk)
    assert (a.escalation_level, a.verify_due_at) == (1, T0 + timedelta(days=6))
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["wuhan"]
    assert alerts_escalate(now=T0 + timedelta(days=5, hours=23))["escalated"] == 0


def test_the_top_level_is_a_setting(officers: dict[str, Any], settings: Any) -> None:
    settings.SHOUWANG_ALERT_MAX_ESCALATION = 2  # up to the province, as before
    alert = make_alert("420106", raised_at=T0)
    for days in (1, 2):
        assert alerts_escalate(now=T0 + timedelta(days=days))["escalated"] == 1
    figures = alerts_escalate(now=T0 + timedelta(days=3))
    assert (figures["escalated"], figures["at_top_level"]) == (0, 1)
    assert Alert.objects.get(pk=alert.pk).escalation_level == 2
    assert not Notification.objects.filter(user=officers["china"]).exists()
    # Lowered below where an alert already is: it stays there and is counted, not moved.
    settings.SHOUWANG_ALERT_MAX_ESCALATION = 1
    figures = alerts_escalate(now=T0 + timedelta(days=4))
    assert (figures["escalated"], figures["at_top_level"]) == (0, 1)
    assert Alert.objects.get(pk=alert.pk).escalation_level == 2


def test_the_default_top_level_is_national(officers: dict[str, Any], settings: Any) -> None:
    del settings.SHOUWANG_ALERT_MAX_ESCALATION
    assert max_escalation() == 3


@pytest.mark.parametrize("value", [0, 4, -1, "x", "", 2.5, True, None])
def test_a_bad_top_level_is_a_clear_error(officers: dict[str, Any], settings: Any,
                                           value: Any) -> None:
    settings.SHOUWANG_ALERT_MAX_ESCALATION = value
    make_alert("420106", raised_at=T0)
    with pytest.raises(ValueError, match=r"SHOUWANG_ALERT_MAX_ESCALATION must be .*1.*3"):
        alerts_escalate(now=T0 + timedelta(days=1))
    assert Alert.objects.get().escalation_level == 0


@pytest.mark.parametrize("value", [1, 2, 3, "3", " 2 "])
def test_the_top_level_may_come_from_the_environment_as_text(settings: Any, value: Any) -> None:
    settings.SHOUWANG_ALERT_MAX_ESCALATION = value
    assert max_escalation() == int(value)


def test_an_alert_above_county_level_escalates_from_its_own_level(
        officers: dict[str, Any]) -> None:
    """A city's alert is the city officers' to verify: it goes to the province, then the
    nation, and is at the top after two escalations; the nation's own alert is never escalated."""
    city = make_alert("420100", raised_at=T0)
    nation = make_alert("000000", raised_at=T0, day=date(2026, 1, 1))
    figures = alerts_escalate(now=T0 + timedelta(days=1))
    assert (figures["escalated"], figures["at_top_level"]) == (1, 1)
    assert Notification.objects.get().user == officers["hubei"]
    alerts_escalate(now=T0 + timedelta(days=2))
    assert Notification.objects.latest("id").user == officers["china"]
    figures = alerts_escalate(now=T0 + timedelta(days=3))
    assert (figures["escalated"], figures["at_top_level"]) == (0, 2)
    assert Alert.objects.get(pk=city.pk).escalation_level == 2
    assert Alert.objects.get(pk=nation.pk).escalation_level == 0


def test_escalation_skips_closed_and_verified_in_time(officers: dict[str, Any]) -> None:
    make_alert("420106", raised_at=T0, status=AlertStatus.DISMISSED, day=date(2026, 3, 1))
    make_alert("420106", raised_at=T0, status=AlertStatus.CONFIRMED, day=date(2026, 3, 2))
    verifying = make_alert("420106", raised_at=T0, status=AlertStatus.VERIFYING,
                           day=date(2026, 3, 3))
    figures = alerts_escalate(now=T0 + timedelta(hours=25))
    assert (figures["overdue"], figures["escalated"]) == (1, 1)
    assert Alert.objects.get(pk=verifying.pk).escalation_level == 1


def test_escalation_with_no_arguments_is_what_the_job_calls(officers: dict[str, Any]) -> None:
    make_alert("420106", raised_at=timezone.now() - timedelta(hours=30))
    figures = alerts_escalate()
    assert figures["escalated"] == 1 and figures["verify_hours"] == 24


def test_escalation_hours_must_be_positive(settings: Any) -> None:
    settings.SHOUWANG_ALERT_VERIFY_HOURS = 0
    with pytest.raises(ValueError, match="SHOUWANG_ALERT_VERIFY_HOURS"):
        alerts_escalate(now=T0)


def test_the_run_jobs_command_escalates(officers: dict[str, Any]) -> None:
    import io

    from django.core.management import call_command

    alert = make_alert("420106", raised_at=timezone.now() - timedelta(hours=25))
    out = io.StringIO()
    call_command("run-jobs", "alert-escalation", stdout=out)
    assert '"escalated": 1' in out.getvalue() and '"overdue": 1' in out.getvalue()
    assert Alert.objects.get(pk=alert.pk).escalation_level == 1
