"""The shell in a real headless Chromium: log in, read the Chinese shell, switch to English,
navigate, watch htmx carry the CSRF token and the progress bar, fit a phone, log out.

Debian's chromium is used (never a downloaded browser). On failure a screenshot and the page's
HTML land in test-artifacts/. Set SHOUWANG_SCREENSHOTS=1 to keep screenshots of every step there.
"""

from __future__ import annotations

import importlib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from shouwang.accounts.roles import Role
from tests.factories import PASSWORD, make_user

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; Django would otherwise
    # refuse the test's own ORM calls (creating users) as "async unsafe".
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _new_page(browser: Any, request: pytest.FixtureRequest, **options: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []
    # A CSP violation or a script error means some part of the shell silently does not work.
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text} @ {m.location}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    page.problems = problems
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.html").write_text(page.content(), encoding="utf-8")
    context.close()


_TRIGGERS = importlib.import_module("shouwang.core.migrations.0002_audit_append_only_triggers")


def _set_audit_triggers(present: bool) -> None:
    with connection.schema_editor() as editor:
        _TRIGGERS.backwards(None, editor)  # DROP … IF EXISTS: makes creating them idempotent
        if present:
            _TRIGGERS.forwards(None, editor)


@pytest.fixture(scope="module")
def _audit_triggers_restored(django_db_blocker: Any) -> Iterator[None]:
    """The append-only triggers are back once this module is done, for every later test."""
    yield
    with django_db_blocker.unblock():
        _set_audit_triggers(True)


@pytest.fixture
def live_db(_audit_triggers_restored: None, transactional_db: None) -> Iterator[None]:
    """A database the live server shares and that is emptied after the test.

    Emptying it deletes audit rows, which the append-only triggers refuse, so they are dropped
    just before that flush (fixtures tear down in reverse order) and come back at the next test.
    tests/conftest.py puts the reference data the migrations loaded back after the flush.
    """
    _set_audit_triggers(True)
    yield
    _set_audit_triggers(False)


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from _new_page(browser, request, viewport={"width": 1280, "height": 860})


