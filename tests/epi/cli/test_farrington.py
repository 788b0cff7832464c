"""`shouwang epi farrington` against the farringtonFlexible fixtures, through the parser."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import pytest

from shouwang.epi.cli import EpiInputError, add_subcommands
from tests.epi.reference.aberration.fixtures import HERE, read_output


def _run(*argv: str) -> None:
    parser = argparse.ArgumentParser(prog="shouwang epi")
    add_subcommands(parser)
    args = parser.parse_args(list(argv))
    args.run(args)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _floats(rows: list[dict[str, str]], column: str) -> np.ndarray:
    return np.array([np.nan if r[column] == "NA" else float(r[column]) for r in rows])


def test_help_lists_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _run("farrington", "--help")
    text = capsys.readouterr().out
    for option in ("--b", "--w", "--no-periods", "--past-weeks-not-included",
                   "--threshold-method", "--alpha", "--powertrans", "--reweight",
                   "--weights-threshold", "--trend", "--p-threshold-trend", "--limit54",
                   "--freq", "--range-start", "--range-end", "--ignore-dates"):
        assert option in text


def test_help_example_options_match_r(tmp_path: Path) -> None:
    # control2 of ?farringtonFlexible on salmonella.agona.
    out = tmp_path / "out.csv"
    _run("farrington", str(HERE / "input_agona.csv"), "--range-start", "282", "--range-end",
         "312", "--no-periods", "10", "--b", "4", "--w", "3", "--weights-threshold", "2.58",
         "--past-weeks-not-included", "26", "--p-threshold-trend", "1", "--alpha", "0.1",
         "-o", str(out))
    rows = _read(out)
    assert list(rows[0])[:5] == ["t", "observed", "expected", "upperbound", "alarm"]
    ref = read_output("farrington_agona_example2")
    np.testing.assert_allclose(_floats(rows, "upperbound"), ref["upperbound"][0], rtol=1e-6)
    np.testing.assert_allclose(_floats(rows, "expected"), ref["expected"][0], rtol=1e-6)
    assert [r["alarm"] == "TRUE" for r in rows] == list(ref["alarm"][0] == 1)
    assert rows[0]["t"] == "282"


def test_several_series_with_defaults(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    _run("farrington", str(HERE / "input_ha.csv"), "--limit54", "1", "4", "-o", str(out))
    rows = _read(out)
    assert rows[0]["series"] == "chwi"
    ref = read_output("farrington_ha_default")
    np.testing.assert_allclose(_floats(rows, "upperbound").reshape(ref["upperbound"].shape),
                               ref["upperbound"], rtol=1e-6)


def test_nbplugin_and_flags(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    _run("farrington", str(HERE / "input_agona.csv"), "--powertrans", "1/2", "--reweight",
         "FALSE", "-o", str(out))
    ref = read_output("farrington_agona_sqrt_noreweight")
    np.testing.assert_allclose(_floats(_read(out), "upperbound"), ref["upperbound"][0],
                               rtol=1e-6)


@pytest.mark.parametrize(("text", "options", "message"), [
    ("t,a\n1,1\n2,-1\n", [], "must be ≥ 0"),
    ("t,a\n1,1\n2,\n", [], "missing count"),
    ("t,a\n" + "".join(f"{i},1\n" for i in range(1, 100)), [], "too few time steps"),
    ("t,a\n" + "".join(f"{i},1\n" for i in range(1, 300)), ["--b", "0"], "b \\(years"),
    ("t,a\n" + "".join(f"{i},1\n" for i in range(1, 300)), ["--limit54", "5", "1.5"],
     "whole number"),
])
def test_bad_input(tmp_path: Path, text: str, options: list[str], message: str) -> None:
    path = tmp_path / "in.csv"
    path.write_text(text)
    with pytest.raises(EpiInputError, match=message):
        _run("farrington", str(path), *options)


def test_bad_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _run("farrington", str(HERE / "input_agona.csv"), "--trend", "maybe")
    assert "not TRUE or FALSE" in capsys.readouterr().err


def test_dated_weeks_match_r_epoch_as_date(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    _run("farrington", str(HERE / "input_newportdated.csv"), "--no-periods", "10",
         "--past-weeks-not-included", "26", "--threshold-method", "nbPlugin", "-o", str(out))
    rows = _read(out)
    ref = read_output("farrington_newportdated_noufaily")
    assert rows[0]["t"] == "2006-01-16"
    np.testing.assert_allclose(_floats(rows, "upperbound"), ref["upperbound"][0], rtol=1e-6)
    assert [r["alarm"] == "TRUE" for r in rows] == list(ref["alarm"][0] == 1)
    # --ignore-dates is R's epochAsDate = FALSE: the other fixture.
    _run("farrington", str(HERE / "input_newportdated.csv"), "--ignore-dates", "-o", str(out))
    np.testing.assert_allclose(_floats(_read(out), "upperbound"),
                               read_output("farrington_newport_default")["upperbound"][0],
                               rtol=1e-6)


def test_weekly_dates(tmp_path: Path) -> None:
    from datetime import date, timedelta

    counts = [int(v) for v in np.random.default_rng(1).poisson(6, 300)]
    weeks = [date(2020, 1, 6) + timedelta(weeks=i) for i in range(300)]
    path, out = tmp_path / "in.csv", tmp_path / "out.csv"
    path.write_text("week,a\n" + "".join(f"{w},{c}\n" for w, c in zip(weeks, counts,
                                                                       strict=True)))
    _run("farrington", str(path), "-o", str(out))
    rows = _read(out)
    assert rows[0]["t"] == str(weeks[263]) and len(rows) == 37
    path.write_text("week,a\n" + "".join(f"{w + timedelta(days=i // 150)},{c}\n"
                                         for i, (w, c) in enumerate(zip(weeks, counts,
                                                                        strict=True))))
    with pytest.raises(EpiInputError, match="rows must be 7 days apart"):
        _run("farrington", str(path))
