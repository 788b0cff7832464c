"""Validation of one case report's input: the single rule book for the form, the API, the
single-report service and the bulk importer.

`validate_case_input` runs no query of its own: the caller passes the diseases and the division
codes, preloaded once (`DivisionCodes.load()` for a bulk import, `DivisionCodes.lazy()` for one
report), so an import validates hundreds of thousands of rows without a query per row. It returns
the cleaned values and the errors by field; it never raises for bad input, so an importer can
collect row errors and a service can raise `InvalidInput(errors)`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from shouwang.core.validators import (
    InvalidIdentifier,
    normalize_mobile,
    parse_passport,
    parse_resident_id,
)
from shouwang.surveillance.models import (
    Classification,
    Disease,
    IdType,
    Occupation,
    Outcome,
    Severity,
    Sex,
)

# A device clock a few minutes ahead of the server is normal; an hour ahead is a wrong date.
CLOCK_SKEW = timedelta(minutes=5)
# Onset more than a year before diagnosis is a typing error of the year, not a slow diagnosis.
MAX_ONSET_TO_DIAGNOSIS = timedelta(days=365)
MAX_AGE = 120
NAME_MAX = 64
FACILITY_MAX = 128
ADDRESS_MAX = 255
COUNTY_CODE_LENGTH = 6
# Digit lengths of GB/T 2260 codes at county (6), township (9) and village (12) level.
PERSON_CODE_LENGTHS = frozenset({6, 9, 12})

Errors = dict[str, list[str | Promise]]

MSG_REQUIRED = _("此项为必填项。")
MSG_DATE = _("请输入有效日期（YYYY-MM-DD）。")
MSG_DATETIME = _("请输入有效的日期时间。")
MSG_FUTURE = _("不能晚于当前时间。")
MSG_UNKNOWN_DIVISION = _("未知的区划代码：%(code)s。")
MSG_CHOICE = _("取值无效，可选：%(opts)s。")
MSG_TOO_LONG = _("不能超过 %(n)s 个字符。")


class DivisionCodes:
    """Which division codes exist, and which of them a person may live in (county or below).

    Built from sets (`load`, for bulk work) or from a lookup function (`lazy`, one query per
    distinct code, for a single report).
    """

    def __init__(self, known: Container[str] | Callable[[str], bool],
                 local: Container[str] | Callable[[str], bool]) -> None:
        self._known = known
        self._local = local
        self._cache: dict[tuple[str, str], bool] = {}

    @staticmethod
    def _test(source: Container[str] | Callable[[str], bool], code: str) -> bool:
        if callable(source):
            return bool(source(code))
        return code in source

    def known(self, code: str) -> bool:
        key = ("k", code)
        if key not in self._cache:
            self._cache[key] = self._test(self._known, code)
        return self._cache[key]

    def local(self, code: str) -> bool:
        """A code a person can live in: a known division at county level or below."""
        key = ("l", code)
        if key not in self._cache:
            self._cache[key] = self._test(self._local, code)
        return self._cache[key]

    @classmethod
    def load(cls) -> DivisionCodes:
        """Every code of the division table in memory: for imports."""
        from shouwang.geo.models import Division, Level

        known: set[str] = set()
        local: set[str] = set()
        person_levels = {Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE}
        for code, level in Division.objects.values_list("code", "level").iterator(chunk_size=5000):
            known.add(code)
            if level in person_levels:
                local.add(code)
        return cls(frozenset(known), frozenset(local))

    @classmethod
    def lazy(cls) -> DivisionCodes:
        """Codes looked up on demand: for one report."""
        from shouwang.geo.models import Division, Level

        person_levels = [Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE]
        return cls(
            lambda code: Division.objects.filter(code=code).exists(),
            lambda code: Division.objects.filter(code=code, level__in=person_levels).exists(),
        )


@dataclass
class CleanCase:
    """The validated values of one report, ready to become a CaseReport's fields."""

    disease: Disease
    classification: str
    name: str
    id_type: str
    id_number: str
    phone: str
    sex: str
    birth_date: date | None
    age_years: int | None
    division_code: str
    address_detail: str
    occupation: str
    onset_date: date | None
    diagnosed_at: datetime
    reported_at: datetime
    reporting_facility: str
    reporting_division_code: str
    severity: str
    outcome: str
    outcome_date: date | None
    imported: bool
    origin_division_code: str
    origin_country: str

    def as_model_fields(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# --- small parsers ------------------------------------------------------------------------------


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _local_zone() -> Any:
    # The active zone, as timezone.localdate would use; read once per report, not per moment.
    return timezone.get_current_timezone()


def _day(moment: datetime, zone: Any) -> date:
    """timezone.localdate(moment) with the zone looked up once (an import asks millions of
    times)."""
    return moment.astimezone(zone).date()


def _add(errors: Errors, field: str, message: str | Promise) -> None:
    errors.setdefault(field, []).append(message)


def _text(data: Mapping[str, Any], field: str) -> str:
    value = data.get(field)
    return "" if value is None else str(value).strip()


def _missing(data: Mapping[str, Any], field: str) -> bool:
    value = data.get(field)
    return value is None or (isinstance(value, str) and not value.strip())


def parse_aware(value: Any) -> datetime | None:
    """A datetime from a datetime or an ISO 8601 string; naive values are China time.

    A bare date is read as midnight China time (a line list often has dates only).
    """
    tz = _zone(settings.TIME_ZONE)
    parsed: datetime | None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=tz)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            parsed = _iso_datetime(text) or parse_datetime(text)
            if parsed is None:
                d = parse_date(text)
                return datetime(d.year, d.month, d.day, tzinfo=tz) if d else None
        except ValueError:
            return None
    else:
        return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def _iso_datetime(text: str) -> datetime | None:
    """The common "YYYY-MM-DD HH:MM[:SS]" through the C parser; None lets Django's parser try
    (it knows more forms, and says which are invalid)."""
    if len(text) < 16 or text[10] not in " T":
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def parse_day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if len(text) == 10:
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
        try:
            return parse_date(text)
        except ValueError:
            return None
    return None


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if value is None or value == "":
        return False
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "y", "是", "输入"}:
        return True
    if text in {"0", "false", "no", "n", "否", "本地"}:
        return False
    return None


