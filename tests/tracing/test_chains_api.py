"""/api/v1/tracing/chains and /api/v1/tracing/links: graphs with pseudonyms, statistics,
exports, and the link decisions with their errors (422 field by field, 404 outside, nothing
changed by a failed request)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shouwang.tracing.models import TransmissionLink
from shouwang.tracing.services.links import link_confirm
from tests.accounts.helpers import bearer
from tests.tracing.cases import make_case

pytestmark = pytest.mark.django_db
CHAINS = "/api/v1/tracing/chains"
LINKS = "/api/v1/tracing/links"


def _day(n: int) -> date:
    return timezone.localdate() - timedelta(days=60) + timedelta(days=n)


def post(user: Any, url: str, payload: dict[str, Any]) -> Any:
    auth: Any = bearer(user)
    return Client().post(url, data=payload, content_type="application/json", **auth)


def get(user: Any, url: str, **params: Any) -> Any:
    auth: Any = bearer(user)
    return Client().get(url, data=params, **auth)


def test_chain_graph_pseudonymises_across_divisions(officers: dict[str, Any]) -> None:
    a = make_case("420106", onset=_day(0), name="张三明")
    b = make_case("420111", onset=_day(4), name="李四", age_years=34)
    link_confirm(actor=officers["hongshan"], infector=a, infectee=b)
    response = get(officers["wuchang"], f"{CHAINS}/case/{a.pk}")
    assert response.status_code == 200
    body = response.json()
    labels = {n["id"]: n for n in body["nodes"]}
    assert labels[b.pk]["label"] == "LS · 30–39 岁 · 洪山区" and labels[b.pk]["url"] is None
    assert labels[a.pk]["label"] == "张三明"
    assert labels[a.pk]["url"] == f"/surveillance/cases/{a.pk}/"
    assert "李四" not in response.content.decode()
    assert body["edges"] == [{"infector": a.pk, "infectee": b.pk, "status": "confirmed",
                              "score": None, "rank": None}]
    assert get(officers["furong"], f"{CHAINS}/case/{a.pk}").status_code == 404
    assert get(officers["wuchang"], f"{CHAINS}/case/99999").json()["code"] == "not_found"


def test_statistics_and_bad_filters(officers: dict[str, Any]) -> None:
    a = make_case("420106", onset=_day(0))
    b = make_case("420106", onset=_day(5))
    link_confirm(actor=officers["wuchang"], infector=a, infectee=b)
    body = get(officers["wuchang"], f"{CHAINS}/statistics", disease="covid19",
               start=_day(0).isoformat(), end=_day(30).isoformat(), fit_all="true").json()
    assert body["cases"] == 2 and body["chains"]["size_distribution"] == {"2": 1}
    assert body["offspring"]["mean_r"] == pytest.approx(0.5)
    bad = get(officers["wuchang"], f"{CHAINS}/statistics", disease="nope",
              start="2026-02-30")
    assert bad.status_code == 422 and "start" in bad.json()["fields"]
    bad = get(officers["wuchang"], f"{CHAINS}/statistics", disease="nope")
    assert bad.status_code == 422 and "disease" in bad.json()["fields"]
    bad = get(officers["wuchang"], f"{CHAINS}/statistics", start="2026-03-05",
              end="2026-03-01")
    assert bad.status_code == 422 and "end" in bad.json()["fields"]
    assert get(officers["wuchang"], f"{CHAINS}/statistics",
               division="420111").status_code == 404


def test_exports_are_files(officers: dict[str, Any]) -> None:
    a = make_case("420106", onset=_day(0))
    b = make_case("420106", onset=_day(5))
    link_confirm(actor=officers["wuchang"], infector=a, infectee=b)
    response = get(officers["wuchang"], f"{CHAINS}/case/{a.pk}/export", format="graphml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/graphml+xml"
    assert "attachment" in response["Content-Disposition"]
    assert b"<graphml" in response.content
    period = get(officers["wuchang"], f"{CHAINS}/export", format="json",
                 start=_day(0).isoformat(), end=_day(30).isoformat())
    assert len(json.loads(period.content)["nodes"]) == 2
    bad = get(officers["grid"], f"{CHAINS}/case/{a.pk}/export", personal="full")
    assert bad.status_code == 422 and "personal" in bad.json()["fields"]


def test_confirm_pair_errors_change_nothing(officers: dict[str, Any]) -> None:
    w = officers["wuchang"]
    a = make_case("420106", onset=_day(0))
    b = make_case("420106", onset=_day(5))
    c = make_case("420106", onset=_day(9))
    ok = post(w, f"{LINKS}/case/{b.pk}/infector/{a.pk}", {"reason": "同住"})
    assert ok.status_code == 200 and ok.json()["status"] == "confirmed"
    assert post(w, f"{LINKS}/case/{c.pk}/infector/{b.pk}", {}).status_code == 200
    cycle = post(w, f"{LINKS}/case/{a.pk}/infector/{c.pk}", {})
    assert cycle.status_code == 422 and cycle.json()["code"] == "invalid_link"
    assert any("循环" in m for m in cycle.json()["fields"]["infector"])
    early = make_case("420106", onset=_day(-20))
    onset = post(w, f"{LINKS}/case/{early.pk}/infector/{c.pk}", {})
    assert onset.status_code == 422 and "发病日期" in onset.json()["fields"]["infector"][0]
    own = post(w, f"{LINKS}/case/{a.pk}/infector/{a.pk}", {})
    assert own.status_code == 422 and "自己" in own.json()["fields"]["infector"][0]
    second = post(w, f"{LINKS}/case/{c.pk}/infector/{a.pk}", {"replace": True})
    assert second.status_code == 422 and "reason" in second.json()["fields"]
    assert TransmissionLink.objects.count() == 2
    # An infector elsewhere, unrelated to the jurisdiction, cannot be probed by number.
    far = make_case("430102", onset=_day(0))
    probe = post(w, f"{LINKS}/case/{c.pk}/infector/{far.pk}", {"replace": True, "reason": "x"})
    missing = post(w, f"{LINKS}/case/{c.pk}/infector/999999", {"replace": True, "reason": "x"})
    assert probe.status_code == missing.status_code == 422
    assert probe.json()["fields"] == missing.json()["fields"]
    assert post(officers["grid"], f"{LINKS}/case/{c.pk}/infector/{a.pk}", {}).status_code == 403


def test_propose_confirm_and_reject(officers: dict[str, Any]) -> None:
    w = officers["wuchang"]
    x = make_case("420106", onset=_day(20))
    near = make_case("420106", onset=_day(15))
    other = make_case("420106", onset=_day(17))
    body = post(w, f"{LINKS}/case/{x.pk}/propose", {"top": 3}).json()
    assert body["fallback"] is True and body["considered"] == 2
    ids = {link["infector"]: link["id"] for link in body["links"]}
    assert set(ids) == {near.pk, other.pk}
    panel = get(w, f"{LINKS}/case/{x.pk}").json()
    assert [p["rank"] for p in panel["proposals"]] == [1, 2]
    assert any("同县区" in r for r in panel["proposals"][0]["reasons"])
    assert post(officers["hongshan"], f"{LINKS}/{ids[near.pk]}/confirm", {}).status_code == 404
    confirmed = post(w, f"{LINKS}/{ids[near.pk]}/confirm", {})
    assert confirmed.json()["status"] == "confirmed"
    clash = post(w, f"{LINKS}/{ids[other.pk]}/confirm", {})
    assert clash.status_code == 422 and clash.json()["code"] == "infector_exists"
    rejected = post(w, f"{LINKS}/{ids[other.pk]}/reject", {})
    assert rejected.json()["status"] == "rejected"
    panel = get(w, f"{LINKS}/case/{x.pk}").json()
    assert panel["confirmed"]["case_id"] == near.pk and panel["rejected"][0]["case_id"] == other.pk


def test_bulk_is_all_or_nothing(officers: dict[str, Any]) -> None:
    w = officers["wuchang"]
    a, b, c = (make_case("420106", onset=_day(0)), make_case("420106", onset=_day(4)),
               make_case("420106", onset=_day(8)))
    bad = post(w, f"{LINKS}/bulk", {"pairs": [[a.pk, b.pk], [b.pk, c.pk], [c.pk, a.pk]]})
    assert bad.status_code == 422 and "pairs" in bad.json()["fields"]
    assert not TransmissionLink.objects.exists()
    ok = post(w, f"{LINKS}/bulk", {"pairs": [[a.pk, b.pk], [b.pk, c.pk]], "reason": "导入"})
    assert ok.status_code == 200 and len(ok.json()) == 2
    again = post(w, f"{LINKS}/bulk", {"pairs": [[a.pk, b.pk], [b.pk, c.pk]]})
    assert [x["id"] for x in again.json()] == [x["id"] for x in ok.json()]
    hongshan = make_case("420111", onset=_day(10))
    outside = post(w, f"{LINKS}/bulk", {"pairs": [[c.pk, hongshan.pk]]})
    assert outside.status_code == 422
