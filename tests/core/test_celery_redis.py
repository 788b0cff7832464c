"""Background jobs through a REAL Celery worker process, on Redis and on the embedded broker.

The worker is another process, so it cannot see pytest's test database (an in-memory SQLite,
or rows inside a rolled-back transaction). Each test therefore runs a whole scenario against a
database of its own: a SQLite file under tmp_path, or a fresh PostgreSQL database on the server
DATABASE_URL names. The scenario itself (this module run as a script) creates the data through
the real services, enqueues an audit export and waits for the worker to finish it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIO_TIMEOUT = 120


def _env(var_dir: Path, database_url: str, broker: str | None, backend: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "shouwang.config.settings",
        "SHOUWANG_VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "SHOUWANG_TESTING": "1",
    })
    if broker:
        env["CELERY_BROKER_URL"] = broker
    if backend:
        env["CELERY_RESULT_BACKEND"] = backend
    return env


@contextmanager
def _scenario_database(tmp_path: Path):
    """A database URL of the scenario's own, on the same kind of server as the suite."""
    import dj_database_url

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'scenario.sqlite3'}"
        return
    import psycopg

    cfg = dj_database_url.parse(url)
    name = f"shouwang_celery_{uuid.uuid4().hex[:12]}"
    params = {"host": cfg["HOST"] or "127.0.0.1", "port": cfg["PORT"] or 5432,
              "user": cfg["USER"], "password": cfg["PASSWORD"], "dbname": "postgres",
              "autocommit": True}
    with psycopg.connect(**params) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'')
    try:
        base = url.rsplit("/", 1)[0]
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(**params) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run_scenario(tmp_path: Path, broker: str | None, backend: str | None) -> dict:
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    with _scenario_database(tmp_path) as database_url:
        env = _env(var_dir, database_url, broker, backend)
        subprocess.run([sys.executable, "-m", "shouwang.cli", "migrate", "-v0"], env=env,
                       cwd=ROOT, check=True, timeout=SCENARIO_TIMEOUT)
        log = (tmp_path / "worker.log").open("wb")
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "shouwang.config", "worker", "--pool=solo",
             "--loglevel=INFO", f"--hostname=test-{uuid.uuid4().hex[:8]}@localhost"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            done = subprocess.run(
                [sys.executable, "-m", "tests.core.test_celery_redis"], env=env, cwd=ROOT,
                capture_output=True, text=True, timeout=SCENARIO_TIMEOUT,
            )
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            log.close()
        worker_log = (tmp_path / "worker.log").read_text(errors="replace")
        assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\nworker:\n{worker_log}"
        outcome = json.loads(done.stdout.strip().splitlines()[-1])
        outcome["worker_log"] = worker_log
        outcome["var_dir"] = str(var_dir)
        return outcome


def _check(outcome: dict) -> None:
    assert outcome["status"] == "succeeded", outcome
    assert outcome["attempts"] == 1
    assert outcome["rows"] == 2
    assert outcome["export_audit_rows"] == 1
    path = Path(outcome["var_dir"]) / "exports" / outcome["file"]
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("id,occurred_at,actor_username")
    assert sorted(line.split(",")[8] for line in lines[1:]) == ["420106", "420111"]
    # The worker, not this process, ran it.
    assert "core.run_job" in outcome["worker_log"]
    assert "succeeded" in outcome["worker_log"]


@pytest.mark.redis
@pytest.mark.slow
def test_audit_export_through_a_real_worker_on_redis(tmp_path):
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL is not set: no Redis server to run a worker on")
    _check(_run_scenario(tmp_path, broker=redis_url, backend=redis_url))


@pytest.mark.slow
def test_audit_export_through_a_real_worker_on_the_embedded_broker(tmp_path):
    # No broker settings: the defaults of `make demo` (SQLAlchemy transport on a SQLite file).
    _check(_run_scenario(tmp_path, broker=None, backend=None))


def scenario() -> None:
    """Run in a subprocess against the scenario database: data, enqueue, wait, report."""
    import time

    import django

    django.setup()
    from django.db import transaction

    from shouwang.accounts.roles import Role
    from shouwang.core.audit import audit_log
    from shouwang.core.jobs import AUDIT_EXPORT, job_enqueue
    from shouwang.core.models import AuditAction, AuditEvent, Job, JobStatus
    from tests.factories import make_user

    auditor = make_user(Role.AUDITOR, "420100", username="worker-auditor")
    for code in ("420111", "420106", "430102"):
        audit_log(actor=None, action=AuditAction.UPDATE, object_type="scenario.thing",
                  object_id=code, division_code=code)
    with transaction.atomic():
        job = job_enqueue(actor=auditor, kind=AUDIT_EXPORT, key="worker-test",
                          params={"object_type": "scenario.thing"})
    deadline = time.monotonic() + SCENARIO_TIMEOUT - 20
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in {JobStatus.SUCCEEDED, JobStatus.FAILED}:
            break
        time.sleep(0.5)
    print(json.dumps({
        "status": job.status, "attempts": job.attempts, "error": job.error,
        "rows": job.result.get("rows"), "file": job.result.get("file"),
        "export_audit_rows": AuditEvent.objects.filter(
            action=AuditAction.EXPORT, object_type="core.job", object_id=str(job.pk)
        ).count(),
        "jobs": Job.objects.count(),
    }))


if __name__ == "__main__":
    scenario()