@functools.cache
def _allowed(choices: Any) -> frozenset[str]:
    # Choices.values builds a new list on every access; the import validates millions of rows.
    return frozenset(choices.values)


def _choice(data: Mapping[str, Any], field: str, choices: Any, errors: Errors, *,
            default: str | None = None, required: bool = True) -> str:
    value = _text(data, field) or (default or "")
    if not value:
        if required:
            _add(errors, field, MSG_REQUIRED)
    elif value not in _allowed(choices):
        _add(errors, field, MSG_CHOICE % {"opts": ", ".join(v for v in choices.values if v)})
    return value


def _bounded_text(data: Mapping[str, Any], field: str, limit: int, errors: Errors, *,
                  required: bool) -> str:
    value = _text(data, field)
    if not value and required:
        _add(errors, field, MSG_REQUIRED)
    elif len(value) > limit:
        _add(errors, field, MSG_TOO_LONG % {"n": limit})
    return value


def age_on(birth: date, day: date) -> int:
    """Whole years from `birth` to `day` (negative when `day` is before the birth)."""
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


# --- the person ---------------------------------------------------------------------------------


def person_fields(data: Mapping[str, Any], errors: Errors, today: date
                  ) -> tuple[str, str, str, str, str, date | None]:
    """The person on a report or a lab result: (name, id_type, id_number, phone, sex,
    birth_date), checked and normalised; problems go into `errors` by field."""
    name = _bounded_text(data, "name", NAME_MAX, errors, required=True)
    id_type = _choice(data, "id_type", IdType, errors, default=IdType.RESIDENT_ID)
    raw_id = _text(data, "id_number")
    id_number = ""
    sex = _text(data, "sex") or Sex.UNKNOWN
    if sex not in _allowed(Sex):
        _add(errors, "sex", MSG_CHOICE % {"opts": ", ".join(Sex.values)})
    birth_date = parse_day(data.get("birth_date"))
    if not _missing(data, "birth_date") and birth_date is None:
        _add(errors, "birth_date", MSG_DATE)
    try:
        if id_type == IdType.NONE:
            if raw_id:
                _add(errors, "id_number", _("证件类型为“无证件”时不应填写证件号码。"))
        elif not raw_id:
            if id_type in _allowed(IdType):
                _add(errors, "id_number", MSG_REQUIRED)
        elif id_type == IdType.RESIDENT_ID:
            parsed = parse_resident_id(raw_id, today=today)
            id_number = parsed.number
            # The number states sex and birth date; a form that disagrees is mistyped somewhere.
            if sex == Sex.UNKNOWN:
                sex = parsed.sex
            elif sex != parsed.sex:
                _add(errors, "sex", _("性别与身份证号码不符。"))
            if birth_date is None:
                birth_date = parsed.birth_date
            elif birth_date != parsed.birth_date:
                _add(errors, "birth_date", _("出生日期与身份证号码不符。"))
        elif id_type == IdType.PASSPORT:
            id_number = parse_passport(raw_id).number
        elif len(raw_id) > 64:
            _add(errors, "id_number", MSG_TOO_LONG % {"n": 64})
        else:
            id_number = raw_id
    except InvalidIdentifier as exc:
        _add(errors, "id_number", exc.message)
    phone = ""
    raw_phone = _text(data, "phone")
    if raw_phone:
        try:
            phone = normalize_mobile(raw_phone)
        except InvalidIdentifier as exc:
            _add(errors, "phone", exc.message)
    if birth_date is not None and birth_date > today:
        _add(errors, "birth_date", _("日期不能晚于今天。"))
    return name, id_type, id_number, phone, sex, birth_date


