"""The officers' risk pages: the overview (map data, counts, medium and high areas with since and
reason, the rollup for provincial and national officers), an area's page (step chart, days with
rule set + version + reason, overrides, the override form and revocation), the changes of a day;
404 outside the jurisdiction; English."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from shouwang.accounts.roles import SECOND_FACTOR_REQUIRED
from shouwang.risk.models import RiskOverride
from shouwang.risk.services.overrides import override_create
from shouwang.warning.models import Notification
from tests.risk.levels_factory import publish_levels

pytestmark = pytest.mark.django_db


def logged_in(who: Any) -> Client:
    """A client past login and, for national and provincial officers, the second factor."""
    client = Client()
    client.force_login(who)
    if who.role in SECOND_FACTOR_REQUIRED:
        device, _ = TOTPDevice.objects.get_or_create(user=who, name="phone", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def island(html: str, name: str) -> Any:
    found = re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None, f"no data island {name}"
    return json.loads(found.group(1))


@pytest.fixture(autouse=True)
def _chinese() -> Any:
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def levels(officers: dict[str, Any]) -> dict[str, Any]:
    today = timezone.localdate()
    publish_levels(today - timedelta(days=1), {"420106": "medium", "430102": "high"})
    publish_levels(today, {"420106": "high", "420111001": "medium", "430102": "high"},
                   since={"420106": today, "430102": today - timedelta(days=5)})
    return officers


def test_overview_for_a_city_officer(levels: dict[str, Any]) -> None:
    response = logged_in(levels["wuhan"]).get("/risk/")
    assert response.status_code == 200
    html = response.content.decode()
    data = island(html, "risk-map-data")
    # Only the jurisdiction: 武汉市's counties, not 芙蓉区 of Hunan.
    assert data["levels"] == {"420106": "high", "420111": "low"}
    assert data["inner"] == {"420111": {"medium": 1, "high": 0}}
    assert 'data-prefix="4201"' in html
    high = re.search(r'data-testid="high-table".*?</table>', html, re.S)
    assert high is not None and "武昌区" in high.group(0) and "芙蓉区" not in html
    assert timezone.localdate().isoformat() in high.group(0)
    medium = re.search(r'data-testid="medium-table".*?</table>', html, re.S)
    assert medium is not None and "珞南街道" in medium.group(0)
    # Reasons rendered again from reason_code + inputs (not the stored test text).
    assert "聚集性疫情" in high.group(0) and "test high" not in high.group(0)
    assert re.search(r'data-testid="count-high">1<', html)
    assert re.search(r'data-testid="count-low">1<', html)
    assert 'data-testid="rollup-table"' not in html  # the rollup is for province and nation


def test_overview_rollup_for_the_nation(levels: dict[str, Any]) -> None:
    html = logged_in(levels["china"]).get("/risk/").content.decode()
    table = re.search(r'data-testid="rollup-table".*?</table>', html, re.S)
    assert table is not None
    rows = dict(re.findall(r'data-testid="rollup-row" data-code="(\d+)">(.*?)</tr>',
                           table.group(0), re.S))
    assert set(rows) == {"420000", "430000"}
    assert "武昌区" in rows["420000"] and "珞南街道" in rows["420000"]
    assert "芙蓉区" in rows["430000"]
    assert island(html, "risk-map-data")["levels"]["430102"] == "high"


def test_overview_of_a_past_day_and_a_bad_date(levels: dict[str, Any]) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    html = logged_in(levels["wuhan"]).get("/risk/", {"date": yesterday.isoformat()}).content
    assert island(html.decode(), "risk-map-data")["levels"]["420106"] == "medium"
    bad = logged_in(levels["wuhan"]).get("/risk/", {"date": "2026-13-01"}).content.decode()
    assert 'data-testid="error-date"' in bad
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    assert 'data-testid="error-date"' in logged_in(levels["wuhan"]).get(
        "/risk/", {"date": future}).content.decode()


def test_area_page_shows_days_with_rule_set_version_and_reason(levels: dict[str, Any]) -> None:
    response = logged_in(levels["wuchang"]).get("/risk/areas/420106/")
    assert response.status_code == 200
    html = response.content.decode()
    rows = re.findall(r'data-testid="history-row" data-day="([\d-]+)">(.*?)</tr>', html, re.S)
    assert [d for d, _ in rows] == [timezone.localdate().isoformat(),
                                    (timezone.localdate() - timedelta(days=1)).isoformat()]
    assert "cn-county-2020</span> v1" in rows[0][1]
    assert "超过 50 例，且 14 天内发生聚集性疫情" in rows[0][1]
    assert "未发生聚集性疫情" in rows[1][1]
    data = island(html, "risk-area-data")
    chart = data["points"]
    assert len(chart) == 90 and chart[-1]["level"] == "high" and chart[-2]["level"] == "medium"
    # A county day that was not computed is a gap, not "low".
    assert not chart[0]["stored"] and chart[0]["level"] is None
    assert data["now"] == {"day": timezone.localdate().isoformat(), "level": "high",
                           "override": False}
    township = island(logged_in(levels["hongshan"]).get("/risk/areas/420111001/")
                      .content.decode(), "risk-area-data")["points"]
    assert township[0]["level"] == "low" and township[-1]["level"] == "medium"
    # A county officer may not override: no form.
    assert 'data-testid="override-form"' not in html


def test_area_page_of_another_area_is_404(levels: dict[str, Any]) -> None:
    assert logged_in(levels["hongshan"]).get("/risk/areas/420106/").status_code == 404
    assert logged_in(levels["hunan"]).get("/risk/areas/420106/").status_code == 404
    assert logged_in(levels["hubei"]).get("/risk/areas/999999/").status_code == 404
    assert logged_in(levels["hubei"]).get("/risk/areas/x/").status_code == 404


def _post(who: Any, code: str, **data: str) -> Any:
    return logged_in(who).post(f"/risk/areas/{code}/", data)


def test_override_form_on_the_area_page(levels: dict[str, Any]) -> None:
    page = logged_in(levels["hubei"]).get("/risk/areas/420111/").content.decode()
    assert 'data-testid="override-form"' in page
    response = _post(levels["hubei"], "420111", action="override", level="high",
                     reason="珞南街道发现聚集性疫情", ends_at="")
    assert response.status_code == 302 and response["Location"] == "/risk/areas/420111/"
    made = RiskOverride.objects.get()
    assert (made.division_code, made.level, made.created_by) == ("420111", "high",
                                                                  levels["hubei"])
    html = logged_in(levels["hubei"]).get("/risk/areas/420111/").content.decode()
    assert 'data-testid="area-level">高风险' in html
    assert 'data-state="active"' in html and "珞南街道发现聚集性疫情" in html
    assert Notification.objects.filter(user=levels["hongshan"], kind="risk_override").exists()


def test_override_without_a_reason_is_rejected_on_the_page(levels: dict[str, Any]) -> None:
    response = _post(levels["hubei"], "420106", action="override", level="low", reason="  ")
    assert response.status_code == 422
    html = response.content.decode()
    assert re.search(r'data-testid="error-reason">[^<]*理由', html)
    assert not RiskOverride.objects.exists()
    bad_time = _post(levels["hubei"], "420106", action="override", level="low", reason="x",
                     effective_at="2020-01-01T08:00")
    assert bad_time.status_code == 422 and 'data-testid="error-start"' in bad_time.content.decode()
    assert not RiskOverride.objects.exists()


def test_override_outside_the_jurisdiction_on_the_page_is_404(levels: dict[str, Any]) -> None:
    assert _post(levels["hunan"], "420106", action="override", level="low",
                 reason="越权").status_code == 404
    assert _post(levels["wuchang"], "420106", action="override", level="low",
                 reason="县级无权").status_code == 403
    assert not RiskOverride.objects.exists()


def test_revoke_on_the_area_page(levels: dict[str, Any]) -> None:
    made = override_create(actor=levels["hubei"], disease="covid19", division_code="420106",
                           level="low", reason="全员筛查阴性")
    assert _post(levels["hubei"], "420106", action="revoke", override=str(made.pk),
                 reason="").status_code == 422
    # Another area's page does not revoke this area's override; another province gets 404.
    assert _post(levels["hubei"], "420111", action="revoke", override=str(made.pk),
                 reason="错页").status_code == 404
    assert _post(levels["hunan"], "420106", action="revoke", override=str(made.pk),
                 reason="越权").status_code == 404
    made.refresh_from_db()
    assert made.revoked_at is None
    response = _post(levels["china"], "420106", action="revoke", override=str(made.pk),
                     reason="复核后撤销")
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.revoke_reason == "复核后撤销" and made.revoked_by == levels["china"]


def test_changes_of_a_day(levels: dict[str, Any]) -> None:
    today = timezone.localdate()
    html = logged_in(levels["wuhan"]).get("/risk/changes/",
                                          {"date": today.isoformat()}).content.decode()
    up = re.search(r'data-testid="up-table".*?</table>', html, re.S)
    assert up is not None
    codes = re.findall(r'data-testid="change-row" data-code="(\d+)"', up.group(0))
    assert codes == ["420106", "420111001"]
    assert 'data-testid="down-table"' not in html
    # The day after: the township has no row any more (low again) and 武昌区 went down.
    publish_levels(today + timedelta(days=1), {"420106": "medium"})
    from shouwang.risk.selectors.history import level_changes

    found = {c.code: (c.before, c.after) for c in
             level_changes(user=levels["wuhan"], day=today + timedelta(days=1))}
    assert found == {"420106": ("high", "medium"), "420111001": ("medium", "low")}
    assert level_changes(user=levels["hongshan"], day=today + timedelta(days=1))[0].code == \
        "420111001"
    assert level_changes(user=levels["wuhan"], day=date(2020, 1, 1)) == []
    # A day after a day not computed compares with the latest stored day before it.
    publish_levels(today + timedelta(days=3), {"420111": "high"})
    found = {c.code: (c.before, c.after) for c in
             level_changes(user=levels["wuhan"], day=today + timedelta(days=3))}
    assert found == {"420106": ("medium", "low"), "420111": ("low", "high")}


def test_english(levels: dict[str, Any]) -> None:
    client = logged_in(levels["wuhan"])
    client.cookies["django_language"] = "en"
    html = client.get("/risk/areas/420106/").content.decode()
    reasons = re.findall(r'data-testid="history-reason">(.*?)<', html, re.S)
    assert reasons[0].startswith("60 cases in total, more than 50, and a cluster")
    assert '<html lang="en"' in html


def test_overview_and_levels_api_queries_do_not_grow_with_the_areas(
        officers: dict[str, Any]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.accounts.helpers import bearer

    def count(url: str, **headers: str) -> int:
        client = logged_in(officers["china"])
        client.get(url, **headers)  # warm the session and caches
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, **headers).status_code == 200
        return len(ctx.captured_queries)

    today = timezone.localdate()
    publish_levels(today - timedelta(days=1), {"420106": "high"})
    token = bearer(officers["china"])["HTTP_AUTHORIZATION"]
    few = (count("/risk/"), count("/api/v1/risk/levels", HTTP_AUTHORIZATION=token))
    publish_levels(today, {"420106": "high", "420111": "medium", "430102": "high",
                           "420606": "medium", "420111001": "high"})
    many = (count("/risk/"), count("/api/v1/risk/levels", HTTP_AUTHORIZATION=token))
    # (The API names low areas in one query, skipped when none is low.)
    assert many[0] == few[0] and many[1] <= few[1]
