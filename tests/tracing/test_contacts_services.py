"""Registering contacts and changing their status (services/contacts.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditEvent
from shouwang.tracing.models import (
    Contact,
    ContactKind,
    ContactStatus,
    QuarantinePolicy,
)
from shouwang.tracing.selectors.contacts import contacts_matching_case
from shouwang.tracing.services import contacts as services
from shouwang.tracing.services.followups import followup_record
from tests.tracing.cases import make_case
from tests.tracing.contacts_factory import contact_data, make_contact, resident_id

pytestmark = pytest.mark.django_db


def _fields(exc: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    return {k: " ".join(str(m) for m in v) for k, v in exc.value.fields.items()}


def test_register_encrypts_the_person_and_sets_release_from_the_disease_window(officers):
    case = make_case("420106")
    contact = make_contact(case, officers["wuchang"], residence="420111")
    stored = Contact.objects.get(pk=contact.pk)
    assert stored.name == "李娜" and stored.id_number == resident_id(1)
    # Sex and birth date are read from the resident ID (odd 17th digit: male).
    assert stored.birth_date == date(1990, 3, 12) and stored.sex == "M"
    assert stored.division_code == "420106" == stored.found_by_division_code
    assert stored.residence_division_code == "420111"
    window = case.disease.exposure_window_days
    assert stored.release_on == stored.last_exposure_on + timedelta(days=window)
    assert AuditEvent.objects.filter(object_type="tracing.contact", action="create",
                                     object_id=str(contact.pk)).exists()
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("select name, id_number from tracing_contact where id = %s",
                       [contact.pk])
        raw = cursor.fetchone()
    assert "李娜" not in raw[0] and resident_id(1) not in raw[1]


def test_release_uses_the_quarantine_policy_and_follows_the_last_exposure(officers):
    case = make_case("420106")
    QuarantinePolicy.objects.create(disease=case.disease, quarantine_days=7)
    contact = make_contact(case, officers["wuchang"])
    assert contact.release_on == contact.last_exposure_on + timedelta(days=7)
    earlier = contact.last_exposure_on - timedelta(days=3)
    fresh = services.contact_set_last_exposure(actor=officers["wuchang"], contact=contact,
                                               version=contact.version,
                                               last_exposure_on=earlier)
    assert fresh.release_on == earlier + timedelta(days=7)
    assert fresh.version == contact.version + 1
    with pytest.raises(services.ContactConflict):
        services.contact_set_last_exposure(actor=officers["wuchang"], contact=contact,
                                           version=contact.version, last_exposure_on=earlier)


def test_the_same_submission_twice_stores_one_contact(officers):
    case = make_case("420106")
    first = make_contact(case, officers["wuchang"], source_key="k-1")
    again = make_contact(case, officers["wuchang"], source_key="k-1")
    same_person = make_contact(case, officers["wuchang"])  # no key: the same person of the case
    assert first.pk == again.pk == same_person.pk
    assert Contact.objects.count() == 1


def test_a_person_under_follow_up_in_another_county_is_refused_naming_the_county(officers):
    case = make_case("420106")
    make_contact(case, officers["wuchang"], seq=7)
    other_case = make_case("420111")
    with pytest.raises(InvalidInput) as exc:
        make_contact(other_case, officers["hongshan"], seq=7, name="李娜")
    message = _fields(exc)["id_number"]
    assert "其他县区" in message and "武昌区" in message
    assert resident_id(7) not in message and "李娜" not in message
    assert Contact.objects.count() == 1
    # In the same county (another index case) the person may be registered again.
    make_contact(make_case("420106"), officers["wuchang"], seq=7)
    assert Contact.objects.count() == 2


def test_a_released_person_may_be_followed_elsewhere(officers):
    case = make_case("420106", onset=timezone.localdate() - timedelta(days=30))
    contact = make_contact(case, officers["wuchang"], seq=8,
                           last_exposure=timezone.localdate() - timedelta(days=20),
                           identified_on=(timezone.localdate() - timedelta(days=19)).isoformat())
    services.contact_release(actor=officers["wuchang"], contact=contact,
                             version=contact.version)
    other = make_contact(make_case("420111"), officers["hongshan"], seq=8)
    assert other.division_code == "420111"


@pytest.mark.parametrize(("over", "field"), [
    ({"last_exposure_on": "2999-01-01"}, "last_exposure_on"),
    ({"identified_on": "2999-01-01"}, "identified_on"),
    ({"id_number": "420106199003120010"}, "id_number"),
    ({"phone": "12345"}, "phone"),
    ({"residence_division_code": "420000"}, "residence_division_code"),
    ({"residence_division_code": "999999"}, "residence_division_code"),
    ({"name": ""}, "name"),
    ({"quarantine_place": "moon"}, "quarantine_place"),
    ({"last_exposure_on": ""}, "last_exposure_on"),
])
def test_bad_input_is_refused_field_by_field_and_changes_nothing(officers, over, field):
    case = make_case("420106")
    with pytest.raises(InvalidInput) as exc:
        make_contact(case, officers["wuchang"], **over)
    assert field in exc.value.fields
    assert Contact.objects.count() == 0


def test_last_exposure_after_identification_is_an_error(officers):
    case = make_case("420106")
    today = timezone.localdate()
    with pytest.raises(InvalidInput) as exc:
        make_contact(case, officers["wuchang"], last_exposure=today - timedelta(days=1),
                     identified_on=(today - timedelta(days=3)).isoformat())
    assert "判定日期" in _fields(exc)["last_exposure_on"]


def test_secondary_contact_must_come_through_a_close_contact_of_the_same_case(officers):
    case = make_case("420106")
    close = make_contact(case, officers["wuchang"], seq=1)
    secondary = make_contact(case, officers["wuchang"], seq=2, kind="secondary",
                             via_contact=str(close.pk))
    assert secondary.kind == ContactKind.SECONDARY and secondary.via_contact_id == close.pk
    other_case = make_case("420106")
    other_close = make_contact(other_case, officers["wuchang"], seq=3)
    for via in (str(other_close.pk), str(secondary.pk), ""):
        with pytest.raises(InvalidInput) as exc:
            make_contact(case, officers["wuchang"], seq=4, kind="secondary", via_contact=via)
        assert "via_contact" in exc.value.fields


def test_register_needs_write_capability_and_the_case_in_jurisdiction(officers):
    case = make_case("420106")
    with pytest.raises(PermissionDenied):
        make_contact(case, officers["grid"])
    with pytest.raises(PermissionDenied):
        make_contact(case, officers["hongshan"])
    # A city officer registers for the index case's county.
    contact = make_contact(case, officers["wuhan"])
    assert contact.division_code == "420106"


def test_release_only_after_the_release_date_and_without_a_positive_test(officers):
    today = timezone.localdate()
    case = make_case("420106", onset=today - timedelta(days=40))
    old = dict(last_exposure=today - timedelta(days=30),
               identified_on=(today - timedelta(days=29)).isoformat())
    due = make_contact(case, officers["wuchang"], seq=1, **old)
    positive = make_contact(case, officers["wuchang"], seq=2, **old)
    followup_record(actor=officers["wuchang"], contact=positive,
                    data={"day": (today - timedelta(days=5)).isoformat(),
                          "test_outcome": "positive"})
    not_yet = make_contact(case, officers["wuchang"], seq=3)
    with pytest.raises(InvalidInput):
        services.contact_release(actor=officers["wuchang"], contact=not_yet,
                                 version=not_yet.version)
    result = services.contacts_bulk_release(
        actor=officers["wuchang"], contacts=services.contacts_by_ids([due.pk, positive.pk,
                                                                      not_yet.pk]))
    assert result.released == [due.pk]
    assert set(result.skipped) == {positive.pk, not_yet.pk}
    assert Contact.objects.get(pk=due.pk).status == ContactStatus.RELEASED
    assert Contact.objects.get(pk=positive.pk).status == ContactStatus.TESTED


def test_lost_and_tested(officers):
    case = make_case("420106")
    contact = make_contact(case, officers["wuchang"])
    tested = services.contact_mark_tested(actor=officers["wuchang"], contact=contact,
                                          version=contact.version)
    assert tested.status == ContactStatus.TESTED
    lost = services.contact_mark_lost(actor=officers["wuchang"], contact=tested,
                                      version=tested.version)
    assert lost.status == ContactStatus.LOST
    with pytest.raises(InvalidInput):
        services.contact_mark_lost(actor=officers["wuchang"], contact=lost, version=lost.version)


def test_became_case_is_idempotent_and_matches_the_same_person(officers):
    case = make_case("420106")
    contact = make_contact(case, officers["wuchang"], seq=11)
    # The contact falls ill and is reported: the same resident ID (born 1990-03-12).
    later = make_case("420106", id_number=resident_id(11), name="李娜",
                      age_years=None, birth_date=None)
    assert list(contacts_matching_case(later)) == [contact]
    marked = services.contact_mark_became_case(actor=officers["wuchang"], contact=contact,
                                               case=later)
    assert marked.status == ContactStatus.BECAME_CASE and marked.became_case_id == later.pk
    again = services.contact_mark_became_case(actor=officers["wuchang"], contact=marked,
                                              case=later)
    assert again.version == marked.version
    assert list(contacts_matching_case(later)) == [contact]
    other = make_case("420106")
    with pytest.raises(InvalidInput):
        services.contact_mark_became_case(actor=None, contact=marked, case=other)


def test_matching_without_id_number_uses_name_and_birth_date(officers):
    case = make_case("420106")
    data = contact_data(21, id_type="none", id_number="", birth_date="1990-03-12",
                        name="王芳")
    contact, _ = services.contact_register(actor=officers["wuchang"], index_case=case, data=data)
    later = make_case("420106", name="王芳", id_type="none", id_number="",
                      birth_date="1990-03-12", age_years=None)
    assert list(contacts_matching_case(later)) == [contact]
    stranger = make_case("420106", name="王芳", id_type="none", id_number="",
                         birth_date="1991-03-12", age_years=None)
    assert list(contacts_matching_case(stranger)) == []
