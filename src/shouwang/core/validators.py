"""Identifiers of people: resident identity numbers, mainland mobile numbers, passport numbers.

Plain functions (`parse_resident_id`, `normalize_mobile`, `parse_passport`) serve services and
importers and raise `InvalidIdentifier` (a ValueError with a `code` and a translatable
`message`); the `*Validator` classes wrap them for Django forms and models and raise
ValidationError. The rules and their sources are in docs/decisions/0200-personal-data.md.

The resident-ID check runs in bulk imports (hundreds of thousands of rows), so it is written for
speed: one `str.encode` and one C-level `sum(map(mul, …))` for the check digit, precomputed
constants, and no regular expression.
"""

from __future__ import annotations

import time
import unicodedata
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class InvalidIdentifier(ValueError):
    """An identifier that fails validation. `code` names the failure; `message` is for people.

    Each failure is its own subclass (see `_failure`) carrying its code and message as class
    attributes, so raising one costs no Python-level __init__: bulk imports raise it a lot.
    """

    code: str = "invalid"
    message: str | Promise = _("号码无效。")

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def as_validation_error(self) -> ValidationError:
        return ValidationError(cast("str", self.message), code=self.code)


def _failure(name: str, code: str, message: str | Promise) -> type[InvalidIdentifier]:
    return type(name, (InvalidIdentifier,), {"code": code, "message": message,
                                            "__module__": __name__})


# --- Resident identity number (GB 11643-1999) -------------------------------------------------

ID_LENGTH = 18
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2^(17-i) mod 11
ID_CHECK_CHARS = "10X98765432"  # ISO 7064 MOD 11-2: index = sum mod 11
# The weights are 2^(17-i) mod 11, and 13 ≡ 2 (mod 11): reading the 17 digits as a base-13 number
# times 2 (the last weight is 2^1) gives the same sum modulo 11, computed by int() in C instead of
# 17 Python multiplications.
_CHECK_BASE = 13

# Province-level codes of GB/T 2260 with mainland resident IDs.
MAINLAND_PROVINCES = frozenset(
    [*map(str, range(11, 16)), *map(str, range(21, 24)), *map(str, range(31, 38)),
     *map(str, range(41, 47)), *map(str, range(50, 55)), *map(str, range(61, 66))]
)
# Residence permits for residents of Hong Kong, Macao and Taiwan (2018) carry an 18-digit number
# of the same structure whose region is exactly one of these. 71 (Taiwan in GB/T 2260) is not
# issued on any identity number and is rejected; see the decision record.
PERMIT_REGIONS = {"81": "810000", "82": "820000", "83": "830000"}
PERMIT_REGION_CODES = frozenset(PERMIT_REGIONS.values())
# GB/T 2260 numbers prefecture-level units 01-70 (cities, prefectures, leagues, autonomous
# prefectures, including the retired 21-50 "地区" codes that remain on old IDs) and 90 (county-level
# units administered directly by the province). 00 or 71-89/91-99 never name a prefecture.
VALID_PREFECTURES = frozenset([*(f"{n:02d}" for n in range(1, 71)), "90"])

MSG_ID_LENGTH = _("身份证号码应为18位。")
MSG_ID_CHARS = _("身份证号码前17位应为数字，最后一位应为数字或X。")
MSG_ID_DATE = _("身份证号码中的出生日期不是有效日期。")
MSG_ID_DATE_FUTURE = _("身份证号码中的出生日期晚于今天。")
MSG_ID_DATE_EARLY = _("身份证号码中的出生日期早于1900年。")
MSG_ID_CHECK = _("身份证号码校验位不正确，请核对号码。")
MSG_ID_REGION = _("身份证号码前6位不是有效的行政区划代码。")
IdLengthError = _failure("IdLengthError", "length", MSG_ID_LENGTH)
IdCharsError = _failure("IdCharsError", "chars", MSG_ID_CHARS)
IdRegionError = _failure("IdRegionError", "region", MSG_ID_REGION)
IdDateError = _failure("IdDateError", "date", MSG_ID_DATE)
IdDateEarlyError = _failure("IdDateEarlyError", "date_early", MSG_ID_DATE_EARLY)
IdDateFutureError = _failure("IdDateFutureError", "date_future", MSG_ID_DATE_FUTURE)
IdCheckDigitError = _failure("IdCheckDigitError", "check_digit", MSG_ID_CHECK)


