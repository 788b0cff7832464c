"""`shouwang risk compute / history / publish`."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from shouwang.risk.models import AreaRisk, Publication
from tests.risk.test_compute import DIAG, ONSET, make_case

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[dict[str, Any], str]:
    out, err = StringIO(), StringIO()
    call_command("risk", *args, stdout=out, stderr=err)
    return json.loads(out.getvalue()), err.getvalue()


def test_compute_publishes_unless_told_not_to(officers: dict[str, Any]) -> None:
    make_case("420106", onset=ONSET)
    day = DIAG + timedelta(days=1)
    figures, _ = run("compute", "--date", day.isoformat(), "--no-publish")
    assert figures["computed"] == 1 and figures["published"] == 0
    assert figures["last_day_levels"]["medium"] == 1
    assert not Publication.objects.exists()
    figures, _ = run("publish", "--date", day.isoformat())
    assert figures["n_medium"] == 1 and figures["notified"] is True
    figures, _ = run("compute", "--date", day.isoformat())
    assert figures["computed"] == 0 and figures["skipped_published"] == [day.isoformat()]


def test_history_with_a_progress_bar(officers: dict[str, Any]) -> None:
    make_case("420106", onset=ONSET)
    figures, err = run("history", "--from", ONSET.isoformat(),
                       "--to", (ONSET + timedelta(days=29)).isoformat())
    assert figures["computed"] == 30 and figures["published"] == 30
    assert "risk levels" in err and "30/30" in err
    assert Publication.objects.count() == 30
    assert AreaRisk.objects.filter(level="medium").count() == 14


@pytest.mark.parametrize(("args", "message"), [
    (("compute", "--date", "2026-13-01"), "YYYY-MM-DD"),
    (("compute", "--date", "2026-03-01", "--disease", "nope"), "disease"),
    (("history", "--from", "2026-03-05", "--to", "2026-03-01"), "end"),
    (("publish", "--date", "2026-03-01"), "day"),
])
def test_bad_input_is_a_command_error(officers: dict[str, Any], args: tuple[str, ...],
                                      message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("risk", *args, stdout=StringIO(), stderr=StringIO())
    assert not AreaRisk.objects.exists() and not Publication.objects.exists()
