"""`shouwang livelihood rules …` and `shouwang livelihood thresholds …`."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shouwang.livelihood.models import MonitoringRuleSet, MonitoringThreshold

pytestmark = pytest.mark.django_db


def run(*args: str) -> Any:
    out = StringIO()
    call_command("livelihood", *args, stdout=out)
    return json.loads(out.getvalue())


def test_rules_add_and_list(cadres: Any, tmp_path: Path) -> None:
    spec = tmp_path / "hb.json"
    spec.write_text(json.dumps({
        "code": "hb-cli", "name": "湖北规则", "kind": "relapse_monitoring", "scope": "420000",
        "effective_from": "2026-05-01", "params": {"drop_pct": 40}}), encoding="utf-8")
    made = run("rules", "add", str(spec), "--user", "lh-hubei")
    assert (made["code"], made["version"], made["params"]["drop_pct"]) == ("hb-cli", 1, 40)
    everything = run("rules", "list")
    assert {(r["code"], r["status"]) for r in everything} == {("cn-relapse-2021", "in_force"),
                                                             ("hb-cli", "in_force")}
    assert [r["code"] for r in run("rules", "list", "--user", "lh-wuchang")] == [
        "cn-relapse-2021", "hb-cli"]


def test_rules_add_bad_parameter_names_the_field(cadres: Any, tmp_path: Path) -> None:
    spec = tmp_path / "bad.json"
    spec.write_text(json.dumps({"code": "hb-cli", "name": "x", "kind": "relapse_monitoring",
                                "scope": "420000", "effective_from": "2026-05-01",
                                "params": {"min_months": 20, "window_months": 12}}))
    with pytest.raises(CommandError, match=r"params\.min_months"):
        run("rules", "add", str(spec), "--user", "lh-hubei")
    assert not MonitoringRuleSet.objects.filter(code="hb-cli").exists()
    with pytest.raises(CommandError, match="outside"):
        spec.write_text(json.dumps({"code": "hn", "name": "x", "scope": "430000",
                                    "kind": "relapse_monitoring",
                                    "effective_from": "2026-05-01"}))
        run("rules", "add", str(spec), "--user", "lh-hubei")


def test_thresholds_set_and_list(cadres: Any) -> None:
    line = run("thresholds", "set", "--year", "2026", "--province", "420000",
               "--poverty-line", "4200", "--user", "lh-hubei")
    assert line == {"year": 2026, "province_code": "420000", "poverty_line": "4200.00",
                    "multiple": "1.50", "amount": "6300.00", "note": ""}
    # The same command again changes nothing.
    assert run("thresholds", "set", "--year", "2026", "--province", "420000",
               "--poverty-line", "4200", "--user", "lh-hubei") == line
    assert MonitoringThreshold.objects.filter(year=2026).count() == 1
    listed = run("thresholds", "list", "--user", "lh-hongshan")
    assert [(t["year"], t["province_code"]) for t in listed] == [(2026, "420000"), (2022, ""),
                                                                (2021, "")]
    with pytest.raises(CommandError, match="poverty_line"):
        run("thresholds", "set", "--year", "2026", "--province", "420000",
            "--poverty-line", "-4", "--user", "lh-hubei")
    with pytest.raises(CommandError, match="may not"):
        run("thresholds", "set", "--year", "2026", "--province", "420000",
            "--poverty-line", "4000", "--user", "lh-officer")
