"""/livelihood/households/import/: upload, check (errors by row and column), then import."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from shouwang.livelihood.models import Household, Member
from tests.livelihood.test_household_import_files import ZH, as_csv, table

pytestmark = pytest.mark.django_db
URL = "/livelihood/households/import/"


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(content: bytes, name: str = "register.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_url_name_and_the_list_links_to_it(cadres: Any) -> None:
    assert reverse("livelihood:household-import") == URL
    client = client_for(cadres["hongshan"])
    page = client.get("/livelihood/households/?division=420111001").content.decode()
    assert 'data-testid="household-import"' in page and URL in page
    assert client.get(URL).status_code == 200


def test_officer_without_write_cannot_import(cadres: Any) -> None:
    client = client_for(cadres["officer"])
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"file": upload(as_csv(table(ZH))), "action": "import"}
                       ).status_code == 403
    assert Household.objects.count() == 0
    page = client.get("/livelihood/households/?division=420111").content.decode()
    assert 'data-testid="household-import"' not in page


def test_template_download(cadres: Any) -> None:
    response = client_for(cadres["hongshan"]).get(URL + "template.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "户编号" in response.content.decode("utf-8-sig")


def test_check_shows_errors_by_row_and_column_and_writes_nothing(cadres: Any) -> None:
    rows = table(ZH)
    rows[2][5] = rows[2][5][:-1] + ("0" if rows[2][5][-1] != "0" else "1")  # a bad checksum
    rows[3][1] = "420106"  # 武昌区: outside the 洪山区 cadre's jurisdiction
    response = client_for(cadres["hongshan"]).post(URL, {"file": upload(as_csv(rows)),
                                                         "action": "check"})
    assert response.status_code == 422
    page = response.content.decode()
    table_html = page[page.index('data-testid="import-error-table"'):]
    cells = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td>", table_html)
    assert cells == [("3", "证件号码"), ("4", "所在区划代码")]
    assert "管辖范围" in page
    assert Household.objects.count() == 0


def test_check_then_confirm_without_uploading_again(cadres: Any) -> None:
    client = client_for(cadres["hongshan"])
    checked = client.post(URL, {"file": upload(as_csv(table(ZH), "gb18030")),
                                "action": "check"})
    assert checked.status_code == 200
    page = checked.content.decode()
    assert 'data-testid="import-confirm"' in page and Household.objects.count() == 0
    token = re.search(r'name="token" value="([0-9a-f]{64})"', page)
    assert token is not None
    done = client.post(URL, {"token": token.group(1), "name": "register.csv",
                             "action": "import"})
    assert done.status_code == 200 and 'data-testid="import-result"' in done.content.decode()
    assert Household.objects.count() == 2 and Member.objects.count() == 3
    # The kept file is gone once imported; the same file uploaded again changes nothing.
    assert client.post(URL, {"token": token.group(1), "action": "import"}).status_code == 422
    again = client.post(URL, {"file": upload(as_csv(table(ZH))), "action": "import"})
    assert again.status_code == 200 and Member.objects.count() == 3


def test_another_users_token_is_not_theirs(cadres: Any) -> None:
    checked = client_for(cadres["hongshan"]).post(URL, {"file": upload(as_csv(table(ZH))),
                                                        "action": "check"})
    token = re.search(r'name="token" value="([0-9a-f]{64})"', checked.content.decode())
    assert token is not None
    other = client_for(cadres["wuhan"]).post(URL, {"token": token.group(1), "action": "import"})
    assert other.status_code == 422 and Household.objects.count() == 0


def test_not_a_register(cadres: Any) -> None:
    response = client_for(cadres["hongshan"]).post(URL, {"file": upload(b"\x00\x01binary"),
                                                         "action": "check"})
    assert response.status_code == 422
    assert 'data-testid="import-errors"' in response.content.decode()


def test_only_the_latest_checked_file_can_be_confirmed(cadres: Any) -> None:
    client = client_for(cadres["hongshan"])
    tokens = []
    for serial in (300, 400):
        checked = client.post(URL, {"file": upload(as_csv(table(ZH, serial=serial))),
                                    "action": "check"})
        found = re.search(r'name="token" value="([0-9a-f]{64})"', checked.content.decode())
        assert found is not None
        tokens.append(found.group(1))
    assert client.post(URL, {"token": tokens[0], "action": "import"}).status_code == 422
    assert client.post(URL, {"token": tokens[1], "action": "import"}).status_code == 200
    assert Household.objects.count() == 2
