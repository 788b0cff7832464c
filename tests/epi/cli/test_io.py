from pathlib import Path

import numpy as np
import pytest

from shouwang.epi.cli.io import EpiInputError, read_series, write_rows


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_dates_and_several_series(tmp_path: Path) -> None:
    table = read_series(_csv(tmp_path, "date,a,b\n2026-01-01,1,2\n2026-01-02,3,4\n"))
    assert table.names == ["a", "b"]
    assert table.dates is not None and len(table.dates) == 2
    np.testing.assert_array_equal(table.counts, [[1, 3], [2, 4]])


def test_integer_time_steps_have_no_dates(tmp_path: Path) -> None:
    table = read_series(_csv(tmp_path, "t,x\n1,5\n2,6\n"))
    assert table.dates is None and table.times == ["1", "2"]


@pytest.mark.parametrize(("text", "message"), [
    ("date,a\n2026-01-01,-1\n", "must be ≥ 0"),
    ("date,a\n2026-01-01,\n", "missing count"),
    ("date,a\n2026-01-01,x\n", "not a number"),
    ("date,a\n2026-01-01,1\n2026-01-03,1\n", "gap of 1 day"),
    ("date,a\n2026-01-02,1\n2026-01-01,1\n", "does not follow"),
    ("date\n2026-01-01\n", "no count columns"),
])
def test_bad_input_names_row_and_column(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(EpiInputError, match=message):
        read_series(_csv(tmp_path, text))


def test_missing_allowed_reads_nan(tmp_path: Path) -> None:
    table = read_series(_csv(tmp_path, "t,a\n1,\n2,3\n"), allow_missing=True)
    assert np.isnan(table.counts[0, 0]) and table.counts[0, 1] == 3


def test_write_rows_keeps_precision_and_r_booleans(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    write_rows(out, ["t", "x", "alarm"], [(1, 1 / 3, True), (2, float("nan"), False)])
    assert out.read_text() == "t,x,alarm\n1,0.3333333333333333,TRUE\n2,NA,FALSE\n"
