"""The nightly job's arithmetic: county matrices in, rows to store out. No database here.

Every method runs once over all divisions of every level at once (the county matrix summed up
to prefectures, provinces and the nation by code prefix), through the vectorised functions of
shouwang.epi. A division gets a series only when it has a case in the method's input (a county
without cases would store a page of zeros and priors).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse

from shouwang.epi.cusum import cusum
from shouwang.epi.ears import METHODS as EARS_METHODS
from shouwang.epi.ears import ears_c
from shouwang.epi.farrington import FarringtonControl, farrington_flexible
from shouwang.epi.forecast import forecast
from shouwang.epi.nowcast import NowcastOptions, nowcast
from shouwang.epi.nowcast import nowcast_corrected as nowcast_corrected  # re-exported for the job
from shouwang.epi.rt import PosteriorCVWarning, estimate_r
from shouwang.epi.scan import ScanOptions, space_time_permutation_scan
from shouwang.geo.models import NATION_CODE

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from shouwang.warning.services.nightly_config import NightlySettings, SerialInterval

# Level → digits of the code that identify it; the code is those digits padded with zeros.
LEVEL_WIDTHS = (("county", 6), ("prefecture", 4), ("province", 2), ("nation", 0))


@dataclass(frozen=True)
class SeriesRow:
    method: str
    division_code: str
    level: str
    data: dict[str, list[Any]]
    latest: float | None = None
    latest_lower: float | None = None
    latest_upper: float | None = None


@dataclass(frozen=True)
class ClusterRow:
    rank: int
    centre_code: str
    focus_code: str
    division_codes: list[str]
    member_counts: list[int]
    radius_km: float
    start: date
    end: date
    observed: int
    expected: float
    llr: float
    p_value: float


@dataclass
class Hierarchy:
    """Every division of every level above the counties, and how county rows sum into them."""

    codes: list[str]
    levels: list[str]
    matrix: sparse.csr_matrix      # (divisions, counties) of 0/1
    notes: dict[str, Any] = field(default_factory=dict)

    def aggregate(self, county_values: NDArray[np.float64]) -> NDArray[np.float64]:
        """(counties, …) → (divisions, …): sums over the counties of each division."""
        flat = county_values.reshape(county_values.shape[0], -1)
        out = np.asarray(self.matrix @ flat, dtype=np.float64)
        return out.reshape((len(self.codes), *county_values.shape[1:]))


def hierarchy(county_codes: list[str]) -> Hierarchy:
    codes: list[str] = []
    levels: list[str] = []
    rows: list[int] = []
    cols: list[int] = []
    for level, width in LEVEL_WIDTHS:
        groups: dict[str, list[int]] = {}
        for j, county in enumerate(county_codes):
            code = NATION_CODE if width == 0 else county[:width].ljust(6, "0")
            groups.setdefault(code, []).append(j)
        for code in sorted(groups):
            i = len(codes)
            codes.append(code)
            levels.append(level)
            rows.extend([i] * len(groups[code]))
            cols.extend(groups[code])
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)),
                               shape=(len(codes), len(county_codes)))
    return Hierarchy(codes=codes, levels=levels, matrix=matrix)


def _col(values: NDArray[np.float64] | NDArray[np.bool_], digits: int = 4) -> list[Any]:
    out: list[Any] = []
    for v in np.asarray(values, dtype=np.float64).tolist():
        out.append(round(v, digits) if np.isfinite(v) else None)
    return out


def _num(value: float) -> float | None:
    return round(float(value), 4) if np.isfinite(value) else None


def _iso(days: list[date]) -> list[str]:
    return [d.isoformat() for d in days]


# --- R_t and the forecast -----------------------------------------------------------------------


def rt_rows(h: Hierarchy, onset: NDArray[np.float64], days: list[date], cfg: NightlySettings,
            si: SerialInterval) -> list[SeriesRow]:
    """R_t of the last `rt_keep` sliding windows (t = the window's last day) per division."""
    keep = np.flatnonzero(onset.sum(axis=1) > 0)
    if keep.size == 0:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PosteriorCVWarning)
        est = estimate_r(onset[keep], mean_si=si.mean, std_si=si.sd, window=cfg.rt_window)
    last = slice(-cfg.rt_keep, None)
    ends = est.t_end[last]
    t = _iso([days[e - 1] for e in ends])
    mean, sd = est.mean[:, last], est.std[:, last]
    lower, median, upper = (est.quantile(q)[:, last] for q in (0.025, 0.5, 0.975))
    cases = onset[keep][:, ends - 1]
    rows = []
    for n, i in enumerate(keep.tolist()):
        rows.append(SeriesRow(
            method="rt", division_code=h.codes[i], level=h.levels[i],
            data={"t": t, "mean": _col(mean[n]), "sd": _col(sd[n]), "lower": _col(lower[n]),
                  "median": _col(median[n]), "upper": _col(upper[n]), "cases": _col(cases[n])},
            latest=_num(mean[n, -1]), latest_lower=_num(lower[n, -1]),
            latest_upper=_num(upper[n, -1])))
    return rows


