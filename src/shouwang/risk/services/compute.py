"""The daily computation of area risk levels (分区分级). Decision 1100.

    levels_compute(*, disease, day, actor=None) -> ComputeResult
    levels_compute_range(*, disease, start, end, publish=False, notify=False, progress=None,
                         actor=None) -> ComputeResult

For each day, every rule set in force (selectors.levels.rule_sets_in_force; a province's own
wins inside it, a version effective later applies only from its date) judges its areas:
every county every day, and every township and village while it is not trivially low (above
low, or not low the day before, or a case within the rule's window, or an override). An area
without a row is low.

`AreaRisk.day` is the day the level is in force; its inputs count the cases diagnosed up to and
including the day before. The inputs are read with one aggregate query per source for the whole
range (compute_inputs.py) and evaluated with shouwang.epi.risk_rules in one call per rule set
over all its areas and days. The level and the quiet-day streak continue from the stored day
before the range (its `computed_level` — the rule's, not an override's — and inputs["streak"]);
when that day was never computed every area starts from the rule's own verdict.

Overrides (RiskOverride) active at the start of a day (Asia/Shanghai) are applied: `level` is the
override's, `override` points to it, `computed_level` stays the rule's.

Published days are never touched: they are skipped and reported. An unpublished day computed
again has its rows replaced, in the same transaction as everything else of the call, so that a
failure leaves nothing half-written.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from numpy.typing import NDArray

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction
from shouwang.epi import risk_rules
from shouwang.epi.risk_rules import LOW, RiskInputs
from shouwang.risk.models import RANK, AreaRisk, Publication, RiskLevel, RiskOverride, RuleSet
from shouwang.risk.selectors.levels import rule_set_for_area, rule_sets_in_force
from shouwang.risk.services import compute_inputs as ci
from shouwang.risk.services import compute_write as cw
from shouwang.surveillance.models import Disease
from shouwang.surveillance.services.bulk_insert import bulk_session

if TYPE_CHECKING:
    from shouwang.accounts.models import User

Progress = Callable[[int, int, str], None]
MAX_DAYS = 1096  # three years in one call
ANALYZE_ROWS = 100_000  # a write this big refreshes the planner's statistics (analyze())


@dataclass
class ComputeResult:
    disease: str
    computed: list[date] = field(default_factory=list)
    skipped_published: list[date] = field(default_factory=list)
    without_rules: list[date] = field(default_factory=list)
    rows: int = 0
    published: list[date] = field(default_factory=list)
    # Areas per level in force on the last computed day.
    last_day_levels: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"disease": self.disease, "computed": len(self.computed),
                "first": self.computed[0].isoformat() if self.computed else None,
                "last": self.computed[-1].isoformat() if self.computed else None,
                "skipped_published": [d.isoformat() for d in self.skipped_published],
                "without_rules": len(self.without_rules), "rows": self.rows,
                "published": len(self.published), "last_day_levels": self.last_day_levels}


def day_start(day: date) -> datetime:
    """The moment `day` begins in the deployment's zone (Asia/Shanghai)."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def check_disease(disease: str) -> None:
    if not disease or not Disease.objects.filter(code=disease).exists():
        raise InvalidInput({"disease": [_("未知病种。")]})
    if not RuleSet.objects.filter(disease_id=disease).exists():
        raise InvalidInput({"disease": [_("该病种没有风险等级规则。")]})


def levels_compute(*, disease: str, day: date, actor: User | None = None) -> ComputeResult:
    """Compute (not publish) the levels of one day."""
    return levels_compute_range(disease=disease, start=day, end=day, actor=actor)


