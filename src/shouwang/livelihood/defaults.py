"""The monitoring rule set and thresholds the platform starts with (seeded by migration 0003).

- ``cn-relapse-2021`` v1: the built-in ``relapse_monitoring`` kind with its default parameters
  (shouwang.epi.livelihood_rules.RELAPSE_MONITORING_DEFAULTS), after the 2021 guidance of the
  central rural work leading group (《关于健全防止返贫动态监测和帮扶机制的指导意见》): income below
  the monitoring line, a drop of 30 % or more on the year before, rigid spending above half of
  income, a guarantee lost, or a sudden severe difficulty; the risk is eliminated after six
  months in a row above the line with every guarantee secured.
- National monitoring lines of 2021 (6,000 yuan per capita a year, about 1.5 × the 2020
  poverty line of 4,000 yuan) and 2022 (6,600 yuan), as announced nationally. From 2023 the
  provinces set their own lines; they are entered as data (page, API, command line) for each
  year and province — the platform does not guess them, and a pass over a year and province
  without a line reports those households as not evaluated.

These defaults are never edited in place: a change is a new version or a new row.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

RULE_SETS: list[dict[str, Any]] = [
    {
        "code": "cn-relapse-2021", "version": 1, "kind": "relapse_monitoring",
        "name": "防止返贫动态监测（2021 年指导意见）",
        "name_en": "Relapse-into-poverty monitoring (2021 guidance)",
        "scope_prefix": "", "effective_from": "2021-01-01", "params": {},
        "note": "《关于健全防止返贫动态监测和帮扶机制的指导意见》：以家庭为单位，监测收入支出、"
                "“两不愁三保障”及饮水安全状况；人均纯收入低于监测标准、收入大幅缩减或刚性支出"
                "明显超过收入能力的，纳入监测；收支状况稳定、“两不愁三保障”及饮水安全持续巩固"
                "（原则上半年以上）的，标注风险消除。",
    },
]

THRESHOLDS: list[dict[str, Any]] = [
    {"year": 2021, "province_code": "", "poverty_line": Decimal("4000"),
     "multiple": Decimal("1.50"), "amount": Decimal("6000"),
     "note": "2021 年全国防止返贫监测范围：家庭年人均纯收入 6000 元（约为 2020 年脱贫标准 4000 元的"
             " 1.5 倍）。"},
    # The announced figure is the line itself; the poverty line stays the 2020 standard the
    # exits were measured against, so the multiple is the quotient.
    {"year": 2022, "province_code": "", "poverty_line": Decimal("4000"),
     "multiple": Decimal("1.65"), "amount": Decimal("6600"),
     "note": "2022 年全国防止返贫监测范围调整为家庭年人均纯收入 6600 元（脱贫标准仍按 2020 年的"
             " 4000 元计）。"},
]


def seed(apps: Any) -> None:
    """Create the defaults that are missing (idempotent; never changes a stored row)."""
    rule_set_model = apps.get_model("livelihood", "MonitoringRuleSet")
    threshold_model = apps.get_model("livelihood", "MonitoringThreshold")
    for row in RULE_SETS:
        rule_set_model.objects.get_or_create(code=row["code"], version=row["version"],
                                             defaults={k: v for k, v in row.items()
                                                       if k not in ("code", "version")})
    for row in THRESHOLDS:
        threshold_model.objects.get_or_create(year=row["year"],
                                              province_code=row["province_code"],
                                              defaults={k: v for k, v in row.items()
                                                        if k not in ("year", "province_code")})