@pytest.fixture
def phone(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from _new_page(browser, request, viewport={"width": 390, "height": 844},
                         device_scale_factor=2, is_mobile=True, has_touch=True)


def shot(page: Any, name: str, *, full_page: bool = True) -> None:
    if os.environ.get("SHOUWANG_SCREENSHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"shell-{name}.png"), full_page=full_page)


def log_in(page: Any, base_url: str, username: str) -> None:
    page.goto(base_url + "/")
    assert "/accounts/login/" in page.url
    assert page.locator("body.login").count() == 1
    shot(page, f"login-{page.viewport_size['width']}", full_page=False)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(base_url + "/")


# Plotly (on the divisions page, not part of the shell) injects its own <style> element, which the
# CSP blocks; that is the map's business, so it is left out of the shell's checks.
FOREIGN = ("/vendor/plotly",)


def assert_no_problems(page: Any) -> None:
    mine = [p for p in page.problems if not any(f in p for f in FOREIGN)]
    assert not mine, "browser console errors:\n" + "\n".join(mine)


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_log_in_switch_language_navigate_and_log_out(page: Any, live_server: Any,
                                                      live_db: None) -> None:
    make_user(Role.COUNTY_OFFICER, "420111", username="hongshan", display_name="洪山测试员")
    base = live_server.url

    log_in(page, base, "hongshan")
    # The Chinese shell: the jurisdiction is visible in the top bar.
    assert page.get_attribute("html", "lang") == "zh-hans"
    jurisdiction = page.locator("[data-testid=jurisdiction]")
    assert "洪山区" in jurisdiction.inner_text() and "420111" in jurisdiction.inner_text()
    assert page.locator("main h1").inner_text() == "工作台"
    surveillance = page.locator("[data-testid=area-surveillance]").inner_text()
    assert "洪山区近 30 天没有病例报告" in surveillance
    assert page.locator("[data-testid=nav-audit]").count() == 0
    assert page.locator("[data-testid=who]").inner_text().startswith("洪山测试员")
    shot(page, "home-zh")

    # English, chosen through Django's set_language, stays chosen from page to page.
    page.click("[data-testid=lang-en]")
    page.wait_for_selector("html[lang=en]")
    assert page.locator("main h1").inner_text() == "Dashboard"
    assert "Hongshan Qu" in page.locator("[data-testid=jurisdiction]").inner_text()
    assert "No case reports in Hongshan Qu" in page.locator(
        "[data-testid=area-surveillance]").inner_text()
    assert page.locator("[data-testid=lang-en]").get_attribute("aria-current") == "true"
    shot(page, "home-en")

    # The side navigation leads to the divisions, the account page and back home.
    page.click("[data-testid=nav-geo]")
    page.wait_for_url(base + "/geo/")
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("[data-testid=nav-geo]").get_attribute("aria-current") == "page"
    page.click("[data-testid=nav-account]")
    page.wait_for_url(base + "/accounts/me/")
    assert page.locator("[data-testid=nav-account]").get_attribute("aria-current") == "page"
    shot(page, "account-en")
    page.click("[data-testid=nav-home]")
    page.wait_for_url(base + "/")
    assert page.locator("main h1").inner_text() == "Dashboard"

    assert_no_problems(page)

    page.click("[data-testid=logout]")
    page.wait_for_url(re.compile(r".*/accounts/login/.*"))
    page.goto(base + "/")
    assert "/accounts/login/" in page.url


def test_htmx_sends_csrf_token_and_shows_progress(page: Any, live_server: Any,
                                                  live_db: None) -> None:
    make_user(Role.COUNTY_OFFICER, "420111", username="hongshan")
    base = live_server.url
    log_in(page, base, "hongshan")
    page.wait_for_function("window.htmx !== undefined")
    page.evaluate("""() => {
        window.__progressSeen = false;
        const bar = document.querySelector('.progress');
        new MutationObserver(() => {
            if (bar.classList.contains('active')) { window.__progressSeen = true; }
        }).observe(bar, {attributes: true});
        document.addEventListener('htmx:afterRequest', (e) => {
            window.__status = e.detail.xhr.status;
        });
    }""")

    def slow(route: Any) -> None:
        # Long enough for the bar to appear; the browser keeps running while Python sleeps.
        time.sleep(0.6)
        route.continue_()

    page.route("**/i18n/setlang/", slow)
    # An htmx POST: Django's CSRF check passes only if shell.js added the X-CSRFToken header.
    page.evaluate("""() => htmx.ajax('POST', '/i18n/setlang/',
        {values: {language: 'en', next: '/'}, swap: 'none'})""")
    page.wait_for_function("window.__status !== undefined")
    assert page.evaluate("window.__status") == 200
    assert page.evaluate("window.__progressSeen") is True
    assert "active" not in (page.get_attribute(".progress", "class") or "")
    page.reload()
    assert page.locator("main h1").inner_text() == "Dashboard"
    assert_no_problems(page)


def test_shell_fits_a_phone(phone: Any, live_server: Any, live_db: None) -> None:
    make_user(Role.COUNTY_OFFICER, "420111", username="hongshan")
    base = live_server.url
    log_in(phone, base, "hongshan")
    assert no_horizontal_scroll(phone)
    assert phone.locator("[data-testid=jurisdiction]").is_visible()
    assert phone.locator("[data-testid=logout]").is_visible()
    nav = phone.locator("[data-testid=sidenav]")
    assert nav.is_visible()
    # On a phone the navigation sits above the content instead of beside it.
    nav_box = nav.bounding_box()
    main_box = phone.locator("main").bounding_box()
    assert nav_box is not None and main_box is not None
    assert nav_box["y"] + nav_box["height"] <= main_box["y"] + 1
    shot(phone, "phone-zh", full_page=False)
    phone.click("[data-testid=lang-en]")
    phone.wait_for_selector("html[lang=en]")
    assert no_horizontal_scroll(phone)
    shot(phone, "phone-en", full_page=False)
    phone.click("[data-testid=nav-account]")
    phone.wait_for_url(base + "/accounts/me/")
    assert no_horizontal_scroll(phone)
    shot(phone, "phone-account-en", full_page=False)
    assert_no_problems(phone)
