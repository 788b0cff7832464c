"""Report submission under load: 20 simulated county officers POST case reports to the real
server for a bounded time, with think time between reports.

The server is gunicorn with the WSGI app exactly as `shouwang serve` starts it (sync workers,
`--workers` from BENCH_WEB_WORKERS, 2 by default as in `serve`), on 127.0.0.1, against the
database DATABASE_URL names (a file SQLite under SHOUWANG_VAR_DIR otherwise). Each officer logs
in with an API token (Bearer) and submits valid reports (`POST /api/v1/surveillance/cases`, a new
person each time with a valid resident ID; one in twenty repeats an earlier person, which the
server merges as a duplicate) with an Idempotency-Key, then thinks 1–3 s. The load generator is a
thread per officer with urllib (no dependency: locust would bring gevent for 20 users).
Latency is measured from request to full response; the first 5 s are warm-up and not recorded.

Target (issue 3): p95 < 150 ms.

    SHOUWANG_VAR_DIR=/tmp/bench-list .venv/bin/python -m bench.bench_report_form
    scripts/pg.sh run -- .venv/bin/python -m bench.bench_report_form
"""

from __future__ import annotations

import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.config.settings")
os.environ.setdefault("SHOUWANG_VAR_DIR", "/tmp/shouwang-bench-var")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.common import write_result  # noqa: E402

USERS = int(os.environ.get("BENCH_USERS", "20"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "30"))
WARMUP = 5.0
WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "2"))
THINK = (1.0, 3.0)
COUNTIES = ("420106", "420111", "420606")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def officers() -> list[tuple[str, str]]:
    """(county code, bearer token) for each simulated officer."""
    from tests.factories import ensure_sample_divisions, make_user

    from shouwang.accounts.models import User
    from shouwang.accounts.tokens import api_token_create

    ensure_sample_divisions()
    out = []
    for i in range(USERS):
        county = COUNTIES[i % len(COUNTIES)]
        name = f"bench-form-{i:02d}"
        user = User.objects.filter(username=name).first() or make_user(
            "county_officer", county, username=name)
        _, raw = api_token_create(actor=user, user=user, name="bench", days=1)
        out.append((county, raw))
    return out


def report(rng: random.Random, county: str, repeat: dict[str, Any] | None) -> dict[str, Any]:
    from shouwang.core.validators import resident_id_check_char

    if repeat is not None:
        return {**repeat, "classification": "confirmed"}
    now = datetime.now(UTC)
    diagnosed = now - timedelta(hours=rng.uniform(2, 40))
    birth = datetime(1940, 1, 1) + timedelta(days=rng.randrange(0, 30000))
    sex = rng.choice("MF")
    seq = rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)
    body = f"{county}{birth:%Y%m%d}{seq:03d}"
    return {
        "disease": "covid19", "classification": rng.choice(["confirmed", "suspected"]),
        "name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
        "id_type": "resident_id", "id_number": body + resident_id_check_char(body),
        "phone": f"139{rng.randrange(10**8):08d}", "division_code": county,
        "address_detail": f"中山路{rng.randrange(1, 400)}号", "occupation": "worker",
        "onset_date": (diagnosed - timedelta(days=rng.randrange(0, 4))).date().isoformat(),
        "diagnosed_at": diagnosed.isoformat(),
        "reported_at": (diagnosed + timedelta(minutes=rng.randrange(10, 90))).isoformat(),
        "reporting_facility": "区人民医院", "reporting_division_code": county,
        "severity": "mild",
    }


def run_officer(base: str, county: str, token: str, seed: int, start: float, stop: float,
                out: list[tuple[float, float, int]]) -> None:
    rng = random.Random(seed)
    sent: list[dict[str, Any]] = []
    time.sleep(rng.uniform(0, THINK[1]))  # officers do not start in step
    while time.perf_counter() < stop:
        repeat = rng.choice(sent) if sent and rng.random() < 0.05 else None
        data = report(rng, county, repeat)
        request = urllib.request.Request(
            f"{base}/api/v1/surveillance/cases", data=json.dumps(data).encode(), method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                     "Idempotency-Key": str(uuid.uuid4())})
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            exc.read()
            status = exc.code
        elapsed = time.perf_counter() - t0
        if t0 - start >= WARMUP:
            out.append((t0, elapsed * 1000, status))
        if repeat is None:
            sent.append(data)
        time.sleep(rng.uniform(*THINK))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    call_command("migrate", verbosity=0)
    people = officers()
    connection.close()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "shouwang.config.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)],
        env={**os.environ}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/api/v1/openapi.json", timeout=20).read()
                break
            except OSError:  # not listening yet (URLError, refused, timed out)
                time.sleep(0.2)
        samples: list[tuple[float, float, int]] = []
        start = time.perf_counter()
        stop = start + WARMUP + SECONDS
        threads = [threading.Thread(target=run_officer, args=(
            base, county, token, i, start, stop, samples)) for i, (county, token) in
            enumerate(people)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    ok = [ms for _, ms, status in samples if status in (200, 201)]
    failed = [status for _, _, status in samples if status not in (200, 201)]
    figures = {
        "database": connection.vendor,
        "server": f"gunicorn, {WORKERS} sync workers (as `shouwang serve`), 127.0.0.1",
        "load": f"{USERS} officers, urllib threads, think time {THINK[0]}–{THINK[1]} s, "
                f"{SECONDS:.0f} s measured after {WARMUP:.0f} s warm-up",
        "requests": len(samples),
        "failed": len(failed),
        "failed_statuses": sorted(set(failed)),
        "throughput_per_s": round(len(samples) / SECONDS, 1),
        "p50_ms": round(statistics.median(ok), 1) if ok else None,
        "p95_ms": round(percentile(ok, 95), 1) if ok else None,
        "p99_ms": round(percentile(ok, 99), 1) if ok else None,
        "max_ms": round(max(ok), 1) if ok else None,
        "case_reports_in_database": _count(),
    }
    write_result(f"report_form_{connection.vendor}", figures, targets={"p95_ms": "< 150"})


def _count() -> int:
    from shouwang.surveillance.models import CaseReport

    return CaseReport.objects.count()


if __name__ == "__main__":
    main()