def levels_compute_range(*, disease: str, start: date, end: date, publish: bool = False,
                         notify: bool = False, progress: Progress | None = None,
                         actor: User | None = None) -> ComputeResult:
    """Compute the levels of every day from `start` to `end`; with `publish`, publish each
    computed day (services.publish.levels_publish; `notify` tells the officers of the areas
    that went up or down — off for a history, whose changes are past)."""
    check_disease(disease)
    if end < start:
        raise InvalidInput({"end": [_("结束日期不能早于开始日期。")]})
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput({"end": [_("一次最多计算 %(n)s 天。") % {"n": MAX_DAYS}]})
    result = ComputeResult(disease=disease)
    total = (end - start).days + 1
    report = progress or (lambda done, total, stage: None)
    computed_at = timezone.now()
    # SQLite: a big page cache and rare checkpoints while a million rows go in (the import's).
    with bulk_session(), transaction.atomic():
        lock_disease(disease)
        published = set(Publication.objects.filter(disease_id=disease, day__gte=start,
                                                   day__lte=end).values_list("day", flat=True))
        result.skipped_published = sorted(published)
        done = 0
        publications: list[Publication] = []
        publisher = _Publisher(disease, actor, publications) if publish else None
        for a, b in _segments(disease, start, end, published):
            rule_sets = rule_sets_in_force(disease, a)
            days = [a + timedelta(days=i) for i in range((b - a).days + 1)]
            if not rule_sets:
                result.without_rules.extend(days)
            else:
                result.rows += _compute_segment(disease, a, b, rule_sets, computed_at,
                                                _offset(report, done, total), publisher)
                result.computed.extend(days)
            done += len(days)
            report(done, total, "computed")
        report(total, total, "computed")
        if result.rows >= ANALYZE_ROWS:
            analyze()
        if result.computed:
            last = result.computed[-1]
            counts = dict.fromkeys(RiskLevel.values, 0)
            for level in (AreaRisk.objects.filter(disease_id=disease, day=last)
                          .values_list("level", flat=True).iterator(10000)):
                counts[level] += 1
            result.last_day_levels = counts
            audit_log(actor=actor, action=AuditAction.CREATE, object_type="risk.arearisk",
                      object_id=f"{disease}:{result.computed[0]}..{last}",
                      summary=f"risk levels computed for {len(result.computed)} days",
                      changes={"rows": result.rows, "days": len(result.computed),
                               "skipped_published": [d.isoformat()
                                                     for d in result.skipped_published]})
        if publish:
            # Written published (_Publisher): told only now that every row is in.
            from shouwang.risk.services.publish import publication_notify

            for i, publication in enumerate(publications):
                if notify:
                    publication_notify(publication)
                result.published.append(publication.day)
                report(i + 1, len(publications), "published")
    return result


class _Publisher:
    """Publishes a segment's days as its rows are written: each day's Publication made first
    (services.publish.publication_create: the counts, effective time and audit levels_publish
    would make from the stored rows), its rows written with it — one write per row, not an
    insert and an update."""

    def __init__(self, disease: str, actor: User | None, made: list[Publication]) -> None:
        self.disease, self.actor, self.made = disease, actor, made

    def __call__(self, a: date, blocks: list[cw.Block]) -> NDArray[np.int64]:
        from shouwang.risk.services.publish import not_computed, publication_create

        d = blocks[0].level.shape[1]
        count = np.zeros((4, d), np.int64)   # high, medium, up, down
        stored_any = np.zeros(d, bool)
        for block in blocks:
            stored, level, before = block.stored, block.level, block.previous
            changed = stored & (before >= 0) & (before != level)
            count[0] += (stored & (level == RANK[RiskLevel.HIGH])).sum(axis=0)
            count[1] += (stored & (level == RANK[RiskLevel.MEDIUM])).sum(axis=0)
            count[2] += (changed & (level > before)).sum(axis=0)
            count[3] += (changed & (level < before)).sum(axis=0)
            stored_any |= stored.any(axis=0)
        ids = np.zeros(d, np.int64)
        for t in range(d):
            if not stored_any[t]:
                raise not_computed()
            publication = publication_create(
                disease=self.disease, day=a + timedelta(days=t), actor=self.actor,
                n_high=int(count[0, t]), n_medium=int(count[1, t]), n_up=int(count[2, t]),
                n_down=int(count[3, t]))
            self.made.append(publication)
            ids[t] = publication.pk
        return ids


