"""Demo data for surveillance: a synthetic COVID-19 outbreak in the scale's counties.

The outbreak comes from shouwang.epi.outbreak (a renewal process seeded in one county and
spread along gravity travel links, observed with asymptomatic infections, incubation, diagnosis
and reporting delays); this module only dresses its cases as report cards (synthetic names,
valid resident ID numbers of the case's county, mobile numbers, county hospitals) and uploads
them as one line list through the bulk importer, as a county would (same validation,
deduplication, history and daily counts as the report form).

Deterministic for a seed and idempotent: the same seed gives the same cards on any day (the
outbreak is placed on fixed dates from OUTBREAK_START), and the importer's source keys are made
from a row's content, so importing the same demo again adds nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from django.utils import timezone

from shouwang.accounts.models import User
from shouwang.core.validators import MOBILE_PREFIXES, resident_id_check_char
from shouwang.demo import DemoBuilder, DemoContext, register_demo_builder
from shouwang.epi.outbreak import Cases, OutbreakParams, simulate_outbreak
from shouwang.geo.models import Division
from shouwang.surveillance.models import ImportBatch, ImportStatus, Occupation
from shouwang.surveillance.selectors.imports import import_batch_list
from shouwang.surveillance.services.import_io import IMPORT_COLUMNS
from shouwang.surveillance.services.imports import import_run, import_upload

DISEASE = "covid19"
REPORTER = "demo-national"  # the demo officer whose jurisdiction covers every scale
OUTBREAK_START = date(2025, 12, 1)
OUTBREAK_DAYS = 150
# Cases written per scale: the outbreak is thinned to this many (a lower ascertainment). The bulk
# importer stores a few thousand a second, so the province and the nation get enough cases for
# the early-warning analytics to find something in most counties.
MAX_CASES = {"small": 1200, "province": 40_000, "national": 200_000}
# …and to this many per county and the scale's records_per_county (a few Wuhan districts in tests
# get a few dozen, not a thousand).
CASES_PER_COUNTY_RECORD = 2
# Where the outbreak starts, if the scale includes it (硚口区, then 武昌区); else the most populous.
ORIGIN_PREFERENCE = ("420104", "420106")
# The national demo: later outbreaks seeded in other regions' hubs, each from its own day after
# OUTBREAK_START (known start dates for scoring the early-warning methods); a scale without the
# hub leaves it out, so the city and province demos are one outbreak.
FURTHER_OUTBREAKS = (("440106", 20), ("310115", 35), ("110105", 50), ("510107", 65),
                     ("610113", 80))
# Seeds are imported from outside: from this city when it is outside the scale, else abroad.
EXTERNAL_ORIGIN_DIVISION = "440100"
EXTERNAL_ORIGIN_COUNTRY = "SGP"
# Wuhan's centre: where counties without coordinates are placed (with a jitter of their own).
FALLBACK_CENTRE = (30.59, 114.30)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉斌宇浩凯健俊帆鑫波宁欣怡"
    "佳琪子涵梓轩浩然思雨梦婷晨阳博文雅晴嘉瑞雪峰海燕立新志国建林春梅小龙文静晓东慧"
)
FACILITY_KINDS = ("人民医院", "人民医院", "人民医院", "中医医院", "妇幼保健院", "第二人民医院")
STREETS = ("解放路", "中山路", "建设路", "人民路", "和平大道", "光谷大道", "民主路", "友谊大道",
           "长江路", "新华路", "文化路", "胜利街")
WORKING_AGE_JOBS = (
    Occupation.WORKER, Occupation.COMMERCE, Occupation.CADRE, Occupation.FARMER,
    Occupation.MIGRANT_WORKER, Occupation.HEALTHCARE, Occupation.TEACHER, Occupation.CATERING,
    Occupation.PUBLIC_SERVICE, Occupation.DRIVER_SEAFARER, Occupation.UNEMPLOYED, Occupation.OTHER,
)
_MOBILE_PREFIXES = tuple(sorted(MOBILE_PREFIXES))


@dataclass(frozen=True)
class County:
    code: str
    name: str
    latitude: float
    longitude: float
    population: float


def _unit(text: str) -> float:
    """A number in [0, 1) fixed by `text`: stable jitter that does not depend on run order."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2.0**64


def demo_counties(divisions: Sequence[Division]) -> list[County]:
    """The counties with a centroid and a synthetic population.

    The division table has no populations: urban districts (市辖区 "区") get about 900,000 and
    counties about 500,000, with a lognormal spread fixed by the code.
    """
    out = []
    for d in divisions:
        lat, lon = d.latitude, d.longitude
        if lat is None or lon is None:
            lat = FALLBACK_CENTRE[0] + (_unit(f"lat:{d.code}") - 0.5)
            lon = FALLBACK_CENTRE[1] + (_unit(f"lon:{d.code}") - 0.5)
        base = 9e5 if d.name.endswith("区") else 5e5
        spread = float(np.exp(0.5 * (_unit(f"pop:{d.code}") - 0.5) * 2))
        out.append(County(d.code, d.name, float(lat), float(lon), base * spread))
    return out


