"""Reads of what the nightly early-warning job stored: runs, one division's series, the latest
R_t of a division's children (for a table and a map), and the space-time clusters of a run.

Runs are national (one per day and disease) and hold no record of anyone's area, so every
officer may list them. Series are scoped by their division code, clusters by their centre's
code, both through shouwang.core.scoping: a division outside the user's jurisdiction answers 404
(also when it does not exist), so its existence does not leak. Decision:
docs/decisions/0980-early-warning-pages.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.http import Http404
from django.utils.translation import gettext as _

from shouwang.core.errors import InvalidInput
from shouwang.core.scoping import in_jurisdiction, jurisdiction_prefix, prefix_q, scoped
from shouwang.geo.models import Division, Level
from shouwang.geo.source import centroids
from shouwang.surveillance.models import Disease
from shouwang.warning.models import Method, RunStatus, ScanCluster, SeriesResult, WarningRun

if TYPE_CHECKING:
    from shouwang.accounts.models import User

# Methods that store a per-division series (the scan stores clusters instead).
SERIES_METHODS: tuple[str, ...] = tuple(m for m in Method.values if m != Method.SCAN)
# The columns each method stores besides "t" (models.SeriesResult documents them).
COLUMNS: dict[str, tuple[str, ...]] = {
    Method.RT: ("mean", "sd", "lower", "median", "upper"),
    Method.NOWCAST: ("observed", "nowcast", "median", "lower", "upper"),
    Method.FORECAST: ("median", "lower", "upper", "lower_50", "upper_50"),
}
RUN_LIST_MAX = 366
# Levels whose divisions carry series: counts, hence every result, stop at counties.
_SERIES_LEVELS = (Level.NATION, Level.PROVINCE, Level.PREFECTURE, Level.COUNTY)


@dataclass(frozen=True)
class Place:
    """A division as the pages and the API show it."""

    code: str
    name: str
    name_en: str
    level: str
    prefix: str
    longitude: float | None = None
    latitude: float | None = None


@dataclass(frozen=True)
class SeriesView:
    run: WarningRun
    division: Place
    method: str
    level: str
    data: dict[str, list[Any]]
    latest: float | None
    latest_lower: float | None
    latest_upper: float | None

    @property
    def days(self) -> list[str]:
        return list(self.data.get("t", []))

    def column(self, name: str) -> list[float | None]:
        """One column, None where the job stored nothing or not a finite number."""
        return [_finite(v) for v in self.data.get(name, [])]


@dataclass(frozen=True)
class RtRow:
    """One child division with the last R_t of its series (None when it has none)."""

    place: Place
    mean: float | None
    lower: float | None
    upper: float | None

    @property
    def trend(self) -> str | None:
        """"up" when the 95 % interval lies above 1, "down" below 1, else "uncertain"."""
        if self.mean is None:
            return None
        if self.lower is not None and self.lower > 1:
            return "up"
        if self.upper is not None and self.upper < 1:
            return "down"
        return "uncertain"


@dataclass(frozen=True)
class RtChildren:
    run: WarningRun
    division: Place
    rows: list[RtRow]


@dataclass(frozen=True)
class ClusterView:
    rank: int
    centre: Place
    members: list[Place]
    radius_km: float
    start: date
    end: date
    observed: int
    expected: float
    llr: float
    p_value: float
    member_codes: list[str] = field(default_factory=list)
    focus_code: str = ""
    member_counts: list[int] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        return self.observed / self.expected if self.expected > 0 else None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _finite(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _place(d: Division) -> Place:
    lon, lat = d.longitude, d.latitude
    if lon is None or lat is None:
        # Divisions loaded without coordinates: the centroid the geo app ships for the code.
        lon_lat = centroids().get(d.code)
        lon, lat = (lon_lat if lon_lat else (None, None))
    return Place(code=d.code, name=d.name, name_en=d.name_en, level=d.level, prefix=d.prefix,
                 longitude=lon, latitude=lat)


def check_disease(disease: str | None) -> str:
    """The disease code, or InvalidInput naming the field."""
    if not disease:
        raise InvalidInput({"disease": [_("此项为必填项。")]})
    if not Disease.objects.filter(code=disease).exists():
        raise InvalidInput({"disease": [_("未知病种。")]})
    return disease


def check_method(method: str) -> str:
    if method not in SERIES_METHODS:
        raise InvalidInput({"method": [
            _("取值无效，可选：%(opts)s。") % {"opts": ", ".join(SERIES_METHODS)}]})
    return method


def division_visible(*, user: User, division_code: str | None) -> Place:
    """The division (the user's own when None) if it lies inside the user's jurisdiction and
    carries results (county or above); Http404 otherwise, also when it does not exist."""
    if jurisdiction_prefix(user) is None:
        raise Http404
    if division_code is None:
        own = getattr(user, "division", None)
        if own is None:
            raise Http404
        division_code = own.code
    division = Division.objects.filter(code=division_code).first()
    if division is None or not in_jurisdiction(user, division.prefix):
        raise Http404
    if division.level not in _SERIES_LEVELS:
        # A township's results are its county's, which a township officer may not see.
        raise Http404
    return _place(division)


def run_latest(*, disease: str, day: date | None = None) -> WarningRun | None:
    """The latest finished run of the disease, or the finished run of `day`."""
    qs = WarningRun.objects.filter(disease_id=disease, status=RunStatus.DONE)
    if day is not None:
        qs = qs.filter(day=day)
    return qs.order_by("-day").first()


def run_list(*, user: User, disease: str | None = None, status: str | None = None,
             since: date | None = None, until: date | None = None,
             limit: int = 60) -> list[WarningRun]:
    """Runs, latest day first. Runs are national: every officer may list them."""
    if jurisdiction_prefix(user) is None:
        return []
    errors: dict[str, list[str]] = {}
    if status and status not in RunStatus.values:
        errors["status"] = [_("取值无效，可选：%(opts)s。") % {"opts": ", ".join(RunStatus.values)}]
    if since and until and until < since:
        errors["until"] = [_("结束日期不能早于开始日期。")]
    if not 1 <= limit <= RUN_LIST_MAX:
        errors["limit"] = [_("取值应在 1 到 %(n)s 之间。") % {"n": RUN_LIST_MAX}]
    if errors:
        raise InvalidInput(errors)
    qs = WarningRun.objects.all()
    if disease:
        qs = qs.filter(disease_id=check_disease(disease))
    if status:
        qs = qs.filter(status=status)
    if since:
        qs = qs.filter(day__gte=since)
    if until:
        qs = qs.filter(day__lte=until)
    return list(qs.order_by("-day", "disease_id")[:limit])


def run_days(*, disease: str, limit: int = 60) -> list[date]:
    """The days of the disease's finished runs, latest first (for a day picker)."""
    return list(WarningRun.objects.filter(disease_id=disease, status=RunStatus.DONE)
                .order_by("-day").values_list("day", flat=True)[:limit])


def series_get(*, user: User, run: WarningRun, division: Place, method: str) -> SeriesView | None:
    """The series of one division and method in `run`; None when the run has none for it.

    `division` comes from `division_visible`, which already checked the jurisdiction; the query
    is scoped again so that this function is safe on its own.
    """
    check_method(method)
    row = (scoped(SeriesResult.objects.filter(run=run, method=method), user)
           .filter(division_code=division.code).first())
    if row is None:
        return None
    data = row.data if isinstance(row.data, dict) else {}
    return SeriesView(run=run, division=division, method=method, level=row.level, data=data,
                      latest=_finite(row.latest), latest_lower=_finite(row.latest_lower),
                      latest_upper=_finite(row.latest_upper))


def child_places(division: Place) -> list[Place]:
    """The divisions directly below (provinces of the nation …); a county is its own child,
    as results stop at counties."""
    if division.level == Level.COUNTY:
        return [division]
    children = Division.objects.filter(parent_id=division.code,
                                       level__in=_SERIES_LEVELS).order_by("code")
    return [_place(d) for d in children]


def rt_children(*, user: User, run: WarningRun, division: Place) -> RtChildren:
    """The children of `division` with the last R_t of each (one query for the values)."""
    places = child_places(division)
    values = {
        code: (mean, lower, upper)
        for code, mean, lower, upper in scoped(
            SeriesResult.objects.filter(run=run, method=Method.RT,
                                        division_code__in=[p.code for p in places]), user)
        .values_list("division_code", "latest", "latest_lower", "latest_upper")
    }
    rows = []
    for p in places:
        mean, lower, upper = values.get(p.code, (None, None, None))
        rows.append(RtRow(place=p, mean=_finite(mean), lower=_finite(lower),
                          upper=_finite(upper)))
    return RtChildren(run=run, division=division, rows=rows)


def cluster_list(*, user: User, run: WarningRun, division: Place | None = None
                 ) -> list[ClusterView]:
    """The clusters of `run` whose focus (the member with the most cases, where its alert is
    raised) lies in the user's jurisdiction (and in `division` when given), most likely first,
    with the names and centroids of their divisions.

    Member divisions outside the jurisdiction are named too: a cluster's extent is geography,
    not anyone's record, and an officer needs to see where it reaches.
    """
    qs = scoped(ScanCluster.objects.filter(run=run), user, field="focus_code")
    if division is not None and division.prefix:
        qs = qs.filter(prefix_q("focus_code", division.prefix))
    clusters = list(qs.order_by("rank"))
    codes: set[str] = set()
    for c in clusters:
        codes.add(c.centre_code)
        codes.update(str(m) for m in (c.division_codes or []))
    known = {d.code: _place(d) for d in Division.objects.filter(code__in=codes)}

    def place(code: str) -> Place:
        if code in known:
            return known[code]
        # A code the division table lacks (a division since abolished): shown by its code.
        lon_lat = centroids().get(code)
        return Place(code=code, name=code, name_en="", level="", prefix=code,
                     longitude=lon_lat[0] if lon_lat else None,
                     latitude=lon_lat[1] if lon_lat else None)

    out = []
    for c in clusters:
        members = [str(m) for m in (c.division_codes or [])]
        out.append(ClusterView(
            rank=c.rank, centre=place(c.centre_code), members=[place(m) for m in members],
            radius_km=c.radius_km, start=c.start, end=c.end, observed=c.observed,
            expected=c.expected, llr=c.llr, p_value=c.p_value, member_codes=members,
            focus_code=c.focus_code, member_counts=[int(n) for n in (c.member_counts or [])]))
    return out
