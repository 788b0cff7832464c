"""Where from, where to (issue 5, deliverable 6): counts of cases moving between divisions.

Two sources, both counted per pair of divisions aggregated to a level (province, prefecture or
county):

- importations: case reports marked `imported`, from their `origin_division_code` (a domestic
  origin) to the division where the case lives; cases from abroad are counted by
  `origin_country` instead (there is no world map: they are a list);
- onward spread: confirmed transmission links whose infector and infectee live in different
  divisions at that level (infector's division → infectee's division).

A flow is visible when its destination is in the viewer's jurisdiction (inbound, or internal
when its origin is too) or, for outbound flows, when its origin is. Only counts leave this
module, never a person, so nothing is pseudonymised. The period is the reporting day of the
destination case (the imported case, the infectee). Decision:
docs/decisions/1040-flows-import-and-demo.md.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shouwang.core.errors import InvalidInput
from shouwang.core.scoping import jurisdiction_prefix, prefix_q
from shouwang.geo.models import Division
from shouwang.geo.source import centroids
from shouwang.surveillance.models import CaseReport, CaseStatus, Classification, Disease
from shouwang.tracing.models import LinkStatus, TransmissionLink

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.utils.functional import Promise

    from shouwang.accounts.models import User

# Digits of a division code that name a division of each level (GB/T 2260).
LEVELS: dict[str, int] = {"province": 2, "prefecture": 4, "county": 6}
LEVEL_LABELS = {"province": gettext_lazy("省级"), "prefecture": gettext_lazy("地市级"),
                "county": gettext_lazy("县区级")}
DIRECTIONS = ("inbound", "outbound", "internal")
MAX_DAYS = 3 * 366  # the longest period one request may ask for
# Suspected cases are not counted: a flow is a statement about infections.
COUNTED = (Classification.CONFIRMED, Classification.CLINICAL, Classification.ASYMPTOMATIC)

# The countries importations most often come from, by ISO 3166-1 alpha-3; others show the code.
COUNTRY_NAMES: dict[str, Promise] = {
    "USA": gettext_lazy("美国"), "GBR": gettext_lazy("英国"), "FRA": gettext_lazy("法国"),
    "DEU": gettext_lazy("德国"), "ITA": gettext_lazy("意大利"), "ESP": gettext_lazy("西班牙"),
    "RUS": gettext_lazy("俄罗斯"), "JPN": gettext_lazy("日本"), "KOR": gettext_lazy("韩国"),
    "SGP": gettext_lazy("新加坡"), "MYS": gettext_lazy("马来西亚"), "THA": gettext_lazy("泰国"),
    "VNM": gettext_lazy("越南"), "PHL": gettext_lazy("菲律宾"), "IDN": gettext_lazy("印度尼西亚"),
    "MMR": gettext_lazy("缅甸"), "LAO": gettext_lazy("老挝"), "KHM": gettext_lazy("柬埔寨"),
    "IND": gettext_lazy("印度"), "PAK": gettext_lazy("巴基斯坦"), "ARE": gettext_lazy("阿联酋"),
    "SAU": gettext_lazy("沙特阿拉伯"), "AUS": gettext_lazy("澳大利亚"),
    "CAN": gettext_lazy("加拿大"), "BRA": gettext_lazy("巴西"), "ZAF": gettext_lazy("南非"),
    "NGA": gettext_lazy("尼日利亚"), "MNG": gettext_lazy("蒙古"), "KAZ": gettext_lazy("哈萨克斯坦"),
}


def country_name(code: str) -> str:
    name = COUNTRY_NAMES.get(code)
    return str(name) if name is not None else code


def aggregate_code(code: str, level: str) -> str:
    """The six-digit code of the division of `level` containing `code` ("420111003" at
    prefecture level → "420100"). A code less specific than the level stays itself
    ("440100" at county level is the city)."""
    digits = LEVELS[level]
    return code[:digits].ljust(6, "0")


@dataclass(frozen=True)
class FlowQuery:
    """What to count: a disease, a period of reporting days (inclusive) and the level."""

    disease: str
    since: date
    until: date
    level: str = "county"

    def __post_init__(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.level not in LEVELS:
            errors["level"] = [_("取值无效，可选：%(opts)s。") % {"opts": ", ".join(LEVELS)}]
        if self.until < self.since:
            errors["until"] = [_("结束日期不能早于开始日期。")]
        elif (self.until - self.since).days + 1 > MAX_DAYS:
            errors["since"] = [_("时间段不能超过 %(n)s 天。") % {"n": MAX_DAYS}]
        if not Disease.objects.filter(code=self.disease).exists():
            errors["disease"] = [_("未知病种。")]
        if errors:
            raise InvalidInput(errors)


@dataclass(frozen=True)
class Flow:
    """Cases from one division to another (both aggregated to the query's level)."""

    origin: str
    destination: str
    count: int
    direction: str  # inbound, outbound or internal (both ends in the jurisdiction)


@dataclass(frozen=True)
class CountryFlow:
    country: str
    destination: str
    count: int


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    name_en: str
    longitude: float | None
    latitude: float | None


@dataclass
class Flows:
    query: FlowQuery
    prefix: str  # the viewer's jurisdiction
    imported: list[Flow] = field(default_factory=list)
    countries: list[CountryFlow] = field(default_factory=list)
    imported_unknown: int = 0  # imported cases in the jurisdiction without a stated origin
    imported_total: int = 0    # imported cases in the jurisdiction
    spread: list[Flow] = field(default_factory=list)
    places: dict[str, Place] = field(default_factory=dict)

    def country_totals(self) -> list[tuple[str, str, int]]:
        """(code, name, cases) by country, most cases first."""
        totals: Counter[str] = Counter()
        for f in self.countries:
            totals[f.country] += f.count
        return [(c, country_name(c), n)
                for c, n in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]

    def totals(self, flows: list[Flow]) -> dict[str, int]:
        out = dict.fromkeys(DIRECTIONS, 0)
        for f in flows:
            out[f.direction] += f.count
        return out


def _bounds(query: FlowQuery) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (datetime.combine(query.since, time(0), tzinfo=tz),
            datetime.combine(query.until + timedelta(days=1), time(0), tzinfo=tz))


def _direction(origin_in: bool, destination_in: bool) -> str:
    if origin_in and destination_in:
        return "internal"
    return "inbound" if destination_in else "outbound"


def _sorted(counter: Counter[tuple[str, str, str]]) -> list[Flow]:
    flows = [Flow(o, d, n, direction) for (o, d, direction), n in counter.items()]
    return sorted(flows, key=lambda f: (-f.count, f.origin, f.destination))


def flows_summary(*, user: User | AnonymousUser | None, query: FlowQuery) -> Flows:
    """The flows `user` may see for `query` (nothing for a user without a jurisdiction)."""
    prefix = jurisdiction_prefix(user)
    result = Flows(query=query, prefix=prefix or "")
    if prefix is None:
        return result
    start, end = _bounds(query)
    level = query.level

    def inside(code: str) -> bool:
        return code.startswith(prefix)

    cases = CaseReport.objects.filter(
        disease_id=query.disease, status=CaseStatus.ACTIVE, classification__in=COUNTED,
        imported=True, reported_at__gte=start, reported_at__lt=end)
    # Importations into the jurisdiction, and out of it (cases elsewhere that came from here).
    visible = prefix_q("division_code", prefix) | (
        ~Q(origin_division_code="") & prefix_q("origin_division_code", prefix))
    imported: Counter[tuple[str, str, str]] = Counter()
    countries: Counter[tuple[str, str]] = Counter()
    rows = (cases.filter(visible).values_list("origin_division_code", "origin_country",
                                              "division_code")
            .annotate(n=Count("id")).order_by())
    for origin, country, home, n in rows:
        home_in = inside(home)
        if home_in:
            result.imported_total += n
        if origin:
            o, d = aggregate_code(origin, level), aggregate_code(home, level)
            if o != d:
                imported[(o, d, _direction(inside(origin), home_in))] += n
        if country and home_in:
            countries[(country, aggregate_code(home, level))] += n
        if not origin and not country and home_in:
            result.imported_unknown += n
    result.imported = _sorted(imported)
    result.countries = sorted((CountryFlow(c, d, n) for (c, d), n in countries.items()),
                              key=lambda f: (-f.count, f.country, f.destination))

    links = TransmissionLink.objects.filter(
        status=LinkStatus.CONFIRMED, infectee__disease_id=query.disease,
        infectee__status=CaseStatus.ACTIVE, infectee__reported_at__gte=start,
        infectee__reported_at__lt=end,
    ).filter(prefix_q("infectee_division_code", prefix)
             | prefix_q("infector_division_code", prefix))
    spread: Counter[tuple[str, str, str]] = Counter()
    for origin, home, n in (links.values_list("infector_division_code", "infectee_division_code")
                            .annotate(n=Count("id")).order_by()):
        o, d = aggregate_code(origin, level), aggregate_code(home, level)
        if o != d:
            spread[(o, d, _direction(inside(origin), inside(home)))] += n
    result.spread = _sorted(spread)

    codes = {f.origin for f in result.imported + result.spread} | {
        f.destination for f in result.imported + result.spread} | {
        f.destination for f in result.countries}
    result.places = places(codes)
    return result


DEFAULT_DAYS = 183  # half a year: an outbreak from its first importations to its tail


def flows_defaults(*, user: User | AnonymousUser | None,
                   disease: str | None = None) -> tuple[str | None, date, date]:
    """(disease, since, until) a page opens with: the disease of the jurisdiction's latest
    case (or the one asked for) and the DEFAULT_DAYS up to that case's reporting day, so that
    a quiet jurisdiction shows its last outbreak rather than an empty today."""
    prefix = jurisdiction_prefix(user)
    today = timezone.localdate()
    latest = None
    if prefix is not None:
        cases = CaseReport.objects.filter(prefix_q("division_code", prefix),
                                          status=CaseStatus.ACTIVE,
                                          classification__in=COUNTED)
        if disease:
            cases = cases.filter(disease_id=disease)
        latest = cases.order_by("-reported_at").values_list("disease_id", "reported_at").first()
    if latest is None:
        return disease, today - timedelta(days=DEFAULT_DAYS - 1), today
    until = timezone.localdate(latest[1])
    return disease or latest[0], until - timedelta(days=DEFAULT_DAYS - 1), until


def flows_query(*, user: User | AnonymousUser | None, disease: str | None = None,
                since: date | None = None, until: date | None = None,
                level: str = "county") -> FlowQuery | None:
    """The query of a request: what it names, the rest from `flows_defaults` (a period given
    by one end only spans DEFAULT_DAYS from it). None when no disease is named and the
    jurisdiction has no case to pick one from."""
    picked, default_since, default_until = flows_defaults(user=user, disease=disease)
    span = timedelta(days=DEFAULT_DAYS - 1)
    if since is None and until is not None:
        since = until - span
    elif until is None and since is not None:
        until = since + span
    if picked is None:
        return None
    return FlowQuery(disease=picked, since=since or default_since,
                     until=until or default_until, level=level)


def places(codes: set[str]) -> dict[str, Place]:
    """Name and centroid of each code: the division table's, else the boundary file's
    centroid; a code the table does not know is named by itself."""
    known = {d.code: d for d in Division.objects.filter(code__in=codes)}
    points = centroids() if codes - {c for c, d in known.items() if d.latitude is not None} \
        else {}
    out: dict[str, Place] = {}
    for code in sorted(codes):
        d = known.get(code)
        lon, lat = ((d.longitude, d.latitude) if d is not None and d.latitude is not None
                    else points.get(code, (None, None)))
        out[code] = Place(code, d.name if d else code, d.name_en if d else "", lon, lat)
    return out


__all__ = ["COUNTRY_NAMES", "DIRECTIONS", "LEVELS", "CountryFlow", "Flow", "FlowQuery", "Flows",
           "Place", "aggregate_code", "country_name", "flows_defaults", "flows_query",
           "flows_summary", "places"]
