"""What every benchmark shares: where figures go, and a monotonic timer.

Each benchmark is `bench/bench_<name>.py` with a `main()`; `make bench` runs them all. Figures are
written as JSON to bench/results/<name>.json together with the machine they were measured on.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def write_result(name: str, figures: dict[str, Any], targets: dict[str, Any] | None = None) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "figures": figures,
        "targets": targets or {},
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(payload["figures"], indent=2, ensure_ascii=False))
    return path


@contextmanager
def timer() -> Iterator[Callable[[], float]]:
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


def best_of(runs: int, fn: Callable[[], Any]) -> float:
    """The fastest of `runs` timings of fn(), in seconds: the least disturbed by a noisy machine."""
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def logged_in_client(user: Any) -> Any:
    """A Django test client past login and, for roles that need it, the second factor (the
    page benchmarks measure the pages, not the login). Needs Django set up."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from shouwang.accounts.roles import SECOND_FACTOR_REQUIRED

    client = Client()
    client.force_login(user)
    if user.role in SECOND_FACTOR_REQUIRED:
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def timed_ms(fn: Callable[[], Any], repeats: int) -> dict[str, float]:
    """Median and 90th percentile in milliseconds of `repeats` calls, after one warm-up call
    (templates compiled, caches filled)."""
    import statistics

    fn()
    ms = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1000)
    ms.sort()
    return {"median_ms": round(statistics.median(ms), 1),
            "p90_ms": round(ms[max(int(len(ms) * 0.9) - 1, 0)], 1)}