def analyze() -> None:
    """PostgreSQL: fresh planner statistics of AreaRisk after a bulk write (it sees the
    transaction's own rows). Without them, right after a year went in, a day's reads took the
    index on `publication` (all null) or by area for the whole table: 0.4 s to 1.1 s a day."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(AreaRisk._meta.db_table)}")


def lock_disease(disease: str) -> None:
    """One computation or publication of a disease at a time (PostgreSQL: a transaction-scoped
    advisory lock; a second daily job waits, then sees the first's rows and publications, and a
    publication never links rows a recomputation is replacing). SQLite serialises writers."""
    if connection.vendor != "postgresql":
        return
    key = zlib.crc32(f"risk-levels:{disease}".encode()) - 2**31
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _offset(report: Progress, base: int, total: int) -> Callable[[int, str], None]:
    def step(done: int, stage: str) -> None:
        report(base + done, total, stage)
    return step


def _segments(disease: str, start: date, end: date,
              published: set[date]) -> list[tuple[date, date]]:
    """Runs of consecutive unpublished days, cut where a rule set of the disease takes effect."""
    cuts = set(RuleSet.objects.filter(disease_id=disease, effective_from__gt=start,
                                      effective_from__lte=end)
               .values_list("effective_from", flat=True))
    out: list[tuple[date, date]] = []
    day = start
    while day <= end:
        if day in published:
            day += timedelta(days=1)
            continue
        run_start = day
        while (day + timedelta(days=1) <= end and day + timedelta(days=1) not in published
               and day + timedelta(days=1) not in cuts):
            day += timedelta(days=1)
        out.append((run_start, day))
        day += timedelta(days=1)
    return out


@dataclass(frozen=True)
class _Previous:
    """What was stored the day before a segment."""

    computed: bool
    rows: dict[str, tuple[str, str, date, int]]  # code -> (level, computed_level, since, streak)


def _previous(disease: str, day: date) -> _Previous:
    stored: dict[str, tuple[str, str, date, int]] = {}
    for code, level, computed, since, inputs in (
            AreaRisk.objects.filter(disease_id=disease, day=day)
            .values_list("division_code", "level", "computed_level", "since", "inputs")
            .iterator(10000)):
        streak = int(inputs.get("streak", 0)) if isinstance(inputs, dict) else 0
        stored[code] = (level, computed, since, streak)
    return _Previous(bool(stored), stored)


def _overrides(disease: str, a: date, b: date) -> list[RiskOverride]:
    """Overrides that may be active at the start of some day from a to b, oldest first (a later
    one wins for its area)."""
    first, last = day_start(a), day_start(b)
    return list(RiskOverride.objects.filter(disease_id=disease, effective_at__lte=last)
                .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=first))
                .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=first))
                .order_by("effective_at", "id"))


def _compute_segment(disease: str, a: date, b: date, rule_sets: list[RuleSet],
                     computed_at: datetime, progress: Callable[[int, str], None],
                     publisher: _Publisher | None = None) -> int:
    d = (b - a).days + 1
    horizon = max(risk_rules.history_days(rs.kind, _rule_params(rs)) for rs in rule_sets)
    hist_start = a - timedelta(days=1 + horizon)
    span = horizon + d               # data days hist_start … b-1
    classes = sorted({c for rs in rule_sets for c in rs.params.get("classifications", [])})
    sources = ci.gather(disease, hist_start, b - timedelta(days=1), classes)
    previous = _previous(disease, a - timedelta(days=1))
    overrides = _overrides(disease, a, b)
    override_codes = {o.division_code for o in overrides}
    also = set(override_codes) | {c for c, row in previous.rows.items()
                                  if len(c) > 6 and row[0] != RiskLevel.LOW}
    groups: dict[int, tuple[RuleSet, list[str]]] = {}
    for codes in (ci.county_codes(sources), ci.subcounty_codes(sources, also)):
        for code in codes:
            rs = rule_set_for_area(rule_sets, code, ci.LEVEL_OF_WIDTH[len(code)])
            if rs is not None:
                groups.setdefault(rs.pk, (rs, []))[1].append(code)
    AreaRisk.objects.filter(disease_id=disease, day__gte=a, day__lte=b,
                            publication__isnull=True).delete()
    parts = [(rs, part, subcounty) for rs, codes in groups.values() for subcounty in (False, True)
             if (part := [c for c in codes if (len(c) > 6) == subcounty])]

    def evaluate(job: tuple[RuleSet, list[str], bool]) -> cw.Block:
        return _evaluate(job[0], job[1], a, d, horizon, hist_start, span, sources, previous,
                         overrides, job[2])

    written = 0
    if publisher is not None:
        # A day's publication counts every block's rows, so all are evaluated first.
        blocks = [evaluate(job) for job in parts]
        publication = publisher(a, blocks)
        for job, block in zip(parts, blocks, strict=True):
            written += cw.insert(cw.rows(disease, block, computed_at, publication))
            progress(0, f"{job[0].code} v{job[0].version}")
        return written
    # The next block is evaluated (numpy, no database) while the server copies this one.
    with ThreadPoolExecutor(1, thread_name_prefix="risk-evaluate") as pool:
        upcoming = pool.submit(evaluate, parts[0]) if parts else None
        for i, job in enumerate(parts):
            assert upcoming is not None
            block = upcoming.result()
            upcoming = pool.submit(evaluate, parts[i + 1]) if i + 1 < len(parts) else None
            written += cw.insert(cw.rows(disease, block, computed_at))
            progress(0, f"{job[0].code} v{job[0].version}")
    return written


def _rule_params(rs: RuleSet) -> dict[str, Any]:
    return {k: v for k, v in rs.params.items() if k != "classifications"}


def _evaluate(rs: RuleSet, codes: list[str], a: date, d: int, horizon: int, hist_start: date,
              span: int, sources: ci.Sources, previous: _Previous,
              overrides: list[RiskOverride], subcounty: bool) -> cw.Block:
    params = _rule_params(rs)
    s = ci.series(sources, codes, rs.params.get("classifications", []), hist_start, span,
                  subcounty=subcounty)
    h = risk_rules.history_days(rs.kind, params)
    cut = horizon - h   # this rule's history starts `cut` days into the gathered series
    n = len(codes)
    before = s.before + s.counts[:, :cut].sum(axis=1)
    gap = s.gap.copy()
    if cut:
        seen = s.counts[:, :cut] > 0
        last = cut - 1 - np.argmax(seen[:, ::-1], axis=1)
        gap = np.where(seen.any(axis=1), cut - last, np.where(gap > 0, gap + cut, 0))
    prev_level = np.full(n, -1, np.int8)
    prev_force = np.full(n, -1, np.int8)
    prev_streak = np.zeros(n, np.int64)
    prev_since = np.full(n, a.toordinal(), np.int64)
    if previous.computed:
        prev_level[:] = LOW
        prev_force[:] = LOW
        for i, code in enumerate(codes):
            row = previous.rows.get(code)
            if row is not None:
                prev_force[i] = RANK[RiskLevel(row[0])]
                prev_level[i] = RANK[RiskLevel(row[1])]
                prev_since[i] = row[2].toordinal()
                prev_streak[i] = row[3]
    inputs = RiskInputs(new_cases=s.counts[:, horizon:], history=s.counts[:, cut:horizon],
                        cumulative_before=before, cluster=s.cluster[:, cut:],
                        previous_level=prev_level if previous.computed else None,
                        previous_streak=prev_streak if previous.computed else None,
                        last_case_gap=gap)
    result = risk_rules.evaluate(rs.kind, params, inputs)
    level, override = _apply_overrides(result.level, codes, a, overrides)
    window = int(params.get("window_days", 14))
    force_before = np.concatenate([prev_force[:, None], level[:, :-1]], axis=1)
    if subcounty:
        # Not trivially low: above low, or the day it came down, or a case in the window (a
        # short step-down can be low before the window is quiet), or an override.
        recent = (result.quiet_days >= 0) & (result.quiet_days < window)
        stored = (level > LOW) | (force_before > LOW) | recent | (override > 0)
    else:
        stored = np.ones(level.shape, bool)
    since = np.empty(level.shape, np.int64)
    run = prev_since
    for t in range(d):
        same = level[:, t] == force_before[:, t]
        run = np.where(same, run, a.toordinal() + t)
        since[:, t] = run
    return cw.Block(rule_set_id=rs.pk, params=params, codes=codes,
                    division_levels=[ci.LEVEL_OF_WIDTH[len(c)] for c in codes], first_day=a,
                    result=result, level=level, override=override, stored=stored,
                    previous=force_before.astype(np.int8), since=since)


def _apply_overrides(computed: NDArray[np.int8], codes: list[str], a: date,
                     overrides: list[RiskOverride]) -> tuple[NDArray[np.int8], NDArray[np.int64]]:
    level = computed.copy()
    ids = np.zeros(level.shape, np.int64)
    if not overrides:
        return level, ids
    index = {c: i for i, c in enumerate(codes)}
    d = level.shape[1]
    starts = [day_start(a + timedelta(days=t)) for t in range(d)]
    for o in overrides:  # oldest first: a later one overwrites
        i = index.get(o.division_code)
        if i is None:
            continue
        rank = RANK[RiskLevel(o.level)]
        for t, moment in enumerate(starts):
            if o.effective_at > moment:
                continue
            if o.ends_at is not None and o.ends_at <= moment:
                continue
            if o.revoked_at is not None and o.revoked_at <= moment:
                continue
            level[i, t] = rank
            ids[i, t] = o.pk
    return level, ids