# --- the report ---------------------------------------------------------------------------------


def _local_code(code: str, field: str, divisions: DivisionCodes, errors: Errors) -> None:
    if not code:
        _add(errors, field, MSG_REQUIRED)
    elif not (code.isascii() and code.isdigit()) or not divisions.known(code):
        _add(errors, field, MSG_UNKNOWN_DIVISION % {"code": code[:12]})
    elif len(code) not in PERSON_CODE_LENGTHS or not divisions.local(code):
        _add(errors, field, _("现住址区划应为县级或以下区划。"))


def _known_code(code: str, field: str, divisions: DivisionCodes, errors: Errors) -> None:
    if not (code.isascii() and code.isdigit()) or not divisions.known(code):
        _add(errors, field, MSG_UNKNOWN_DIVISION % {"code": code[:12]})


def _times(data: Mapping[str, Any], now: datetime, zone: Any, errors: Errors
           ) -> tuple[date | None, datetime | None, datetime | None]:
    latest = now + CLOCK_SKEW
    onset = parse_day(data.get("onset_date"))
    if not _missing(data, "onset_date") and onset is None:
        _add(errors, "onset_date", MSG_DATE)
    diagnosed = parse_aware(data.get("diagnosed_at"))
    if _missing(data, "diagnosed_at"):
        _add(errors, "diagnosed_at", MSG_REQUIRED)
    elif diagnosed is None:
        _add(errors, "diagnosed_at", MSG_DATETIME)
    # A report without a time is being reported now.
    reported = now if _missing(data, "reported_at") else parse_aware(data.get("reported_at"))
    if reported is None:
        _add(errors, "reported_at", MSG_DATETIME)

    if onset is not None and onset > _day(latest, zone):
        _add(errors, "onset_date", _("发病日期不能晚于今天。"))
        onset = None
    if diagnosed is not None and diagnosed > latest:
        _add(errors, "diagnosed_at", MSG_FUTURE)
        diagnosed = None
    if reported is not None and reported > latest:
        _add(errors, "reported_at", MSG_FUTURE)
        reported = None

    diag_day = _day(diagnosed, zone) if diagnosed is not None else None
    if onset is not None and diag_day is not None:
        if onset > diag_day:
            _add(errors, "onset_date", _("发病日期不能晚于诊断时间。"))
        elif diag_day - onset > MAX_ONSET_TO_DIAGNOSIS:
            _add(errors, "onset_date", _("发病日期早于诊断时间超过一年，请核对年份。"))
    if (onset is not None and reported is not None and "onset_date" not in errors
            and onset > _day(reported, zone)):
        _add(errors, "onset_date", _("发病日期不能晚于报告时间。"))
    if diagnosed is not None and reported is not None and diagnosed > reported:
        _add(errors, "diagnosed_at", _("诊断时间不能晚于报告时间。"))
    return onset, diagnosed, reported


def _age(data: Mapping[str, Any], birth: date | None, onset: date | None,
         diagnosed: datetime | None, zone: Any, errors: Errors) -> int | None:
    ref = onset or (_day(diagnosed, zone) if diagnosed is not None else None)
    given: int | None = None
    if not _missing(data, "age_years"):
        try:
            given = int(str(data.get("age_years")).strip())
        except ValueError:
            _add(errors, "age_years", _("请输入整数。"))
            return None
    if birth is not None and ref is not None:
        age = age_on(birth, ref)
        if not 0 <= age <= MAX_AGE:
            field = "birth_date" if _missing(data, "id_number") else "id_number"
            _add(errors, field, _("按出生日期计算的发病（诊断）年龄为 %(age)s 岁，不可能。")
                 % {"age": age})
            return None
        # A form's age may be a year off around the birthday; more is a contradiction.
        if given is not None and abs(given - age) > 1:
            _add(errors, "age_years", _("年龄与出生日期不符（应为 %(age)s 岁）。") % {"age": age})
        return age
    if given is not None and not 0 <= given <= MAX_AGE:
        _add(errors, "age_years", _("年龄应在 0 至 %(n)s 岁之间。") % {"n": MAX_AGE})
        return None
    return given


