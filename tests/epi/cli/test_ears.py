"""`shouwang epi ears` against the earsC fixtures, through the real argument parser."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import pytest

from shouwang.epi.cli import EpiInputError, add_subcommands
from tests.epi.reference.aberration.fixtures import HERE, read_output


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shouwang epi")
    add_subcommands(parser)
    return parser


def _run(*argv: str) -> None:
    args = _parser().parse_args(list(argv))
    args.run(args)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_help_lists_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _run("ears", "--help")
    text = capsys.readouterr().out
    for option in ("--method", "--baseline", "--alpha", "--min-sigma", "--range-start",
                   "--range-end", "--output", "--columns"):
        assert option in text


def test_c3_on_several_series_matches_r(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    _run("ears", str(HERE / "input_ha.csv"), "--method", "C3", "-o", str(out))
    rows = _read(out)
    assert list(rows[0]) == ["series", "t", "observed", "expected", "upperbound", "alarm"]
    ref = read_output("ears_ha_C3")
    upper = np.array([np.nan if r["upperbound"] == "NA" else float(r["upperbound"])
                      for r in rows]).reshape(ref["upperbound"].shape)
    np.testing.assert_allclose(upper, ref["upperbound"], rtol=1e-6)
    alarm = np.array([{"NA": np.nan, "TRUE": 1.0, "FALSE": 0.0}[r["alarm"]] for r in rows])
    np.testing.assert_array_equal(alarm.reshape(ref["alarm"].shape), ref["alarm"])
    assert rows[0]["series"] == "chwi" and rows[0]["t"] == "12"


def test_one_series_has_no_series_column(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    _run("ears", str(HERE / "input_newport.csv"), "--baseline", "10", "--min-sigma", "0.5",
         "--alpha", "0.01", "--method", "C2", "-o", str(out))
    rows = _read(out)
    assert list(rows[0]) == ["t", "observed", "expected", "upperbound", "alarm"]
    ref = read_output("ears_newport_C2_b10_sigma0.5")
    np.testing.assert_allclose([float(r["upperbound"]) for r in rows], ref["upperbound"][0],
                               rtol=1e-6)
    assert rows[0]["observed"] == str(int(ref["observed"][0, 0]))


def test_range_options(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    _run("ears", str(HERE / "input_newport.csv"), "--range-start", "100", "--range-end", "200",
         "-o", str(out))
    rows = _read(out)
    assert [rows[0]["t"], rows[-1]["t"], len(rows)] == ["100", "200", 101]


@pytest.mark.parametrize(("text", "options", "message"), [
    ("t,a\n1,1\n2,-1\n", [], "must be ≥ 0"),
    ("t,a\n1,1\n2,\n", [], "missing count"),
    ("t,a\n" + "".join(f"{i},1\n" for i in range(1, 8)), [], "too few time steps"),
    ("t,a\n" + "".join(f"{i},1\n" for i in range(1, 30)), ["--range-start", "3"], "too early"),
])
def test_bad_input_is_an_input_error(tmp_path: Path, text: str, options: list[str],
                                     message: str) -> None:
    path = tmp_path / "in.csv"
    path.write_text(text)
    with pytest.raises(EpiInputError, match=message):
        _run("ears", str(path), *options)


def test_dates_must_be_equally_spaced(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    days = [f"2026-01-{d:02d}" for d in (*range(1, 15), 16)]
    path.write_text("date,a\n" + "".join(f"{d},1\n" for d in days))
    with pytest.raises(EpiInputError, match="row 16, column 'date': 2026-01-16 is 2 day"):
        _run("ears", str(path))


def test_dates_are_written_as_t(tmp_path: Path) -> None:
    path, out = tmp_path / "in.csv", tmp_path / "out.csv"
    path.write_text("date,a\n" + "".join(f"2026-01-{d:02d},{d % 3}\n" for d in range(1, 21)))
    _run("ears", str(path), "-o", str(out))
    rows = _read(out)
    assert rows[0]["t"] == "2026-01-08" and len(rows) == 13
