"""The nightly early-warning job's options: defaults here, overrides in settings.

Every option of `NightlySettings` can be overridden by a key of the dict setting
``SHOUWANG_WARNING`` (e.g. ``SHOUWANG_WARNING = {"scan_p_value": 0.01}``); the time an officer has
to verify a new alert is ``SHOUWANG_ALERT_VERIFY_HOURS`` (default 24). Unknown keys are an error,
so a typo does not silently leave a default in force. The defaults and why they were chosen:
docs/decisions/0960-early-warning-platform.md.

Serial intervals come from data/serial_intervals.csv: one row per disease code with the mean and
sd in days and the published source. A disease without a row gets no R_t and no forecast (the
other methods need no serial interval).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SERIAL_INTERVALS = Path(__file__).resolve().parent.parent / "data" / "serial_intervals.csv"
ALL_LEVELS = ("county", "prefecture", "province", "nation")


@dataclass(frozen=True)
class SerialInterval:
    disease: str
    mean: float
    sd: float
    source: str


@dataclass(frozen=True)
class NightlySettings:
    """What the nightly job computes and when a result becomes an alert."""

    # R_t (Cori et al., EpiEstim's parametric serial interval) on onset-date counts.
    rt_days: int = 90              # onset days read
    rt_window: int = 7             # sliding window (EpiEstim's weekly default)
    rt_keep: int = 60              # windows stored per division
    # Nowcast of the latest onset days from the reporting triangle (pooled delays per level).
    nowcast_max_delay: int = 14
    nowcast_window: int = 28       # rows that estimate the delay distribution
    nowcast_samples: int = 1000
    # Forecast from the R_t posterior of the last window. Negative binomial offspring (k = 2):
    # Poisson intervals covered 52–84 % instead of 95 % on the demo outbreak, k = 2 gave 92–97 %
    # (shouwang early-warning-backtest, decision 0910).
    forecast_horizon: int = 14
    forecast_samples: int = 1000
    forecast_model: str = "negbin"
    forecast_dispersion: float = 2.0
    seed: int = 1                  # nowcast and forecast sampling; scan replicates
    # Aberration detection on report-date daily counts.
    report_days: int = 90          # report days read (EARS baselines, CUSUM training)
    ears_days: int = 60            # days evaluated and stored by EARS C1–C3
    ears_baseline: int = 7
    cusum_days: int = 28           # days evaluated; the report days before them train m
    cusum_k: float = 1.04
    cusum_h: float = 2.26
    # Farrington flexible on weeks ending on the computed day.
    farrington_b: int = 5          # years back (fewer when the data do not reach so far)
    farrington_w: int = 3
    farrington_weeks: int = 1      # weeks evaluated nightly (the latest only by default)
    farrington_keep_weeks: int = 52  # weekly observed counts stored for the chart
    # Prospective space-time permutation scan on county centroids.
    scan_days: int = 28
    scan_max_locations: int = 30
    scan_max_days: int = 14
    scan_replicates: int = 999
    scan_p_value: float = 0.05     # clusters with p below this are stored and alerted
    # Alerts.
    aberration_alert_levels: tuple[str, ...] = ALL_LEVELS
    # An EARS, CUSUM or Farrington alarm on fewer cases than this is not an alert: in a county
    # that sees a case a week, one or two cases cross every threshold (on endemic noise the
    # methods alarmed in a quarter to a half of county-weeks, bench_warning_detection).
    aberration_alert_min_observed: int = 3
    # A prefecture, province or nation alarm of the same method as a county alarm under it on
    # the same night repeats that county's alert (the county's alert is in every inbox above
    # it). Off (the default) leaves such echoes out and keeps the upper-level alarms no county
    # explains (a diffuse rise). On the national demo: COVID-19 alerts 13.3 → 6.4 a night, no
    # county detected later (decision 0960, "Detection on the national demo").
    aberration_alert_upper_echoes: bool = False
    rt_alert_days: int = 7         # consecutive days with the R_t lower bound above the limit
    rt_alert_limit: float = 1.0
    rt_alert_min_cases: int = 10   # onset cases over those days, county level
    verify_hours: float = 24.0

    def __post_init__(self) -> None:
        positive = [f.name for f in fields(self)
                    if f.type in ("int", "float") and f.name not in ("seed", "scan_replicates")]
        bad = [n for n in positive if not getattr(self, n) > 0]
        if bad:
            raise ImproperlyConfigured(f"SHOUWANG_WARNING: {', '.join(bad)} must be > 0")
        if self.rt_keep > self.rt_days - self.rt_window:
            raise ImproperlyConfigured("SHOUWANG_WARNING: rt_keep must be ≤ rt_days − rt_window")
        if self.ears_days > self.report_days - self.ears_baseline - 4:
            raise ImproperlyConfigured(
                "SHOUWANG_WARNING: ears_days must be ≤ report_days − ears_baseline − 4")
        if self.cusum_days >= self.report_days:
            raise ImproperlyConfigured("SHOUWANG_WARNING: cusum_days must be < report_days")
        if self.scan_days > self.report_days:
            raise ImproperlyConfigured("SHOUWANG_WARNING: scan_days must be ≤ report_days")
        if self.forecast_model not in ("poisson", "negbin"):
            raise ImproperlyConfigured(
                "SHOUWANG_WARNING: forecast_model must be 'poisson' or 'negbin', "
                f"got {self.forecast_model!r}")
        unknown = set(self.aberration_alert_levels) - set(ALL_LEVELS)
        if unknown:
            raise ImproperlyConfigured(
                f"SHOUWANG_WARNING: unknown aberration_alert_levels {sorted(unknown)}")

    @property
    def triangle_days(self) -> int:
        return self.nowcast_window + self.nowcast_max_delay


def nightly_settings() -> NightlySettings:
    """The defaults with settings.SHOUWANG_WARNING and SHOUWANG_ALERT_VERIFY_HOURS applied."""
    overrides: dict[str, Any] = dict(getattr(settings, "SHOUWANG_WARNING", {}) or {})
    known = {f.name for f in fields(NightlySettings)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ImproperlyConfigured(f"SHOUWANG_WARNING: unknown option(s) {', '.join(unknown)}")
    if "aberration_alert_levels" in overrides:
        overrides["aberration_alert_levels"] = tuple(overrides["aberration_alert_levels"])
    hours = getattr(settings, "SHOUWANG_ALERT_VERIFY_HOURS", None)
    if hours is not None:
        overrides["verify_hours"] = float(hours)
    return replace(NightlySettings(), **overrides)


def serial_intervals(path: Path = SERIAL_INTERVALS) -> dict[str, SerialInterval]:
    """Disease code → serial interval, from the data file."""
    out: dict[str, SerialInterval] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            code = row["disease"].strip()
            mean, sd = float(row["mean_days"]), float(row["sd_days"])
            if not (mean > 1 and sd > 0 and row["source"].strip()):
                raise ImproperlyConfigured(
                    f"{path.name}: {code} needs mean > 1, sd > 0 and a source")
            out[code] = SerialInterval(code, mean, sd, row["source"].strip())
    return out