class ResidentId(NamedTuple):
    """A valid resident identity number and what it says about its holder.

    Only the number is stored; the rest is read from it on demand, which keeps validation of a
    bulk import cheap.
    """

    number: str  # normalised: 18 characters, upper-case X
    region_current: bool | None = None  # in the loaded division table; None when not checked

    @property
    def region_code(self) -> str:
        """The 6-digit region of first registration (may be a historical code)."""
        return self.number[:6]

    @property
    def province_code(self) -> str:
        return self.number[:2]

    @property
    def birth_date(self) -> date:
        n = self.number
        return date(int(n[6:10]), int(n[10:12]), int(n[12:14]))

    @property
    def sex(self) -> str:
        """ "M" or "F", from the parity of the 17th digit."""
        return "F" if ord(self.number[16]) % 2 == 0 else "M"

    @property
    def is_residence_permit(self) -> bool:
        """A permit for a resident of Hong Kong, Macao or Taiwan, not a mainland ID card."""
        return self.number[:6] in PERMIT_REGION_CODES


# Every month-day that exists in some year; 29 February is checked against the year separately.
_VALID_MMDD = frozenset(
    f"{m:02d}{d:02d}" for m in range(1, 13) for d in range(1, monthrange(2000, m)[1] + 1)
)


class _Today:
    """Today's date in China as "yyyymmdd", recomputed only when the day changes.

    China has kept UTC+8 without daylight saving since 1991, so the day boundary is a fixed
    offset and needs no time-zone database in the hot loop. Same-length digit strings compare
    like the numbers they spell, so the birth date is compared without converting it.
    """

    __slots__ = ("_next_midnight", "value")

    def __init__(self) -> None:
        self.value = ""
        self._next_midnight = 0.0

    def get(self) -> str:
        now = time.time()
        if now >= self._next_midnight:
            days = int((now + 8 * 3600) // 86400)
            self.value = f"{date.fromordinal(_EPOCH_ORDINAL + days):%Y%m%d}"
            self._next_midnight = (days + 1) * 86400 - 8 * 3600
        return self.value


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_today = _Today()


def resident_id_check_char(first17: str) -> str:
    """The GB 11643 check character (0-9 or X) for the first 17 digits."""
    if len(first17) != ID_LENGTH - 1 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("expected the first 17 digits of a resident identity number")
    return ID_CHECK_CHARS[int(first17, _CHECK_BASE) * 2 % 11]


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def parse_resident_id(
    value: str,
    *,
    today: date | None = None,
    known_regions: frozenset[str] | None = None,
) -> ResidentId:
    """Validate a resident identity number and return what it encodes.

    Accepts surrounding spaces and a lower-case x. Raises InvalidIdentifier with code
    `length`, `chars`, `region`, `date`, `date_early`, `date_future` or `check_digit`.
    `known_regions` (e.g. `current_region_codes()`) only fills `region_current`: a code missing
    from today's division table is usually a historical one, and those stay valid for life.
    """
    number = value.strip()
    if len(number) != ID_LENGTH:
        raise IdLengthError
    last = number[17]
    if last == "x":
        last = "X"
        number = number[:17] + "X"
    body = number[:17]
    if not (body.isascii() and body.isdigit() and (last == "X" or "0" <= last <= "9")):
        raise IdCharsError

    province = number[:2]
    if province in MAINLAND_PROVINCES:
        if number[2:4] not in VALID_PREFECTURES:
            raise IdRegionError
    elif PERMIT_REGIONS.get(province) != number[:6]:
        raise IdRegionError

    ymd = number[6:14]
    mmdd = number[10:14]
    if mmdd not in _VALID_MMDD or (mmdd == "0229" and not _is_leap(int(number[6:10]))):
        raise IdDateError
    if ymd < "19000101":
        raise IdDateEarlyError
    if ymd > (f"{today:%Y%m%d}" if today else _today.get()):
        raise IdDateFutureError

    if ID_CHECK_CHARS[int(body, _CHECK_BASE) * 2 % 11] != last:
        raise IdCheckDigitError

    if known_regions is None:
        return ResidentId(number)
    return ResidentId(number, number[:6] in known_regions)


def is_valid_resident_id(value: str) -> bool:
    try:
        parse_resident_id(value)
    except InvalidIdentifier:
        return False
    return True


def normalize_resident_id(value: str) -> str:
    """The canonical form (upper-case X, no spaces) of a valid number; raises otherwise."""
    return parse_resident_id(value).number


_region_cache: dict[str, frozenset[str]] = {}


def current_region_codes() -> frozenset[str] | None:
    """Six-digit codes of today's divisions (province to county), or None if none are loaded.

    Cached per process; call `clear_region_cache()` after loading divisions.
    """
    codes = _region_cache.get("codes")
    if codes is None:
        from shouwang.geo.models import Division, Level

        codes = frozenset(
            Division.objects.filter(
                level__in=[Level.PROVINCE, Level.PREFECTURE, Level.COUNTY]
            ).values_list("code", flat=True)
        )
        if not codes:
            return None
        _region_cache["codes"] = codes
    return codes


def clear_region_cache() -> None:
    _region_cache.clear()


# --- Mainland mobile numbers ----------------------------------------------------------------

MOBILE_LENGTH = 11
# Three-digit network codes allocated by MIIT for 11-digit public mobile numbers (voice, data and
# MVNO segments). 13-digit IoT segments (140, 141, 144) and unallocated ones are excluded.
MOBILE_PREFIXES = frozenset(
    [*(f"13{d}" for d in range(10)),
     "145", "146", "147", "148", "149",
     *(f"15{d}" for d in range(10) if d != 4),
     "162", "165", "166", "167",
     *(f"17{d}" for d in range(10) if d != 9),
     *(f"18{d}" for d in range(10)),
     *(f"19{d}" for d in range(10) if d != 4)]
)
_MOBILE_SEPARATORS = str.maketrans("", "", " -()\t\u00a0")

MSG_MOBILE_CHARS = _("手机号码只能包含数字，可带+86前缀。")
MSG_MOBILE_LENGTH = _("手机号码应为11位数字。")
MSG_MOBILE_PREFIX = _("手机号码号段不存在。")
MobileCharsError = _failure("MobileCharsError", "chars", MSG_MOBILE_CHARS)
MobileLengthError = _failure("MobileLengthError", "length", MSG_MOBILE_LENGTH)
MobilePrefixError = _failure("MobilePrefixError", "prefix", MSG_MOBILE_PREFIX)


def normalize_mobile(value: str) -> str:
    """A mainland mobile number as 11 digits; accepts +86/0086/86 prefixes, spaces, dashes."""
    digits = unicodedata.normalize("NFKC", value).strip().translate(_MOBILE_SEPARATORS)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == MOBILE_LENGTH + 2:
        digits = digits[2:]
    if not digits:
        raise MobileLengthError
    if not (digits.isascii() and digits.isdigit()):
        raise MobileCharsError
    if len(digits) != MOBILE_LENGTH:
        raise MobileLengthError
    if digits[:3] not in MOBILE_PREFIXES:
        raise MobilePrefixError
    return digits


def is_valid_mobile(value: str) -> bool:
    try:
        normalize_mobile(value)
    except InvalidIdentifier:
        return False
    return True


# --- Passport numbers -----------------------------------------------------------------------

PASSPORT_MIN = 5
PASSPORT_MAX = 20
_MRZ_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
# The letter series of Chinese e-passports skips I and O, which read like digits.
_CN_SERIES_LETTERS = frozenset("ABCDEFGHJKLMNPQRSTUVWXYZ")

MSG_PASSPORT_CHARS = _("护照号码只能包含大写英文字母和数字。")
MSG_PASSPORT_LENGTH = _("护照号码应为5至20位。")
MSG_COUNTRY = _("国家代码应为3位英文字母（ICAO 9303）。")
PassportCharsError = _failure("PassportCharsError", "chars", MSG_PASSPORT_CHARS)
PassportLengthError = _failure("PassportLengthError", "length", MSG_PASSPORT_LENGTH)
CountryError = _failure("CountryError", "country", MSG_COUNTRY)


@dataclass(frozen=True, slots=True)
class Passport:
    number: str
    country: str  # ICAO 9303 code, or "" when not given
    kind: str  # a recognised Chinese format (see CHINESE_PASSPORT_KINDS) or ""


CHINESE_PASSPORT_KINDS = {
    "ordinary": _("普通护照"),
    "diplomatic": _("外交护照"),
    "service": _("公务护照"),
    "public_affairs": _("公务普通护照"),
    "hksar": _("香港特别行政区护照"),
    "macaosar": _("澳门特别行政区护照"),
}


def _digits(s: str) -> bool:
    return s.isascii() and s.isdigit()


def chinese_passport_kind(number: str) -> str:
    """The kind of a Chinese passport number, or "" when it matches no known format."""
    n = len(number)
    head = number[:1]
    if head == "E":
        if n == 9 and _digits(number[1:]):
            return "ordinary"
        if n == 9 and number[1] in _CN_SERIES_LETTERS and _digits(number[2:]):
            return "ordinary"
    elif head == "G" and n == 9 and _digits(number[1:]):
        return "ordinary"
    elif head in ("D", "S", "P"):
        kind = {"D": "diplomatic", "S": "service", "P": "public_affairs"}[head]
        if n in (8, 9) and _digits(number[1:]):
            return kind
        if n == 9 and number[1] == "E" and _digits(number[2:]):
            return kind
    elif head in ("K", "H") and n == 9 and _digits(number[1:]):
        return "hksar"
    elif head == "M" and n == 9 and number[1] in "AB" and _digits(number[2:]):
        return "macaosar"
    return ""


def normalize_country(value: str) -> str:
    """An ICAO 9303 issuing-state code: three letters, or D for Germany (MRZ filler removed)."""
    code = unicodedata.normalize("NFKC", value).strip().upper().rstrip("<")
    if code == "D" or (len(code) == 3 and code.isascii() and code.isalpha()):
        return code
    raise CountryError


def parse_passport(value: str, country: str = "") -> Passport:
    """A passport number in the ICAO 9303 charset (A-Z, 0-9), 5-20 characters.

    Lenient on format (spaces dropped, lower case raised, trailing MRZ fillers `<` removed),
    strict on charset and length. For CHN the Chinese formats are recognised in `kind`.
    """
    number = "".join(unicodedata.normalize("NFKC", value).split()).upper().rstrip("<")
    if not set(number) <= _MRZ_ALNUM:
        raise PassportCharsError
    if not PASSPORT_MIN <= len(number) <= PASSPORT_MAX:
        raise PassportLengthError
    code = normalize_country(country) if country.strip() else ""
    kind = chinese_passport_kind(number) if code in ("", "CHN") else ""
    return Passport(number=number, country=code, kind=kind)


def normalize_passport(value: str) -> str:
    return parse_passport(value).number


# --- Django validators and form fields --------------------------------------------------------


@deconstructible
class _IdentifierValidator:
    check: Callable[[str], Any]

    def __call__(self, value: Any) -> None:
        if value in (None, ""):
            return
        try:
            type(self).check(str(value))
        except InvalidIdentifier as exc:
            raise exc.as_validation_error() from None

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))


