"""The chunks of an import, read, assessed and prepared ahead of the writer.

Per row, most of the cost needs no database: parsing, validation, keyed hashes, encryption,
adapters, the English error messages (import_rows.assess and prepare). So, for files of more than
one chunk, a forked child process does that part and hands finished chunks to this process
through a queue of two, while this process resolves and writes the previous chunk (one
transaction each, as before). On two cores that roughly halves the wall-clock time.

The child never touches the database connection it inherits and leaves with os._exit (what
multiprocessing's fork start does), so the parent's session is not disturbed. If this process
is killed, the child notices that its parent changed and exits. A child that fails sends its
traceback and the import fails (and can be resumed); one that dies silently is noticed within a
second. Where no child can be started (a daemonic Celery worker process may not have children),
the chunks are made in this process.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import queue
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from shouwang.surveillance.services import import_rows
from shouwang.surveillance.services.import_io import Sheet, row_values
from shouwang.surveillance.services.import_rows import (
    Outcome,
    RowContext,
    assess,
    prepare,
    source_key,
)

logger = logging.getLogger(__name__)

WORKERS = int(os.environ.get("SHOUWANG_IMPORT_WORKERS", "1"))
POLL_SECONDS = 1.0


@contextmanager
def few_collections() -> Iterator[None]:
    """Run the young-generation collector 50 times less often while importing: every chunk
    creates (and unpickles) hundreds of thousands of small objects, none of them cyclic, and
    with the default threshold the collector alone took two thirds of unpickling a chunk."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], 35_000), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def chunks(ctx: RowContext, sheet: Sheet, *, resume_line: int, total_rows: int
           ) -> Iterator[list[Outcome]]:
    """The assessed and prepared chunks after `resume_line`, in file order."""
    size = import_rows.CHUNK
    if WORKERS > 0 and total_rows > size:
        try:
            yield from _from_child(ctx, sheet, resume_line, size)
            return
        except _NoChild as why:
            logger.info("import: chunks made in this process (%s)", why)
    yield from _produce(ctx, sheet, resume_line, chunk_size=size)


def _produce(ctx: RowContext, sheet: Sheet, resume_line: int, *, chunk_size: int
             ) -> Iterator[list[Outcome]]:
    if resume_line > 0:
        # Lines already committed: only their keys, so a later exact repeat is still an error.
        for line, cells in sheet.rows():
            if line > resume_line:
                break
            values = row_values(sheet.headers, cells, ctx.mapping)
            ctx.seen_keys.setdefault(source_key(ctx.batch.division_code, values), line)
    chunk: list[tuple[int, list[str]]] = []
    for item in sheet.rows(resume_line):
        chunk.append(item)
        if len(chunk) >= chunk_size:
            yield _made(ctx, chunk)
            chunk = []
    if chunk:
        yield _made(ctx, chunk)


def _made(ctx: RowContext, rows: list[tuple[int, list[str]]]) -> list[Outcome]:
    outcomes = assess(ctx, rows)
    prepare(ctx, outcomes)
    return outcomes


# --- the child process ---------------------------------------------------------------------------


class _NoChild(Exception):
    pass


def _pack(outcomes: list[Outcome]) -> list[Outcome]:
    """Make a chunk cheap to send: what the writer needs, nothing it has already."""
    for o in outcomes:
        o.values = {}
        o.errors = {}  # lazy messages; the errors file uses o.error_text
        if o.status != "error":
            o.cells = []
        if o.clean is not None:
            # The Disease row travels as its code; the writer has every disease loaded.
            o.clean.disease = o.clean.disease.code  # type: ignore[assignment]
    return outcomes


def _unpack(ctx: RowContext, outcomes: list[Outcome]) -> list[Outcome]:
    for o in outcomes:
        if o.clean is not None:
            o.clean.disease = ctx.diseases[o.clean.disease]  # type: ignore[index]
    return outcomes


def _send(channel: Any, item: tuple[str, Any], parent: int) -> None:
    while True:
        try:
            channel.put(item, timeout=POLL_SECONDS)
            return
        except queue.Full:
            if os.getppid() != parent:  # the writer is gone (killed): nobody will read this
                os._exit(0)


def _child(ctx: RowContext, sheet: Sheet, resume_line: int, size: int, channel: Any,
           parent: int) -> None:
    try:
        for outcomes in _produce(ctx, sheet, resume_line, chunk_size=size):
            _send(channel, ("chunk", _pack(outcomes)), parent)
        _send(channel, ("done", None), parent)
    except BaseException:
        _send(channel, ("error", traceback.format_exc()), parent)


def _from_child(ctx: RowContext, sheet: Sheet, resume_line: int, size: int
                ) -> Iterator[list[Outcome]]:
    forking = multiprocessing.get_context("fork")
    channel = forking.Queue(maxsize=2)
    child = forking.Process(target=_child, name="shouwang-import-reader", daemon=True,
                            args=(ctx, sheet, resume_line, size, channel, os.getpid()))
    try:
        child.start()
    except (AssertionError, OSError) as error:  # daemonic parent, or no process left
        channel.close()
        raise _NoChild(str(error) or type(error).__name__) from error
    try:
        while True:
            try:
                kind, payload = channel.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if child.is_alive():
                    continue
                try:  # anything it sent just before it ended
                    kind, payload = channel.get(timeout=POLL_SECONDS)
                except queue.Empty:
                    raise RuntimeError(
                        f"the import's reader process ended unexpectedly "
                        f"(exit code {child.exitcode})") from None
            if kind == "chunk":
                yield _unpack(ctx, payload)
            elif kind == "done":
                return
            else:
                raise RuntimeError(f"the import's reader process failed:\n{payload}")
    finally:
        if child.is_alive():
            child.terminate()
        child.join(timeout=5)
        channel.cancel_join_thread()
        channel.close()
