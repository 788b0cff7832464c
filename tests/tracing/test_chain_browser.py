"""The chain pages in headless Chromium: a chain crossing 武昌区 and 洪山区 drawn as a tree,
hover shows the person (pseudonymised outside) and highlights the infector and infectees, a
click on a case of the jurisdiction opens its report; the statistics page draws its charts; the
infector panel confirms a proposal. Screenshots in /tmp/shots-chains/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from shouwang.accounts.roles import Role
from shouwang.tracing.models import TransmissionLink
from shouwang.tracing.services.investigations import investigation_open
from shouwang.tracing.services.links import links_confirm_bulk
from tests.dashboard.test_browser import (  # noqa: F401  # fixtures are used by name
    CHROMIUM,
    _audit_triggers_restored,
    assert_no_problems,
    browser,
    live_db,
    log_in,
    page,
)
from tests.factories import make_user
from tests.tracing.cases import make_case

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]
SHOTS = Path("/tmp/shots-chains")


def _shot(tab: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _chain() -> dict[str, Any]:
    """A root in 武昌区 infecting 4 (two in 洪山区), each infecting 2 more: 13 cases."""
    city = make_user(Role.CITY_OFFICER, "420100", username="wuhan-chain")
    onset = timezone.localdate() - timedelta(days=40)
    root = make_case("420106", onset=onset, name="张三明", age_years=45)
    kids = [make_case("420111" if i % 2 else "420106", onset=onset + timedelta(days=4),
                      name=["王五", "李四", "赵敏", "钱七"][i], age_years=30 + i) for i in range(4)]
    grand = [make_case("420106", onset=onset + timedelta(days=9), name=f"孙{'一二三四五六七八'[i]}")
             for i in range(8)]
    pairs = [(root, k) for k in kids] + [(kids[i // 2], g) for i, g in enumerate(grand)]
    links_confirm_bulk(actor=city, pairs=pairs)
    return {"root": root, "kids": kids, "grand": grand}


def _point(tab: Any, case_id: int) -> tuple[float, float]:
    """The page position of a case's marker (from Plotly's own axes)."""
    box = tab.evaluate("""(id) => {
        const el = document.getElementById('chain-chart');
        const c = JSON.parse(document.getElementById('chain-data').textContent).nodes;
        const i = c.id.indexOf(id);
        const xa = el._fullLayout.xaxis, ya = el._fullLayout.yaxis;
        const r = el.getBoundingClientRect();
        return [r.left + xa._offset + xa.l2p(c.x[i]), r.top + ya._offset + ya.l2p(c.y[i])];
    }""", case_id)
    return float(box[0]), float(box[1])


def test_chain_view_hover_highlight_and_click(page: Any, live_server: Any,  # noqa: F811
                                              live_db: None) -> None:  # noqa: F811
    officer = make_user(Role.COUNTY_OFFICER, "420106", username="wuchang-chain")
    made = _chain()
    root, kids = made["root"], made["kids"]
    log_in(page, live_server.url, officer.username)
    page.goto(f"{live_server.url}/tracing/cases/{root.pk}/chain/")
    page.wait_for_selector("#chain-chart[data-rendered='1']")
    assert page.locator("[data-testid=chain-size]").inner_text() == "13"
    assert page.locator("[data-testid=chain-outside]").inner_text() == "2"
    # The legend names what the marks mean.
    legend = page.locator("#chain-chart .legend").text_content() or ""
    assert "确认的传播关系" in legend and "辖区外人员（化名）" in legend
    assert "李四" not in page.content()
    _shot(page, "chain-view")

    # Hover a 洪山区 case: its pseudonym, and its infector and two infectees highlighted.
    hongshan = kids[1]
    x, y = _point(page, hongshan.pk)
    page.mouse.move(x, y)
    page.wait_for_selector(f"#chain-chart[data-highlighted='{hongshan.pk}']")
    hover = page.locator("#chain-chart .hoverlayer").text_content() or ""
    assert "LS · 30–39 岁 · 洪山区" in hover
    detail = page.locator("[data-testid=chain-detail]").inner_text()
    assert "张三明" in detail and "辖区外人员" in detail
    assert page.get_attribute("#chain-chart", "data-neighbours") == "3"
    assert page.locator("#chain-chart .chain-overlay line.hl-edge").count() == 3
    _shot(page, "chain-hover-pseudonym")

    # A click on a 洪山区 case pins it and opens nothing.
    page.mouse.click(x, y)
    page.wait_for_selector(f"#chain-chart[data-clicked='{hongshan.pk}']")
    assert "/tracing/cases/" in page.url

    # The find box pins a case by its number.
    page.fill("[data-testid=chain-find-input]", str(kids[0].pk))
    page.click("[data-testid=chain-find-button]")
    page.wait_for_selector(f"#chain-chart[data-highlighted='{kids[0].pk}']")
    _shot(page, "chain-find")

    # A click on a case of the jurisdiction opens its report.
    page.evaluate("""Plotly.relayout(document.getElementById('chain-chart'),
                     {'xaxis.autorange': true, 'yaxis.autorange': true})""")
    x, y = _point(page, root.pk)
    page.mouse.move(x, y)
    page.wait_for_selector(f"#chain-chart[data-highlighted='{root.pk}']")
    page.mouse.click(x, y)
    page.wait_for_url(f"{live_server.url}/surveillance/cases/{root.pk}/")
    assert_no_problems(page)


def test_statistics_page_and_infector_panel(page: Any, live_server: Any,  # noqa: F811
                                            live_db: None) -> None:  # noqa: F811
    officer = make_user(Role.COUNTY_OFFICER, "420106", username="wuchang-stats")
    made = _chain()
    investigation_open(actor=officer, case=made["grand"][0])
    log_in(page, live_server.url, officer.username)
    page.click("[data-testid=nav-tracing-chains]")
    page.wait_for_selector("#offspring-plot[data-rendered='1']")
    page.wait_for_selector("#chain-size-plot[data-rendered='1']")
    page.wait_for_selector("#follow-up-plot[data-rendered='1']")
    assert page.locator("#offspring-plot g.trace.bars").count() == 1
    assert page.locator("#offspring-plot g.trace.scatter").count() == 1
    assert page.locator("[data-testid=kpi-follow-up] .value").inner_text() == "0%"
    _shot(page, "chain-statistics")

    # A lone case in 武昌区: the county fallback proposes the chain's cases; confirm the best.
    lone = make_case("420106", onset=timezone.localdate() - timedelta(days=27), name="周九")
    page.goto(f"{live_server.url}/tracing/cases/{lone.pk}/infector/")
    page.click("[data-testid=propose-button]")
    page.wait_for_selector("[data-testid=proposal-row]")
    _shot(page, "chain-infector-proposals")
    first = page.locator("[data-testid=proposal-row]").first
    link_id = int(first.get_attribute("data-link"))
    first.locator("[data-testid=confirm-button]").click()
    page.wait_for_selector("[data-testid=confirmed-infector] [data-testid=unconfirm-form]")
    assert TransmissionLink.objects.get(pk=link_id).status == "confirmed"
    _shot(page, "chain-infector-confirmed")
    assert_no_problems(page)
