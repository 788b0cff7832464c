"""`shouwang epi scan`: long and wide input, the locations file, the output columns, bad input."""

from __future__ import annotations

import argparse
import csv
import io
import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shouwang.epi.cli import add_subcommands
from shouwang.epi.cli.io import EpiInputError
from shouwang.epi.scan import ScanOptions, nearest_neighbours, space_time_permutation_scan

HEADER = ("cluster,centre,locations,radius_km,start,end,observed,expected,ratio,llr,p_value")
FIRST = date(2026, 3, 1)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="epi")
    add_subcommands(parser)
    return parser


def _run(*argv: str) -> None:
    args = _parser().parse_args(["scan", *argv])
    args.run(args)


def _data() -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], set[str]]:
    rng = np.random.default_rng(4)
    n, days = 40, 21
    lon, lat = rng.uniform(100, 103, n), rng.uniform(25, 27, n)
    counts = rng.poisson(1.0, (n, days))
    nbr, _ = nearest_neighbours(lon, lat, 4)
    counts[nbr[9], -3:] += 5
    names = [f"44{i:04d}" for i in range(n)]
    return counts, lon, lat, names, {names[i] for i in nbr[9]}


def _write(tmp_path: Path, counts: np.ndarray, lon: np.ndarray, lat: np.ndarray,
           names: list[str]) -> tuple[Path, Path, Path]:
    locations = tmp_path / "locations.csv"
    locations.write_text("location,lon,lat\n" + "".join(
        f"{n},{float(x)!r},{float(y)!r}\n" for n, x, y in zip(names, lon, lat, strict=True)))
    long = tmp_path / "long.csv"
    with long.open("w") as handle:
        handle.write("date,location,count\n")
        for i, name in enumerate(names):
            for t in range(counts.shape[1]):
                if counts[i, t]:  # zero rows left out
                    handle.write(f"{FIRST + timedelta(days=t)},{name},{counts[i, t]}\n")
    wide = tmp_path / "wide.csv"
    with wide.open("w") as handle:
        handle.write("date," + ",".join(names) + "\n")
        for t in range(counts.shape[1]):
            row = ",".join(str(v) for v in counts[:, t])
            handle.write(f"{FIRST + timedelta(days=t)},{row}\n")
    return locations, long, wide


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open()))


def test_long_input_finds_the_planted_cluster_and_matches_the_library(tmp_path: Path) -> None:
    counts, lon, lat, names, planted = _data()
    locations, long, _ = _write(tmp_path, counts, lon, lat, names)
    out = tmp_path / "out.csv"
    _run(str(long), "--locations", str(locations), "--replicates", "99", "-o", str(out))
    assert out.read_text().splitlines()[0] == HEADER
    rows = _rows(out)
    top = rows[0]
    assert top["cluster"] == "1" and top["centre"] in planted
    assert len(set(top["locations"].split(";")) & planted) >= 3
    assert top["end"] == str(FIRST + timedelta(days=20)) and float(top["p_value"]) == 0.01
    expect = space_time_permutation_scan(counts, lon, lat, ScanOptions(replicates=99))
    assert len(rows) == len(expect.clusters)
    for row, cluster in zip(rows, expect.clusters, strict=True):
        assert row["locations"] == ";".join(names[i] for i in cluster.locations)
        assert row["start"] == str(FIRST + timedelta(days=cluster.start_day))
        assert int(row["observed"]) == cluster.observed
        assert float(row["llr"]) == cluster.llr and float(row["p_value"]) == cluster.p_value
        assert float(row["expected"]) == cluster.expected
        assert float(row["radius_km"]) == cluster.radius_km


def test_wide_input_gives_the_same_clusters(tmp_path: Path) -> None:
    counts, lon, lat, names, _ = _data()
    locations, long, wide = _write(tmp_path, counts, lon, lat, names)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for source, out in ((long, a), (wide, b)):
        _run(str(source), "--locations", str(locations), "--replicates", "19", "--max-days", "7",
             "--max-locations", "5", "-o", str(out))
    assert a.read_text() == b.read_text()


