"""Synthetic case reports for the benchmarks, loaded without the ORM.

Rows are realistic where a query or a page could notice: every report names a person from a pool
of synthetic people (a valid GB 11643 resident ID of the person's county, a name, a mobile number,
an address), whose personal fields are encrypted with the project's own `crypto.encrypt` for the
column they go in and carry their keyed lookup hashes, so the list pages and the detail decrypt
them as they would real data. Diseases, classifications, statuses (revoked with a reason, merged
into an earlier report), severities, occupations and the onset → diagnosis → report delays follow
simple fixed distributions from a seeded generator.

People are drawn from a pool (BENCH_PERSONS, 500,000 by default) rather than made one per report:
encrypting three fields costs ~30 µs, and a pool keeps generation at a few minutes for 5,000,000
reports. A person therefore appears in several reports (diseases, a year apart); no benchmark runs
deduplication over these rows.

Loading: COPY FROM STDIN on PostgreSQL (psycopg's `copy.write_row`), executemany on SQLite, in
transactions of BATCH rows, with explicit ids so a merged report can point at an earlier one.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from django.db import connection, transaction

BATCH = 100_000
PERSONS = int(os.environ.get("BENCH_PERSONS", "500000"))
CLASSES = ["confirmed", "clinical", "suspected", "asymptomatic"]
CLASS_P = [0.55, 0.15, 0.2, 0.1]
SEVERITIES = ["mild", "moderate", "severe", "critical", ""]
SEVERITY_P = [0.6, 0.25, 0.06, 0.02, 0.07]
OCCUPATIONS = ["farmer", "worker", "student", "retired", "cadre", "commerce", "healthcare",
               "unemployed", "scattered_child", "other"]
FACILITY_KINDS = ["人民医院", "中医医院", "妇幼保健院", "第二人民医院", "疾病预防控制中心"]
REVOKE_REASONS = ["重复录入", "诊断排除", "报告单位填报错误"]

COLUMNS = [
    "id", "name", "name_hash", "id_type", "id_number", "id_number_hash", "phone", "phone_hash",
    "sex", "birth_date", "disease_id", "classification", "age_years", "division_code",
    "address_detail", "occupation", "onset_date", "diagnosed_at", "reported_at",
    "reporting_facility", "reporting_division_code", "severity", "outcome", "imported",
    "origin_division_code", "origin_country", "report_deadline_at", "verification_due_at",
    "status", "revoked_reason", "merged_into_id", "version", "created_by_id", "created_at",
    "updated_at",
]


class People:
    """A pool of synthetic people: plain attributes plus encrypted fields and lookup hashes."""

    def __init__(self, n: int, codes: Sequence[str], weights: Sequence[float] | None,
                 rng: np.random.Generator) -> None:
        from shouwang.core import crypto
        from shouwang.core.validators import MOBILE_PREFIXES, resident_id_check_char
        from shouwang.surveillance.demo import GIVEN_CHARS, STREETS, SURNAMES
        from shouwang.surveillance.models import CaseReport

        def ctx(field: str) -> str:
            return CaseReport._meta.get_field(field).context  # type: ignore[attr-defined,no-any-return]

        p = None if weights is None else np.asarray(weights, dtype=float) / np.sum(weights)
        self.county = np.asarray(codes, dtype=object)[rng.choice(len(codes), n, p=p)]
        self.sex = np.where(rng.random(n) < 0.5, "M", "F").astype(object)
        # Ages 0–89 at the start of the period, as a population pyramid would give roughly.
        age_days = (rng.beta(2.0, 2.6, n) * 90 * 365.25).astype(np.int64)
        birth = np.datetime64("2025-12-01") - age_days.astype("timedelta64[D]")
        self.birth = birth.astype(object)  # datetime.date
        prefixes = sorted(MOBILE_PREFIXES)
        names, ids, phones, addresses = [], [], [], []
        sur = rng.integers(0, len(SURNAMES), n)
        g1 = rng.integers(0, len(GIVEN_CHARS), n)
        g2 = rng.integers(0, len(GIVEN_CHARS), n)
        one_char = rng.random(n) < 0.3
        seq = rng.integers(0, 500, n)
        mob = rng.integers(0, len(prefixes), n)
        mob_rest = rng.integers(0, 10**8, n)
        street = rng.integers(0, len(STREETS), n)
        house = rng.integers(1, 400, n)
        for i in range(n):
            names.append(SURNAMES[sur[i]] + GIVEN_CHARS[g1[i]]
                         + ("" if one_char[i] else GIVEN_CHARS[g2[i]]))
            b: date = self.birth[i]
            first17 = f"{self.county[i]}{b:%Y%m%d}{seq[i] * 2 + (self.sex[i] == 'M'):03d}"
            ids.append(first17 + resident_id_check_char(first17))
            phones.append(f"{prefixes[mob[i]]}{mob_rest[i]:08d}")
            addresses.append(f"{STREETS[street[i]]}{house[i]}号")
        c_name, c_id, c_phone, c_addr = (ctx("name"), ctx("id_number"), ctx("phone"),
                                         ctx("address_detail"))
        self.name = [crypto.encrypt(v, c_name) for v in names]
        self.name_hash = [crypto.keyed_hash(v, "text") for v in names]
        self.id_number = [crypto.encrypt(v, c_id) for v in ids]
        self.id_hash = [crypto.keyed_hash(v, "id_number") for v in ids]
        self.phone = [crypto.encrypt(v, c_phone) for v in phones]
        self.phone_hash = [crypto.keyed_hash(v, "phone") for v in phones]
        self.address = [crypto.encrypt(v, c_addr) for v in addresses]
        self.plain_ids = ids  # for tests of the bench itself; never written in clear


def _stamps(first_day: date, minutes: np.ndarray, postgres: bool) -> list[str]:
    """UTC timestamps as the text each backend stores (vectorised: per-row datetimes are slow)."""
    moments = np.datetime64(first_day.isoformat(), "m") + minutes.astype("timedelta64[m]")
    text = np.char.replace(np.datetime_as_string(moments, unit="s"), "T", " ")
    if postgres:
        text = np.char.add(text, "+00")
    return text.tolist()  # type: ignore[no-any-return]


def rows(*, n_cases: int, first_id: int, user_id: int, marker: str, first_day: date,
         days: int, diseases: dict[str, float], people: People,
         rng: np.random.Generator) -> Iterator[tuple[int, list[tuple[Any, ...]]]]:
    """(rows done, a batch of COLUMNS tuples), BATCH at a time."""
    postgres = connection.vendor == "postgresql"
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S") + ("+00" if postgres else "")
    names = np.array(list(diseases), dtype=object)
    disease_p = np.array(list(diseases.values()))
    class_arr = np.array(CLASSES, dtype=object)
    sev_arr = np.array(SEVERITIES, dtype=object)
    occ_arr = np.array(OCCUPATIONS, dtype=object)
    kinds = np.array(FACILITY_KINDS, dtype=object)
    n_people = len(people.name)
    start = np.datetime64(first_day.isoformat(), "D")
    for offset in range(0, n_cases, BATCH):
        n = min(BATCH, n_cases - offset)
        ids = np.arange(first_id + offset, first_id + offset + n)
        who = rng.integers(0, n_people, n)
        county = people.county[who]
        disease = names[rng.choice(len(names), n, p=disease_p)].tolist()
        cls = class_arr[rng.choice(len(CLASSES), n, p=CLASS_P)].tolist()
        onset_days = rng.integers(0, days, n)
        diag = onset_days * 1440 + rng.integers(0, 5 * 1440, n)
        report = diag + rng.integers(10, 2 * 1440, n)
        onset_d = start + onset_days.astype("timedelta64[D]")
        onset = onset_d.astype(object)
        onset[rng.random(n) < 0.03] = None
        births = np.array([people.birth[w] for w in who], dtype="datetime64[D]")
        age = ((onset_d - births).astype(np.int64) // 365.25).astype(int).tolist()
        r_status = rng.random(n)
        status = np.where(r_status < 0.97, "active",
                          np.where(r_status < 0.99, "revoked", "merged")).astype(object)
        # A merged report points at an earlier report of the same batch (or none in the first).
        target = ids - 1 - rng.integers(0, np.maximum(ids - first_id, 1))
        merged_into = np.where((status == "merged") & (target >= first_id), target, 0)
        status[(status == "merged") & (merged_into == 0)] = "active"
        reasons = np.where(status == "revoked",
                           np.array(REVOKE_REASONS, dtype=object)[rng.integers(0, 3, n)],
                           "").astype(object)
        severity = sev_arr[rng.choice(len(SEVERITIES), n, p=SEVERITY_P)].tolist()
        occupation = occ_arr[rng.integers(0, len(OCCUPATIONS), n)].tolist()
        facility = np.char.add(county.astype(str), kinds[rng.integers(0, len(kinds), n)]
                               .astype(str)).astype(object)
        facility[:] = [marker + f for f in facility]
        diagnosed, reported = (_stamps(first_day, diag, postgres),
                               _stamps(first_day, report, postgres))
        deadline, due = (_stamps(first_day, diag + 1440, postgres),
                         _stamps(first_day, report + 1440, postgres))
        batch = []
        for i in range(n):
            w = who[i]
            mi = int(merged_into[i])
            batch.append((
                int(ids[i]), people.name[w], people.name_hash[w], "resident_id",
                people.id_number[w], people.id_hash[w], people.phone[w], people.phone_hash[w],
                people.sex[w], people.birth[w], disease[i], cls[i], age[i], county[i],
                people.address[w], occupation[i], onset[i], diagnosed[i], reported[i],
                facility[i], county[i], severity[i], "", False, "", "", deadline[i], due[i],
                status[i], reasons[i], mi or None, 1, user_id, now, now,
            ))
        yield offset + n, batch


def load(*, n_cases: int, user_id: int, marker: str, first_day: date, days: int,
         diseases: dict[str, float], codes: Sequence[str],
         weights: Sequence[float] | None = None, seed: int = 2026) -> float:
    """Generate and load `n_cases` reports; returns the seconds it took."""
    from shouwang.surveillance.models import CaseReport

    table = CaseReport._meta.db_table
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    people = People(min(PERSONS, max(n_cases // 2, 1)), codes, weights, rng)
    sys.stdout.write(f"people: {len(people.name):,} in {time.perf_counter() - t0:.0f} s\n")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        first_id = int(cursor.fetchone()[0]) + 1
    cols = ", ".join(COLUMNS)
    with _bulk_load_mode(table):
        _copy_in(table, cols, n_cases=n_cases, first_id=first_id, user_id=user_id,
                 marker=marker, first_day=first_day, days=days, diseases=diseases,
                 people=people, rng=rng, t0=t0)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT MAX(id) FROM {table}))")
            cursor.execute(f"VACUUM ANALYZE {table}")
        else:
            cursor.execute("ANALYZE")
    return time.perf_counter() - t0


@contextmanager
def _bulk_load_mode(table: str) -> Iterator[None]:
    """On PostgreSQL, what pg_restore does: load without the secondary indexes and foreign keys
    (each row would check three keys and update ten indexes), then build them once. The
    definitions are read back from the catalogue, so what is recreated is what was there."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'", [table])
        fks = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT i.indisunique",
            [table])
        indexes = cursor.fetchall()
        for name, _ in fks:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    try:
        yield
    finally:
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for _, definition in indexes:
                cursor.execute(definition)
            for name, definition in fks:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        print(f"indexes and keys rebuilt in {time.perf_counter() - t0:.0f} s")


def _copy_in(table: str, cols: str, *, n_cases: int, t0: float, **kwargs: Any) -> None:
    for done, batch in rows(n_cases=n_cases, **kwargs):
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(COLUMNS))
                cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", batch)
        sys.stdout.write(f"\rloading {done:,}/{n_cases:,} ({time.perf_counter() - t0:.0f} s)")
        sys.stdout.flush()
    print()


def delete(marker: str) -> None:
    """Remove the reports of an earlier run (raw SQL: the ORM would collect them one by one,
    and a merged report protects the one it points at)."""
    from shouwang.surveillance.models import CaseReport

    table = CaseReport._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE reporting_facility LIKE %s",
                       [marker + "%"])
