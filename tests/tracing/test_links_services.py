"""Transmission links: confirm, bulk confirm, replace, reject; each bad input a test, and a
failed request changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditEvent
from shouwang.tracing.models import LinkStatus, TransmissionLink
from shouwang.tracing.services.links import link_confirm, link_reject, links_confirm_bulk
from tests.tracing.cases import make_case

pytestmark = pytest.mark.django_db

D = date(2026, 3, 1)


def _day(n: int) -> date:
    return date.fromordinal(D.toordinal() + n)


def _messages(exc: pytest.ExceptionInfo[InvalidInput], field: str) -> str:
    return " ".join(str(m) for m in exc.value.fields[field])


def test_confirm_stores_one_link_and_audits(officers: dict[str, Any]) -> None:
    a, b = make_case("420106", onset=_day(0)), make_case("420106", onset=_day(4))
    link = link_confirm(actor=officers["wuchang"], infector=a, infectee=b,
                        exposure_date=_day(1), reason="同住")
    assert (link.status, link.infector_id, link.infectee_id) == ("confirmed", a.pk, b.pk)
    assert (link.infector_division_code, link.infectee_division_code) == ("420106", "420106")
    assert link.decided_by == officers["wuchang"] and link.exposure_date == _day(1)
    event = AuditEvent.objects.get(object_type="tracing.transmissionlink", object_id=str(link.pk))
    assert event.division_code == "420106" and event.action == "create"


def test_same_link_again_stores_nothing_new(officers: dict[str, Any]) -> None:
    a, b = make_case("420106", onset=_day(0)), make_case("420106", onset=_day(4))
    first = link_confirm(actor=officers["wuchang"], infector=a, infectee=b)
    again = link_confirm(actor=officers["wuchang"], infector=a, infectee=b)
    assert again.pk == first.pk and TransmissionLink.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="tracing.transmissionlink").count() == 1
    links = links_confirm_bulk(actor=officers["wuchang"], pairs=[(a, b)])
    assert [x.pk for x in links] == [first.pk] and TransmissionLink.objects.count() == 1


def test_self_link_is_a_field_error(officers: dict[str, Any]) -> None:
    a = make_case("420106", onset=_day(0))
    with pytest.raises(InvalidInput) as exc:
        link_confirm(actor=officers["wuchang"], infector=a, infectee=a)
    assert f"#{a.pk}" in _messages(exc, "infector") and "自己" in _messages(exc, "infector")
    assert not TransmissionLink.objects.exists()


def test_cycle_is_refused_naming_its_cases(officers: dict[str, Any]) -> None:
    a, b, c = (make_case("420106", onset=_day(0)), make_case("420106", onset=_day(1)),
               make_case("420106", onset=_day(2)))
    link_confirm(actor=officers["wuchang"], infector=a, infectee=b)
    link_confirm(actor=officers["wuchang"], infector=b, infectee=c)
    with pytest.raises(InvalidInput) as exc:
        link_confirm(actor=officers["wuchang"], infector=c, infectee=a)
    text = _messages(exc, "infector")
    assert "循环" in text and f"#{a.pk} → #{b.pk} → #{c.pk} → #{a.pk}" in text
    assert exc.value.code == "invalid_link"
    assert TransmissionLink.objects.count() == 2


def test_onset_far_before_infector_is_refused(officers: dict[str, Any]) -> None:
    a, b = make_case("420106", onset=_day(10)), make_case("420106", onset=_day(5))
    with pytest.raises(InvalidInput) as exc:
        link_confirm(actor=officers["wuchang"], infector=a, infectee=b)
    text = _messages(exc, "infector")
    assert f"#{b.pk}" in text and f"#{a.pk}" in text and "5 天" in text
    assert not TransmissionLink.objects.exists()


def test_presymptomatic_lead_is_allowed(officers: dict[str, Any], settings: Any) -> None:
    a, b = make_case("420106", onset=_day(10)), make_case("420106", onset=_day(8))
    link_confirm(actor=officers["wuchang"], infector=a, infectee=b)
    settings.SHOUWANG_TRACING_MAX_ONSET_LEAD_DAYS = 0
    c = make_case("420106", onset=_day(9))
    with pytest.raises(InvalidInput):
        link_confirm(actor=officers["wuchang"], infector=a, infectee=c)


def test_other_disease_and_revoked_cases_refused(officers: dict[str, Any]) -> None:
    a = make_case("420106", onset=_day(0))
    flu = make_case("420106", onset=_day(3), disease="influenza")
    with pytest.raises(InvalidInput) as exc:
        link_confirm(actor=officers["wuchang"], infector=a, infectee=flu)
    assert "病种" in _messages(exc, "infector")


def test_second_infector_needs_replace_and_reason(officers: dict[str, Any]) -> None:
    a, b, c = (make_case("420106", onset=_day(0)), make_case("420106", onset=_day(1)),
               make_case("420106", onset=_day(5)))
    first = link_confirm(actor=officers["wuchang"], infector=a, infectee=c)
    with pytest.raises(InvalidInput) as exc:
        link_confirm(actor=officers["wuchang"], infector=b, infectee=c)
    assert exc.value.code == "infector_exists" and f"#{a.pk}" in _messages(exc, "infector")
    with pytest.raises(InvalidInput) as exc:
        link_confirm(actor=officers["wuchang"], infector=b, infectee=c, replace=True)
    assert "reason" in exc.value.fields
    assert TransmissionLink.objects.get().status == "confirmed"
    new = link_confirm(actor=officers["wuchang"], infector=b, infectee=c, replace=True,
                       reason="补充调查：共同就餐")
    first.refresh_from_db()
    assert (first.status, new.status) == ("rejected", "confirmed")
    assert "共同就餐" in first.reason
    assert TransmissionLink.objects.filter(infectee=c, status="confirmed").get().pk == new.pk


def test_replace_that_would_cycle_changes_nothing(officers: dict[str, Any]) -> None:
    a, b, c = (make_case("420106", onset=_day(0)), make_case("420106", onset=_day(1)),
               make_case("420106", onset=_day(2)))
    link_confirm(actor=officers["wuchang"], infector=a, infectee=b)
    link_confirm(actor=officers["wuchang"], infector=b, infectee=c)
    x = make_case("420106", onset=_day(0))
    link_confirm(actor=officers["wuchang"], infector=x, infectee=a)
    with pytest.raises(InvalidInput):
        link_confirm(actor=officers["wuchang"], infector=c, infectee=a, replace=True,
                     reason="重新判断")
    assert TransmissionLink.objects.get(infectee=a).status == "confirmed"
    assert TransmissionLink.objects.filter(status="rejected").count() == 0


def test_infectee_outside_jurisdiction_is_not_found(officers: dict[str, Any]) -> None:
    a, b = make_case("420106", onset=_day(0)), make_case("420111", onset=_day(3))
    with pytest.raises(NotFound):
        link_confirm(actor=officers["wuchang"], infector=a, infectee=b)
    # The infector may be of another county: a chain crossing divisions.
    link = link_confirm(actor=officers["hongshan"], infector=a, infectee=b)
    assert (link.infector_division_code, link.infectee_division_code) == ("420106", "420111")


def test_readers_cannot_confirm(officers: dict[str, Any]) -> None:
    a, b = make_case("420106", onset=_day(0)), make_case("420106", onset=_day(3))
    with pytest.raises(PermissionDenied):
        link_confirm(actor=officers["grid"], infector=a, infectee=b)


# --- bulk ---------------------------------------------------------------------------------------


def test_bulk_stores_all_in_order(officers: dict[str, Any]) -> None:
    cases = [make_case("420106", onset=_day(i)) for i in range(5)]
    pairs = [(cases[0], cases[1]), (cases[1], cases[2]), (cases[0], cases[3]),
             (cases[3], cases[4])]
    links = links_confirm_bulk(actor=officers["wuchang"], pairs=pairs, reason="导入")
    assert [(x.infector_id, x.infectee_id) for x in links] == [(a.pk, b.pk) for a, b in pairs]
    assert all(x.pk and x.status == "confirmed" for x in links)
    assert AuditEvent.objects.filter(summary="transmission links confirmed in bulk").count() == 1
    again = links_confirm_bulk(actor=officers["wuchang"], pairs=pairs)
    assert [x.pk for x in again] == [x.pk for x in links]
    assert TransmissionLink.objects.count() == 4
    assert AuditEvent.objects.filter(summary="transmission links confirmed in bulk").count() == 1


def test_bulk_is_all_or_nothing_and_names_every_bad_pair(officers: dict[str, Any]) -> None:
    a, b, c, d = (make_case("420106", onset=_day(0)), make_case("420106", onset=_day(2)),
                  make_case("420106", onset=_day(4)), make_case("420106", onset=_day(20)))
    with pytest.raises(InvalidInput) as exc:
        links_confirm_bulk(actor=officers["wuchang"],
                           pairs=[(a, b), (b, c), (c, a), (d, b), (d, d)])
    text = _messages(exc, "pairs")
    assert "两个传染者" in text and "自己" in text
    assert not TransmissionLink.objects.exists()
    with pytest.raises(InvalidInput) as exc:
        links_confirm_bulk(actor=officers["wuchang"], pairs=[(a, b), (b, c), (c, a)])
    assert "循环" in _messages(exc, "pairs")
    with pytest.raises(InvalidInput) as exc:
        links_confirm_bulk(actor=officers["wuchang"], pairs=[(a, b), (d, c)])
    assert f"#{c.pk}" in _messages(exc, "pairs") and "发病日期" in _messages(exc, "pairs")
    assert not TransmissionLink.objects.exists()


def test_bulk_cycle_through_stored_links(officers: dict[str, Any]) -> None:
    a, b, c = (make_case("420106", onset=_day(0)), make_case("420106", onset=_day(1)),
               make_case("420106", onset=_day(2)))
    link_confirm(actor=officers["wuchang"], infector=a, infectee=b)
    with pytest.raises(InvalidInput) as exc:
        links_confirm_bulk(actor=officers["wuchang"], pairs=[(b, c), (c, a)])
    assert "循环" in _messages(exc, "pairs")
    assert TransmissionLink.objects.count() == 1


def test_bulk_refuses_a_different_confirmed_infector(officers: dict[str, Any]) -> None:
    a, b, c = (make_case("420106", onset=_day(0)), make_case("420106", onset=_day(1)),
               make_case("420106", onset=_day(4)))
    link_confirm(actor=officers["wuchang"], infector=a, infectee=c)
    with pytest.raises(InvalidInput) as exc:
        links_confirm_bulk(actor=officers["wuchang"], pairs=[(a, b), (b, c)])
    assert exc.value.code == "infector_exists"
    assert TransmissionLink.objects.count() == 1


def test_bulk_outside_jurisdiction_named(officers: dict[str, Any]) -> None:
    a, b = make_case("420106", onset=_day(0)), make_case("420111", onset=_day(3))
    with pytest.raises(InvalidInput) as exc:
        links_confirm_bulk(actor=officers["wuchang"], pairs=[(a, b)])
    assert "辖区" in _messages(exc, "pairs")


def test_bulk_needs_pairs(officers: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        links_confirm_bulk(actor=officers["wuchang"], pairs=[])


# --- reject -------------------------------------------------------------------------------------


def test_reject_confirmed_needs_reason(officers: dict[str, Any]) -> None:
    a, b = make_case("420106", onset=_day(0)), make_case("420106", onset=_day(3))
    link = link_confirm(actor=officers["wuchang"], infector=a, infectee=b)
    with pytest.raises(InvalidInput) as exc:
        link_reject(actor=officers["wuchang"], link=link)
    assert "reason" in exc.value.fields
    link = link_reject(actor=officers["wuchang"], link=link, reason="核实为同一暴露来源")
    assert link.status == LinkStatus.REJECTED
    with pytest.raises(NotFound):
        link_reject(actor=officers["hongshan"], link=link, reason="x")
    # A rejected pair can be confirmed again later.
    again = link_confirm(actor=officers["wuchang"], infector=a, infectee=b)
    assert again.pk == link.pk and again.status == "confirmed"


def test_a_confirmed_infector_makes_a_pending_or_unknown_source_known(
        officers: dict[str, Any]) -> None:
    from shouwang.tracing.models import Investigation, SourceStatus
    from shouwang.tracing.services.investigations import (
        investigation_open,
        investigation_set_source,
    )

    wuchang = officers["wuchang"]
    a, b, c, d = (make_case("420106", onset=_day(i)) for i in (0, 3, 4, 6))
    pending = investigation_open(actor=wuchang, case=b)[0]
    unknown = investigation_open(actor=wuchang, case=c)[0]
    investigation_set_source(actor=wuchang, investigation=unknown, version=unknown.version,
                             source_status=SourceStatus.UNKNOWN)
    clustered = investigation_open(actor=wuchang, case=d)[0]
    investigation_set_source(actor=wuchang, investigation=clustered, version=clustered.version,
                             source_status=SourceStatus.CLUSTER)
    link_confirm(actor=wuchang, infector=a, infectee=b)
    links_confirm_bulk(actor=wuchang, pairs=[(a, c), (c, d)])
    fresh = {i.case_id: i for i in Investigation.objects.all()}
    assert fresh[b.pk].source_status == SourceStatus.KNOWN_CONTACT
    assert fresh[b.pk].version == pending.version + 1
    assert fresh[c.pk].source_status == SourceStatus.KNOWN_CONTACT
    assert fresh[d.pk].source_status == SourceStatus.CLUSTER  # already a known source
    assert AuditEvent.objects.filter(summary__startswith="investigation source known").count() == 2