class ResidentIdValidator(_IdentifierValidator):
    check = staticmethod(parse_resident_id)


class MobileValidator(_IdentifierValidator):
    check = staticmethod(normalize_mobile)


class PassportValidator(_IdentifierValidator):
    check = staticmethod(parse_passport)


validate_resident_id = ResidentIdValidator()
validate_mobile = MobileValidator()
validate_passport = PassportValidator()


class _NormalizingField(forms.CharField):
    normalize: Callable[[str], str]

    def clean(self, value: Any) -> Any:
        cleaned = super().clean(value)
        if cleaned in self.empty_values:
            return cleaned
        try:
            return type(self).normalize(cleaned)
        except InvalidIdentifier as exc:
            raise exc.as_validation_error() from None


class ResidentIdFormField(_NormalizingField):
    """A form field that validates and returns the canonical 18-character number."""

    normalize = staticmethod(normalize_resident_id)


class MobileFormField(_NormalizingField):
    """A form field that validates and returns the 11-digit mobile number."""

    normalize = staticmethod(normalize_mobile)


class PassportFormField(_NormalizingField):
    """A form field that validates and returns the normalised passport number."""

    normalize = staticmethod(normalize_passport)


def query_date(raw: str | None, field: str, errors: dict[str, list[str]]) -> date | None:
    """A YYYY-MM-DD query parameter: None when blank; on a bad value, None and a field error
    added to `errors` (pages show their filters' errors beside the field)."""
    from django.utils.dateparse import parse_date
    from django.utils.translation import gettext

    if not raw:
        return None
    try:
        parsed = parse_date(raw)
    except ValueError:
        parsed = None
    if parsed is None:
        errors.setdefault(field, []).append(gettext("日期格式应为 YYYY-MM-DD。"))
    return parsed
