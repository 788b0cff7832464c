"""`shouwang epi forecast`: columns, future times, determinism and bad input."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from shouwang.epi.cli import EpiInputError, add_subcommands
from shouwang.epi.forecast import forecast


def _run(*argv: str) -> None:
    parser = argparse.ArgumentParser(prog="shouwang epi")
    add_subcommands(parser)
    args = parser.parse_args(list(argv))
    args.run(args)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _series_csv(tmp_path: Path, dates: bool = True) -> tuple[Path, np.ndarray]:
    rng = np.random.default_rng(0)
    counts = rng.poisson([[8.0], [30.0]], (2, 30))
    path = tmp_path / "in.csv"
    lines = ["date,north,south" if dates else "t,north,south"]
    for d in range(30):
        when = f"2026-03-{d + 1:02d}" if dates else str(d + 100)
        lines.append(f"{when},{counts[0, d]},{counts[1, d]}")
    path.write_text("\n".join(lines) + "\n")
    return path, counts


def test_help_lists_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _run("forecast", "--help")
    text = " ".join(capsys.readouterr().out.split())
    for option in ("--si-mean", "--si-sd", "--si-distr", "--horizon", "--samples", "--seed",
                   "--window", "--r", "--model", "--dispersion", "--levels", "--mean-prior",
                   "--local-column", "--imported-column", "--output"):
        assert option in text
    assert "(default: 14)" in text and "(default: 1000)" in text


def test_columns_dates_and_values(tmp_path: Path) -> None:
    path, counts = _series_csv(tmp_path)
    out = tmp_path / "out.csv"
    _run("forecast", str(path), "--si-mean", "2.6", "--si-sd", "1.5", "--horizon", "7",
         "--samples", "300", "--seed", "3", "-o", str(out))
    rows = _rows(out)
    assert list(rows[0]) == ["date", "series", "median", "mean", "lower_50", "upper_50",
                             "lower_90", "upper_90", "lower_95", "upper_95"]
    assert len(rows) == 14
    assert [r["date"] for r in rows[:7]] == [f"2026-03-{d}" for d in range(31, 32)] + [
        f"2026-04-0{d}" for d in range(1, 7)]
    assert [r["series"] for r in rows] == ["north"] * 7 + ["south"] * 7
    direct = forecast(counts.astype(float), mean_si=2.6, std_si=1.5, horizon=7, samples=300,
                      seed=3)
    got = np.array([float(r["median"]) for r in rows]).reshape(2, 7)
    np.testing.assert_array_equal(got, direct.median)
    upper = np.array([float(r["upper_95"]) for r in rows]).reshape(2, 7)
    np.testing.assert_array_equal(upper, direct.upper[:, 2])


def test_integer_steps_continue_and_the_seed_repeats(tmp_path: Path) -> None:
    path, _ = _series_csv(tmp_path, dates=False)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for out in (a, b):
        call_command("epi", "forecast", str(path), "--si-mean", "2.6", "--si-sd", "1.5",
                     "--horizon", "3", "--samples", "100", "--levels", "80", "--output", str(out))
    rows = _rows(a)
    assert list(rows[0]) == ["t", "series", "median", "mean", "lower_80", "upper_80"]
    assert [r["t"] for r in rows[:3]] == ["130", "131", "132"]
    assert a.read_text() == b.read_text()


def test_fixed_r_and_negbin(tmp_path: Path) -> None:
    path, _ = _series_csv(tmp_path)
    out = tmp_path / "out.csv"
    _run("forecast", str(path), "--si-mean", "2.6", "--si-sd", "1.5", "--r", "0",
         "--model", "negbin", "--dispersion", "1", "--horizon", "2", "--samples", "50",
         "-o", str(out))
    assert all(float(r["upper_95"]) == 0 for r in _rows(out))


@pytest.mark.parametrize(("extra", "message"), [
    (["--horizon", "0"], "horizon must be"),
    (["--samples", "0"], "samples must be"),
    (["--levels", "50,100"], "between 0 and 100"),
    (["--levels", "x"], "comma-separated percentages"),
    (["--model", "negbin"], "needs dispersion"),
    (["--r", "-1"], "r must be finite"),
])
def test_bad_options(tmp_path: Path, extra: list[str], message: str) -> None:
    path, _ = _series_csv(tmp_path)
    with pytest.raises(EpiInputError, match=message):
        _run("forecast", str(path), "--si-mean", "2.6", "--si-sd", "1.5", "--samples", "10",
             *extra)


@pytest.mark.parametrize(("text", "message"), [
    ("t,x\n1,1\n2,\n3,3\n", "missing count"),
    ("t,x\n1,1\n2,-2\n3,3\n", "must be ≥ 0"),
    ("date,x\n2026-01-01,1\n2026-01-03,1\n", "gap of 1 day"),
])
def test_bad_counts(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "in.csv"
    path.write_text(text)
    with pytest.raises(EpiInputError, match=message):
        _run("forecast", str(path), "--si-mean", "2.6", "--si-sd", "1.5")


def test_backtest_writes_coverage_and_mae_as_the_library(tmp_path: Path) -> None:
    from shouwang.epi.forecast import backtest

    rng = np.random.default_rng(4)
    counts = rng.poisson(np.linspace(5, 40, 60)[None, :] * [[1.0], [0.5]])
    path = tmp_path / "in.csv"
    path.write_text("t,a,b\n" + "".join(f"{d + 1},{counts[0, d]},{counts[1, d]}\n"
                                        for d in range(60)))
    out = tmp_path / "out.csv"
    _run("forecast", str(path), "--si-mean", "2.6", "--si-sd", "1.5", "--horizon", "7",
         "--samples", "200", "--backtest", "4", "--backtest-step", "5", "-o", str(out))
    rows = _rows(out)
    assert list(rows[0]) == ["day_ahead", "forecasts", "coverage_50", "coverage_90",
                             "coverage_95", "mae"]
    assert [r["day_ahead"] for r in rows] == ["1", "2", "3", "4", "5", "6", "7", "all"]
    direct = backtest(counts.astype(float), horizon=7, origins=[38, 43, 48, 53], mean_si=2.6,
                      std_si=1.5, samples=200, seed=1)
    assert rows[-1]["forecasts"] == "8"
    assert float(rows[-1]["mae"]) == pytest.approx(direct.mae, rel=1e-12)
    assert float(rows[-1]["coverage_90"]) == pytest.approx(direct.coverage[1], rel=1e-12)


@pytest.mark.parametrize(("extra", "message"), [
    (["--backtest", "2", "--r", "1.2"], "cannot take --r"),
    (["--backtest", "2", "--backtest-step", "0"], "must be ≥ 1"),
    (["--backtest", "5", "--backtest-step", "5"], "must leave 8 known days"),
])
def test_backtest_bad_options(tmp_path: Path, extra: list[str], message: str) -> None:
    path, _ = _series_csv(tmp_path)
    with pytest.raises(EpiInputError, match=message):
        _run("forecast", str(path), "--si-mean", "2.6", "--si-sd", "1.5", "--samples", "10",
             "--horizon", "7", *extra)