def forecast_rows(h: Hierarchy, onset: NDArray[np.float64], day: date, cfg: NightlySettings,
                  si: SerialInterval) -> list[SeriesRow]:
    """The next `forecast_horizon` days by the renewal equation from the last window's R_t."""
    keep = np.flatnonzero(onset.sum(axis=1) > 0)
    if keep.size == 0:
        return []
    fc = forecast(onset[keep], horizon=cfg.forecast_horizon, mean_si=si.mean, std_si=si.sd,
                  window=cfg.rt_window, samples=cfg.forecast_samples, seed=cfg.seed,
                  model=cfg.forecast_model,  # type: ignore[arg-type]  # checked in the settings
                  dispersion=cfg.forecast_dispersion if cfg.forecast_model == "negbin" else None,
                  levels=(0.5, 0.95))
    t = _iso([day + timedelta(days=k) for k in range(1, cfg.forecast_horizon + 1)])
    rows = []
    for n, i in enumerate(keep.tolist()):
        rows.append(SeriesRow(
            method="forecast", division_code=h.codes[i], level=h.levels[i],
            data={"t": t, "mean": _col(fc.mean[n]), "median": _col(fc.median[n]),
                  "lower": _col(fc.lower[n, 1]), "upper": _col(fc.upper[n, 1]),
                  "lower_50": _col(fc.lower[n, 0]), "upper_50": _col(fc.upper[n, 0]),
                  "r_mean": [_num(fc.r_mean[n])]},
            latest=_num(fc.median[n, -1]), latest_lower=_num(fc.lower[n, 1, -1]),
            latest_upper=_num(fc.upper[n, 1, -1])))
    return rows


# --- the nowcast ----------------------------------------------------------------------------------


def nowcast_rows(h: Hierarchy, county_triangle: NDArray[np.float64], days: list[date],
                 cfg: NightlySettings) -> tuple[list[SeriesRow], NDArray[np.float64]]:
    """Delay-corrected onset counts of the triangle's days, per division; the delay distribution
    is pooled over the divisions of each level (each level holds every case once). Also the
    nowcast medians as a divisions × days matrix (NaN where there is none), for Rt."""
    unknown = np.isnan(county_triangle[0]) if county_triangle.shape[0] else None
    tri = h.aggregate(np.nan_to_num(county_triangle))
    if unknown is not None:
        tri[:, unknown] = np.nan
    t = _iso(days)
    rows: list[SeriesRow] = []
    medians = np.full((len(h.codes), len(days)), np.nan)
    levels = np.array(h.levels)
    totals = np.nansum(tri, axis=(1, 2))
    for level, _width in LEVEL_WIDTHS:
        keep = np.flatnonzero((levels == level) & (totals > 0))
        if keep.size == 0:
            continue
        opts = NowcastOptions(window=cfg.nowcast_window, samples=cfg.nowcast_samples,
                              levels=(0.95,), pool=True, seed=cfg.seed)
        nc = nowcast(tri[keep], opts)
        medians[keep] = nc.median
        for n, i in enumerate(keep.tolist()):
            rows.append(SeriesRow(
                method="nowcast", division_code=h.codes[i], level=h.levels[i],
                data={"t": t, "observed": _col(nc.observed[n]), "nowcast": _col(nc.nowcast[n]),
                      "median": _col(nc.median[n]), "lower": _col(nc.lower[0.95][n]),
                      "upper": _col(nc.upper[0.95][n])},
                latest=_num(nc.median[n, -1]), latest_lower=_num(nc.lower[0.95][n, -1]),
                latest_upper=_num(nc.upper[0.95][n, -1])))
    return rows, medians


# --- aberration detection -------------------------------------------------------------------------


def _aberration_row(method: str, h: Hierarchy, i: int, t: list[str], observed: Any,
                    expected: Any, upper: Any, alarm: Any, **extra: Any) -> SeriesRow:
    data = {"t": t, "observed": _col(observed), "expected": _col(expected),
            "upperbound": _col(upper), "alarm": [int(a) for a in np.asarray(alarm).tolist()]}
    data.update({k: _col(v) for k, v in extra.items()})
    return SeriesRow(method=method, division_code=h.codes[i], level=h.levels[i], data=data,
                     latest=_num(np.asarray(observed, dtype=np.float64)[-1]),
                     latest_upper=_num(np.asarray(upper, dtype=np.float64)[-1]))


