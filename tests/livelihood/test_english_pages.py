"""Every livelihood page read in English has no untranslated Chinese: only data typed in Chinese
(member names, division names, the seeded rules' and lines' notes) may remain."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from shouwang.livelihood.models import MonitoringRuleSet, MonitoringThreshold, Signal
from shouwang.livelihood.selectors.exit_report import WESTERN_PROVINCES
from shouwang.livelihood.selectors.monitoring import last_complete_month
from shouwang.livelihood.services.assistance import measure_add, visit_record
from shouwang.livelihood.services.monitoring import monitoring_run
from shouwang.livelihood.services.signals import signal_receive
from tests.dashboard.test_views import CJK, untranslated
from tests.livelihood.factories import make_household
from tests.livelihood.monitoring_data import at_risk

pytestmark = pytest.mark.django_db


def _typed_data() -> set[str]:
    """Chinese that is data, not interface: what the seeded rows hold and the factory's names."""
    texts = [*MonitoringRuleSet.objects.values_list("name", "note"),
             *MonitoringThreshold.objects.values_list("note", "note")]
    return {piece for pair in texts for text in pair for piece in CJK.findall(text or "")}


def test_livelihood_pages_in_english(cadres: Any) -> None:
    cadre = cadres["luonan"]
    flagged = at_risk(make_household("420111001", members=2, poverty_status="lifted_out",
                                     lifted_out_year=2019))
    pending = at_risk(make_household("420111001", members=3))
    signal_receive(source="self_report", household=pending, summary="medical bills", details={})
    monitoring_run(month=last_complete_month())
    flag = flagged.flags.get()
    measure_add(actor=cadre, flag_id=flag.pk, data={
        "category": "employment", "description": "public-service job", "responsible": cadre.pk,
        "started_on": last_complete_month().isoformat(), "amount": "800"})
    visit_record(actor=cadre, household_id=flagged.pk, data={
        "visited_on": last_complete_month().isoformat(), "notes": "visited",
        "guarantees": {"food_clothing_secure": True, "education_secure": True,
                       "medical_secure": False, "housing_secure": True, "water_secure": True}})
    signal = Signal.objects.get(household=pending)
    rule_set = MonitoringRuleSet.objects.first()
    assert rule_set is not None
    paths = ["/livelihood/households/", f"/livelihood/households/{flagged.pk}/",
             "/livelihood/signals/", f"/livelihood/signals/{signal.pk}/",
             "/livelihood/signals/new/",
             "/livelihood/flags/", f"/livelihood/flags/{flag.pk}/", "/livelihood/runs/",
             "/livelihood/statistics/", "/livelihood/statistics/420111/",
             "/livelihood/statistics/exit-report/", "/livelihood/rules/",
             f"/livelihood/rules/{rule_set.pk}/", "/livelihood/rules/new/",
             "/livelihood/thresholds/", "/livelihood/report/",
             "/livelihood/households/import/"]
    # The western provinces are named from the division table, which the test data lacks.
    allowed = _typed_data() | set(WESTERN_PROVINCES.values())
    client = Client()
    client.force_login(cadres["hongshan"])
    for path in paths:
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, path
        # The factory's members are named 成员<n>-<i>.
        left = {s for s in untranslated(response.content.decode()) if s not in allowed
                and not re.fullmatch(r"成员\d*", s)}
        assert left == set(), path
