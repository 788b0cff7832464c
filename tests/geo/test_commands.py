from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from shouwang.geo.models import Division

SAMPLE = Path(__file__).parent / "fixtures" / "townships_sample.csv"


@pytest.mark.django_db
def test_geo_load_then_stats() -> None:
    out = StringIO()
    call_command("geo", "load", "--no-progress", stdout=out)
    text = out.getvalue()
    assert "created 3213" in text and "2845" in text and "333" in text
    out = StringIO()
    call_command("geo", "stats", stdout=out)
    assert "province" in out.getvalue() and "34" in out.getvalue()


@pytest.mark.django_db
def test_geo_load_townships(divisions: None, tmp_path: Path) -> None:
    out = StringIO()
    call_command("geo", "load-townships", str(SAMPLE), stdout=out)
    assert Division.objects.filter(level="township").count() == 14
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,parent_code\n12,x,\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"rows\.2\.code"):
        call_command("geo", "load-townships", str(bad), stdout=StringIO())
    with pytest.raises(CommandError, match="no such file"):
        call_command("geo", "load-townships", str(tmp_path / "missing.csv"), stdout=StringIO())
