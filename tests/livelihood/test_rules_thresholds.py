"""Monitoring lines per year and province (services/rules.py: threshold_set)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from shouwang.accounts.roles import Role
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditEvent
from shouwang.geo.models import NATION_CODE
from shouwang.livelihood.models import MonitoringRun, MonitoringThreshold
from shouwang.livelihood.services.rules import threshold_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def national(make_user: Any, divisions: None) -> Any:
    """A national livelihood cadre (who sets the national line)."""
    return make_user(Role.LIVELIHOOD_CADRE, NATION_CODE, username="lh-nation")


def stored_run(month: date, prefix: str = "") -> MonitoringRun:
    """A stored monitoring pass (what the rule looks at is only that it exists, its month and
    its scope)."""
    return MonitoringRun.objects.create(month=month, division_prefix=prefix,
                                        started_at=timezone.now(), finished_at=timezone.now())


def test_province_line_default_amount_is_rounded_product(cadres: Any) -> None:
    row = threshold_set(actor=cadres["hubei"], data={
        "year": 2026, "province_code": "420000", "poverty_line": "4321", "multiple": "1.5"})
    assert (row.year, row.province_code) == (2026, "420000")
    assert row.amount == Decimal("6482")        # 6481.5 rounded half up to whole yuan
    assert row.multiple == Decimal("1.50")
    assert AuditEvent.objects.filter(object_type="livelihood.monitoringthreshold",
                                     object_id=str(row.pk), action="create").count() == 1


def test_multiple_defaults_to_one_and_a_half(cadres: Any) -> None:
    row = threshold_set(actor=cadres["hubei"], data={
        "year": 2026, "province_code": "420000", "poverty_line": 4400})
    assert (row.multiple, row.amount) == (Decimal("1.50"), Decimal("6600"))


def test_explicit_amount_is_kept_and_multiple_is_the_quotient(cadres: Any) -> None:
    row = threshold_set(actor=cadres["hubei"], data={
        "year": 2026, "province_code": "420000", "poverty_line": "4000", "amount": "7100"})
    assert (row.amount, row.multiple) == (Decimal("7100.00"), Decimal("1.78"))


def test_same_values_twice_change_nothing(cadres: Any) -> None:
    data = {"year": 2026, "province_code": "420000", "poverty_line": "4000", "multiple": "1.6",
            "note": "省定标准"}
    first = threshold_set(actor=cadres["hubei"], data=data)
    second = threshold_set(actor=cadres["hubei"], data=data)
    assert first.pk == second.pk
    assert MonitoringThreshold.objects.filter(year=2026).count() == 1
    assert AuditEvent.objects.filter(object_type="livelihood.monitoringthreshold").count() == 1


def test_a_line_not_yet_used_may_be_changed(cadres: Any) -> None:
    threshold_set(actor=cadres["hubei"], data={"year": 2026, "province_code": "420000",
                                               "poverty_line": "4000"})
    row = threshold_set(actor=cadres["hubei"], data={"year": 2026, "province_code": "420000",
                                                     "poverty_line": "4000", "multiple": "1.7"})
    assert row.amount == Decimal("6800")
    event = AuditEvent.objects.get(object_type="livelihood.monitoringthreshold",
                                   action="update")
    assert event.changes["before"]["amount"] == "6000.00"


@pytest.mark.parametrize(("field", "value"), [
    ("poverty_line", "-1"), ("poverty_line", "0"), ("poverty_line", "abc"),
    ("poverty_line", ""), ("multiple", "0"), ("multiple", "-1.5"), ("amount", "-6000"),
    ("year", "1899"), ("year", "二〇二六x"), ("poverty_line", "4000.123"),
])
def test_bad_values_are_field_errors_and_nothing_is_written(cadres: Any, field: str,
                                                            value: str) -> None:
    data = {"year": 2026, "province_code": "420000", "poverty_line": "4000", field: value}
    with pytest.raises(InvalidInput) as exc:
        threshold_set(actor=cadres["hubei"], data=data)
    assert field in exc.value.fields
    assert not MonitoringThreshold.objects.filter(year=2026).exists()


def test_national_line_needs_a_national_cadre(cadres: Any, national: Any) -> None:
    with pytest.raises(NotFound):
        threshold_set(actor=cadres["hubei"], data={"year": 2026, "province_code": "",
                                                   "poverty_line": "4000"})
    row = threshold_set(actor=national, data={"year": 2026, "province_code": "",
                                              "poverty_line": "4000"})
    assert row.province_code == "" and row.amount == Decimal("6000")


def test_province_of_others_and_province_below_level(cadres: Any) -> None:
    with pytest.raises(NotFound):   # 湖南 is not the Hubei cadre's
        threshold_set(actor=cadres["hubei"], data={"year": 2026, "province_code": "430000",
                                                   "poverty_line": "4000"})
    with pytest.raises(NotFound):   # a county cadre does not govern the province
        threshold_set(actor=cadres["hongshan"], data={"year": 2026, "province_code": "420000",
                                                      "poverty_line": "4000"})
    with pytest.raises(InvalidInput) as exc:   # a line is per province, not per city
        threshold_set(actor=cadres["hubei"], data={"year": 2026, "province_code": "420100",
                                                   "poverty_line": "4000"})
    assert "province_code" in exc.value.fields


def test_readers_may_not_set_lines(cadres: Any) -> None:
    with pytest.raises(PermissionDenied):
        threshold_set(actor=cadres["officer"], data={"year": 2026, "province_code": "420000",
                                                     "poverty_line": "4000"})


def test_line_used_by_a_pass_cannot_change(cadres: Any) -> None:
    row = threshold_set(actor=cadres["hubei"], data={"year": 2026, "province_code": "420000",
                                                     "poverty_line": "4000"})
    stored_run(date(2026, 3, 1), "4201")
    with pytest.raises(InvalidInput) as exc:
        threshold_set(actor=cadres["hubei"], data={"year": 2026, "province_code": "420000",
                                                   "poverty_line": "4000", "multiple": "1.6"})
    assert "2026-03" in str(exc.value.fields["year"][0])
    row.refresh_from_db()
    assert row.amount == Decimal("6000")
    # The same values again are still fine (idempotent), and a later year is a new row.
    assert threshold_set(actor=cadres["hubei"], data={
        "year": 2026, "province_code": "420000", "poverty_line": "4000"}).pk == row.pk
    assert threshold_set(actor=cadres["hubei"], data={
        "year": 2027, "province_code": "420000", "poverty_line": "4000",
        "multiple": "1.6"}).amount == Decimal("6400")


def test_a_later_pass_has_used_the_line_too(cadres: Any) -> None:
    threshold_set(actor=cadres["hubei"], data={"year": 2025, "province_code": "420000",
                                               "poverty_line": "4000"})
    stored_run(date(2026, 1, 1), "")   # its window reaches back over 2025
    with pytest.raises(InvalidInput):
        threshold_set(actor=cadres["hubei"], data={"year": 2025, "province_code": "420000",
                                                   "poverty_line": "4100"})


def test_pass_elsewhere_does_not_lock_a_province(cadres: Any) -> None:
    threshold_set(actor=cadres["hubei"], data={"year": 2026, "province_code": "420000",
                                               "poverty_line": "4000"})
    stored_run(date(2026, 3, 1), "4301")   # 长沙 only
    row = threshold_set(actor=cadres["hubei"], data={"year": 2026, "province_code": "420000",
                                                     "poverty_line": "4200"})
    assert row.amount == Decimal("6300")


def test_new_province_row_may_not_replace_a_used_national_line(cadres: Any) -> None:
    # 2022 has a national line (seeded); a pass over 洪山区 in 2022 used it.
    stored_run(date(2022, 6, 1), "420111")
    stored_run(date(2023, 6, 1), "420111")
    with pytest.raises(InvalidInput) as exc:
        threshold_set(actor=cadres["hubei"], data={"year": 2022, "province_code": "420000",
                                                   "poverty_line": "4000"})
    assert "year" in exc.value.fields
    assert not MonitoringThreshold.objects.filter(year=2022, province_code="420000").exists()
    # A year without a national line: the province's own is the first line there, not a change.
    assert threshold_set(actor=cadres["hubei"], data={
        "year": 2023, "province_code": "420000", "poverty_line": "4000"}).amount == 6000


def test_national_line_locked_only_where_it_was_in_force(cadres: Any, national: Any) -> None:
    threshold_set(actor=national, data={"year": 2026, "province_code": "",
                                        "poverty_line": "4000"})
    threshold_set(actor=cadres["hubei"], data={"year": 2026, "province_code": "420000",
                                               "poverty_line": "4000", "multiple": "1.6"})
    stored_run(date(2026, 2, 1), "42")   # Hubei has its own line: the national one unused
    row = threshold_set(actor=national, data={"year": 2026, "province_code": "",
                                              "poverty_line": "4100"})
    assert row.amount == Decimal("6150")
    stored_run(date(2026, 2, 1), "43")   # Hunan has none: the national line was used
    with pytest.raises(InvalidInput):
        threshold_set(actor=national, data={"year": 2026, "province_code": "",
                                            "poverty_line": "4200"})
