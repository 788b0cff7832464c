from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.usefixtures("real_divisions")


@pytest.fixture
def client_in(make_user: object) -> Client:
    user = make_user("county_officer", "420111")  # type: ignore[operator]
    client = Client()
    client.force_login(user)
    return client


def test_nation_page_lists_provinces_with_map_and_counts(client_in: Client) -> None:
    r = client_in.get("/geo/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-testid="geo-map"' in html and "/static/geo/provinces.geojson" in html
    assert "湖北省" in html and "/geo/420000/" in html and "2845" in html
    assert "<script>" not in html  # the CSP forbids inline scripts
    assert "/geo/vendor/plotly.min.js" in html


def test_browse_province_prefecture_county(client_in: Client) -> None:
    html = client_in.get("/geo/420000/").content.decode()
    assert "武汉市" in html and 'data-prefix="42"' in html and 'data-link="group"' in html
    html = client_in.get("/geo/420100/").content.decode()
    assert "洪山区" in html and "Hongshan Qu" in html and 'data-prefix="4201"' in html
    html = client_in.get("/geo/420111/").content.decode()
    assert 'data-highlight="420111"' in html and "珞南街道" in html
    assert "湖北省" in html  # the breadcrumb
    html = client_in.get("/geo/420106/").content.decode()
    assert "geo load-townships" in html  # no townships loaded there: an honest empty state


def test_unknown_division_is_404(client_in: Client) -> None:
    assert client_in.get("/geo/999999/").status_code == 404


def test_pages_need_login(db: None) -> None:
    assert Client().get("/geo/420000/").status_code == 302


def test_plotly_is_served_from_the_package(client_in: Client) -> None:
    r = client_in.get("/geo/vendor/plotly.min.js")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/javascript")
    assert b"plotly.js" in b"".join(r.streaming_content)[:400]
