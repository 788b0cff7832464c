"""/livelihood/report/ without login: the same message for every mismatch, throttled."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from shouwang.livelihood.models import Signal
from tests.livelihood.signals_data import household_with_head, resident_id

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def _post(client: Client, **over: str) -> Any:
    data = {"household_number": "H-1", "id_suffix": resident_id(1)[-6:], "kind": "medical",
            "occurred_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
            "amount": "8000", "description": "住院", **over}
    return client.post("/livelihood/report/", data)


def test_report_without_login(divisions: None) -> None:
    household, _ = household_with_head("H-1")
    c = Client()
    assert c.get("/livelihood/report/").status_code == 200
    done = _post(c)
    assert done.status_code == 200 and 'data-testid="report-done"' in done.content.decode()
    assert Signal.objects.get().household == household


def _message(response: Any) -> str:
    page = response.content.decode()
    start = page.index('data-testid="report-message">') + len('data-testid="report-message">')
    return str(page[start:page.index("</p>", start)])


def test_unknown_number_and_wrong_suffix_read_the_same(divisions: None) -> None:
    household_with_head("H-1")
    c = Client()
    unknown = _post(c, household_number="H-999")
    wrong = _post(c, id_suffix="000000")
    assert unknown.status_code == wrong.status_code == 422
    assert _message(unknown) == _message(wrong)
    assert Signal.objects.count() == 0


def test_throttled_per_household_number(divisions: None, settings: Any) -> None:
    settings.SHOUWANG_LIVELIHOOD_REPORT_FAILURES = 3
    household_with_head("H-1")
    c = Client()
    for _ in range(3):
        assert _post(c, id_suffix="000000").status_code == 422
    assert _post(c).status_code == 429  # even the right suffix now waits
    assert Signal.objects.count() == 0


def test_throttled_per_address(divisions: None, settings: Any) -> None:
    settings.SHOUWANG_LIVELIHOOD_REPORT_PER_IP = 2
    household_with_head("H-1")
    c = Client()
    assert _post(c, household_number="A-1").status_code == 422
    assert _post(c, household_number="A-2").status_code == 422
    assert _post(c, household_number="A-3").status_code == 429