def outbreak_params(counties: Sequence[County]) -> OutbreakParams:
    codes = [c.code for c in counties]
    origin = next((codes.index(c) for c in ORIGIN_PREFERENCE if c in codes),
                  int(np.argmax([c.population for c in counties])))
    return OutbreakParams(days=OUTBREAK_DAYS, origin=origin, intervention_day=40,
                          initial_seeds=8)


def _name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN_CHARS) for _ in range(1 if rng.random() < 0.3 else 2))
    return rng.choice(SURNAMES) + given


def _resident_id(rng: random.Random, county: str, birth: date, sex: str) -> str:
    seq = rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)  # odd for men, even for women
    first17 = f"{county}{birth:%Y%m%d}{seq:03d}"
    return first17 + resident_id_check_char(first17)


def _occupation(rng: random.Random, age: int) -> str:
    if age < 3:
        return Occupation.SCATTERED_CHILD
    if age < 7:
        return rng.choice((Occupation.NURSERY_CHILD, Occupation.SCATTERED_CHILD))
    if age < 22:
        return Occupation.STUDENT
    if age >= 60:
        return Occupation.RETIRED if rng.random() < 0.75 else Occupation.FARMER
    return rng.choice(WORKING_AGE_JOBS)


def case_payloads(ctx_rng: random.Random, cases: Cases, counties: Sequence[County],
                  external_origin_division: str | None, *, disease: str = DISEASE,
                  start_day: date = OUTBREAK_START, occupations: Sequence[str] | None = None,
                  facility_kinds: Sequence[str] = FACILITY_KINDS) -> list[dict[str, Any]]:
    """The report card of every simulated case, as `case_report_submit` takes it.

    `cases` counts its days and hours from `start_day`. `occupations` gives a case's
    occupation code ("" or None: drawn from its age, as for the outbreak)."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(start_day, time(0, 0), tzinfo=tz)

    def occupation(i: int, age: int) -> str:
        given = occupations[i] if occupations is not None else ""
        return str(given) if given else _occupation(ctx_rng, age)

    out = []
    for i in range(len(cases)):
        county = counties[int(cases.region[i])]
        sex = str(cases.sex[i])
        age = int(cases.age[i])
        diagnosed = start + timedelta(hours=float(cases.diagnosis_hours[i]))
        reported = start + timedelta(hours=float(cases.report_hours[i]))
        onset_day = int(cases.onset_day[i])
        onset = start_day + timedelta(days=onset_day) if onset_day >= 0 else None
        reference = onset or timezone.localdate(diagnosed)
        birth = reference - timedelta(days=365 * age + ctx_rng.randrange(0, 360) + age // 4)
        data: dict[str, Any] = {
            "disease": disease,
            "classification": str(cases.classification[i]),
            "name": _name(ctx_rng),
            "id_type": "resident_id",
            "id_number": _resident_id(ctx_rng, county.code, birth, sex),
            "phone": ctx_rng.choice(_MOBILE_PREFIXES) + f"{ctx_rng.randrange(10**8):08d}",
            "sex": sex,
            "division_code": county.code,
            "address_detail": f"{ctx_rng.choice(STREETS)}{ctx_rng.randrange(1, 400)}号"
                              f"{ctx_rng.randrange(1, 30)}栋{ctx_rng.randrange(1, 6)}单元",
            "occupation": occupation(i, age),
            "onset_date": onset.isoformat() if onset else "",
            "diagnosed_at": diagnosed.isoformat(),
            "reported_at": reported.isoformat(),
            "reporting_facility": county.name + ctx_rng.choice(facility_kinds),
            "reporting_division_code": county.code,
            "severity": str(cases.severity[i]),
            "imported": bool(cases.imported[i]),
        }
        death_day = int(cases.death_day[i])
        if death_day >= 0:
            died = max(start_day + timedelta(days=death_day), timezone.localdate(diagnosed))
            data.update(outcome="died", outcome_date=died.isoformat())
        if cases.imported[i]:
            origin = int(cases.origin_region[i])
            if origin >= 0:
                data["origin_division_code"] = counties[origin].code
            elif external_origin_division:
                data["origin_division_code"] = external_origin_division
            else:
                data["origin_country"] = EXTERNAL_ORIGIN_COUNTRY
        out.append(data)
    return out


def _progress(ctx: DemoContext, done: int, total: int, width: int = 30,
              label: str = "病例 cases") -> None:
    filled = width * done // max(total, 1)
    ctx.out.write(f"  {label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")


def build_demo_outbreak(ctx: DemoContext) -> None:
    counties = demo_counties(list(ctx.divisions("county")))
    if not counties:
        ctx.notes.append("Outbreak: no counties in the scale's area; nothing simulated.")
        return
    reporter = User.objects.get(username=REPORTER)
    rng = ctx.rng("surveillance.outbreak")
    params = outbreak_params(counties)
    simulated, infections, starts = simulate_outbreaks(counties, params, rng)
    limit = min(MAX_CASES.get(ctx.scale.name, 1200),
                CASES_PER_COUNTY_RECORD * ctx.scale.records_per_county * len(counties))
    cases = thin(simulated, limit, rng)
    external = None
    if not EXTERNAL_ORIGIN_DIVISION.startswith(ctx.scale.division_prefix):
        external = EXTERNAL_ORIGIN_DIVISION if Division.objects.filter(
            code=EXTERNAL_ORIGIN_DIVISION).exists() else None
    payloads = case_payloads(rng, cases, counties, external)
    batch = _import(ctx, reporter, payloads)
    ctx.notes.append(
        f"Outbreak ({DISEASE}, from {OUTBREAK_START} over {OUTBREAK_DAYS} days in "
        f"{len(counties)} counties, seeded in {', '.join(starts)}): {infections} simulated "
        f"infections, "
        f"{len(payloads)} case reports ({batch.imported_rows} imported now, "
        f"{batch.existing_rows} already there, {batch.duplicate_rows} merged as repeats, "
        f"{batch.error_rows} refused)."
    )


def _import(ctx: DemoContext, reporter: User, payloads: list[dict[str, Any]], *,
            file_stem: str = "demo-outbreak", label: str = "病例 cases") -> ImportBatch:
    """Store the reports as a line list through the bulk importer, the way a county would
    upload one: the same validation, deduplication, history and counts as the form, at a few
    thousand rows a second. The same demo again changes nothing: the file was imported
    already, so neither a new batch nor an audit row is written (and had it not finished, the
    importer would resume it; its source keys make any repeat a no-op)."""
    columns = [c.field for c in IMPORT_COLUMNS]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for data in payloads:
        writer.writerow([_cell(data.get(name)) for name in columns])
    content = out.getvalue().encode("utf-8")
    total = len(payloads)
    _progress(ctx, 0, total, label=label)
    batch = import_batch_list(user=reporter).filter(
        file_sha256=hashlib.sha256(content).hexdigest(), status=ImportStatus.DONE,
        dry_run=False).order_by("pk").first()
    if batch is None:
        batch = import_upload(actor=reporter, file_name=f"{file_stem}-{ctx.seed}.csv",
                              content=content)
        batch = import_run(batch=batch, progress=lambda done, _total: (
            _progress(ctx, done, total, label=label) if done < total else None))
    _progress(ctx, total, total, label=label)
    return batch


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def simulate_outbreaks(counties: Sequence[County], params: OutbreakParams,
                      rng: random.Random) -> tuple[Cases, int, list[str]]:
    """The first outbreak and, where the scale holds their hubs, the later ones of
    FURTHER_OUTBREAKS, each simulated from its own start over the remaining days and shifted
    onto the common calendar. Returns the cases, the infections and "code from day" per seed."""
    codes = [c.code for c in counties]
    args = ([c.population for c in counties], [c.latitude for c in counties],
            [c.longitude for c in counties])
    runs = [(params.origin, 0)] + [(codes.index(code), day) for code, day in FURTHER_OUTBREAKS
                                   if code in codes and codes.index(code) != params.origin]
    parts: list[Cases] = []
    infections = 0
    for origin, day in runs:
        outbreak = simulate_outbreak(*args, replace(params, origin=origin,
                                                    days=params.days - day),
                                     seed=rng.getrandbits(63))
        infections += int(outbreak.infections.sum())
        parts.append(_shifted(outbreak.cases, day))
    merged = Cases(**{name: np.concatenate([getattr(c, name) for c in parts])
                      for name in Cases.__dataclass_fields__})
    starts = [f"{codes[origin]} {OUTBREAK_START + timedelta(days=day)}" for origin, day in runs]
    return merged, infections, starts


def _shifted(cases: Cases, days: int) -> Cases:
    """The cases of an outbreak that started `days` after OUTBREAK_START, on its calendar."""
    if days == 0:
        return cases

    def later(values: Any) -> Any:  # −1 (no onset, no death) stays −1
        return np.where(values >= 0, values + days, values)

    return replace(cases, infection_day=cases.infection_day + days,
                   onset_day=later(cases.onset_day), death_day=later(cases.death_day),
                   diagnosis_hours=cases.diagnosis_hours + 24.0 * days,
                   report_hours=cases.report_hours + 24.0 * days)


def thin(cases: Cases, limit: int, rng: random.Random) -> Cases:
    """At most `limit` cases, a uniform random subset kept in report order."""
    if len(cases) <= limit:
        return cases
    keep = np.sort(np.random.default_rng(rng.getrandbits(63))
                   .choice(len(cases), size=limit, replace=False))
    return Cases(**{name: getattr(cases, name)[keep] for name in Cases.__dataclass_fields__})


register_demo_builder(DemoBuilder(
    name="surveillance.outbreak", order=50, build=build_demo_outbreak,
    description="a synthetic COVID-19 outbreak: case reports in the scale's counties",
))

__all__ = ["build_demo_outbreak", "case_payloads", "demo_counties", "thin"]

# The endemic background is a builder of its own; importing it here registers it when the
# registry autodiscovers this module (it reuses the functions above, so it comes last).
from shouwang.surveillance import demo_endemic  # noqa: E402, F401
