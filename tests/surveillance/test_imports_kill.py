"""A bulk import killed with SIGKILL halfway resumes and ends with every row of the file once.

Runs the real CLI in subprocesses against a file-backed SQLite database of its own (migrated in
a temporary VAR_DIR), kills the first run after some chunks have committed, runs it again.
"""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from shouwang.core.validators import resident_id_check_char

ROOT = Path(__file__).resolve().parents[2]
ROWS = 12_000
CHUNK = 100


def _id(i: int) -> str:
    body = f"420106{date(1950, 1, 1) + timedelta(days=i):%Y%m%d}123"
    return body + resident_id_check_char(body)


def _write_file(path: Path) -> tuple[int, int]:
    """The line list; returns (valid rows, distinct people among them)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    now = datetime.now(ZoneInfo("Asia/Shanghai"))  # a line list holds China times
    valid, people = 0, set()
    with path.open("w", encoding="gb18030", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["病种代码", "病例分类", "姓名", "身份证号", "现住址区划代码", "诊断时间",
                         "报告时间", "报告单位", "报告单位区划代码"])
        for i in range(ROWS):
            person = i - 1 if i % 10 == 9 else i  # every tenth row repeats the previous person
            diagnosed = now - timedelta(days=2 + (i % 40), minutes=i % 60)
            idn = _id(person)
            if i % 25 == 0:
                idn = idn[:-1] + ("0" if idn[-1] != "0" else "1")  # a wrong check digit
            else:
                valid += 1
                people.add(person)
            writer.writerow(["covid19", "confirmed", f"病人{person}", idn, "420106",
                             f"{diagnosed:%Y-%m-%d %H:%M}",
                             f"{diagnosed + timedelta(hours=1):%Y-%m-%d %H:%M}", "武昌医院",
                             "420106"])
    return valid, len(people)


def _env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "PYTEST"))}
    env.update(SHOUWANG_VAR_DIR=str(var), DATABASE_URL=f"sqlite:///{var / 'db.sqlite3'}",
               SHOUWANG_IMPORT_CHUNK=str(CHUNK), SHOUWANG_TESTING="1",
               DJANGO_SETTINGS_MODULE="shouwang.config.settings")
    return env


def _shouwang(var: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "shouwang.cli", *args]


def _query(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.mark.slow
def test_killed_import_resumes_without_duplicates(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir()
    env = _env(var)
    db = var / "db.sqlite3"
    run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "timeout": 300}
    assert subprocess.run(_shouwang(var, "migrate", "-v0"), check=False, **run).returncode == 0
    setup = ("from tests.factories import make_user; "
             "make_user('county_officer', '420106', username='importer')")
    done = subprocess.run(_shouwang(var, "shell", "-c", setup), check=False, **run)
    assert done.returncode == 0, done.stderr
    line_list = tmp_path / "line-list.csv"
    valid, people = _write_file(line_list)
    command = _shouwang(var, "surveillance-import", str(line_list), "--user", "importer")

    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    committed = 0
    while time.monotonic() < deadline and first.poll() is None:
        rows = _query(db, "SELECT resume_line FROM surveillance_importbatch") \
            if db.exists() else []
        committed = int(rows[0][0]) if rows and rows[0][0] else 0  # type: ignore[call-overload]
        if committed >= 30 * CHUNK:
            break
        time.sleep(0.01)
    assert first.poll() is None, "the import finished before it could be killed"
    first.send_signal(signal.SIGKILL)
    first.wait()
    status, line = _query(db, "SELECT status, resume_line FROM surveillance_importbatch")[0]
    assert status == "running" and int(line) < ROWS  # type: ignore[call-overload]
    stored = _query(db, "SELECT count(*) FROM surveillance_casereport")[0][0]
    assert 0 < stored < valid  # type: ignore[operator]

    again = subprocess.run(command, check=False, **run)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "resuming after line" in again.stdout
    cases = _query(db, "SELECT count(*), count(DISTINCT source_key) FROM surveillance_casereport")
    assert cases[0] == (valid, valid)
    active = _query(db, "SELECT count(*), count(DISTINCT id_number_hash) FROM "
                        "surveillance_casereport WHERE status = 'active'")
    assert active[0] == (people, people)
    batch = _query(db, "SELECT status, imported_rows, duplicate_rows, error_rows, total_rows "
                       "FROM surveillance_importbatch")
    assert batch == [("done", people, valid - people, ROWS - valid, ROWS)]
    # The daily counts hold each active report once per basis: the killed chunk's deltas went
    # with its rows, and the resumed run added the rest once.
    for basis in ("report", "diagnosis"):
        total = _query(db, "SELECT sum(count) FROM surveillance_dailycount "
                           f"WHERE basis = '{basis}'")
        assert total[0][0] == people, basis
    # Every stored report has its creation in the history, once.
    created = _query(db, "SELECT count(*), count(DISTINCT case_id) FROM "
                         "surveillance_casereporthistory WHERE kind = 'create'")
    assert created[0] == (valid, valid)
    # The errors file lists each bad row once.
    errors = next((var / "imports").glob("errors-*.csv")).read_text(encoding="utf-8-sig")
    assert len(errors.strip().splitlines()) == 1 + ROWS - valid
    # Running the same file a third time adds nothing.
    third = subprocess.run(command, check=False, **run)
    assert third.returncode == 0
    assert _query(db, "SELECT count(*) FROM surveillance_casereport")[0][0] == valid
