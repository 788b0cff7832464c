"""`shouwang tracing analyze` (= `shouwang epi chains`): chain statistics of a line list as JSON,
without the database; bad files are errors that name the row, column and id."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

LINE_LIST = """case_id,infector,onset,note
A,,2026-01-01,imported
B,A,2026-01-05,
C,A,2026-01-06,
D,B,2026-01-09,
E,B,2026-01-10,
F,B,2026-01-11,
G,,2026-01-08,unknown source
"""


def _analyze(tmp_path: Path, text: str, *extra: str) -> dict[str, object]:
    path = tmp_path / "line_list.csv"
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    call_command("tracing", "analyze", str(path), "--id-column", "case_id",
                 "--infector-column", "infector", *extra, stdout=out)
    target = tmp_path / "out.json"
    call_command("tracing", "analyze", str(path), "--id-column", "case_id",
                 "--infector-column", "infector", *extra, "--output", str(target))
    return json.loads(target.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_statistics_of_a_line_list(tmp_path: Path) -> None:
    got = _analyze(tmp_path, LINE_LIST, "--onset-column", "onset")
    assert (got["cases"], got["links"], got["roots"]) == (7, 5, 2)
    assert got["chains"] == {"count": 2, "size_distribution": {"1": 1, "6": 1},
                             "largest": [{"root": "A", "size": 6}, {"root": "G", "size": 1}]}
    assert got["generations"] == {"max": 2, "distribution": {"0": 2, "1": 2, "2": 3}}
    offspring = got["offspring"]
    assert isinstance(offspring, dict)
    assert offspring["mean_r"] == pytest.approx(5 / 7)
    assert offspring["distribution"] == {"0": 5, "2": 1, "3": 1}
    assert 0 < offspring["k"] < 1   # two spreaders, five dead ends: over-dispersed
    assert offspring["share_of_cases_causing_80_percent"] == pytest.approx(2 / 7)
    assert got["largest_spreaders"] == [{"id": "B", "infectees": 3}, {"id": "A", "infectees": 2}]
    assert got["superspreading"]["threshold"] == 3   # type: ignore[index]
    serial = got["serial_interval"]
    assert isinstance(serial, dict)
    assert serial["pairs"] == 5 and serial["mean"] == pytest.approx((4 + 5 + 4 + 5 + 6) / 5)


def test_without_onsets_there_is_no_serial_interval(tmp_path: Path) -> None:
    got = _analyze(tmp_path, LINE_LIST)
    assert "serial_interval" not in got and got["links"] == 5


def test_a_cycle_is_an_error_that_names_it(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"infector links form a cycle: 'A' → 'F' → 'B' → 'A'"):
        _analyze(tmp_path, LINE_LIST.replace("A,,2026-01-01", "A,F,2026-01-01"))


@pytest.mark.parametrize(("text", "message"), [
    (LINE_LIST.replace("D,B,2026-01-09", "D,B,2026-01-02"),
     r"case 'D': onset 2026-01-02 precedes its infector 'B''s onset 2026-01-05"),
    (LINE_LIST.replace("C,A,", "C,Z,"), r"row 4, column 'infector': infector 'Z' is not an id"),
    (LINE_LIST.replace("C,A,", "B,A,"), r"row 4, column 'case_id': id 'B' repeats row 3"),
    (LINE_LIST.replace("2026-01-06", "6 Jan"), r"row 4, column 'onset': '6 Jan' is neither"),
    ("case_id,source\nA,\n", r"no column 'infector'"),
])
def test_bad_files_say_where(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        _analyze(tmp_path, text, "--onset-column", "onset")


def test_help_documents_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        call_command("tracing", "analyze", "--help")
    text = capsys.readouterr().out
    for option in ("--id-column", "--infector-column", "--onset-column", "--max-onset-lead",
                   "--output"):
        assert option in text


def test_graphml_export_of_the_chains(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    target = tmp_path / "chains.graphml"
    _analyze(tmp_path, LINE_LIST, "--onset-column", "onset", "--graphml", str(target))
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    root = ET.parse(target).getroot()
    keys = {k.get("id"): k.get("attr.type") for k in root.findall("g:key", ns)}
    assert keys == {"chain_root": "string", "generation": "int", "infectees": "int",
                    "onset": "string"}
    graph = root.find("g:graph", ns)
    assert graph is not None and graph.get("edgedefault") == "directed"
    nodes = {n.get("id"): {d.get("key"): d.text for d in n.findall("g:data", ns)}
             for n in graph.findall("g:node", ns)}
    assert list(nodes) == ["A", "B", "C", "D", "E", "F", "G"]
    assert nodes["D"] == {"chain_root": "A", "generation": "2", "infectees": "0",
                          "onset": "2026-01-09"}
    edges = [(e.get("source"), e.get("target")) for e in graph.findall("g:edge", ns)]
    assert edges == [("A", "B"), ("A", "C"), ("B", "D"), ("B", "E"), ("B", "F")]


def test_offspring_until_leaves_out_cases_still_infectious(tmp_path: Path) -> None:
    got = _analyze(tmp_path, LINE_LIST, "--onset-column", "onset",
                   "--offspring-until", "2026-01-06")
    offspring = got["offspring"]
    assert isinstance(offspring, dict)
    # A, B and C fell ill by 6 January: 2 + 3 + 0 infectees.
    assert offspring["cases_fitted"] == 3 and offspring["mean_r"] == pytest.approx(5 / 3)
    assert offspring["fitted_until"] == "2026-01-06"
    with pytest.raises(CommandError, match="--offspring-until needs --onset-column"):
        _analyze(tmp_path, LINE_LIST, "--offspring-until", "2026-01-06")
    with pytest.raises(CommandError, match="'soon' is neither a date"):
        _analyze(tmp_path, LINE_LIST, "--onset-column", "onset", "--offspring-until", "soon")
