"""Daily follow-up visits (services/followups.py) and the overdue / due-for-release lists."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shouwang.core.errors import InvalidInput
from shouwang.tracing.models import ContactStatus, FollowUp, QuarantinePolicy
from shouwang.tracing.selectors import contacts as selectors
from shouwang.tracing.services.followups import followup_record
from tests.tracing.cases import make_case
from tests.tracing.contacts_factory import make_contact

pytestmark = pytest.mark.django_db


def _days_ago(n: int) -> str:
    return (timezone.localdate() - timedelta(days=n)).isoformat()


def test_one_visit_per_day_same_submission_twice_stores_one(officers):
    contact = make_contact(make_case("420106"), officers["wuchang"])
    data = {"symptoms": ["cough"], "temperature_c": "36.8", "note": "无不适"}
    first, created = followup_record(actor=officers["wuchang"], contact=contact, data=data)
    again, created_again = followup_record(actor=officers["wuchang"], contact=contact, data=data)
    assert created and not created_again and first.pk == again.pk
    assert FollowUp.objects.count() == 1 and first.division_code == "420106"
    # Later the same day the result changes: the day's visit is updated, still one row.
    updated, _ = followup_record(actor=officers["wuchang"], contact=contact,
                                 data={**data, "test_outcome": "pending"})
    assert updated.pk == first.pk and FollowUp.objects.get().test_outcome == "pending"


def test_fever_adds_the_symptom_and_a_positive_test_flags_the_contact(officers):
    contact = make_contact(make_case("420106"), officers["wuchang"])
    rec = followup_record(actor=officers["wuchang"], contact=contact,
                          data={"temperature_c": "38.2"})
    assert rec.follow_up.symptoms == ["fever"]
    assert rec.follow_up.temperature_c == Decimal("38.2")
    assert selectors.contact_flags(contact)["fever"] is True
    assert rec.contact.status == ContactStatus.UNDER_FOLLOW_UP
    rec = followup_record(actor=officers["wuchang"], contact=rec.contact,
                          data={"day": _days_ago(0), "temperature_c": "38.2",
                                "test_outcome": "positive"})
    assert rec.contact.status == ContactStatus.TESTED
    assert selectors.contact_flags(rec.contact)["positive"] is True


def test_a_negative_result_returns_a_tested_contact_under_follow_up(officers):
    contact = make_contact(make_case("420106"), officers["wuchang"], identified_on=_days_ago(1))
    rec = followup_record(actor=officers["wuchang"], contact=contact,
                          data={"day": _days_ago(1), "test_outcome": "pending"})
    assert rec.contact.status == ContactStatus.TESTED
    # The day's result arrives: the pending visit becomes negative.
    rec = followup_record(actor=officers["wuchang"], contact=rec.contact,
                          data={"day": _days_ago(1), "test_outcome": "negative"})
    assert rec.contact.status == ContactStatus.UNDER_FOLLOW_UP


@pytest.mark.parametrize(("data", "field"), [
    ({"temperature_c": "hot"}, "temperature_c"),
    ({"temperature_c": "50"}, "temperature_c"),
    ({"symptoms": ["sneezing"]}, "symptoms"),
    ({"test_outcome": "maybe"}, "test_outcome"),
    ({"day": "2999-01-01"}, "day"),
    ({"day": "2000-01-01"}, "day"),
])
def test_bad_visits_are_refused(officers, data, field):
    contact = make_contact(make_case("420106"), officers["wuchang"])
    with pytest.raises(InvalidInput) as exc:
        followup_record(actor=officers["wuchang"], contact=contact, data=data)
    assert field in exc.value.fields and FollowUp.objects.count() == 0


def test_overdue_list_uses_the_policy_interval(officers):
    case = make_case("420106", onset=timezone.localdate() - timedelta(days=8))
    kw = {"identified_on": _days_ago(5), "last_exposure": timezone.localdate()
          - timedelta(days=6)}
    visited_today = make_contact(case, officers["wuchang"], seq=1, **kw)
    visited_yesterday = make_contact(case, officers["wuchang"], seq=2, **kw)
    visited_3_days_ago = make_contact(case, officers["wuchang"], seq=3, **kw)
    never = make_contact(case, officers["wuchang"], seq=4, **kw)
    new_today = make_contact(case, officers["wuchang"], seq=5)
    for c, ago in ((visited_today, 0), (visited_yesterday, 1), (visited_3_days_ago, 3)):
        followup_record(actor=officers["wuchang"], contact=c, data={"day": _days_ago(ago)})
    overdue = selectors.contact_list(user=officers["wuchang"],
                                     filters=selectors.ContactFilters(overdue=True))
    assert {c.pk for c in overdue} == {visited_3_days_ago.pk, never.pk}
    assert new_today.pk not in {c.pk for c in overdue}
    QuarantinePolicy.objects.create(disease=case.disease, quarantine_days=14,
                                    follow_up_every_days=3)
    overdue = selectors.contact_list(user=officers["wuchang"],
                                     filters=selectors.ContactFilters(overdue=True))
    assert {c.pk for c in overdue} == {never.pk}
    counts = selectors.contact_counts(user=officers["wuchang"])
    assert counts["overdue"] == 1 and counts["under_follow_up"] == 5 and counts["all"] == 5


def test_due_for_release_excludes_positive_tests(officers):
    today = timezone.localdate()
    case = make_case("420106", onset=today - timedelta(days=40))
    old = {"last_exposure": today - timedelta(days=30), "identified_on": _days_ago(29)}
    due = make_contact(case, officers["wuchang"], seq=1, **old)
    positive = make_contact(case, officers["wuchang"], seq=2, **old)
    make_contact(case, officers["wuchang"], seq=3)
    followup_record(actor=officers["wuchang"], contact=positive,
                    data={"day": _days_ago(20), "test_outcome": "positive"})
    listed = selectors.contact_list(user=officers["wuchang"],
                                    filters=selectors.ContactFilters(due=True))
    assert [c.pk for c in listed] == [due.pk]
    assert selectors.contact_counts(user=officers["wuchang"])["due"] == 1
