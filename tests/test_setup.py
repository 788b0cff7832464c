"""The promises of README.md, the Makefile and CI hold, and every migration is committed."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _target(name: str) -> str:
    """The recipe lines of one Makefile target (prerequisites included on the first line)."""
    text = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{re.escape(name)}:.*?(?=^\S|\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"Makefile has no target {name}"
    return match.group(0)


def test_readme_opens_with_the_two_commands():
    lines = (ROOT / "README.md").read_text().splitlines()
    first_block = "\n".join(lines[:8])
    assert lines[0].startswith("# Shouwang")
    assert re.search(r"^make demo\b", first_block, re.MULTILINE)
    assert re.search(r"^make test\b", first_block, re.MULTILINE)
    assert first_block.index("make demo") < first_block.index("make test")


def test_ci_runs_the_suite_on_sqlite_and_postgresql():
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in ci
    assert ci.index("make test ") < ci.index("make test-pg")
    assert "REDIS_URL=redis://127.0.0.1:6379/0" in ci
    # pytest's "no tests collected" is not a failure.
    assert '"$rc" == 5' in (ROOT / "scripts" / "test.sh").read_text()


def test_make_demo_runs_the_documented_steps_in_order():
    demo = _target("demo")
    assert demo.split(":", 1)[1].split() == ["install", "demo-data", "serve"]
    install = _target("install")
    assert "scripts/bootstrap_uv.py" in install
    assert "sync --frozen --python 3.11" in install
    steps = _target("demo-data")
    order = [steps.index(s) for s in (
        "migrate --noinput", "geo load", "demo-data --scale $(DEMO_SCALE) --seed $(DEMO_SEED)"
    )]
    assert order == sorted(order)
    assert "$(SW) serve" in _target("serve")
    assert "UV_PYTHON_DOWNLOADS := never" in (ROOT / "Makefile").read_text()


def test_make_test_pg_runs_the_same_suite_on_postgresql():
    assert "scripts/pg.sh run -- scripts/test.sh" in _target("test-pg")
    assert "scripts/test.sh" in _target("test")


@pytest.mark.parametrize("path", ["scripts/test.sh", "scripts/pg.sh", ".ci/run"])
def test_shell_scripts_parse(path):
    assert subprocess.run(["bash", "-n", str(ROOT / path)], check=False).returncode == 0


def test_every_migration_is_committed(tmp_path):
    env = {"SHOUWANG_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/m.sqlite3",
           "DJANGO_SETTINGS_MODULE": "shouwang.config.settings", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
