from datetime import date

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from shouwang.core import validators as v

# The example number of GB 11643-1999 itself, and two computed by hand with the weights.
STANDARD_EXAMPLE = "11010519491231002X"


def make_id(region: str = "420111", birth: str = "19900101", seq: str = "123") -> str:
    first17 = region + birth + seq
    return first17 + v.resident_id_check_char(first17)


def test_standard_example_parses():
    parsed = v.parse_resident_id(STANDARD_EXAMPLE)
    assert parsed.number == STANDARD_EXAMPLE
    assert parsed.region_code == "110105"
    assert parsed.province_code == "11"
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.sex == "F"  # 17th digit 2 is even
    assert parsed.region_current is None
    assert not parsed.is_residence_permit


def test_check_char_matches_the_weighted_sum_of_the_standard():
    # The base-13 shortcut must agree with the textbook formula on every input.
    @given(st.text(alphabet="0123456789", min_size=17, max_size=17))
    def agree(first17):
        total = sum(int(d) * w for d, w in zip(first17, v.ID_WEIGHTS, strict=True))
        assert v.resident_id_check_char(first17) == "10X98765432"[total % 11]

    agree()
    assert tuple(2 ** (17 - i) % 11 for i in range(17)) == v.ID_WEIGHTS


def test_lowercase_x_and_spaces_are_normalised():
    parsed = v.parse_resident_id(" 11010519491231002x ")
    assert parsed.number == STANDARD_EXAMPLE
    assert v.normalize_resident_id("11010519491231002x") == STANDARD_EXAMPLE


def test_sex_from_the_17th_digit():
    assert v.parse_resident_id(make_id(seq="121")).sex == "M"
    assert v.parse_resident_id(make_id(seq="122")).sex == "F"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "length"),
        ("42011119900101123", "length"),
        ("4201111990010112345", "length"),
        ("42011119900101A234", "chars"),
        ("42011119900101123Y", "chars"),
        ("４２０１１１１９９００１０１１２３４", "chars"),  # full-width digits are not ASCII
        ("42011119900101-234", "chars"),
        (make_id(birth="19900230"), "date"),
        (make_id(birth="19901301"), "date"),
        (make_id(birth="19900001"), "date"),
        (make_id(birth="19900100"), "date"),
        (make_id(birth="19000229"), "date"),  # 1900 is not a leap year
        (make_id(birth="18991231"), "date_early"),
        (make_id(birth="20990101"), "date_future"),
        (make_id(region="100111"), "region"),
        (make_id(region="160111"), "region"),
        (make_id(region="710101"), "region"),  # no identity number carries Taiwan's 71
        (make_id(region="420011"), "region"),  # prefecture 00 does not exist
        (make_id(region="429511"), "region"),
        (make_id(region="810101"), "region"),  # permits carry exactly 810000
        (make_id()[:17] + ("0" if make_id()[17] != "0" else "1"), "check_digit"),
    ],
)
def test_each_failure_has_its_own_code(value, code):
    with pytest.raises(v.InvalidIdentifier) as exc:
        v.parse_resident_id(value)
    assert exc.value.code == code
    assert not v.is_valid_resident_id(value)


def test_leap_day_and_today():
    assert v.parse_resident_id(make_id(birth="20000229")).birth_date == date(2000, 2, 29)
    assert v.parse_resident_id(make_id(birth="19000101")).birth_date == date(1900, 1, 1)
    today = date(2026, 3, 15)
    assert v.parse_resident_id(make_id(birth="20260315"), today=today)
    with pytest.raises(v.InvalidIdentifier, match="date_future"):
        v.parse_resident_id(make_id(birth="20260316"), today=today)


def test_residence_permits_of_hong_kong_macao_taiwan():
    for region in ("810000", "820000", "830000"):
        parsed = v.parse_resident_id(make_id(region=region))
        assert parsed.is_residence_permit
        assert parsed.region_code == region


def test_historical_region_codes_are_valid_and_flagged_against_the_table():
    # 422101 was Huanggang prefecture's Macheng until 1995; its holders keep that number.
    historical = make_id(region="422101")
    current = frozenset({"420000", "420100", "420111"})
    parsed = v.parse_resident_id(historical, known_regions=current)
    assert parsed.region_current is False
    assert v.parse_resident_id(make_id(), known_regions=current).region_current is True


@pytest.mark.django_db
def test_current_region_codes_come_from_the_division_table(divisions):
    v.clear_region_cache()
    try:
        codes = v.current_region_codes()
        assert codes is not None
        assert {"420000", "420100", "420111", "430102"} <= codes
        assert "420111001" not in codes  # townships are not ID regions
        assert v.current_region_codes() is codes
    finally:
        v.clear_region_cache()


@pytest.mark.django_db
def test_no_division_table_means_no_region_information():
    from shouwang.geo.models import Division

    v.clear_region_cache()
    if Division.objects.exists():
        pytest.skip("divisions loaded in this database")
    assert v.current_region_codes() is None


@given(
    region=st.sampled_from(["110105", "420111", "654324", "830000", "469027"]),
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)),
    seq=st.integers(min_value=0, max_value=999),
)
def test_generated_numbers_round_trip(region, birth, seq):
    number = make_id(region, f"{birth:%Y%m%d}", f"{seq:03d}")
    parsed = v.parse_resident_id(number.lower())
    assert parsed.number == number
    assert parsed.birth_date == birth
    assert parsed.region_code == region
    assert parsed.sex == ("M" if seq % 2 else "F")


