"""Chain selectors: the component holding a case, pseudonyms across divisions, 404 outside,
the tree layout, proposed links; the jurisdiction's chain statistics against shouwang.epi."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
from django.http import Http404
from django.utils import timezone

from shouwang.core.models import AuditEvent
from shouwang.epi.chains import analyse_chains, negbin_expected, negbin_k_interval
from shouwang.surveillance.models import CaseReport
from shouwang.tracing.selectors.chain_layout import tree_layout
from shouwang.tracing.selectors.chain_stats import chain_statistics
from shouwang.tracing.selectors.chains import case_links, chain_for_case
from shouwang.tracing.services.investigations import (
    investigation_open,
    investigation_set_source,
)
from shouwang.tracing.services.link_proposals import links_propose
from shouwang.tracing.services.links import link_confirm, links_confirm_bulk
from tests.tracing.cases import make_case
from tests.tracing.contacts_factory import make_contact

pytestmark = pytest.mark.django_db


def _day(n: int) -> date:
    return timezone.localdate() - timedelta(days=60) + timedelta(days=n)


@pytest.fixture
def crossing(officers: dict[str, Any]) -> dict[str, CaseReport]:
    """张三明 (武昌区) → 李四 (洪山区, 34) → 王五 (武昌区); 李四 → 赵六 (洪山区)."""
    a = make_case("420106", onset=_day(0), name="张三明")
    b = make_case("420111", onset=_day(4), name="李四", age_years=34)
    c = make_case("420106", onset=_day(9), name="王五")
    d = make_case("420111", onset=_day(8), name="赵六")
    link_confirm(actor=officers["hongshan"], infector=a, infectee=b)
    link_confirm(actor=officers["wuchang"], infector=b, infectee=c)
    link_confirm(actor=officers["hongshan"], infector=b, infectee=d)
    return {"a": a, "b": b, "c": c, "d": d}


def test_wuchang_sees_hongshan_people_pseudonymised(officers: dict[str, Any],
                                                    crossing: dict[str, CaseReport]) -> None:
    graph = chain_for_case(user=officers["wuchang"], case_id=crossing["c"].pk)
    by_id = {n.case_id: n for n in graph.nodes}
    assert set(by_id) == {c.pk for c in crossing.values()}
    b = by_id[crossing["b"].pk]
    assert b.pseudonymised and b.label == "LS · 30–39 岁 · 洪山区"
    assert "李四" not in b.label and b.division_code == "420111" and not b.openable
    a = by_id[crossing["a"].pk]
    assert (a.label, a.pseudonymised, a.openable) == ("张三明", False, True)
    assert not any("赵六" in n.label for n in graph.nodes)
    # The links stay visible, all of them.
    assert {(e.infector, e.infectee) for e in graph.edges} == {
        (crossing["a"].pk, crossing["b"].pk), (crossing["b"].pk, crossing["c"].pk),
        (crossing["b"].pk, crossing["d"].pk)}
    assert graph.outside == 2 and graph.size == 4 and graph.generations == 2
    assert graph.roots == [crossing["a"].pk]
    assert (b.generation, b.infectees, a.root) == (1, 2, True)
    event = AuditEvent.objects.get(object_type="tracing.chain")
    assert event.action == "read" and set(event.changes["cases"]) == {crossing["a"].pk,
                                                                       crossing["c"].pk}


def test_city_sees_every_name(officers: dict[str, Any], crossing: dict[str, CaseReport]) -> None:
    graph = chain_for_case(user=officers["wuhan"], case_id=crossing["a"].pk)
    assert sorted(n.label for n in graph.nodes) == sorted(["张三明", "李四", "王五", "赵六"])
    assert graph.outside == 0


def test_chain_outside_the_jurisdiction_is_not_found(officers: dict[str, Any],
                                                     crossing: dict[str, CaseReport]) -> None:
    with pytest.raises(Http404):
        chain_for_case(user=officers["furong"], case_id=crossing["a"].pk)
    with pytest.raises(Http404):
        chain_for_case(user=officers["wuchang"], case_id=999999)
    # A chain wholly in 洪山区 is not 武昌区's.
    x = make_case("420111", onset=_day(0))
    y = make_case("420111", onset=_day(3))
    link_confirm(actor=officers["hongshan"], infector=x, infectee=y)
    with pytest.raises(Http404):
        chain_for_case(user=officers["wuchang"], case_id=x.pk)
    assert chain_for_case(user=officers["hongshan"], case_id=x.pk).size == 2


def test_a_case_without_links_is_a_chain_of_one(officers: dict[str, Any]) -> None:
    x = make_case("420106", onset=_day(0))
    graph = chain_for_case(user=officers["wuchang"], case_id=x.pk)
    assert (graph.size, graph.roots, len(graph.edges)) == (1, [x.pk], 0)


def test_proposed_links_join_as_dashed_candidates(officers: dict[str, Any]) -> None:
    w = officers["wuchang"]
    x = make_case("420106", onset=_day(20))
    near = make_case("420106", onset=_day(15))
    links_propose(actor=w, infectee=x)
    plain = chain_for_case(user=w, case_id=x.pk)
    assert [n.case_id for n in plain.nodes] == [x.pk]
    graph = chain_for_case(user=w, case_id=x.pk, proposed=True)
    assert {(e.infector, e.infectee, e.status) for e in graph.edges} == {
        (near.pk, x.pk, "proposed")}
    node = next(n for n in graph.nodes if n.case_id == near.pk)
    assert not node.in_chain and node.generation is None
    target = next(n for n in graph.nodes if n.case_id == x.pk)
    assert node.y == target.y + 1


def test_layout_tree_by_generation() -> None:
    # 1 → 2, 1 → 3, 2 → 4, 2 → 5; 6 alone.
    pos = tree_layout({1: None, 2: 1, 3: 1, 4: 2, 5: 2, 6: None})
    assert [pos[n].y for n in (1, 2, 3, 4, 5, 6)] == [0, -1, -1, -2, -2, 0]
    assert pos[4].x < pos[5].x < pos[3].x < pos[6].x
    assert pos[2].x == (pos[4].x + pos[5].x) / 2
    assert pos[1].x == (pos[2].x + pos[3].x) / 2
    # Deep chains do not recurse.
    deep = tree_layout({0: None, **{i: i - 1 for i in range(1, 5000)}})
    assert deep[4999].y == -4999


def test_case_links_reasons_in_words(officers: dict[str, Any]) -> None:
    w = officers["wuchang"]
    x = make_case("420106", onset=_day(20))
    make_case("420106", onset=_day(15))
    links_propose(actor=w, infectee=x)
    rows = case_links(user=w, case_id=x.pk)
    assert rows.confirmed is None and len(rows.proposals) == 1
    assert any("同县区" in r for r in rows.proposals[0].reasons)
    assert any("发病间隔 5 天" in r for r in rows.proposals[0].reasons)
    with pytest.raises(Http404):
        case_links(user=officers["hongshan"], case_id=x.pk)


# --- statistics -------------------------------------------------------------------------------


def test_statistics_match_epi(officers: dict[str, Any]) -> None:
    w = officers["wuchang"]
    # A super-spreader with 6 infectees, two of them infecting one more each; three sporadic
    # cases; and a case of 洪山区 infected by the spreader (outside 武昌区's figures).
    spreader = make_case("420106", onset=_day(0))
    kids = [make_case("420106", onset=_day(4 + i % 3)) for i in range(6)]
    grandkids = [make_case("420106", onset=_day(10)) for _ in range(2)]
    sporadic = [make_case("420106", onset=_day(5 + i)) for i in range(3)]
    links_confirm_bulk(actor=w, pairs=[(spreader, k) for k in kids]
                       + [(kids[0], grandkids[0]), (kids[1], grandkids[1])])
    other = make_case("420111", onset=_day(5))
    link_confirm(actor=officers["hongshan"], infector=spreader, infectee=other)
    stats = chain_statistics(user=w, disease="covid19", start=_day(0), end=_day(30),
                             until_default=False)
    assert stats.cases == 12 and stats.links == 8 and stats.outside_links == 0
    assert stats.chains == 4 and stats.chains_of_two_or_more == 1
    assert stats.size_distribution == {1: 3, 9: 1}
    assert stats.largest[0].case_id == spreader.pk and stats.largest[0].count == 9
    offspring = [6, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    expected = analyse_chains(np.array([-1, 0, 0, 0, 0, 0, 0, 1, 2, -1, -1, -1]))
    assert stats.offspring_distribution == {0: 9, 1: 2, 6: 1}
    assert stats.mean_r == pytest.approx(np.mean(offspring))
    assert stats.k == pytest.approx(expected.fit.k)
    ci = negbin_k_interval(offspring)
    assert ci is not None and stats.k_low == pytest.approx(ci.low)
    assert stats.sse_threshold == expected.superspreading_threshold
    assert [r.case_id for r in stats.sse] == [spreader.pk] and stats.sse[0].count == 6
    assert stats.expected_offspring == pytest.approx(negbin_expected(expected.fit, 6).tolist())
    # 洪山区 sees its own case, whose infector lies outside its figures.
    theirs = chain_statistics(user=officers["hongshan"], disease="covid19", start=_day(0),
                              end=_day(30))
    assert (theirs.cases, theirs.links, theirs.outside_links) == (1, 0, 1)
    assert theirs.unknown_source == 0
    # Cases of unknown source: the sporadic ones and the spreader, none linked or imported.
    assert stats.unknown_source == 4
    assert {r.case_id for r in stats.unknown_list} == {spreader.pk, *(s.pk for s in sporadic)}


def test_statistics_cut_off_and_period(officers: dict[str, Any]) -> None:
    w = officers["wuchang"]
    a = make_case("420106", onset=_day(0))
    b = make_case("420106", onset=_day(5))
    c = make_case("420106", onset=_day(28))
    link_confirm(actor=w, infector=a, infectee=b)
    link_confirm(actor=w, infector=b, infectee=c)
    fitted = chain_statistics(user=w, disease="covid19", start=_day(0), end=_day(30))
    # Default cut-off: 30 − ceil(4.7 + 2 × 2.9) = day 19: c is not fitted, its link counts.
    assert fitted.offspring_until == _day(19) and fitted.fitted == 2
    assert fitted.mean_r == pytest.approx(1.0)
    everyone = chain_statistics(user=w, disease="covid19", start=_day(0), end=_day(30),
                                until_default=False)
    assert everyone.fitted == 3 and everyone.mean_r == pytest.approx(2 / 3)
    early = chain_statistics(user=w, disease="covid19", start=_day(0), end=_day(10),
                             until_default=False)
    assert early.cases == 2
    with pytest.raises(Http404):
        chain_statistics(user=w, disease="covid19", start=_day(0), end=_day(30),
                         division="420111")


def test_unknown_source_and_share_under_follow_up(officers: dict[str, Any]) -> None:
    w = officers["wuchang"]
    index = make_case("420106", onset=_day(0))
    found = make_case("420106", onset=_day(5), name="陈静")
    make_contact(index, w, seq=9, id_number=found.id_number)
    investigation, _ = investigation_open(actor=w, case=found)
    assert investigation.found_under_follow_up
    stranger = make_case("420106", onset=_day(6))
    inv, _ = investigation_open(actor=w, case=stranger)
    investigation_set_source(actor=w, investigation=inv, version=inv.version,
                             source_status="unknown")
    imported = make_case("420106", onset=_day(6), imported=True, origin_country="THA")
    investigation_open(actor=w, case=imported)
    start = timezone.localdate() - timedelta(days=90)
    stats = chain_statistics(user=w, disease="covid19", start=start,
                             end=timezone.localdate())
    assert (stats.investigations, stats.found_under_follow_up) == (3, 1)
    assert stats.share_under_follow_up == pytest.approx(1 / 3)
    assert sum(wk.investigations for wk in stats.weekly) == 3
    # index: no infector, no investigation; stranger: said unknown. found: a known contact;
    # imported: imported.
    assert {r.case_id for r in stats.unknown_list} == {index.pk, stranger.pk}
