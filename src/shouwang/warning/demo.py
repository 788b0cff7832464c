"""Demo data for early warning: the nightly job replayed over the demo outbreak's nights, and
what the demo officers did with the alerts it raised.

The surveillance builders (order 50, 55) leave case reports and daily counts on fixed past dates
(surveillance/demo.py: OUTBREAK_START, OUTBREAK_DAYS). Nothing runs the nightly job in a demo,
so this builder (order 60) replays it — `run_early_warning(day=D, now=the night's time)` — on
the nights of `demo_nights`: every night of the outbreak's first two weeks of reports (its
disease only), then every tenth night and the demo's last day (every disease with cases, the
endemic background too). After each night, as on a real morning after:

1. the escalation job runs at the night's time (`alerts_escalate(now=…)`): alerts nobody took up
   by their deadline go to the city, then the province;
2. the demo officers (shouwang.demo.accounts) work through the night's new alerts through the
   workflow services: most strong signals (scan, R_t) verified and confirmed — linked to their
   scan cluster, or to an event described in words —, aberration alarms confirmed or dismissed
   with a reason, some assigned to a county officer or left under verification, some left new;
   the alerts of the last nights mostly still new, as an inbox looks on any morning.

History nights run the scan with HISTORY_SCAN_REPLICATES permutation replicates instead of the
job's 999 (its cost is almost all replicates over ~2,800 county centroids, 5–10 s a night);
the latest night runs with the job's own settings, so the pages show what the job computes.
Why these nights and this cost: docs/decisions/0960-early-warning-platform.md, "Detection on
the national demo".

Deterministic for a seed (every choice comes from ctx.rng, keyed by the alert's natural key) and
idempotent: a night whose runs are already done is not computed again, each alert is moved
towards its chosen state only as far as it has not got yet, and escalation at a past night's
time finds nothing due; running demo-data twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.test.utils import override_settings
from django.utils import timezone

from shouwang.core.scoping import in_jurisdiction
from shouwang.demo import DemoBuilder, DemoContext, register_demo_builder
from shouwang.geo.selectors import division_names
from shouwang.surveillance.demo import DISEASE, OUTBREAK_DAYS, OUTBREAK_START
from shouwang.surveillance.models import DateBasis
from shouwang.warning.models import Alert, AlertStatus, Method
from shouwang.warning.selectors.alerts import (
    AlertFilters,
    alert_clusters,
    alert_list,
    assignable_officers,
    officer_by_username,
)
from shouwang.warning.selectors.nightly_counts import diseases_with_cases, first_count_day
from shouwang.warning.selectors.results import run_latest
from shouwang.warning.services.alerts import (
    alert_assign,
    alert_confirm,
    alert_dismiss,
    alert_start_verification,
    alerts_escalate,
)
from shouwang.warning.services.nightly import run_early_warning
from shouwang.warning.services.nightly_config import NightlySettings, nightly_settings

if TYPE_CHECKING:
    import random

    from shouwang.accounts.models import User

# Nights replayed: every night of the first DAILY_NIGHTS days from the outbreak's first report
# (for the outbreak's disease only), then every EVERY-th day and always the demo's last day (for
# every disease with cases, as the job does).
DAILY_NIGHTS = 14
EVERY = 10
HISTORY_SCAN_REPLICATES = 99
# The alerts of the last RECENT_NIGHTS replayed nights are mostly still waiting, as on any day.
RECENT_NIGHTS = 2
# The demo officers who act, most local first: an alert is handled by the first whose area
# covers it; the county officers are who a city officer assigns to.
ACTORS = ("demo-hongshan", "demo-wuchang", "demo-wuhan", "demo-hubei", "demo-national")
SUPERVISORS = ("demo-wuhan", "demo-hubei", "demo-national")

NEW, ASSIGNED, VERIFYING, CONFIRMED, DISMISSED = (
    "new", "assigned", "verifying", "confirmed", "dismissed")
# Demo content, not interface text: what an officer would type (in Chinese, as the data is).
EVENTS = ("{name}某农贸市场关联聚集性疫情", "{name}某小区家庭聚集性疫情",
          "{name}某企业工作场所聚集性疫情", "{name}某养老机构聚集性疫情")
WIDER_EVENTS = ("{name}疫情持续上升，已由辖区内区县预警跟进处置",)
DISMISS_REASONS = ("集中补报既往病例，非新增传播", "重复报告已合并，实际病例数未超阈值",
                   "病例均为已知密接隔离期间发现，已纳入原疫情管理",
                   "检测机构批量上报筛查结果，报告日期集中")
WIDER_DISMISS = ("与辖区内区县预警为同一信号，已在区县层面核实",)


def demo_nights(first: date, last: date, daily: int = DAILY_NIGHTS,
                every: int = EVERY) -> list[date]:
    """Every night of the first `daily` days from `first`, then every `every`-th, and `last`."""
    if last < first:
        return []
    nights = [first + timedelta(days=i) for i in range(daily) if first + timedelta(days=i) <= last]
    day = first + timedelta(days=daily - 1 + every)
    while day < last:
        nights.append(day)
        day += timedelta(days=every)
    if nights[-1] != last:
        nights.append(last)
    return nights


def night_time(day: date) -> datetime:
    """When the job computes `day`: the next morning at SHOUWANG_EARLY_WARNING_HOUR (local)."""
    hour = int(getattr(settings, "SHOUWANG_EARLY_WARNING_HOUR", 2))
    return datetime.combine(day + timedelta(days=1), time(hour, 0),
                            tzinfo=timezone.get_current_timezone())


@contextmanager
def _in_app_notifications_only() -> Iterator[None]:
    """Demo alerts notify the demo officers in the app, and nobody by console, email or SMS."""
    with override_settings(SHOUWANG_NOTIFY_BACKENDS=[]):
        yield


@dataclass
class Officers:
    by_name: dict[str, User]

    def local(self, code: str, among: tuple[str, ...] = ACTORS) -> User | None:
        return next((self.by_name[n] for n in among
                     if n in self.by_name and in_jurisdiction(self.by_name[n], code)), None)


def _officers() -> Officers:
    found = {name: officer_by_username(name) for name in ACTORS}
    return Officers({name: user for name, user in found.items() if user is not None})


def _progress(ctx: DemoContext, done: int, total: int, day: date | None,
              width: int = 30) -> None:
    filled = width * done // max(total, 1)
    tail = f" {day}" if day else ""
    ctx.out.write(f"  预警 nights [{'#' * filled}{'.' * (width - filled)}] {done}/{total}{tail}")


def _night(day: date, cfg: NightlySettings, only: list[str] | None = None) -> None:
    """Compute the night's runs that are not done yet: every disease the job would compute,
    or those of `only`."""
    span = max(cfg.rt_days, cfg.report_days)
    wanted = diseases_with_cases(since=day - timedelta(days=span - 1), until=day, only=only)
    missing = [d for d in wanted if run_latest(disease=d, day=day) is None]
    if missing:
        run_early_warning(day=day, diseases=missing, settings=cfg, now=night_time(day))


def choose_state(rng: random.Random, alert: Alert, *, recent: bool, assignable: bool) -> str:
    """The state the demo leaves `alert` in (the officers' decisions, made up)."""
    u = rng.random()
    waiting = ASSIGNED if assignable else NEW   # a city officer passes it on, or nobody yet
    if recent:
        return waiting if u < 0.6 else VERIFYING if u < 0.8 else NEW
    if alert.level != "county":
        return CONFIRMED if u < 0.5 else DISMISSED if u < 0.8 else NEW
    if alert.method in (Method.SCAN, Method.RT):
        return CONFIRMED if u < 0.8 else VERIFYING if u < 0.9 else waiting
    if u < 0.4:
        return CONFIRMED
    if u < 0.7:
        return DISMISSED
    return VERIFYING if u < 0.8 else waiting


def _play(ctx: DemoContext, alert: Alert, officers: Officers, recent: bool) -> None:
    """Move `alert` towards its chosen state, from wherever it is (a rerun moves nothing)."""
    if alert.status in (AlertStatus.CONFIRMED, AlertStatus.DISMISSED):
        return
    rng = ctx.rng(f"warning.nightly:{alert.disease_id}:{alert.division_code}:{alert.method}:"
                  f"{alert.day}")
    actor = officers.local(alert.division_code)
    supervisor = officers.local(alert.division_code, SUPERVISORS)
    if actor is None or supervisor is None:
        return
    assignees = list(assignable_officers(user=supervisor, alert=alert))
    target = choose_state(rng, alert, recent=recent, assignable=bool(assignees))
    name = division_names([alert.division_code]).get(alert.division_code, alert.division_code)
    event = rng.choice(EVENTS if alert.level == "county" else WIDER_EVENTS).format(name=name)
    reason = rng.choice(DISMISS_REASONS if alert.level == "county" else WIDER_DISMISS)
    if target == NEW:
        return
    if assignees and alert.assigned_to_id is None and alert.status == AlertStatus.NEW:
        alert = alert_assign(actor=supervisor, alert=alert, assignee=assignees[0],
                             version=alert.version)
    if target == ASSIGNED:
        return
    verifier = assignees[0] if assignees else actor
    if alert.status == AlertStatus.NEW:
        alert = alert_start_verification(actor=verifier, alert=alert, version=alert.version)
    if target == VERIFYING:
        return
    if target == DISMISSED:
        alert_dismiss(actor=verifier, alert=alert, version=alert.version, reason=reason)
        return
    county = alert.division_code[:6]
    cluster = alert.cluster if alert.method == Method.SCAN else next(
        (c for c in alert_clusters(user=verifier, alert=alert) if c.run.day <= alert.day
         and any(str(code).startswith(county) for code in c.division_codes)), None)
    alert_confirm(actor=verifier, alert=alert, version=alert.version,
                  cluster_id=cluster.pk if cluster is not None else None,
                  linked_event="" if cluster is not None else event)


def _workflow(ctx: DemoContext, day: date, officers: Officers, recent: bool) -> None:
    viewer = officers.by_name.get("demo-national")
    if viewer is None:
        return
    night = alert_list(user=viewer, filters=AlertFilters(day_from=day, day_to=day))
    for alert in sorted(night, key=lambda a: (a.disease_id, a.division_code, a.method)):
        _play(ctx, alert, officers, recent)


def summary(nights: list[date]) -> str:
    """The state the replay left (the same on a rerun, which adds nothing)."""
    viewer = officer_by_username("demo-national")
    counts: dict[str, int] = {}
    total = 0
    if viewer is not None:
        qs = alert_list(user=viewer, filters=AlertFilters(day_from=nights[0], day_to=nights[-1]))
        for status in qs.values_list("status", flat=True):
            counts[status] = counts.get(status, 0) + 1
            total += 1
    by_status = ", ".join(f"{counts.get(s, 0)} {s}" for s in AlertStatus.values)
    return (f"Early warning: the nightly job replayed on {len(nights)} nights "
            f"({nights[0]} … {nights[-1]}); {total} alerts ({by_status}).")


def build_demo_warning(ctx: DemoContext) -> None:
    first = first_count_day(disease=DISEASE, basis=DateBasis.REPORT)
    last = OUTBREAK_START + timedelta(days=OUTBREAK_DAYS - 1)
    if first is None or first > last:
        ctx.notes.append("Early warning: no outbreak reports; no night replayed.")
        return
    nights = demo_nights(max(first, OUTBREAK_START), last)
    cfg = nightly_settings()
    history = replace(cfg, scan_replicates=min(cfg.scan_replicates, HISTORY_SCAN_REPLICATES))
    officers = _officers()
    _progress(ctx, 0, len(nights), None)
    with _in_app_notifications_only():
        for i, day in enumerate(nights):
            # The daily nights follow the outbreak's emergence; other diseases (the endemic
            # background) are computed on the later nights and the last.
            daily = i < DAILY_NIGHTS and day != nights[-1]
            _night(day, cfg if day == nights[-1] else history, [DISEASE] if daily else None)
            alerts_escalate(now=night_time(day))
            _workflow(ctx, day, officers, recent=i >= len(nights) - RECENT_NIGHTS)
            _progress(ctx, i + 1, len(nights), day)
    ctx.notes.append(summary(nights))


register_demo_builder(DemoBuilder(
    name="warning.nightly", order=60, build=build_demo_warning,
    description="the nightly early-warning job replayed over the outbreak's nights; "
                "alerts worked on by the demo officers",
))

__all__ = ["build_demo_warning", "choose_state", "demo_nights", "night_time"]
