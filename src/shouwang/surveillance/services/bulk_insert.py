"""INSERT many rows of one model with one executemany, without a model instance per row.

The bulk import's writer (services/import_write.py) and its row preparation, which may run in a
separate process (services/import_pipeline.py), share it: values are prepared into parameter
lists first (`params`), so the heavy part — encryption, keyed hashes, date adapters — can happen
anywhere, and inserted later (`insert_params`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.db import connection, models

from shouwang.core import crypto
from shouwang.core.fields import EncryptedTextField, LookupHashField

Converter = Callable[[dict[str, Any]], Any]


class Inserter:
    """INSERT rows of one model from dicts of attribute values.

    Each column's value is prepared as `bulk_create` would prepare it (the same field methods:
    an encrypted field's get_prep_value seals it for its column, a lookup hash is the keyed
    hash of its source field's value as LookupHashField.pre_save computes it, dates and times
    through the backend's adapters), without building a model instance per row, which alone
    cost more than the whole per-row budget. Ids are not returned (SQLite cannot with
    executemany); the caller reads them back by a unique key.
    """

    def __init__(self, model: type[models.Model]) -> None:
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.defaults = {f.attname: f.get_default() for f in self.fields}
        qn = connection.ops.quote_name
        columns = ", ".join(qn(str(f.column)) for f in self.fields)
        self.table = str(model._meta.db_table)
        self.sql = (f"INSERT INTO {qn(self.table)} ({columns}) "  # noqa: S608
                    f"VALUES ({', '.join(['%s'] * len(self.fields))})")
        self.copy_sql = f"COPY {qn(self.table)} ({columns}) FROM STDIN"
        self.converters = [self._converter(f) for f in self.fields]
        self._positions = {f.attname: i for i, f in enumerate(self.fields)}

    @staticmethod
    def _converter(f: Any) -> Converter:
        ops = connection.ops
        name = f.attname
        if isinstance(f, LookupHashField):
            source = f.source_field()
            assert source is not None
            src, kind = source.attname, source.lookup_kind

            def hashed(r: dict[str, Any]) -> Any:
                # A caller may have computed it already (the ID hash, for the dedup).
                if r[name] is None and r[src]:
                    r[name] = crypto.keyed_hash(r[src], kind)
                return r[name]
            return hashed
        if isinstance(f, EncryptedTextField):
            return lambda r: f.get_prep_value(r[name])
        if isinstance(f, models.DateTimeField):
            return _sqlite_datetime(name) or (lambda r: ops.adapt_datetimefield_value(r[name]))
        if isinstance(f, models.DateField):
            return lambda r: ops.adapt_datefield_value(r[name])
        if isinstance(f, models.JSONField):
            return lambda r: f.get_db_prep_save(r[name], connection)
        return lambda r: r[name]

    def position(self, attname: str) -> int:
        """Where the column of `attname` sits in a parameter list."""
        return self._positions[attname]

    def adapt(self, attname: str, value: Any) -> Any:
        """One value as its column stores it (for patching a prepared parameter list)."""
        return self.converters[self._positions[attname]]({attname: value})

    def params(self, row: dict[str, Any]) -> list[Any]:
        return [convert(row) for convert in self.converters]

    def insert_params(self, params: Sequence[Sequence[Any]]) -> None:
        if not params:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # COPY: measured 29 µs a report against 115 µs for executemany (pipelined
                # INSERTs) and 218 µs for multi-row INSERT … RETURNING (bench/bench_import.py).
                # The raw COPY bypasses Django's cursor wrapper: wrap its errors so a unique
                # violation is an IntegrityError here too, as it is from executemany.
                with connection.wrap_database_errors, \
                        cursor.cursor.copy(self.copy_sql) as copy:
                    for values in params:
                        copy.write_row(values)
            else:
                cursor.executemany(self.sql, params)

    def insert(self, rows: Sequence[dict[str, Any]]) -> None:
        self.insert_params([self.params(r) for r in rows])

    def insert_returning(self, params: Sequence[Sequence[Any]], returning: str
                         ) -> list[tuple[Any, ...]]:
        """Insert, then read back (id, <returning>) of every row by that unique column, 500
        at a time: cheaper than RETURNING from a multi-row INSERT on both databases, and it
        works with executemany and COPY. The caller matches the pairs on the column."""
        self.insert_params(params)
        qn = connection.ops.quote_name
        at = self.position(returning)
        keys = [values[at] for values in params]
        sql = (f"SELECT {qn('id')}, {qn(returning)} FROM {qn(self.table)} "  # noqa: S608
               f"WHERE {qn(returning)} IN ({{values}})")
        out: list[tuple[Any, ...]] = []
        for start in range(0, len(keys), 500):
            out.extend(select_in(sql, keys[start:start + 500]))
        return out


def _sqlite_datetime(name: str) -> Converter | None:
    """SQLite's adapt_datetimefield_value for aware values, without its per-call settings
    lookups (a third of an import row's adapting time): the text of the moment in the
    connection's zone, naive. None where that shortcut does not hold."""
    if connection.vendor != "sqlite" or not settings.USE_TZ:
        return None
    zone = connection.timezone

    def adapt(r: dict[str, Any]) -> Any:
        value = r[name]
        if value is None or value.utcoffset() is None:
            return None if value is None else str(value)
        return str(value.astimezone(zone).replace(tzinfo=None))
    return adapt


def in_list(values: Sequence[Any] | set[Any]) -> str:
    """The placeholders of an IN list of `values`."""
    return ", ".join(["%s"] * len(values))


def select_in(sql: str, values: Sequence[Any], *params: Any) -> list[tuple[Any, ...]]:
    """Run `sql` whose "{values}" is an IN list of `values` (the other placeholders take
    `params`, after them). Raw, because the ORM prepares each of the hundreds of values of an
    IN list one by one, which cost an import more than the query itself."""
    if not values:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql.format(values=in_list(values)), [*values, *params])
        return list(cursor.fetchall())


def aware(value: Any) -> datetime:
    """A (not null) datetime column read with select_in, as the ORM would return it (aware,
    UTC): SQLite hands back the stored text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def day(value: Any) -> date | None:
    """A date column read with select_in (SQLite hands back the stored text)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


# For the length of a bulk import on SQLite: a page cache that holds the hot index pages of a
# table of millions of reports (the default 64 MB held a tenth of them), and a checkpoint every
# ~100 MB of WAL instead of every 4 MB, so an index page rewritten by many chunks is copied back
# to the database once, not once per chunk (the commits took a quarter of a 1M-row import).
SQLITE_BULK_PRAGMAS = {"cache_size": -262_144, "wal_autocheckpoint": 25_000}


@contextmanager
def bulk_session() -> Iterator[None]:
    """Connection settings for a long bulk write, restored afterwards (SQLite only)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        before = {}
        for name, value in SQLITE_BULK_PRAGMAS.items():
            cursor.execute(f"PRAGMA {name}")
            before[name] = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA {name} = {int(value)}")
    try:
        yield
    finally:
        if connection.connection is not None:
            with connection.cursor() as cursor:
                for name, value in before.items():
                    cursor.execute(f"PRAGMA {name} = {int(value)}")


_INSERTERS: dict[tuple[str, str], Inserter] = {}


def inserter(model: type[models.Model]) -> Inserter:
    key = (connection.vendor, model._meta.label)
    if key not in _INSERTERS:
        _INSERTERS[key] = Inserter(model)
    return _INSERTERS[key]
