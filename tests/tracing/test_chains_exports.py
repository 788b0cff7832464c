"""Chain exports (GraphML and JSON): pseudonyms across divisions, the personal-data modes and
who may use them, the audit row, the whole jurisdiction's chains for a period."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from typing import Any

import pytest
from django.http import Http404
from django.utils import timezone

from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditEvent
from shouwang.surveillance.models import CaseReport
from shouwang.tracing.services.chain_exports import chain_export
from shouwang.tracing.services.links import link_confirm
from tests.tracing.cases import make_case

pytestmark = pytest.mark.django_db
NS = {"g": "http://graphml.graphdrawing.org/xmlns"}


def _day(n: int) -> date:
    return timezone.localdate() - timedelta(days=60) + timedelta(days=n)


@pytest.fixture
def chain(officers: dict[str, Any]) -> dict[str, CaseReport]:
    a = make_case("420106", onset=_day(0), name="张三明", age_years=41)
    b = make_case("420111", onset=_day(4), name="李四", age_years=34)
    c = make_case("420106", onset=_day(9), name="王五", age_years=8)
    link_confirm(actor=officers["hongshan"], infector=a, infectee=b)
    link_confirm(actor=officers["wuchang"], infector=b, infectee=c)
    return {"a": a, "b": b, "c": c}


def _json(export: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(export.content)
    return data


def test_json_default_is_pseudonymous_for_everyone(officers: dict[str, Any],
                                                   chain: dict[str, CaseReport]) -> None:
    out = chain_export(user=officers["wuchang"], fmt="json", case_id=chain["c"].pk)
    data = _json(out)
    text = out.content.decode()
    assert not any(name in text for name in ("张三明", "李四", "王五"))
    labels = {n["case_id"]: n["label"] for n in data["nodes"]}
    assert labels[chain["a"].pk] == "ZSM · 40–49 岁 · 武昌区"
    assert labels[chain["b"].pk] == "LS · 30–39 岁 · 洪山区"
    b = next(n for n in data["nodes"] if n["case_id"] == chain["b"].pk)
    assert (b["division_code"], b["in_jurisdiction"], b["generation"]) == ("420111", 0, 1)
    assert {(e["source"], e["target"]) for e in data["links"]} == {
        (f"C{chain['a'].pk}", f"C{chain['b'].pk}"), (f"C{chain['b'].pk}", f"C{chain['c'].pk}")}
    assert out.filename.endswith(".json") and out.nodes == 3 and out.links == 2
    event = AuditEvent.objects.get(action="export", object_type="tracing.chain")
    assert event.changes["personal"] == "pseudonymous" and event.changes["nodes"] == 3


def test_masked_and_full_names_only_inside(officers: dict[str, Any],
                                           chain: dict[str, CaseReport]) -> None:
    masked = _json(chain_export(user=officers["wuchang"], fmt="json", case_id=chain["a"].pk,
                                personal="masked"))
    labels = {n["case_id"]: n["label"] for n in masked["nodes"]}
    assert labels[chain["a"].pk] == "张**" and labels[chain["b"].pk].startswith("LS · ")
    full = _json(chain_export(user=officers["wuchang"], fmt="json", case_id=chain["a"].pk,
                              personal="full"))
    labels = {n["case_id"]: n["label"] for n in full["nodes"]}
    assert labels[chain["a"].pk] == "张三明" and labels[chain["c"].pk] == "王五"
    assert "李四" not in json.dumps(full, ensure_ascii=False)


def test_without_export_capability_only_pseudonyms(officers: dict[str, Any],
                                                   chain: dict[str, CaseReport]) -> None:
    grid = officers["grid"]   # tracing.read, no surveillance.export
    with pytest.raises(InvalidInput) as exc:
        chain_export(user=grid, fmt="json", case_id=chain["a"].pk, personal="masked")
    assert "personal" in exc.value.fields
    data = _json(chain_export(user=grid, fmt="json", case_id=chain["a"].pk))
    assert len(data["nodes"]) == 3
    assert not AuditEvent.objects.filter(action="export", actor=grid,
                                         changes__personal="masked").exists()


def test_graphml_parses_back(officers: dict[str, Any], chain: dict[str, CaseReport]) -> None:
    out = chain_export(user=officers["wuhan"], fmt="graphml", case_id=chain["b"].pk)
    root = ET.fromstring(out.content)
    nodes = root.findall(".//g:node", NS)
    edges = root.findall(".//g:edge", NS)
    assert len(nodes) == 3 and len(edges) == 2
    keys = {k.get("attr.name"): k.get("attr.type") for k in root.findall("g:key", NS)}
    assert keys["generation"] == "int" and keys["label"] == "string"
    assert out.content_type == "application/graphml+xml"


def test_errors_and_not_found(officers: dict[str, Any], chain: dict[str, CaseReport]) -> None:
    with pytest.raises(Http404):
        chain_export(user=officers["furong"], fmt="json", case_id=chain["a"].pk)
    with pytest.raises(InvalidInput) as exc:
        chain_export(user=officers["wuchang"], fmt="csv", personal="everything")
    assert {"format", "personal", "disease", "start", "end"} <= set(exc.value.fields)
    assert not AuditEvent.objects.filter(action="export").exists()


def test_period_export_of_the_jurisdiction(officers: dict[str, Any],
                                           chain: dict[str, CaseReport]) -> None:
    lone = make_case("420106", onset=_day(20))
    data = _json(chain_export(user=officers["wuchang"], fmt="json", disease="covid19",
                              start=_day(0), end=_day(30)))
    ids = {n["case_id"] for n in data["nodes"]}
    # 武昌区's cases of the period, and the 洪山区 infector linking two of them.
    assert ids == {chain["a"].pk, chain["b"].pk, chain["c"].pk, lone.pk}
    assert len(data["links"]) == 2
