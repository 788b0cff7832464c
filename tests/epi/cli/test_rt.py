"""`shouwang epi rt` against EpiEstim's estimate_R()$R, through the real argument parser."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shouwang.epi.cli import EpiInputError, add_subcommands
from shouwang.epi.cli.rt import read_si_distr
from shouwang.epi.rt import R_COLUMNS

REFERENCE = Path(__file__).resolve().parent.parent / "reference" / "rt"


def _run(*argv: str) -> None:
    parser = argparse.ArgumentParser(prog="shouwang epi")
    add_subcommands(parser)
    args = parser.parse_args(list(argv))
    args.run(args)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _values(rows: list[dict[str, str]]) -> np.ndarray:
    return np.array([[np.nan if r[c] == "NA" else float(r[c]) for c in R_COLUMNS] for r in rows])


def _reference(name: str) -> np.ndarray:
    with (REFERENCE / f"{name}_R.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    return _values(rows)


def _input(tmp_path: Path, name: str, header: str = "t,I") -> Path:
    """A fixture's incidence as a CLI input (the fixture files already have a time column)."""
    lines = (REFERENCE / f"{name}_incidence.csv").read_text().splitlines()
    path = tmp_path / f"{name}.csv"
    path.write_text("\n".join([header, *lines[1:]]) + "\n")
    return path


def test_help_lists_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _run("rt", "--help")
    text = " ".join(capsys.readouterr().out.split())
    for option in ("--si-mean", "--si-sd", "--si-distr", "--window", "--mean-prior",
                   "--std-prior", "--local-column", "--imported-column", "--t-start", "--t-end",
                   "--cv-posterior", "--si-sum-tolerance", "--output", "--columns"):
        assert option in text
    assert "(default: 7)" in text and "(default: 5.0)" in text


