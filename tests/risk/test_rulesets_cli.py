"""`shouwang risk rules …` and `shouwang risk travel …` (management/commands/risk.py, the rules
section; decision 1120)."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from shouwang.risk.defaults import TRAVEL_POLICY
from shouwang.risk.models import RuleSet, TravelPolicy
from tests.risk.levels_factory import publish_levels

pytestmark = pytest.mark.django_db


def _run(*args: str) -> Any:
    out = StringIO()
    call_command("risk", *args, stdout=out)
    return json.loads(out.getvalue())


def test_rules_list_and_show(officers):
    listed = _run("rules", "list")
    county = next(r for r in listed if r["code"] == "cn-county-2020")
    assert county["status"] == "in_force" and "窗口期 14 天" in county["description"]
    shown = _run("rules", "show", str(county["id"]))
    assert [v["version"] for v in shown["versions"]] == [1]


def test_rules_add_from_a_file(officers, tmp_path: Path):
    day = (timezone.localdate() + timedelta(days=1)).isoformat()
    path = tmp_path / "rule.json"
    path.write_text(json.dumps({"code": "cn-county-2020", "effective_from": day}), "utf-8")
    made = _run("rules", "add", str(path), "--user", officers["china"].username)
    assert made["version"] == 2 and made["status"] == "scheduled"
    publish_levels(timezone.localdate() + timedelta(days=2), {})
    path.write_text(json.dumps({"code": "cn-county-2020", "effective_from": (
        timezone.localdate() + timedelta(days=2)).isoformat()}), "utf-8")
    with pytest.raises(CommandError, match="effective_from"):
        _run("rules", "add", str(path), "--user", officers["china"].username)
    with pytest.raises(CommandError, match="jurisdiction"):
        _run("rules", "add", str(path), "--user", officers["hubei"].username)
    with pytest.raises(CommandError, match=r"risk\.override"):
        _run("rules", "add", str(path), "--user", officers["wuchang"].username)
    assert RuleSet.objects.filter(code="cn-county-2020").count() == 2


def test_travel_list_add_and_check(officers, tmp_path: Path):
    assert [p["code"] for p in _run("travel", "list")] == ["cn-travel-2021"]
    body = {"code": "hb-travel", "name": "入鄂出行", "scope": "420000",
            "effective_from": (timezone.localdate() + timedelta(days=1)).isoformat(),
            "rules": [{"origin_level": o, "destination_level": d, **copy.deepcopy(m)}
                      for (o, d), m in TRAVEL_POLICY["rules"].items()]}
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    made = _run("travel", "add", str(path), "--user", officers["hubei"].username)
    assert made["scope_prefix"] == "42" and len(made["rules"]) == 9
    assert TravelPolicy.objects.filter(code="hb-travel").count() == 1
    publish_levels(timezone.localdate(), {"420106": "medium"})
    answer = _run("travel", "check", "--from", "420106", "--to", "430102")
    assert answer["origin"]["level"] == "medium"
    assert answer["measures"]["health_monitoring_days"] == 14
    with pytest.raises(CommandError, match="to"):
        _run("travel", "check", "--from", "420106", "--to", "999999")
