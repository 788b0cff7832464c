"""The rule sets and travel policy the platform starts with (seeded by migration 0002).

- ``cn-county-2020``: the county rule of 国务院联防联控机制, 2020-02-17 (分区分级): low — no
  confirmed case, or none new for 14 consecutive days; medium — new confirmed cases within 14
  days and at most 50 in total, or more than 50 and no cluster within 14 days; high — more than
  50 in total and a cluster within 14 days.
- ``cn-subcounty-2021``: the finer rule for townships and villages (residential communities) of
  the later prevention plans: the same shape with a threshold of 10, and an area steps down one
  level only after 14 consecutive days without a new case (high → medium → low).
- ``cn-travel-2021``: nothing between low-risk areas; a certificate check towards medium- and
  high-risk areas; from a medium-risk area a test within 48 hours and 14 days of health
  monitoring; from a high-risk area 14 days of centralised quarantine.

A health commission adds its own as new rule sets (a province's scope wins inside it) or as a new
version with a later effective date; these defaults are never edited in place.
"""

from __future__ import annotations

from typing import Any

EFFECTIVE_FROM = "2020-02-17"

RULE_SETS: list[dict[str, Any]] = [
    {
        "code": "cn-county-2020", "version": 1, "kind": "window_threshold",
        "name": "县域风险等级标准（2020 年 2 月）",
        "name_en": "County risk levels (February 2020)",
        "disease": "covid19", "levels": ["county"], "scope_prefix": "",
        "effective_from": EFFECTIVE_FROM,
        "params": {"window_days": 14, "high_threshold": 50, "high_count": "cumulative",
                   "high_needs_cluster": True, "step_down_days": None,
                   "classifications": ["confirmed", "clinical"]},
        "note": "国务院联防联控机制 2020-02-17：低风险 无确诊病例或连续14天无新增确诊病例；"
                "中风险 14天内有新增确诊病例，累计确诊病例不超过50例，或累计确诊病例超过50例，"
                "14天内未发生聚集性疫情；高风险 累计确诊病例超过50例，14天内有聚集性疫情发生。",
    },
    {
        "code": "cn-subcounty-2021", "version": 1, "kind": "window_threshold",
        "name": "乡镇（街道）、村（社区）风险等级标准",
        "name_en": "Township and village risk levels",
        "disease": "covid19", "levels": ["township", "village"], "scope_prefix": "",
        "effective_from": EFFECTIVE_FROM,
        "params": {"window_days": 14, "high_threshold": 10, "high_count": "cumulative",
                   "high_needs_cluster": True, "step_down_days": {"high": 14, "medium": 14},
                   "classifications": ["confirmed", "clinical"]},
        "note": "以乡镇（街道）、村（社区）为单位：累计病例超过10例且14天内发生聚集性疫情为高风险；"
                "高风险地区连续14天无新增病例降为中风险，再连续14天无新增降为低风险。",
    },
]

# (origin level, destination level) -> measures. Cells not listed apply nothing.
_FROM_MEDIUM = {"certificate_check": True, "test_within_hours": 48, "test_on_arrival": False,
                "quarantine_kind": "", "quarantine_days": 0, "health_monitoring_days": 14,
                "advice": "持48小时内核酸检测阴性证明，抵达后居家健康监测14天"}
_FROM_HIGH = {"certificate_check": True, "test_within_hours": 48, "test_on_arrival": True,
              "quarantine_kind": "centralised", "quarantine_days": 14,
              "health_monitoring_days": 0, "advice": "原则上不出行；抵达后集中隔离医学观察14天"}
_TO_RISK = {"certificate_check": True, "test_within_hours": None, "test_on_arrival": False,
            "quarantine_kind": "", "quarantine_days": 0, "health_monitoring_days": 0,
            "advice": "非必要不前往中高风险地区；查验健康码"}
_NOTHING = {"certificate_check": False, "test_within_hours": None, "test_on_arrival": False,
            "quarantine_kind": "", "quarantine_days": 0, "health_monitoring_days": 0,
            "advice": ""}

TRAVEL_POLICY: dict[str, Any] = {
    "code": "cn-travel-2021", "version": 1, "name": "跨地区出行管控（国家默认）",
    "disease": "covid19", "scope_prefix": "", "effective_from": EFFECTIVE_FROM,
    "note": "低风险地区之间无限制；前往中高风险地区查验健康码；中风险地区来人持48小时核酸阴性证明并"
            "健康监测14天；高风险地区来人集中隔离14天。",
    "rules": {
        ("low", "low"): _NOTHING, ("low", "medium"): _TO_RISK, ("low", "high"): _TO_RISK,
        ("medium", "low"): _FROM_MEDIUM, ("medium", "medium"): _FROM_MEDIUM,
        ("medium", "high"): _FROM_MEDIUM,
        ("high", "low"): _FROM_HIGH, ("high", "medium"): _FROM_HIGH,
        ("high", "high"): _FROM_HIGH,
    },
}


def seed(apps: Any) -> None:
    """Create the defaults with the migration's historical models (idempotent)."""
    from datetime import date

    from shouwang.epi.risk_rules import validate_params

    disease_model = apps.get_model("surveillance", "Disease")
    rule_set = apps.get_model("risk", "RuleSet")
    policy_model = apps.get_model("risk", "TravelPolicy")
    rule_model = apps.get_model("risk", "TravelRule")
    for spec in RULE_SETS:
        if not disease_model.objects.filter(code=spec["disease"]).exists():
            continue
        params = dict(spec["params"])
        classifications = params.pop("classifications")
        params = {**validate_params(spec["kind"], params), "classifications": classifications}
        rule_set.objects.get_or_create(code=spec["code"], version=spec["version"], defaults={
            "kind": spec["kind"], "name": spec["name"], "name_en": spec["name_en"],
            "disease_id": spec["disease"], "levels": spec["levels"],
            "scope_prefix": spec["scope_prefix"],
            "effective_from": date.fromisoformat(spec["effective_from"]),
            "params": params, "note": spec["note"]})
    spec = TRAVEL_POLICY
    if not disease_model.objects.filter(code=spec["disease"]).exists():
        return
    policy, made = policy_model.objects.get_or_create(
        code=spec["code"], version=spec["version"], defaults={
            "name": spec["name"], "disease_id": spec["disease"],
            "scope_prefix": spec["scope_prefix"],
            "effective_from": date.fromisoformat(spec["effective_from"]), "note": spec["note"]})
    if made:
        rule_model.objects.bulk_create([
            rule_model(policy=policy, origin_level=o, destination_level=d, **measures)
            for (o, d), measures in spec["rules"].items()])