def test_parametric_matches_epiestim(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    _run("rt", str(_input(tmp_path, "flu2009_parametric")), "--si-mean", "2.6", "--si-sd", "1.5",
         "-o", str(out))
    rows = _rows(out)
    assert tuple(rows[0]) == R_COLUMNS
    np.testing.assert_allclose(_values(rows), _reference("flu2009_parametric"), rtol=1e-6)


def test_si_distr_file_and_na_windows_match_epiestim(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.csv"
    _run("rt", str(_input(tmp_path, "measles1861_nonparametric")),
         "--si-distr", str(REFERENCE / "measles1861_nonparametric_si.csv"), "-o", str(out))
    rows = _rows(out)
    assert rows[0]["Mean(R)"] == "NA"
    np.testing.assert_allclose(_values(rows), _reference("measles1861_nonparametric"), rtol=1e-6)
    assert "too early in the epidemic" in capsys.readouterr().err


def test_custom_windows_match_epiestim(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    starts = ",".join(str(t) for t in range(17, 43))
    ends = ",".join(str(t) for t in range(23, 49))
    _run("rt", str(_input(tmp_path, "measles1861_custom")),
         "--si-distr", str(REFERENCE / "measles1861_custom_si.csv"),
         "--t-start", starts, "--t-end", ends, "-o", str(out))
    np.testing.assert_allclose(_values(_rows(out)), _reference("measles1861_custom"), rtol=1e-6)


def test_local_and_imported_columns_match_epiestim(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    path = _input(tmp_path, "mers_local_imported", header="day,local,imported")
    _run("rt", str(path), "--local-column", "local", "--imported-column", "imported",
         "--si-mean", "6.8", "--si-sd", "4.1", "-o", str(out))
    np.testing.assert_allclose(_values(_rows(out)), _reference("mers_local_imported"), rtol=1e-6)


def test_several_series_lead_with_a_series_column(tmp_path: Path) -> None:
    lines = (REFERENCE / "flu2009_parametric_incidence.csv").read_text().splitlines()[1:]
    path = tmp_path / "two.csv"
    path.write_text("t,school,copy\n" + "\n".join(f"{line},{line.split(',')[1]}"
                                                  for line in lines) + "\n")
    out = tmp_path / "out.csv"
    _run("rt", str(path), "--si-mean", "2.6", "--si-sd", "1.5", "-o", str(out))
    rows = _rows(out)
    assert list(rows[0]) == ["series", *R_COLUMNS]
    assert {r["series"] for r in rows} == {"school", "copy"}
    expected = _reference("flu2009_parametric")
    for name in ("school", "copy"):
        got = _values([r for r in rows if r["series"] == name])
        np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_through_the_shouwang_command(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    call_command("epi", "rt", str(_input(tmp_path, "sars2003_parametric")), "--si-mean", "8.4",
                 "--si-sd", "3.8", "--output", str(out))
    np.testing.assert_allclose(_values(_rows(out)), _reference("sars2003_parametric"), rtol=1e-6)
    with pytest.raises(CommandError, match="fewer than one 7-day window"):
        short = tmp_path / "short.csv"
        short.write_text("t,x\n1,1\n2,2\n3,3\n")
        call_command("epi", "rt", str(short), "--si-mean", "2.6", "--si-sd", "1.5")


@pytest.mark.parametrize(("text", "extra", "message"), [
    ("t,x\n1,1\n2,\n3,3\n", [], "missing count"),
    ("t,x\n1,1\n2,-2\n3,3\n", [], "must be ≥ 0"),
    ("date,x\n2026-01-01,1\n2026-01-03,1\n", [], "gap of 1 day"),
    ("t,x\n" + "".join(f"{i},{i}\n" for i in range(1, 6)), [], "fewer than one 7-day window"),
    ("t,x\n" + "".join(f"{i},{i}\n" for i in range(1, 20)), ["--window", "30"],
     "fewer than one 30-day window"),
    ("t,x\n" + "".join(f"{i},{i}\n" for i in range(1, 20)), ["--t-start", "2,3"],
     "--t-start and --t-end together"),
    ("t,x\n" + "".join(f"{i},{i}\n" for i in range(1, 20)), ["--t-start", "1", "--t-end", "5"],
     "between 2 and"),
    ("t,x\n" + "".join(f"{i},{i}\n" for i in range(1, 20)), ["--local-column", "x"],
     "together"),
    ("t,x\n" + "".join(f"{i},{i}\n" for i in range(1, 20)), ["--mean-prior", "0"],
     "mean_prior must be > 0"),
])
def test_bad_input(tmp_path: Path, text: str, extra: list[str], message: str) -> None:
    path = tmp_path / "in.csv"
    path.write_text(text)
    with pytest.raises(EpiInputError, match=message):
        _run("rt", str(path), "--si-mean", "2.6", "--si-sd", "1.5", *extra)


@pytest.mark.parametrize(("si", "extra", "message"), [
    ("0\n0.5\n0.4\n", [], "must sum to 1"),
    ("0.1\n0.5\n0.4\n", [], "must start with 0"),
    ("p\n0\nx\n", [], "'x' is not a number"),
    ("day,p\n1,0\n2,1\n", [], "day column must read 0, 1, 2"),
    ("0\n1\n", ["--si-mean", "2.6"], "not both"),
])
def test_bad_serial_interval(tmp_path: Path, si: str, extra: list[str], message: str) -> None:
    path = tmp_path / "in.csv"
    path.write_text("t,x\n" + "".join(f"{i},{i}\n" for i in range(1, 20)))
    si_path = tmp_path / "si.csv"
    si_path.write_text(si)
    with pytest.raises(EpiInputError, match=message):
        _run("rt", str(path), "--si-distr", str(si_path), *extra)


def test_no_serial_interval_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("t,x\n" + "".join(f"{i},{i}\n" for i in range(1, 20)))
    with pytest.raises(EpiInputError, match="give the serial interval"):
        _run("rt", str(path))


@pytest.mark.parametrize("text", ["0\n0.25\n0.75\n", "p\n0\n0.25\n0.75\n",
                                  "day,p\n0,0\n1,0.25\n2,0.75\n", "0,0.25,0.75\n"])
def test_si_distr_file_shapes(tmp_path: Path, text: str) -> None:
    path = tmp_path / "si.csv"
    path.write_text(text)
    np.testing.assert_array_equal(read_si_distr(path), [0, 0.25, 0.75])
