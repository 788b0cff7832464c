"""The import's reader process: chunks made in a child are the chunks made in-process, and a
reader that fails leaves a resumable import, not a half-written one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from shouwang.surveillance.models import CaseReport, CaseStatus, ImportStatus
from shouwang.surveillance.services import import_pipeline, import_rows
from shouwang.surveillance.services.import_rows import Outcome, RowContext
from shouwang.surveillance.services.imports import (
    batch_sheet,
    clean_mapping,
    import_errors_file,
    import_run,
    import_upload,
)
from tests.surveillance.cases_data import officer
from tests.surveillance.test_imports import make_csv, person, row


@pytest.fixture(autouse=True)
def _small_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(import_rows, "CHUNK", 4)
    with override_settings(SHOUWANG_IMPORTS_DIR=str(tmp_path / "imports")):
        yield


@pytest.fixture
def wuchang(divisions: None) -> Any:
    return officer("420106")


def _rows() -> list[list[str]]:
    rows = [row(f"张{i}", person(i)) for i in range(9)]
    rows.append(row("张1", person(1), cls="suspected"))  # the same person: merged
    rows.append(rows[2])  # an exact repeat of a line: an error
    rows.append(row("李四", person(30), division="999999"))  # unknown division: an error
    rows.append(row("王五", ""))  # a resident ID is the default type: required
    return rows


def _summary(o: Outcome) -> tuple[Any, ...]:
    assert o.clean is None or not isinstance(o.clean.disease, str)
    return (o.line, o.status, o.key, o.id_hash, o.name_hash, o.phone_hash, o.error_text,
            o.duplicate_of, o.clean.disease.code if o.clean else None,
            o.clean.diagnosed_at if o.clean else None, len(o.params or []))


@pytest.mark.django_db
def test_chunks_from_the_child_are_the_chunks_made_here(wuchang: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    batch = import_upload(actor=wuchang, file_name="a.csv", content=make_csv(_rows()))
    sheet = batch_sheet(batch)
    mapping = clean_mapping(sheet.headers, batch.mapping, complete=True)

    def made(workers: int) -> list[list[tuple[Any, ...]]]:
        monkeypatch.setattr(import_pipeline, "WORKERS", workers)
        ctx = RowContext.for_batch(batch, sheet.headers, mapping, write=True)
        return [[_summary(o) for o in chunk] for chunk in import_pipeline.chunks(
            ctx, sheet, resume_line=0, total_rows=batch.total_rows)]

    here, child = made(0), made(1)
    assert [len(c) for c in here] == [4, 4, 4, 1]
    assert child == here
    statuses = [s[1] for c in here for s in c]
    assert statuses.count("error") == 3 and statuses.count("valid") == 10


@pytest.mark.django_db
def test_a_failing_reader_fails_the_import_and_a_rerun_finishes_it(
        wuchang: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    batch = import_upload(actor=wuchang, file_name="a.csv", content=make_csv(_rows()))
    made = import_pipeline._made
    calls: list[int] = []

    def breaks_on_the_third(ctx: RowContext, rows: list[tuple[int, list[str]]]) -> Any:
        calls.append(1)  # counted in the child: the parent's list stays empty
        if rows[0][0] > 8:
            raise ValueError("disk went away")
        return made(ctx, rows)

    monkeypatch.setattr(import_pipeline, "_made", breaks_on_the_third)
    with pytest.raises(RuntimeError, match="disk went away"):
        import_run(batch=batch)
    assert calls == []  # the chunks were made in the child
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED and batch.resume_line == 9
    assert CaseReport.objects.count() == 8  # two whole chunks, nothing of the third

    monkeypatch.setattr(import_pipeline, "_made", made)
    batch = import_run(batch=batch)
    assert batch.status == ImportStatus.DONE
    assert (batch.imported_rows, batch.duplicate_rows, batch.error_rows) == (9, 1, 3)
    assert CaseReport.objects.filter(status=CaseStatus.ACTIVE).count() == 9
    errors = import_errors_file(batch)
    assert errors is not None
    text = errors.read_text(encoding="utf-8-sig")
    assert "与第 4 行完全相同" in text and "same as line 4" in text.lower()
