"""`shouwang epi nowcast` on surveillance's husO104Hosp, through the real argument parser."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import pytest

from shouwang.epi.cli import EpiInputError, add_subcommands

REF = Path(__file__).resolve().parents[1] / "reference" / "nowcast"
HEADER = ["date", "series", "observed", "nowcast", "median",
          "lower_95", "upper_95", "lower_90", "upper_90"]


def _run(*argv: str) -> None:
    parser = argparse.ArgumentParser(prog="shouwang epi")
    add_subcommands(parser)
    args = parser.parse_args(list(argv))
    args.run(args)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_help_lists_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _run("nowcast", "--help")
    text = capsys.readouterr().out
    for option in ("--now", "--max-delay", "--window", "--samples", "--seed", "--pool",
                   "--output", "--time-column", "--columns", "--report-column",
                   "--series-column", "(default: 28)", "(default: 1000)"):
        assert option in text


def test_case_level_input_matches_r_lawless_point(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    _run("nowcast", str(REF / "husO104Hosp.csv"), "--now", "2011-06-10", "--max-delay", "15",
         "--window", "34", "-o", str(out))
    rows = _read(out)
    assert list(rows[0]) == HEADER
    ref = _read(REF / "lawless_example.csv")
    assert [r["date"] for r in rows] == [r["event_date"] for r in ref]
    assert {r["series"] for r in rows} == {"all"}
    np.testing.assert_array_equal([float(r["observed"]) for r in rows],
                                  [float(r["observed"]) for r in ref])
    np.testing.assert_allclose([float(r["nowcast"]) for r in rows],
                               [float(r["nowcast"]) for r in ref], rtol=1e-6)
    for r in rows:
        assert int(r["lower_95"]) <= int(r["lower_90"]) <= int(r["median"])
        assert int(r["median"]) <= int(r["upper_90"]) <= int(r["upper_95"])


def test_triangle_input_gives_the_same_as_case_level(tmp_path: Path) -> None:
    from_cases, from_triangle = tmp_path / "a.csv", tmp_path / "b.csv"
    common = ("--now", "2011-06-10", "--window", "28", "--samples", "300", "--seed", "4")
    _run("nowcast", str(REF / "husO104Hosp.csv"), "--max-delay", "15", *common,
         "-o", str(from_cases))
    _run("nowcast", str(REF / "triangle_example.csv"), *common, "-o", str(from_triangle))
    assert _read(from_cases) == _read(from_triangle)


def test_several_series_in_case_level_input(tmp_path: Path) -> None:
    rows = _read(REF / "husO104Hosp.csv")
    lines = ["event_date,report_date,series"] + [
        f"{r['event_date']},{r['report_date']},{'north' if i % 3 else 'south'}"
        for i, r in enumerate(rows)]
    src = _write(tmp_path / "in.csv", "\n".join(lines) + "\n")
    out = tmp_path / "out.csv"
    _run("nowcast", str(src), "--now", "2011-06-10", "--max-delay", "15", "--pool",
         "--samples", "200", "-o", str(out))
    got = _read(out)
    assert [r["series"] for r in got[:1]] == ["north"] and got[-1]["series"] == "south"
    assert len(got) == 2 * 35
    total = sum(float(r["observed"]) for r in got)
    assert total == sum(1 for r in rows if r["report_date"] <= "2011-06-10")


@pytest.mark.parametrize(("text", "options", "message"), [
    ("event_date,report_date\n2026-01-01,\n", (), r"row 2, column 'report_date': missing date"),
    ("event_date,report_date\n2026-01-03,2026-01-02\n", (),
     r"row 2, column 'report_date': reported 2026-01-02 before its event date 2026-01-03"),
    ("event_date,report_date\n2026-01-01,2026-01-02\n", (),
     r"fewer days than the delay window: a window of 28 days needs 29"),
    ("event_date,report_date\n2026-01-10,2026-01-12\n", ("--window", "14"),
     r"not identifiable: the triangle has 11 day\(s\), and at least 15 are needed"),
    ("event_date,d0,d1\n2026-01-18,1,2\n2026-01-19,3,\n", ("--window", "1"),
     r"triangle ends on 2026-01-19, before --now"),
    ("event_date,d0,d1\n2026-01-20,1,2\n2026-01-21,3,1\n", ("--window", "1"),
     r"observed cells after now: event date 2026-01-21"),
    ("event_date,d0,d1\n2026-01-18,1,2\n2026-01-19,3,4\n2026-01-20,5,6\n", ("--window", "1"),
     r"observed cells after now: series 0, day 2026-01-20, delay 1"),
    ("event_date,d0,d1\n2026-01-18,1,2\n2026-01-19,3,\n2026-01-20,5,\n", ("--window", "1"),
     r"missing count in series 0, day 2026-01-19, delay 1"),
    ("event_date,d0,d1\n2026-01-18,1,-2\n2026-01-19,3,4\n2026-01-20,5,\n", ("--window", "1"),
     r"count -2 must be ≥ 0"),
    ("event_date,d0,d1\n2026-01-18,0,0\n2026-01-19,0,0\n2026-01-20,0,\n", ("--window", "3"),
     r"fewer days than the delay window"),
    ("event_date,x\n2026-01-18,1\n", (), r"neither case-level"),
])
def test_bad_input_is_a_clear_error(tmp_path: Path, text: str, options: tuple[str, ...],
                                    message: str) -> None:
    src = _write(tmp_path / "in.csv", text)
    with pytest.raises(EpiInputError, match=message):
        _run("nowcast", str(src), "--now", "2026-01-20", *options)


def test_all_zero_triangle_nowcasts_zero(tmp_path: Path) -> None:
    src = _write(tmp_path / "in.csv",
                 "event_date,d0,d1\n2026-01-18,0,0\n2026-01-19,0,0\n2026-01-20,0,\n")
    out = tmp_path / "out.csv"
    _run("nowcast", str(src), "--now", "2026-01-20", "--window", "2", "-o", str(out))
    for r in _read(out):
        assert [r[c] for c in HEADER[2:]] == ["0", "0.0", "0", "0", "0", "0", "0"]


def test_backtest_on_the_synthetic_outbreak_as_a_case_file(tmp_path: Path) -> None:
    from datetime import date, timedelta

    from shouwang.epi.nowcast import CaseDays, NowcastOptions, backtest, cases_from_outbreak
    from shouwang.epi.outbreak import OutbreakParams, simulate_outbreak

    rng = np.random.default_rng(0)
    n = 12
    params = OutbreakParams(days=90, diagnosis_delay_early=3.0, diagnosis_delay_late=3.0,
                            initial_seeds=10, intervention_day=50)
    cases = cases_from_outbreak(simulate_outbreak(
        rng.uniform(2e4, 6e4, n), 30 + rng.uniform(-1, 1, n), 114 + rng.uniform(-1, 1, n),
        params, seed=2))
    day0 = date(2026, 1, 1)
    lines = ["event_date,report_date,series"] + [
        f"{day0 + timedelta(days=int(e))},{day0 + timedelta(days=int(r))},r{s:02d}"
        for e, r, s in zip(cases.event_day, cases.report_day, cases.series, strict=True)]
    src = _write(tmp_path / "cases.csv", "\n".join(lines) + "\n")
    out = tmp_path / "out.csv"
    _run("nowcast", str(src), "--now", str(day0 + timedelta(days=70)), "--backtest", "5",
         "--backtest-step", "6", "--samples", "300", "-o", str(out))
    rows = _read(out)
    assert list(rows[0]) == ["lag", "cells", "coverage_90", "coverage_95", "mae_nowcast",
                             "mae_median", "mae_observed"]
    assert [r["lag"] for r in rows] == [*map(str, range(14)), "all"]
    overall = rows[-1]
    assert 0.8 <= float(overall["coverage_90"]) <= float(overall["coverage_95"]) <= 1.0
    assert float(overall["mae_nowcast"]) < float(overall["mae_observed"])
    # The same numbers as the function on the same cases (the file names only the regions
    # with a case, in the same order).
    present, compact = np.unique(cases.series, return_inverse=True)
    cases = CaseDays(series=compact, event_day=cases.event_day, report_day=cases.report_day,
                     n_series=present.size)
    direct = backtest(cases, [70 - 6 * k for k in range(5)][::-1],
                      options=NowcastOptions(samples=300, seed=1))
    assert int(overall["cells"]) == direct.cells
    assert float(overall["coverage_95"]) == pytest.approx(direct.coverage[0.95], abs=1e-12)
    assert float(overall["mae_median"]) == pytest.approx(direct.mae_median, abs=1e-12)
    assert float(rows[0]["mae_median"]) == pytest.approx(direct.mae_median_by_lag[0], abs=1e-12)