@given(st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_any_single_digit_error_is_caught(position, delta):
    number = make_id()
    digit = str((int(number[position]) + delta) % 10)
    corrupted = number[:position] + digit + number[position + 1:]
    assert not v.is_valid_resident_id(corrupted)


def test_messages_are_chinese_and_translatable():
    with pytest.raises(v.InvalidIdentifier) as exc:
        v.parse_resident_id(make_id()[:17] + "Y")
    with translation.override("zh-hans"):
        assert "身份证" in str(exc.value.message)
    assert "chars" in str(exc.value)


# --- mobile numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["13800138000", "+86 138 0013 8000", "0086-138-0013-8000", "8613800138000",
     "+86-(138)-0013-8000", "１３８００１３８０００", "19912345678", "16612345678",
     "14712345678", "17012345678"],
)
def test_mobile_numbers_are_normalised(value):
    assert v.normalize_mobile(value)[:3] in v.MOBILE_PREFIXES
    assert len(v.normalize_mobile(value)) == 11
    assert v.is_valid_mobile(value)


def test_mobile_normalisation_result():
    assert v.normalize_mobile("+86 138-0013-8000") == "13800138000"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1380013800", "length"),
        ("138001380001", "length"),
        ("1380013800a", "chars"),
        ("+1 415 555 0100", "chars"),
        ("12012345678", "prefix"),
        ("15412345678", "prefix"),
        ("14012345678", "prefix"),  # 13-digit IoT segment
        ("19412345678", "prefix"),
        ("02712345678", "prefix"),
        ("", "length"),
    ],
)
def test_bad_mobile_numbers(value, code):
    with pytest.raises(v.InvalidIdentifier) as exc:
        v.normalize_mobile(value)
    assert exc.value.code == code


# --- passports ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "country", "number", "kind"),
    [
        ("E12345678", "CHN", "E12345678", "ordinary"),
        ("ea1234567", "chn", "EA1234567", "ordinary"),
        ("EB1234567", "", "EB1234567", "ordinary"),
        ("G12345678", "CHN", "G12345678", "ordinary"),
        ("D1234567", "CHN", "D1234567", "diplomatic"),
        ("DE1234567", "CHN", "DE1234567", "diplomatic"),
        ("S12345678", "CHN", "S12345678", "service"),
        ("SE1234567", "CHN", "SE1234567", "service"),
        ("P1234567", "CHN", "P1234567", "public_affairs"),
        ("K12345678", "CHN", "K12345678", "hksar"),
        ("MA1234567", "CHN", "MA1234567", "macaosar"),
        ("EI1234567", "CHN", "EI1234567", ""),  # I is skipped in the series: not recognised
        ("C01X00T47", "D<<", "C01X00T47", ""),
        ("123456789", "USA", "123456789", ""),
        ("E12345678", "USA", "E12345678", ""),  # a Chinese shape, but not a Chinese passport
        (" ab 12345<<", "GBR", "AB12345", ""),
        ("Ｅ１２３４５６７８", "CHN", "E12345678", "ordinary"),
    ],
)
def test_passports(value, country, number, kind):
    parsed = v.parse_passport(value, country)
    assert parsed.number == number
    assert parsed.kind == kind
    assert parsed.country == v.normalize_country(country) if country else parsed.country == ""


@pytest.mark.parametrize(
    ("value", "country", "code"),
    [
        ("AB12", "", "length"),
        ("A" * 21, "", "length"),
        ("AB-12345", "", "chars"),
        ("AB12345É", "", "chars"),
        ("护照12345", "", "chars"),
        ("AB<12345", "", "chars"),
        ("AB12345", "US", "country"),
        ("AB12345", "U5A", "country"),
    ],
)
def test_bad_passports(value, country, code):
    with pytest.raises(v.InvalidIdentifier) as exc:
        v.parse_passport(value, country)
    assert exc.value.code == code


# --- Django validators and form fields ------------------------------------------------------


def test_django_validators_raise_validation_errors_with_codes():
    v.validate_resident_id(STANDARD_EXAMPLE)
    v.validate_resident_id("")
    v.validate_mobile("13800138000")
    v.validate_passport("E12345678")
    with pytest.raises(ValidationError) as exc:
        v.validate_resident_id(make_id()[:17] + ("0" if make_id()[17] != "0" else "1"))
    assert exc.value.code == "check_digit"
    with pytest.raises(ValidationError) as exc:
        v.validate_mobile("12345")
    assert exc.value.code == "length"
    with pytest.raises(ValidationError):
        v.validate_passport("A-1")


def test_validators_deconstruct_for_migrations():
    path, args, kwargs = v.ResidentIdValidator().deconstruct()
    assert path == "shouwang.core.validators.ResidentIdValidator"
    assert (args, kwargs) == ((), {})
    assert v.ResidentIdValidator() == v.validate_resident_id
    assert v.ResidentIdValidator() != v.validate_mobile


class PersonForm(forms.Form):
    id_number = v.ResidentIdFormField()
    phone = v.MobileFormField(required=False)
    passport = v.PassportFormField(required=False)


def test_form_fields_clean_to_the_normalised_form():
    form = PersonForm(data={"id_number": "11010519491231002x", "phone": "+86 138 0013 8000",
                            "passport": "e12345678"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"id_number": STANDARD_EXAMPLE, "phone": "13800138000",
                                 "passport": "E12345678"}


def test_form_fields_report_field_level_errors():
    with translation.override("zh-hans"):
        form = PersonForm(data={"id_number": make_id(birth="19900230"), "phone": "12345"})
        assert not form.is_valid()
        assert form.errors["id_number"] == [str(v.MSG_ID_DATE)]
        assert form.errors["phone"] == [str(v.MSG_MOBILE_LENGTH)]
        assert form.has_error("id_number", "date")