def test_alpha_replicates_zero_and_clamping(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    counts, lon, lat, names, _ = _data()
    locations, long, _ = _write(tmp_path, counts, lon, lat, names)
    out = tmp_path / "out.csv"
    _run(str(long), "--locations", str(locations), "--replicates", "99", "--alpha", "0.05",
         "-o", str(out))
    assert all(float(r["p_value"]) <= 0.05 for r in _rows(out)) and _rows(out)
    _run(str(long), "--locations", str(locations), "--replicates", "0", "--max-days", "60",
         "--max-locations", "100", "-o", str(out))
    assert all(r["p_value"] == "NA" for r in _rows(out))
    err = capsys.readouterr().err
    assert "max-days clamped to 21" in err and "max-locations clamped to 40" in err


def test_locations_without_counts_are_on_the_map_with_zero_cases(tmp_path: Path) -> None:
    locations = tmp_path / "locations.csv"
    locations.write_text("location,lon,lat\na,100.0,30.0\nb,100.1,30.0\nc,100.2,30.0\n")
    long = tmp_path / "long.csv"
    long.write_text("date,location,count\n2026-01-01,a,1\n2026-01-03,a,4\n2026-01-01,b,2\n")
    out = tmp_path / "out.csv"
    _run(str(long), "--locations", str(locations), "--replicates", "0", "-o", str(out))
    [row] = _rows(out)
    # a: 5 cases, 4 of them on the last day (the missing day 2 holds zero cases); C = 7.
    assert (row["centre"], row["locations"], row["start"], row["end"]) == (
        "a", "a", "2026-01-03", "2026-01-03")
    assert float(row["expected"]) == pytest.approx(5 * 4 / 7)
    assert float(row["llr"]) == pytest.approx(4 * math.log(4 / (20 / 7))
                                              + 3 * math.log(3 / (7 - 20 / 7)))


def test_all_zero_counts_write_the_header_only(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    locations = tmp_path / "locations.csv"
    locations.write_text("location,lon,lat\na,100.0,30.0\nb,100.1,30.0\n")
    wide = tmp_path / "wide.csv"
    wide.write_text("t,a,b\n1,0,0\n2,0,0\n")
    _run(str(wide), "--locations", str(locations))
    captured = capsys.readouterr()
    assert captured.out == HEADER + "\n"
    assert "no cluster: 0 case(s)" in captured.err


@pytest.mark.parametrize(("counts", "locations", "message"), [
    ("date,location,count\n2026-01-01,a,-1\n", None, "row 2, column 'count': count -1 must be"),
    ("date,location,count\n2026-01-01,a,\n", None, "row 2, column 'count': missing count"),
    ("date,location,count\n2026-01-01,a,1.5\n", None, "not a whole number"),
    ("date,location,count\n2026-01-01,a,1\n2026-01-01,a,2\n", None, "a second row for 'a'"),
    ("date,location,count\n2026-01-01,z,1\n", None, "coordinates missing for location 'z'"),
    ("date,location,count\nmonday,a,1\n", None, "ISO dates or integer time steps"),
    ("date,a,b\n2026-01-01,1,\n", None, "missing count"),
    ("date,a,b\n2026-01-01,1,-2\n", None, "must be ≥ 0"),
    ("date,location,count\n2026-01-01,a,1\n", "location,lon,lat\na,100,\n",
     "row 2, column 'lat': coordinates missing for location 'a'"),
    ("date,location,count\n2026-01-01,a,1\n", "location,lon,lat\na,100,30\na,101,30\n",
     "listed twice"),
    ("date,location,count\n2026-01-01,a,1\n", "location,x,y\na,100,30\n", "no column 'lon'"),
    ("date,location,count\n2026-01-01,a,1\n", "location,lon,lat\na,100,130\n", "not degrees"),
])
def test_bad_input(tmp_path: Path, counts: str, locations: str | None, message: str) -> None:
    source = tmp_path / "in.csv"
    source.write_text(counts)
    places = tmp_path / "locations.csv"
    places.write_text(locations or "location,lon,lat\na,100,30\nb,101,30\n")
    with pytest.raises(EpiInputError, match=message):
        _run(str(source), "--locations", str(places))


def test_bad_option_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(EpiInputError, match="max_days must be"):
        _run("in.csv", "--locations", "l.csv", "--max-days", "0")


def test_help_lists_every_option_with_its_default() -> None:
    sub = _parser()._subparsers._group_actions[0].choices["scan"]  # type: ignore[union-attr]
    text = " ".join(sub.format_help().split("options:", 1)[1].split())  # unwrap the lines
    for option, default in (("--locations", None), ("--max-locations", "30"),
                            ("--max-days", "14"), ("--replicates", "999"), ("--seed", "1"),
                            ("--alpha", "1.0"), ("--min-cases", "2")):
        assert option in text
        if default:
            assert f"(default: {default})" in text.split(option, 1)[1].split("--", 1)[0]


def test_through_the_management_command(tmp_path: Path) -> None:
    counts, lon, lat, names, planted = _data()
    locations, _, wide = _write(tmp_path, counts, lon, lat, names)
    out = tmp_path / "out.csv"
    call_command("epi", "scan", str(wide), "--locations", str(locations), "--replicates", "9",
                 "-o", str(out))
    assert _rows(out)[0]["centre"] in planted
    partial = tmp_path / "partial.csv"
    partial.write_text("".join(locations.read_text().splitlines(keepends=True)[:-1]))
    with pytest.raises(CommandError, match=f"coordinates missing for location '{names[-1]}'"):
        call_command("epi", "scan", str(wide), "--locations", str(partial), "--replicates", "9",
                     stdout=io.StringIO())


REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "scan"


def test_seeded_snapshot_is_unchanged(tmp_path: Path) -> None:
    """Our own output on committed inputs (make_snapshot.py): a refactor must not move it. The
    p-values depend on numpy's random streams, so a numpy release that changes Generator.choice
    would show here too (say so in the commit that regenerates the snapshot)."""
    out = tmp_path / "out.csv"
    _run(str(REFERENCE / "counts.csv"), "--locations", str(REFERENCE / "locations.csv"),
         "--replicates", "99", "--seed", "7", "--max-locations", "10", "--max-days", "7",
         "-o", str(out))
    got, expect = _rows(out), _rows(REFERENCE / "clusters.csv")
    assert len(got) == len(expect) > 1
    for a, b in zip(got, expect, strict=True):
        for column in ("cluster", "centre", "locations", "start", "end", "observed", "p_value"):
            assert a[column] == b[column], column
        for column in ("radius_km", "expected", "ratio", "llr"):
            assert float(a[column]) == pytest.approx(float(b[column]), rel=1e-9, abs=1e-12)
