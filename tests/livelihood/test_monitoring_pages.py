"""The flag list and the monitoring passes: pages and API, scoped to the reader's jurisdiction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from shouwang.livelihood.models import MonitoringFlag, MonitoringThreshold
from shouwang.livelihood.services.monitoring import monitoring_run
from tests.accounts.helpers import bearer
from tests.livelihood.factories import make_flag, make_household

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _api(user: Any, url: str, **params: Any) -> Any:
    return Client().get(url, data=params, HTTP_AUTHORIZATION=bearer(user)["HTTP_AUTHORIZATION"])


@pytest.fixture
def world(divisions: None, cadres: dict[str, Any]) -> dict[str, Any]:
    """Two flags in 洪山区 (one opened by a pass, one by a cadre) and one in 武昌区; a national
    pass and one over 洪山区."""
    for year, amount in ((2024, 6800), (2025, 7000)):
        MonitoringThreshold.objects.create(year=year, province_code="", poverty_line=4000,
                                           multiple=Decimal("1.5"), amount=amount)
    poor = make_household("420111001", incomes={2024: {"wages": 6000}, 2025: {"wages": 6000}})
    national = monitoring_run(month=date(2025, 12, 1))
    hongshan_run = monitoring_run(month=date(2025, 12, 1), division_prefix="420111")
    by_cadre = make_flag(make_household("420111001"), target_group="sudden_difficulty",
                         triggers=["spending_shock"], reason="大额医疗支出")
    wuchang = make_flag(make_household("420106"), target_group="unstable_after_exit",
                        triggers=["guarantee_lost"], reason="住房不安全")
    return {"by_pass": MonitoringFlag.objects.get(household=poor), "by_cadre": by_cadre,
            "wuchang": wuchang, "national": national, "hongshan_run": hongshan_run}


def test_flag_list_scoped_filtered_counted_and_linked(world: dict[str, Any],
                                                      cadres: dict[str, Any]) -> None:
    c = _client(cadres["hongshan"])
    page = c.get("/livelihood/flags/").content.decode()
    assert page.count('data-testid="flag-row"') == 2
    assert f'data-id="{world["wuchang"].pk}"' not in page
    assert f'href="/livelihood/flags/{world["by_pass"].pk}/"' in page
    assert "低于监测标准" in page and "2025-12 监测" in page
    assert 'data-testid="count-monitoring"><span class="n">2<' in page
    assert 'data-testid="count-sudden_difficulty"><span class="n">1<' in page
    only = c.get("/livelihood/flags/", {"trigger": "spending_shock"}).content.decode()
    assert only.count('data-testid="flag-row"') == 1
    assert f'data-id="{world["by_cadre"].pk}"' in only
    group = c.get("/livelihood/flags/", {"target_group": "marginal"}).content.decode()
    assert f'data-id="{world["by_pass"].pk}"' in group and group.count('flag-row') == 1
    # Another area's division as a filter shows nothing (not its flags).
    other = c.get("/livelihood/flags/", {"division": "420106"}).content.decode()
    assert 'data-testid="flag-empty"' in other
    run = c.get("/livelihood/flags/", {"run": world["national"].pk}).content.decode()
    assert run.count('data-testid="flag-row"') == 1
    # The officer (livelihood.read) reads; the other county sees its own only.
    assert _client(cadres["officer"]).get("/livelihood/flags/").status_code == 200
    theirs = _client(cadres["wuchang"]).get("/livelihood/flags/").content.decode()
    assert theirs.count('data-testid="flag-row"') == 1
    assert "监测对象" in c.get("/").content.decode()    # the navigation entry


def test_run_list_totals_only_inside_the_jurisdiction(world: dict[str, Any],
                                                      cadres: dict[str, Any]) -> None:
    page = _client(cadres["hongshan"]).get("/livelihood/runs/").content.decode()
    assert page.count('data-testid="run-row"') == 2
    # The national pass: only what it opened here (1); the county's own: its totals.
    assert "本辖区 1" in page
    assert f'href="/livelihood/flags/?run={world["hongshan_run"].pk}"' in page
    wuchang = _client(cadres["wuchang"]).get("/livelihood/runs/").content.decode()
    assert wuchang.count('data-testid="run-row"') == 1 and "本辖区 0" in wuchang
    body = _api(cadres["hongshan"], "/api/v1/livelihood/runs").json()
    by_id = {r["id"]: r for r in body}
    national, own = by_id[world["national"].pk], by_id[world["hongshan_run"].pk]
    assert national["own"] is False and national["households"] is None
    assert national["opened_here"] == 1
    assert own["own"] is True and own["households"] == 1 and own["flags_opened"] == 0
    hubei = {r["id"]: r["own"] for r in _api(cadres["hubei"], "/api/v1/livelihood/runs").json()}
    assert hubei == {world["national"].pk: False, world["hongshan_run"].pk: True}


def test_flag_api_list_paged_and_one_flag(world: dict[str, Any], cadres: dict[str, Any]) -> None:
    body = _api(cadres["hongshan"], "/api/v1/livelihood/flags", per_page=1).json()
    assert body["total"] == 2 and body["pages"] == 2 and len(body["items"]) == 1
    assert body["counts_by_status"] == {"monitoring": 2, "eliminated": 0}
    assert body["open_by_target_group"]["marginal"] == 1
    second = _api(cadres["hongshan"], "/api/v1/livelihood/flags", per_page=1, page=2).json()
    assert {body["items"][0]["id"], second["items"][0]["id"]} == {
        world["by_pass"].pk, world["by_cadre"].pk}
    filtered = _api(cadres["hongshan"], "/api/v1/livelihood/flags",
                    trigger="income_below").json()
    assert [f["id"] for f in filtered["items"]] == [world["by_pass"].pk]
    one = _api(cadres["hongshan"], f"/api/v1/livelihood/flags/{world['by_pass'].pk}").json()
    assert one["rule_set"] == "cn-relapse-2021 v1" and one["run_id"] == world["national"].pk
    assert one["numbers"]["income_annual"] == 6000.0 and one["evaluated_month"] == "2025-12-01"
    outside = _api(cadres["hongshan"], f"/api/v1/livelihood/flags/{world['wuchang'].pk}")
    assert outside.status_code == 404
    assert _api(cadres["hongshan"], "/api/v1/livelihood/flags", per_page=500).status_code == 422
