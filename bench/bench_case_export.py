"""The line-list export job (surveillance/services/exports.py): rows per second written to CSV
and XLSX, masked and with personal data in full, for a national officer exporting every report.

Synthetic reports (bench/case_rows.py: encrypted persons, realistic fields) are loaded once; each
export runs as a real job (`job_enqueue` + `job_run`: claim, progress, file, audit row).

    SHOUWANG_VAR_DIR=/tmp/bench-export .venv/bin/python -m bench.bench_case_export
    BENCH_EXPORT_CASES=1000000 scripts/pg.sh run -- .venv/bin/python -m bench.bench_case_export
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import date
from unittest import mock

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.config.settings")
os.environ.setdefault("SHOUWANG_VAR_DIR", "/tmp/shouwang-bench-export")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.bench_daily_counts import bench_user, diseases  # noqa: E402
from bench.bench_scoped_listing import county_codes  # noqa: E402
from bench.common import write_result  # noqa: E402

CASES = int(os.environ.get("BENCH_EXPORT_CASES", "200000"))
MARKER = "bench-export"


def populate(user_id: int) -> float:
    from bench import case_rows
    from shouwang.surveillance.models import CaseReport

    have = CaseReport.objects.filter(reporting_facility__startswith=MARKER).count()
    if have >= CASES:
        return 0.0
    case_rows.delete(MARKER)
    return case_rows.load(n_cases=CASES, user_id=user_id, marker=MARKER,
                          first_day=date(2025, 12, 1), days=365, diseases=diseases(),
                          codes=county_codes(500))


def export(user: object, **params: str) -> dict[str, float]:
    from shouwang.core import jobs
    from shouwang.surveillance.services.exports import CASE_EXPORT

    with mock.patch("shouwang.core.tasks.run_job.delay"):
        job = jobs.job_enqueue(actor=user, kind=CASE_EXPORT,  # type: ignore[arg-type]
                               key=f"bench-{uuid.uuid4().hex}",
                               params={"status": "all", **params})
    t0 = time.perf_counter()
    status = jobs.job_run(job_id=job.pk)
    seconds = time.perf_counter() - t0
    job.refresh_from_db()
    if status != "succeeded":
        raise SystemExit(f"export failed: {job.error}")
    path = jobs.job_file(job)
    size = path.stat().st_size if path is not None else 0
    rows = int(job.result["rows"])
    print(f"{params}: {rows:,} rows in {seconds:.1f} s")
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_second": round(rows / seconds),
            "file_mb": round(size / 1e6, 1)}


def main() -> None:
    call_command("migrate", verbosity=0)
    user = bench_user()
    populate_s = populate(user.pk)  # type: ignore[attr-defined]
    figures = {
        "database": connection.vendor,
        "cases": CASES,
        "populate_seconds": round(populate_s, 1),
        "csv_masked": export(user, format="csv"),
        "csv_full": export(user, format="csv", personal="full"),
        "xlsx_masked": export(user, format="xlsx"),
    }
    write_result(f"case_export_{connection.vendor}", figures)


if __name__ == "__main__":
    main()
