"""The monitoring pass (防返贫动态监测): every household (of a division, or all) judged at one
month by the rule set in force for it, and the newly flagged opened for monitoring
(decision 1230).

    monitoring_run(*, month, actor=None, division_prefix="", progress=None) -> MonitoringRun
    flag_from_signal(signal, actor) -> MonitoringFlag | None   (services.signals.on_identified)

Households are taken `CHUNK` at a time in id order: their inputs (selectors.monitoring
.monitoring_inputs, a handful of aggregate queries per chunk), the rules (shouwang.epi
.livelihood_rules, per rule set in force), then one bulk write of the new flags
(services.flags.flags_open_bulk). The run counts the households evaluated, the flagged (with or
without an open flag), the flags opened, the flags open before the pass whose households are
now eligible for elimination, and why the others were not evaluated.

A household gets a new flag when the rule flags it and it has no open flag. Idempotent: a
month run again opens nothing new — the households flagged the first time have an open flag,
and a household whose flag was eliminated is not reopened from a month at or before the one
that flag was judged on or eliminated in. A household eliminated earlier and flagged again at a
later month is a relapse: it gets a new flag.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

import numpy as np
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditAction
from shouwang.core.scoping import in_jurisdiction, prefix_q
from shouwang.epi.livelihood_rules import GROUP_NAMES, TRIGGER_NAMES, bit_names
from shouwang.livelihood.models import (
    FlagStatus,
    Household,
    MonitoringFlag,
    MonitoringRun,
    Signal,
)
from shouwang.livelihood.selectors.monitoring import (
    DEFAULT_MONTHS,
    SKIP_NO_RULE_SET,
    add_months,
    evaluate_inputs,
    flag_triggers,
    household_evaluation,
    monitoring_inputs,
    month_end,
    month_start,
    months_needed,
    reason_text,
    rule_sets_in_force,
    target_group_for,
    threshold_table,
)
from shouwang.livelihood.services.flags import FlagSpec, flag_open, flags_open_bulk

if TYPE_CHECKING:
    from shouwang.accounts.models import User

WRITE = "livelihood.write"
CHUNK = 20_000
Progress = Callable[[int, int], None]


def _merge_skipped(total: dict[str, Any], part: dict[str, Any]) -> None:
    for key, value in part.items():
        if isinstance(value, dict):
            bucket = total.setdefault(key, {})
            for detail, n in value.items():
                bucket[detail] = int(bucket.get(detail, 0)) + int(n)
        else:
            total[key] = int(total.get(key, 0)) + int(value)


def _not_reopened(ids: list[int], t_month: date, prefix: str) -> tuple[set[int], set[int]]:
    """Of these households: those with an open flag, and those whose closed flag forbids a new
    one from month T (judged at T or later, or eliminated after T ended)."""
    after_t = timezone.make_aware(datetime.combine(add_months(t_month, 1), time.min))
    lo, hi = ids[0], ids[-1]
    rows = (MonitoringFlag.objects.filter(household_id__gte=lo, household_id__lte=hi)
            .filter(prefix_q("division_code", prefix))
            .filter(Q(status=FlagStatus.MONITORING) | Q(evaluated_month__gte=t_month)
                    | Q(eliminated_at__gte=after_t))
            .values_list("household_id", "status"))
    open_ids: set[int] = set()
    closed: set[int] = set()
    for household_id, status in rows:
        (open_ids if status == FlagStatus.MONITORING else closed).add(household_id)
    return open_ids, closed - open_ids


def monitoring_run(*, month: date, actor: User | None = None, division_prefix: str = "",
                   progress: Progress | None = None, chunk: int = CHUNK,
                   at: datetime | None = None) -> MonitoringRun:
    """Judge every household under `division_prefix` at `month` (its first day is stored) and
    open the new flags. `actor` None: the platform (job, command line); a cadre needs
    livelihood.write and the prefix inside the jurisdiction. `progress(done, total)` after each
    chunk. `at`: when the pass counts as run (default now) — a past month judged later (the
    demo, a backfill) names the day it would have run, and its flags are identified then; not
    before the month ended, not in the future."""
    prefix = (division_prefix or "").strip()
    if prefix and not prefix.isdigit():
        raise InvalidInput({"division_prefix": [_("区划代码应为数字。")]})
    if actor is not None:
        if not in_jurisdiction(actor, prefix):
            raise NotFound(prefix)
        if not actor.has_capability(WRITE):
            raise PermissionDenied
    t_month = month_start(month)
    if t_month > month_start(timezone.localdate()):
        raise InvalidInput({"month": [_("监测月份不能晚于本月。")]})
    started = timezone.now()
    ran_at = at or started
    if at is not None and not (month_end(t_month) < timezone.localtime(at).date()
                               and at <= started):
        raise InvalidInput({"at": [_("监测批次的运行时间应在监测月份结束之后、当前时间之前。")]})
    rule_sets = rule_sets_in_force(month_end(t_month))
    months = max([months_needed(rs.params, rs.kind) for rs in rule_sets] or [DEFAULT_MONTHS])
    table = threshold_table()
    run = MonitoringRun.objects.create(month=t_month, division_prefix=prefix,
                                       started_at=ran_at, started_by=actor)
    households = Household.objects.filter(prefix_q("division_code", prefix))
    total = households.count()
    done = evaluated = flagged = opened = eligible = 0
    skipped: dict[str, Any] = {}
    last = 0
    if progress:
        progress(0, total)
    while True:
        ids = list(households.filter(pk__gt=last).order_by("pk")
                   .values_list("pk", flat=True)[:chunk])
        if not ids:
            break
        last = ids[-1]
        mi = monitoring_inputs(ids, t_month, months, division_prefix=prefix, thresholds=table)
        _merge_skipped(skipped, mi.skipped)
        parts, uncovered = evaluate_inputs(mi, rule_sets)
        if len(uncovered):
            _merge_skipped(skipped, {SKIP_NO_RULE_SET: len(uncovered)})
        open_ids, closed = _not_reopened(ids, t_month, prefix)
        specs: list[FlagSpec] = []
        for part in parts:
            res = part.result
            hids = mi.household_ids[part.rows]
            evaluated += len(hids)
            flagged += int(res.flagged.sum())
            has_open = np.isin(hids, np.fromiter(open_ids, np.int64, len(open_ids)))
            eligible += int((res.eligible & has_open).sum())
            blocked = has_open | np.isin(hids, np.fromiter(closed, np.int64, len(closed)))
            unstable_years = int(res.params.get("unstable_years", 5))
            window = int(res.params.get("window_months", 12))
            for j in np.flatnonzero(res.flagged & ~blocked):
                row = int(part.rows[j])
                numbers = res.explain(int(j))
                triggers, groups = int(res.triggers[j]), int(res.groups[j])
                specs.append(FlagSpec(
                    household_id=int(hids[j]), division_code=mi.division_codes[row],
                    rule_set=part.rule_set,
                    target_group=target_group_for(groups, triggers,
                                                  int(res.years_since_exit[j]), unstable_years,
                                                  mi.poverty_status[row]),
                    triggers=flag_triggers(bit_names(triggers, TRIGGER_NAMES),
                                           bit_names(groups, GROUP_NAMES)),
                    numbers=numbers, reason=reason_text(numbers, window)))
        made = flags_open_bulk(specs=specs, run=run, evaluated_month=t_month,
                               identified_at=ran_at)
        opened += len(made)
        done += len(ids)
        if progress:
            progress(done, total)
    run.households, run.flagged, run.flags_opened = evaluated, flagged, opened
    run.eligible, run.skipped = eligible, skipped
    run.finished_at = ran_at + (timezone.now() - started)
    run.save(update_fields=["households", "flagged", "flags_opened", "eligible", "skipped",
                            "finished_at"])
    audit_log(actor=actor, action=AuditAction.CREATE, obj=run,
              division_code=prefix, summary=f"monitoring pass {t_month:%Y-%m}",
              changes={"households": evaluated, "flagged": flagged, "flags_opened": opened,
                       "eligible": eligible, "skipped": skipped})
    return run


def run_summary(run: MonitoringRun) -> dict[str, Any]:
    """A run as JSON-safe data (command line, job log)."""
    return {"id": run.pk, "month": f"{run.month:%Y-%m}", "division_prefix": run.division_prefix,
            "households": run.households, "flagged": run.flagged,
            "flags_opened": run.flags_opened, "eligible": run.eligible,
            "skipped": run.skipped, "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "seconds": (round((run.finished_at - run.started_at).total_seconds(), 3)
                        if run.finished_at else None)}


# --- identified signals → flags (services.signals.on_identified) -------------------------------

def flag_from_signal(signal: Signal, actor: User) -> MonitoringFlag | None:
    """A signal decided "identified": judge its household by the rule set in force at the
    decision's month (the signal's `decided_at`, now unless the decision was replayed; the month
    the reported difficulty usually falls in: its shock counts) and open its flag with `signal`,
    identified at the decision's moment. Runs inside the decision's transaction: a refusal here
    (InvalidInput) leaves the signal pending and nothing written.

    - The rule finds no risk: refused, telling the cadre to record the income or the shock
      first (a flag needs the rule's trigger and numbers — decision 1230).
    - No rule set, no line for the year and province, no active member: refused with that.
    - The household already has an open flag: the decision stands, no second flag (None)."""
    household = Household.objects.get(pk=signal.household_id)
    if MonitoringFlag.objects.filter(household=household,
                                     status=FlagStatus.MONITORING).exists():
        return None
    try:
        ev = household_evaluation(household, timezone.localdate(signal.decided_at)
                                  if signal.decided_at else timezone.localdate())
    except InvalidInput as error:
        raise InvalidInput({"decision": [str(m) for ms in error.fields.values() for m in ms]},
                           message=error.message) from error
    if not ev.flagged:
        message = _("按监测规则，该户目前未触发任何监测条件（%(reason)s）。请先录入该户的收入或"
                    "风险事件（如医疗支出、失业），再研判纳入监测。") % {"reason": ev.reason}
        raise InvalidInput({"decision": [message]}, message=message)
    return flag_open(household=household, rule_set=ev.rule_set, target_group=ev.target_group,
                     triggers=flag_triggers(ev.triggers, ev.groups), numbers=ev.numbers,
                     reason=ev.reason, actor=actor, signal=signal, evaluated_month=ev.month,
                     identified_at=signal.decided_at)
