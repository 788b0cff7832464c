"""The household register import page in headless Chromium (zh-CN): from the list's link, a file
with errors shown by row and column, then a good file checked and confirmed. Screenshots in
/tmp/shots-household-import/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.test_browser import (  # noqa: F401  # fixtures are used by name
    CHROMIUM,
    FOREIGN,
    _audit_triggers_restored,
    assert_no_problems,
    browser,
    live_db,
    page,
)
from tests.livelihood.test_household_import_files import ZH, as_csv, table

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]
SHOTS = Path("/tmp/shots-household-import")


def _shot(tab: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_check_errors_then_import(page: Any, live_server: Any,  # noqa: F811
                                  live_db: None, tmp_path: Path) -> None:  # noqa: F811
    from shouwang.accounts.roles import Role
    from shouwang.livelihood.models import Household, Member
    from tests.factories import ensure_sample_divisions, make_user
    from tests.risk.test_levels_pages import logged_in

    ensure_sample_divisions()
    cadre = make_user(Role.LIVELIHOOD_CADRE, "420111", username="lh-import-browser")
    session = logged_in(cadre).cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])

    page.goto(live_server.url + "/livelihood/households/?division=420111001")
    page.click("[data-testid=household-import]")
    page.wait_for_selector("[data-testid=import-form]")
    assert_no_problems(page)

    bad = table(ZH, serial=900)
    bad[3][6] = "配偶"   # H002 without a head
    bad[2][1] = "420106"  # a division outside (and disagreeing with the head's row)
    bad_file = tmp_path / "bad.csv"
    bad_file.write_bytes(as_csv(bad, "gb18030"))
    page.set_input_files("[data-testid=import-file]", str(bad_file))
    page.click("[data-testid=import-check]")
    page.wait_for_selector("[data-testid=import-error-table]")
    text = page.locator("[data-testid=import-error-table]").inner_text()
    assert "没有户主" in text and "与户主关系" in text and "所在区划代码" in text
    _shot(page, "errors")
    assert Household.objects.count() == 0
    # The refused file answers 422 on purpose (the browser logs it); nothing else went wrong.
    assert all("status of 422" in p or any(f in p for f in FOREIGN) for p in page.problems), \
        page.problems
    page.problems.clear()

    good_file = tmp_path / "good.csv"
    good_file.write_bytes(as_csv(table(ZH, serial=900), "gb18030"))
    page.set_input_files("[data-testid=import-file]", str(good_file))
    page.click("[data-testid=import-check]")
    page.wait_for_selector("[data-testid=import-confirm]")
    assert "将新登记 2 户、3 名成员" in page.locator("[data-testid=import-result]").inner_text()
    _shot(page, "checked")
    page.click("[data-testid=import-confirm-button]")
    page.wait_for_selector("text=导入完成")
    assert Household.objects.count() == 2 and Member.objects.count() == 3
    _shot(page, "imported")
    assert_no_problems(page)