def ears_rows(h: Hierarchy, report: NDArray[np.float64], days: list[date],
              cfg: NightlySettings) -> list[SeriesRow]:
    """EARS C1, C2 and C3 (R's defaults) over the last `ears_days` report days."""
    keep = np.flatnonzero(report.sum(axis=1) > 0)
    if keep.size == 0:
        return []
    n_days = report.shape[1]
    start = n_days - cfg.ears_days + 1
    t = _iso(days[start - 1:])
    rows = []
    for method in EARS_METHODS:
        res = ears_c(report[keep], method=method, baseline=cfg.ears_baseline,
                     range_start=start)
        name = f"ears_{method.lower()}"
        for n, i in enumerate(keep.tolist()):
            rows.append(_aberration_row(name, h, i, t, res.observed[n], res.expected[n],
                                        res.upperbound[n], res.alarm[n]))
    return rows


def cusum_rows(h: Hierarchy, report: NDArray[np.float64], days: list[date],
               cfg: NightlySettings) -> list[SeriesRow]:
    """CUSUM (R's defaults) over the last `cusum_days`; the days before train the mean."""
    keep = np.flatnonzero(report.sum(axis=1) > 0)
    if keep.size == 0:
        return []
    start = report.shape[1] - cfg.cusum_days + 1
    res = cusum(report[keep], range_start=start, k=cfg.cusum_k, h=cfg.cusum_h)
    t = _iso(days[start - 1:])
    return [_aberration_row("cusum", h, i, t, res.observed[n], res.expected[n],
                            res.upperbound[n], res.alarm[n], cusum=res.cusum[n])
            for n, i in enumerate(keep.tolist())]


def farrington_rows(h: Hierarchy, weekly: NDArray[np.float64], week_ends: list[date],
                    cfg: NightlySettings, years: int) -> list[SeriesRow]:
    """Farrington flexible (R's defaults, b = `years`) for the last `farrington_weeks` weeks;
    the chart keeps the observed counts of the last `farrington_keep_weeks` weeks."""
    keep = np.flatnonzero(weekly.sum(axis=1) > 0)
    if keep.size == 0:
        return []
    control = FarringtonControl(b=years, w=cfg.farrington_w)
    n_weeks = weekly.shape[1]
    start = n_weeks - cfg.farrington_weeks + 1
    res = farrington_flexible(weekly[keep], control, range_start=start)
    kept = min(cfg.farrington_keep_weeks, n_weeks)
    t = _iso(week_ends[-kept:])
    pad = kept - cfg.farrington_weeks
    rows = []
    for n, i in enumerate(keep.tolist()):
        def padded(values: NDArray[np.float64], n: int = n) -> NDArray[np.float64]:
            return np.concatenate([np.full(pad, np.nan), values[n]])

        alarm = np.concatenate([np.zeros(pad), res.alarm[n].astype(np.float64)])
        rows.append(_aberration_row("farrington", h, i, t, weekly[keep[n], -kept:],
                                    padded(res.expected), padded(res.upperbound), alarm))
    return rows


# --- the space-time scan --------------------------------------------------------------------------


def scan_clusters(county_codes: list[str], report: NDArray[np.float64],
                  lat: NDArray[np.float64], lon: NDArray[np.float64], days: list[date],
                  cfg: NightlySettings) -> tuple[list[ClusterRow], dict[str, Any]]:
    """Clusters with p < scan_p_value over the last `scan_days` report days of the counties
    that have a centroid."""
    located = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
    window = report[located][:, -cfg.scan_days:]
    notes: dict[str, Any] = {"locations": int(located.size),
                             "without_centroid": int(len(county_codes) - located.size),
                             "cases": int(window.sum())}
    if located.size < 2 or window.sum() == 0:
        return [], notes
    opts = ScanOptions(max_locations=cfg.scan_max_locations, max_days=cfg.scan_max_days,
                       replicates=cfg.scan_replicates, seed=cfg.seed,
                       alpha=min(1.0, cfg.scan_p_value))
    res = space_time_permutation_scan(window.astype(np.int64), lon[located], lat[located], opts)
    scan_days = days[-cfg.scan_days:]
    out: list[ClusterRow] = []
    for c in res.clusters:
        if not c.p_value < cfg.scan_p_value:
            continue
        members = list(c.locations)
        counts = window[members, c.start_day:c.end_day + 1].sum(axis=1).astype(np.int64)
        # argmax takes the first of equals: the members are ordered nearest the centre first.
        focus = members[int(np.argmax(counts))]
        out.append(ClusterRow(
            rank=len(out) + 1, centre_code=county_codes[located[c.centre]],
            focus_code=county_codes[located[focus]],
            division_codes=[county_codes[located[m]] for m in members],
            member_counts=[int(n) for n in counts.tolist()],
            radius_km=round(c.radius_km, 3), start=scan_days[c.start_day],
            end=scan_days[c.end_day], observed=c.observed, expected=round(c.expected, 4),
            llr=round(c.llr, 4), p_value=c.p_value))
    return out, notes
