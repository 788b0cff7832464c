"""`shouwang epi cusum` against the cusum fixtures, through the real argument parser."""

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


def test_help_lists_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _run("cusum", "--help")
    text = capsys.readouterr().out
    for option in ("--range-start", "--range-end", "--k", "--h", "--m", "--trans", "--alpha",
                   "--first-period", "--freq"):
        assert option in text


@pytest.mark.parametrize(("case", "options"), [
    ("cusum_agona_standard", []),
    ("cusum_agona_glm_rossi", ["--m", "glm", "--trans", "rossi"]),
    ("cusum_agona_m2_k05_h4", ["--m", "2", "--k", "0.5", "--h", "4"]),
])
def test_matches_r(tmp_path: Path, case: str, options: list[str]) -> None:
    out = tmp_path / "out.csv"
    _run("cusum", str(HERE / "input_agona.csv"), "--range-start", "209", *options,
         "-o", str(out))
    rows = _read(out)
    assert list(rows[0]) == ["t", "observed", "expected", "upperbound", "alarm", "cusum"]
    ref = read_output(case)
    np.testing.assert_allclose([float(r["upperbound"]) for r in rows], ref["upperbound"][0],
                               rtol=1e-6)
    assert [r["alarm"] == "TRUE" for r in rows] == list(ref["alarm"][0] == 1)


def test_several_series_and_na_alarms(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    _run("cusum", str(HERE / "input_edge.csv"), "--range-start", "21", "-o", str(out))
    rows = _read(out)
    assert rows[0]["series"] == "zero" and rows[0]["alarm"] == "NA"
    assert rows[0]["upperbound"] == "0.0"


def test_range_start_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _run("cusum", str(HERE / "input_agona.csv"))
    assert "--range-start" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "options", "message"), [
    ("t,a\n1,1\n2,-1\n", ["--range-start", "2"], "must be ≥ 0"),
    ("t,a\n1,1\n2,\n", ["--range-start", "2"], "missing count"),
    ("t,a\n1,1\n2,2\n", ["--range-start", "1"], "too early"),
])
def test_bad_input(tmp_path: Path, text: str, options: list[str], message: str) -> None:
    path = tmp_path / "in.csv"
    path.write_text(text)
    with pytest.raises(EpiInputError, match=message):
        _run("cusum", str(path), *options)
