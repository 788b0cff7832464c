"""Link import through the API (/api/v1/tracing/imports/links) and the page
(/tracing/imports/links/): results, row errors as 422, rights."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from shouwang.tracing.models import TransmissionLink
from tests.accounts.helpers import bearer
from tests.tracing.cases import make_case

pytestmark = pytest.mark.django_db

URL = "/api/v1/tracing/imports/links"
DAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    with translation.override(settings.LANGUAGE_CODE):
        yield


def upload(rows: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("links.csv", ("传染者,病例\n" + rows).encode("gbk"),
                              content_type="text/csv")


def post(user: Any, rows: str, **form: str) -> Any:
    data = {"infector_column": "传染者", "infectee_column": "病例", **form,
            "file": upload(rows)}
    return Client().post(URL, data=data, **bearer(user))


def test_api_confirms_then_stores_nothing_new(officers: dict[str, Any]) -> None:
    a = make_case("420106", onset=DAY)
    b = make_case("420106", onset=DAY + timedelta(days=3))
    res = post(officers["wuchang"], f"{a.pk},{b.pk}\n,{a.pk}\n")
    assert res.status_code == 200, res.content
    assert res.json() | {"file_sha256": ""} == {"rows": 2, "links": 1, "created": 1,
                                                 "existing": 0, "no_infector": 1,
                                                 "file_sha256": ""}
    again = post(officers["wuchang"], f"{a.pk},{b.pk}\n,{a.pk}\n").json()
    assert (again["created"], again["existing"]) == (0, 1)
    assert TransmissionLink.objects.count() == 1


def test_api_row_errors_and_field_errors_are_422(officers: dict[str, Any]) -> None:
    a = make_case("420106", onset=DAY)
    hongshan = make_case("420111", onset=DAY + timedelta(days=3))
    res = post(officers["wuchang"], f"{a.pk},{hongshan.pk}\n")
    assert res.status_code == 422
    assert res.json()["fields"]["rows"] == [
        "第 2 行，列“病例”：未找到该病例（或不在您的管辖范围内）。"]
    res = post(officers["wuchang"], f"{a.pk},{a.pk}\n", infector_column="无此列")
    assert res.status_code == 422 and "infector_column" in res.json()["fields"]
    assert post(officers["grid"], f"{a.pk},{a.pk}\n").status_code == 403
    assert TransmissionLink.objects.count() == 0


def test_the_page_imports_and_lists_bad_rows(officers: dict[str, Any]) -> None:
    a = make_case("420106", onset=DAY)
    b = make_case("420106", onset=DAY + timedelta(days=3))
    client = Client()
    client.force_login(officers["wuchang"])
    assert 'data-testid="links-import-link"' in client.get("/tracing/flows/").content.decode()
    page = client.get("/tracing/imports/links/")
    assert page.status_code == 200 and 'data-testid="links-import-form"' in page.content.decode()
    form = {"infector_column": "传染者", "infectee_column": "病例", "id_kind": "report_id"}
    bad = client.post("/tracing/imports/links/", {**form, "file": upload(f"x,{b.pk}\n")})
    assert bad.status_code == 422
    assert "第 2 行，列“传染者”：病例编号应为正整数。" in bad.content.decode()
    missing = client.post("/tracing/imports/links/", form)
    assert missing.status_code == 422 and "请选择文件。" in missing.content.decode()
    good = client.post("/tracing/imports/links/", {**form, "file": upload(f"{a.pk},{b.pk}\n")})
    assert good.status_code == 200
    assert 'data-testid="links-import-result"' in good.content.decode()
    assert TransmissionLink.objects.filter(infector=a, infectee=b).exists()
    grid = Client()
    grid.force_login(officers["grid"])
    assert grid.get("/tracing/imports/links/").status_code == 403