def validate_case_input(
    data: Mapping[str, Any],
    *,
    now: datetime,
    diseases: Mapping[str, Disease],
    divisions: DivisionCodes,
    zone: Any = None,
) -> tuple[CleanCase | None, Errors]:
    """Check one report's fields; `(clean, {})` when valid, `(None, errors)` otherwise.

    `diseases` maps codes to Disease rows (inactive ones included, so that the error can say
    "inactive" rather than "unknown"); `divisions` answers which codes exist; `zone` is the
    zone of calendar days (the active one by default; a bulk import passes it once).
    """
    errors: Errors = {}
    zone = zone or _local_zone()
    today = _day(now, zone)

    disease_code = _text(data, "disease")
    disease = diseases.get(disease_code)
    if not disease_code:
        _add(errors, "disease", MSG_REQUIRED)
    elif disease is None or not disease.active:
        _add(errors, "disease", _("未知或已停用的病种：%(code)s。") % {"code": disease_code[:32]})
        disease = None
    classification = _choice(data, "classification", Classification, errors)

    name, id_type, id_number, phone, sex, birth = person_fields(data, errors, today)

    division_code = _text(data, "division_code")
    _local_code(division_code, "division_code", divisions, errors)
    address = _bounded_text(data, "address_detail", ADDRESS_MAX, errors, required=False)
    occupation = _choice(data, "occupation", Occupation, errors, default=Occupation.UNKNOWN)
    severity = _choice(data, "severity", Severity, errors, required=False)

    onset, diagnosed, reported = _times(data, now, zone, errors)
    age = _age(data, birth, onset, diagnosed, zone, errors)

    facility = _bounded_text(data, "reporting_facility", FACILITY_MAX, errors, required=True)
    reporting_code = _text(data, "reporting_division_code")
    if not reporting_code:
        _add(errors, "reporting_division_code", MSG_REQUIRED)
    else:
        _known_code(reporting_code, "reporting_division_code", divisions, errors)

    outcome = _choice(data, "outcome", Outcome, errors, required=False)
    outcome_date = parse_day(data.get("outcome_date"))
    if not _missing(data, "outcome_date") and outcome_date is None:
        _add(errors, "outcome_date", MSG_DATE)
    if outcome in (Outcome.DIED, Outcome.RECOVERED):
        if outcome_date is None and _missing(data, "outcome_date"):
            _add(errors, "outcome_date", _("填写转归时须填写转归日期。"))
        elif outcome_date is not None:
            if outcome_date > _day(now + CLOCK_SKEW, zone):
                _add(errors, "outcome_date", _("日期不能晚于今天。"))
            elif onset is not None and outcome_date < onset:
                _add(errors, "outcome_date", _("转归日期不能早于发病日期。"))
            elif diagnosed is not None and outcome_date < _day(diagnosed, zone):
                _add(errors, "outcome_date", _("转归日期不能早于诊断日期。"))
    elif outcome_date is not None:
        _add(errors, "outcome_date", _("未转归的病例不应填写转归日期。"))

    imported = _bool(data.get("imported"))
    if imported is None:
        _add(errors, "imported", _("请输入是或否。"))
        imported = False
    origin_code = _text(data, "origin_division_code")
    origin_country = _text(data, "origin_country").upper()
    if imported:
        if not origin_code and not origin_country:
            _add(errors, "origin_division_code", _("输入病例须填写来源区划或来源国家。"))
        if origin_code:
            _known_code(origin_code, "origin_division_code", divisions, errors)
        if origin_country and not (len(origin_country) == 3 and origin_country.isascii()
                                   and origin_country.isalpha()):
            _add(errors, "origin_country", _("国家代码应为3位英文字母（ISO 3166-1 alpha-3）。"))
    elif origin_code or origin_country:
        field = "origin_division_code" if origin_code else "origin_country"
        _add(errors, field, _("本地病例不应填写输入来源。"))

    if errors:
        return None, errors
    assert disease is not None and diagnosed is not None and reported is not None
    return CleanCase(
        disease=disease, classification=classification, name=name, id_type=id_type,
        id_number=id_number, phone=phone, sex=sex, birth_date=birth, age_years=age,
        division_code=division_code, address_detail=address, occupation=occupation,
        onset_date=onset, diagnosed_at=diagnosed, reported_at=reported,
        reporting_facility=facility, reporting_division_code=reporting_code,
        severity=severity, outcome=outcome, outcome_date=outcome_date, imported=imported,
        origin_division_code=origin_code, origin_country=origin_country,
    ), {}


def active_diseases() -> dict[str, Disease]:
    """Every disease by code (one query), for `validate_case_input`."""
    return {d.code: d for d in Disease.objects.all()}
