"""Candidate infectors proposed for a case: who is a candidate (a shared setting, a contact
list, the county as a fallback), how they are ranked and stored, and what is never proposed."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from shouwang.core.errors import InvalidInput, NotFound
from shouwang.surveillance.models import CaseReport
from shouwang.tracing.models import Exposure, LinkStatus, Setting, TransmissionLink
from shouwang.tracing.services.investigations import exposure_add, investigation_open
from shouwang.tracing.services.link_proposals import links_propose
from shouwang.tracing.services.links import link_confirm, link_reject
from shouwang.tracing.services.settings_registry import setting_register
from tests.tracing.cases import make_case
from tests.tracing.contacts_factory import make_contact

pytestmark = pytest.mark.django_db


def _base() -> date:
    return timezone.localdate() - timedelta(days=40)


def _day(n: int) -> date:
    return _base() + timedelta(days=n)


def _at(actor: Any, case: CaseReport, setting: Setting, start: int, end: int) -> Exposure:
    investigation, _ = investigation_open(actor=actor, case=case)
    return exposure_add(actor=actor, investigation=investigation, data={
        "kind": setting.kind, "setting_id": setting.pk, "started_on": _day(start).isoformat(),
        "ended_on": _day(end).isoformat()})


@pytest.fixture
def office(officers: dict[str, Any]) -> Setting:
    setting, _ = setting_register(actor=officers["wuchang"], kind="workplace", label="某公司三楼",
                                  division_code="420106")
    return setting


def test_shared_setting_candidates_ranked_and_stored(officers: dict[str, Any],
                                                     office: Setting) -> None:
    w = officers["wuchang"]
    x = make_case("420106", onset=_day(14), name="王芳")
    a = make_case("420106", onset=_day(9), name="李强")     # gap 5: near the mean 4.7
    b = make_case("420106", onset=_day(6), name="赵敏")     # gap 8: less likely
    c = make_case("420106", onset=_day(16), name="钱七")    # fell ill after x
    flu = make_case("420106", onset=_day(9), disease="influenza", name="孙八")
    far = make_case("420106", onset=_day(9), name="周九")   # at the office, other days
    _at(w, x, office, 5, 10)
    _at(w, a, office, 4, 8)
    _at(w, b, office, 1, 6)
    _at(w, c, office, 6, 9)
    _at(w, far, office, 0, 2)
    _at(w, flu, office, 7, 9)
    result = links_propose(actor=w, infectee=x)
    assert [link.infector_id for link in result.links] == [a.pk, b.pk]
    assert [link.rank for link in result.links] == [1, 2]
    assert result.considered == 3 and not result.fallback
    assert c.pk in dict(result.ruled_out)
    top = result.links[0]
    assert top.status == LinkStatus.PROPOSED and top.score is not None and 0.5 < top.score <= 1
    assert sum(link.score or 0.0 for link in result.links) == pytest.approx(1.0)
    codes = [r["code"] for r in top.reasons]
    assert codes[:2] == ["setting", "serial_interval"] and "exposure_day" in codes
    setting_reason = top.reasons[0]
    assert setting_reason["setting"] == office.pk
    assert (setting_reason["from"], setting_reason["to"]) == (_day(5).isoformat(),
                                                              _day(8).isoformat())
    assert top.reasons[1]["gap_days"] == 5
    assert flu.pk not in {link.infector_id for link in result.links}


def test_contact_list_makes_a_candidate(officers: dict[str, Any]) -> None:
    w = officers["wuchang"]
    index = make_case("420111", onset=_day(8), name="刘洋")
    x = make_case("420106", onset=_day(13), name="陈静")
    make_contact(index, officers["hongshan"], seq=7, id_number=x.id_number,
                 last_exposure=_day(9), identified_on=_day(11).isoformat())
    result = links_propose(actor=w, infectee=x)
    assert [link.infector_id for link in result.links] == [index.pk]
    link = result.links[0]
    assert link.reasons[0]["code"] == "contact"
    assert link.reasons[0]["last_exposure"] == _day(9).isoformat()
    assert (link.infector_division_code, link.infectee_division_code) == ("420111", "420106")


def test_county_fallback_when_nothing_links(officers: dict[str, Any]) -> None:
    w = officers["wuchang"]
    x = make_case("420106", onset=_day(20))
    near = make_case("420106", onset=_day(15))
    make_case("420111", onset=_day(15))          # another county
    make_case("420106", onset=_day(-10))         # too long before
    result = links_propose(actor=w, infectee=x)
    assert result.fallback
    assert [link.infector_id for link in result.links] == [near.pk]
    assert result.links[0].reasons[0] == {"code": "county", "county": "420106"}


def test_proposing_again_replaces_proposals_and_keeps_decisions(officers: dict[str, Any],
                                                                office: Setting) -> None:
    w = officers["wuchang"]
    x = make_case("420106", onset=_day(14))
    a = make_case("420106", onset=_day(9))
    b = make_case("420106", onset=_day(10))
    for case, (s, e) in ((x, (5, 10)), (a, (4, 8)), (b, (5, 9))):
        _at(w, case, office, s, e)
    first = links_propose(actor=w, infectee=x)
    assert len(first.links) == 2
    again = links_propose(actor=w, infectee=x)
    assert [link.pk for link in again.links] == [link.pk for link in first.links]
    assert TransmissionLink.objects.count() == 2
    # A rejected candidate is not proposed again; a confirmed one keeps its status.
    rejected = next(link for link in again.links if link.infector_id == b.pk)
    link_reject(actor=w, link=rejected)
    confirmed = link_confirm(actor=w, infector=a, infectee=x)
    third = links_propose(actor=w, infectee=x)
    assert [(link.infector_id, link.status) for link in third.links] == [(a.pk, "confirmed")]
    assert confirmed.pk == third.links[0].pk and third.links[0].score == pytest.approx(1.0)
    assert TransmissionLink.objects.get(infector=b, infectee=x).status == "rejected"


def test_the_cases_own_infectees_are_never_proposed(officers: dict[str, Any],
                                                    office: Setting) -> None:
    w = officers["wuchang"]
    x = make_case("420106", onset=_day(12))
    child = make_case("420106", onset=_day(10))
    link_confirm(actor=w, infector=x, infectee=child)
    _at(w, x, office, 5, 10)
    _at(w, child, office, 5, 9)
    result = links_propose(actor=w, infectee=x)
    assert result.links == [] and (child.pk, "infected by the case") in result.ruled_out


def test_propose_errors(officers: dict[str, Any]) -> None:
    x = make_case("420106", onset=_day(12), disease="hepatitis_b")
    with pytest.raises(InvalidInput) as exc:
        links_propose(actor=officers["wuchang"], infectee=x)
    assert exc.value.code == "no_serial_interval"
    with pytest.raises(NotFound):
        links_propose(actor=officers["hongshan"], infectee=x)
    y = make_case("420106", onset=_day(12))
    with pytest.raises(InvalidInput):
        links_propose(actor=officers["wuchang"], infectee=y, top=0)
