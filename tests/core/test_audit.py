import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from shouwang.accounts.roles import Role
from shouwang.core.audit import MASK, audit_log, diff, mask_changes
from shouwang.core.context import RequestContext, reset_request_context, set_request_context
from shouwang.core.models import AuditAction, AuditEvent, AuditLogIsAppendOnly


def test_mask_changes_hides_personal_values_but_keeps_the_field_name():
    masked = mask_changes(
        {
            "name": ["张三", "李四"],
            "id_number": "420111199001011234",
            "phone": [None, "13800138000"],
            "status": ["suspected", "confirmed"],
        },
        personal_fields={"name", "id_number", "phone"},
    )
    assert masked == {
        "name": [MASK, MASK],
        "id_number": MASK,
        "phone": [None, MASK],
        "status": ["suspected", "confirmed"],
    }


def test_diff_lists_only_changed_fields():
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b": [2, 3], "c": [None, 4]}


@pytest.mark.django_db
def test_audit_log_records_actor_request_and_division(make_user):
    officer = make_user(Role.COUNTY_OFFICER, "420111")
    token = set_request_context(
        RequestContext(request_id="req-1", ip_address="10.1.2.3", user_agent="pytest")
    )
    try:
        event = audit_log(
            actor=officer, action=AuditAction.EXPORT, object_type="x", summary="export"
        )
    finally:
        reset_request_context(token)
    event.refresh_from_db()
    assert event.actor_username == officer.username
    assert event.actor_role == Role.COUNTY_OFFICER
    assert event.division_code == "420111"  # no record: the actor's own division
    assert (event.ip_address, event.request_id, event.user_agent) == ("10.1.2.3", "req-1", "pytest")


@pytest.mark.django_db
def test_user_creation_is_audited(make_user):
    user = make_user(Role.COUNTY_OFFICER, "420106")
    event = AuditEvent.objects.get(object_type="accounts.user", object_id=str(user.pk))
    assert event.action == AuditAction.CREATE
    assert event.division_code == "420106"


@pytest.mark.django_db
def test_no_orm_path_changes_or_removes_an_audit_row():
    event = audit_log(actor=None, action=AuditAction.CREATE, object_type="x", division_code="42")
    event.summary = "tampered"
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(summary="tampered")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).summary == ""


@pytest.mark.django_db
def test_the_database_itself_refuses_update_and_delete():
    event = audit_log(actor=None, action=AuditAction.CREATE, object_type="x", division_code="42")
    table = AuditEvent._meta.db_table
    for sql in (
        f"UPDATE {table} SET summary = 'tampered' WHERE id = %s",
        f"DELETE FROM {table} WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, summary="").exists()


@pytest.mark.django_db
def test_audit_log_accepts_a_lazy_user_as_the_record(make_user):
    from django.utils.functional import SimpleLazyObject

    user = make_user(Role.COUNTY_OFFICER, "420111")
    lazy = SimpleLazyObject(lambda: user)
    event = audit_log(actor=lazy, action=AuditAction.UPDATE, obj=lazy, summary="lazy")
    assert (event.object_type, event.object_id) == ("accounts.user", str(user.pk))
