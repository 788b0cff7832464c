"""Hand-overs between counties (services/handover.py): accept, refuse with a reason (back to
the sender, never lost), cancel, one pending at a time, concurrent decisions."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditEvent
from shouwang.tracing.models import Contact, HandOver, HandOverStatus
from shouwang.tracing.selectors import contacts as selectors
from shouwang.tracing.services import handover as services
from shouwang.tracing.services.contacts import ContactConflict
from tests.tracing.cases import make_case
from tests.tracing.contacts_factory import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(officers):
    return make_contact(make_case("420106"), officers["wuchang"], residence="420111")


def _send(officers, contact, to="420111", **kw):
    fresh = Contact.objects.get(pk=contact.pk)
    return services.handover_create(actor=officers["wuchang"], contact=fresh,
                                    version=fresh.version, to_division_code=to, **kw)


def test_accepted_hand_over_moves_the_contact_and_keeps_the_history(officers, contact):
    hand_over = _send(officers, contact, note="现住洪山区")
    assert list(selectors.handovers_incoming(user=officers["hongshan"])) == [hand_over]
    assert selectors.pending_incoming_count(user=officers["hongshan"]) == 1
    assert list(selectors.handovers_incoming(user=officers["wuchang"])) == []
    # Until accepted the contact stays with the sender.
    assert Contact.objects.get(pk=contact.pk).division_code == "420106"
    done = services.handover_accept(actor=officers["hongshan"], hand_over=hand_over)
    assert done.status == HandOverStatus.ACCEPTED and done.decided_by == officers["hongshan"]
    moved = Contact.objects.get(pk=contact.pk)
    assert moved.division_code == "420111" and moved.found_by_division_code == "420106"
    # Both sides still see it; the contact itself is now the receiver's.
    assert list(selectors.handovers_sent(user=officers["wuchang"])) == [done]
    assert selectors.handover_get(user=officers["hongshan"], hand_over_id=done.pk) == done
    assert selectors.contact_list(user=officers["wuchang"]).count() == 0
    assert selectors.contact_list(user=officers["hongshan"]).count() == 1
    assert AuditEvent.objects.filter(object_type="tracing.handover", object_id=str(done.pk),
                                     summary__contains="accepted").exists()


def test_refused_hand_over_returns_to_the_sender_with_the_reason_never_lost(officers, contact):
    hand_over = _send(officers, contact)
    with pytest.raises(InvalidInput) as exc:
        services.handover_refuse(actor=officers["hongshan"], hand_over=hand_over, reason="  ")
    assert "refusal_reason" in exc.value.fields
    refused = services.handover_refuse(actor=officers["hongshan"], hand_over=hand_over,
                                       reason="查无此人，住址为武昌区")
    assert refused.status == HandOverStatus.REFUSED
    assert Contact.objects.get(pk=contact.pk).division_code == "420106"
    returned = list(selectors.handovers_returned(user=officers["wuchang"]))
    assert returned == [refused] and returned[0].refusal_reason == "查无此人，住址为武昌区"
    # Still visible to the receiver, among decided incoming ones.
    assert list(selectors.handovers_incoming(user=officers["hongshan"],
                                             status=HandOverStatus.REFUSED)) == [refused]
    # The sender re-sends elsewhere: it leaves the returned list, both rows remain.
    again = _send(officers, contact, to="430102")
    assert list(selectors.handovers_returned(user=officers["wuchang"])) == []
    assert list(selectors.handovers_sent(user=officers["wuchang"])) == [again, refused]
    assert HandOver.objects.count() == 2


def test_a_contact_cannot_be_pending_with_two_counties_at_once(officers, contact):
    _send(officers, contact)
    with pytest.raises(InvalidInput) as exc:
        _send(officers, contact, to="430102")
    message = " ".join(str(m) for m in exc.value.fields["to_division_code"])
    assert "两个县区" in message and "洪山区" in message
    assert HandOver.objects.filter(status=HandOverStatus.PENDING).count() == 1


def test_accept_is_refused_when_the_person_is_followed_in_another_county(officers, contact):
    hand_over = _send(officers, contact, to="430102")
    # Meanwhile 洪山区 registered the same person for another case... impossible while
    # 武昌区 follows them:
    with pytest.raises(InvalidInput):
        make_contact(make_case("420111"), officers["hongshan"])
    done = services.handover_accept(actor=officers["furong"], hand_over=hand_over)
    assert done.status == HandOverStatus.ACCEPTED


def test_only_one_decision_wins_and_the_other_is_told(officers, contact):
    hand_over = _send(officers, contact)
    services.handover_accept(actor=officers["hongshan"], hand_over=hand_over)
    with pytest.raises(services.HandOverConflict) as exc:
        services.handover_refuse(actor=officers["wuhan"], hand_over=hand_over, reason="晚了")
    assert "已接收" in exc.value.message
    with pytest.raises(services.HandOverConflict):
        services.handover_cancel(actor=officers["wuchang"], hand_over=hand_over)


def test_cancel_by_the_sender_only_and_a_stale_contact_version_is_a_conflict(officers, contact):
    hand_over = _send(officers, contact)
    with pytest.raises(PermissionDenied):
        services.handover_cancel(actor=officers["hongshan"], hand_over=hand_over)
    with pytest.raises(PermissionDenied):
        services.handover_accept(actor=officers["wuchang"], hand_over=hand_over)
    cancelled = services.handover_cancel(actor=officers["wuchang"], hand_over=hand_over)
    assert cancelled.status == HandOverStatus.CANCELLED
    assert list(selectors.handovers_incoming(user=officers["hongshan"])) == []
    with pytest.raises(ContactConflict):
        services.handover_create(actor=officers["wuchang"], contact=contact, version=1,
                                 to_division_code="420111")


@pytest.mark.parametrize(("to", "text"), [("420106", "本县区"), ("420100", "县级"),
                                           ("", "必填")])
def test_bad_receivers(officers, contact, to, text):
    with pytest.raises(InvalidInput) as exc:
        _send(officers, contact, to=to)
    assert text in " ".join(str(m) for m in exc.value.fields["to_division_code"])
    assert HandOver.objects.count() == 0


def test_sibling_counties_see_nothing(officers, contact):
    hand_over = _send(officers, contact)
    from django.http import Http404
    with pytest.raises(Http404):
        selectors.handover_get(user=officers["furong"], hand_over_id=hand_over.pk)
    assert selectors.handover_get(user=officers["wuhan"], hand_over_id=hand_over.pk)


def test_accept_refused_when_the_person_stays_followed_by_the_sender_for_another_case(officers):
    first = make_contact(make_case("420106"), officers["wuchang"], seq=4)
    make_contact(make_case("420106"), officers["wuchang"], seq=4)  # the same person, case 2
    hand_over = _send(officers, first)
    with pytest.raises(InvalidInput) as exc:
        services.handover_accept(actor=officers["hongshan"], hand_over=hand_over)
    assert "武昌区" in " ".join(str(m) for m in exc.value.fields["contact"])
    assert HandOver.objects.get().status == HandOverStatus.PENDING
    assert Contact.objects.get(pk=first.pk).division_code == "420106"


def test_the_sender_keeps_a_returned_contact_and_it_leaves_the_returned_list(officers, contact):
    hand_over = _send(officers, contact)
    with pytest.raises(InvalidInput):  # only a refused hand-over can be kept
        services.handover_keep(actor=officers["wuchang"], hand_over=hand_over)
    refused = services.handover_refuse(actor=officers["hongshan"], hand_over=hand_over,
                                       reason="不在本区")
    with pytest.raises(PermissionDenied):
        services.handover_keep(actor=officers["hongshan"], hand_over=refused)
    kept = services.handover_keep(actor=officers["wuchang"], hand_over=refused)
    assert kept.kept_at is not None
    assert services.handover_keep(actor=officers["wuchang"], hand_over=kept).kept_at == \
        kept.kept_at
    assert list(selectors.handovers_returned(user=officers["wuchang"])) == []
    assert list(selectors.handovers_sent(user=officers["wuchang"])) == [kept]
    assert Contact.objects.get(pk=contact.pk).division_code == "420106"
