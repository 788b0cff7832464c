import pytest
from django.core.exceptions import PermissionDenied
from django_otp.plugins.otp_totp.models import TOTPDevice

from shouwang.accounts.models import User
from shouwang.accounts.roles import Role
from shouwang.accounts.services import (
    otp_device_confirm,
    otp_device_start,
    otp_devices_remove,
    user_create,
    user_grant_admin_site,
    user_set_active,
    user_set_password,
)
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction, AuditEvent
from tests.accounts.helpers import otp_code

STRONG = "Correct-Horse-Battery-42"


def _create(actor, **kw):
    args = {"username": "new-user", "password": STRONG, "role": Role.COUNTY_OFFICER,
            "division_code": "420111"}
    args.update(kw)
    return user_create(actor=actor, **args)


@pytest.mark.django_db
def test_user_create_binds_role_and_division_and_audits(divisions):
    user = _create(None, display_name="张三")
    assert user.division_code == "420111"
    assert user.jurisdiction_prefix == "420111"
    assert user.check_password(STRONG)
    assert user.password.startswith("argon2")
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_id=str(user.pk))
    assert event.division_code == "420111"
    assert STRONG not in str(event.changes) and STRONG not in event.summary


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"role": Role.COUNTY_OFFICER, "division_code": "420100"}, "division_code"),
        ({"role": Role.NATIONAL_OFFICER, "division_code": "420000"}, "division_code"),
        ({"role": Role.SYSADMIN, "division_code": "420111"}, "division_code"),
        ({"division_code": "999999"}, "division_code"),
        ({"division_code": ""}, "division_code"),
        ({"role": "emperor"}, "role"),
        ({"username": "   "}, "username"),
        ({"username": "x" * 151}, "username"),
        ({"password": "12345"}, "password"),
    ],
)
def test_user_create_rejects_bad_input_field_by_field(divisions, kw, field):
    with pytest.raises(InvalidInput) as info:
        _create(None, **kw)
    assert field in info.value.fields
    assert not User.objects.filter(username=kw.get("username", "new-user")).exists()


@pytest.mark.django_db
def test_user_create_rejects_a_duplicate_username(divisions):
    _create(None)
    with pytest.raises(InvalidInput) as info:
        _create(None)
    assert "username" in info.value.fields


@pytest.mark.django_db
def test_markup_and_sql_looking_names_are_stored_verbatim(divisions):
    name = "<script>alert(1)</script>'; DROP TABLE accounts_user; --"
    user = _create(None, display_name=name[:64])
    user.refresh_from_db()
    assert user.display_name == name[:64]


@pytest.mark.django_db
def test_an_administrator_creates_users_only_inside_the_jurisdiction(make_user):
    hubei = make_user(Role.SYSADMIN, "420000")
    assert _create(hubei, username="in-hubei").division_code == "420111"
    with pytest.raises(InvalidInput) as info:
        _create(hubei, username="in-hunan", division_code="430102")
    assert "division_code" in info.value.fields
    with pytest.raises(InvalidInput):
        _create(hubei, username="national", role=Role.NATIONAL_OFFICER, division_code="000000")
    nation = make_user(Role.SYSADMIN, "000000")
    assert _create(nation, username="in-hunan", division_code="430102").division_code == "430102"


@pytest.mark.django_db
def test_only_administrators_create_users(make_user):
    officer = make_user(Role.COUNTY_OFFICER, "420111")
    with pytest.raises(PermissionDenied):
        _create(officer)


@pytest.mark.django_db
def test_deactivate_and_reactivate_are_audited_and_idempotent(make_user):
    admin = make_user(Role.SYSADMIN, "420000")
    target = make_user(Role.COUNTY_OFFICER, "420111")
    user_set_active(actor=admin, user=target, active=False)
    user_set_active(actor=admin, user=target, active=False)
    target.refresh_from_db()
    assert not target.is_active
    events = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_id=str(target.pk))
    assert events.count() == 1
    assert events.get().changes == {"is_active": [True, False]}
    assert events.get().actor_username == admin.username
    user_set_active(actor=admin, user=target, active=True)
    target.refresh_from_db()
    assert target.is_active


@pytest.mark.django_db
def test_deactivation_respects_jurisdiction_and_self(make_user):
    hunan = make_user(Role.SYSADMIN, "430000")
    target = make_user(Role.COUNTY_OFFICER, "420111")
    with pytest.raises(PermissionDenied):
        user_set_active(actor=hunan, user=target, active=False)
    with pytest.raises(InvalidInput):
        user_set_active(actor=hunan, user=hunan, active=False)
    target.refresh_from_db()
    assert target.is_active


@pytest.mark.django_db
def test_password_reset_validates_and_masks_the_audit(make_user):
    admin = make_user(Role.SYSADMIN, "000000")
    target = make_user(Role.COUNTY_OFFICER, "420111")
    with pytest.raises(InvalidInput) as info:
        user_set_password(actor=admin, user=target, password="short")
    assert "password" in info.value.fields
    user_set_password(actor=admin, user=target, password=STRONG)
    target.refresh_from_db()
    assert target.check_password(STRONG)
    event = AuditEvent.objects.filter(object_id=str(target.pk), action=AuditAction.UPDATE).get()
    assert event.changes == {"password": "***"}
    assert "reset" in event.summary


@pytest.mark.django_db
def test_a_user_changes_their_own_password_without_the_capability(make_user):
    user = make_user(Role.GRID_WORKER, "420111")
    user_set_password(actor=user, user=user, password=STRONG)
    other = make_user(Role.GRID_WORKER, "420106")
    with pytest.raises(PermissionDenied):
        user_set_password(actor=user, user=other, password=STRONG)


@pytest.mark.django_db
def test_otp_enrolment_confirms_with_a_real_code_and_audits(make_user):
    user = make_user(Role.NATIONAL_OFFICER, "000000")
    device = otp_device_start(user=user)
    assert otp_device_start(user=user).pk == device.pk, "reloading keeps the same secret"
    assert not device.confirmed
    with pytest.raises(InvalidInput) as info:
        otp_device_confirm(actor=user, device=device, token="abc")
    assert "otp_token" in info.value.fields
    wrong = f"{(int(otp_code(device)) + 1) % 1_000_000:06d}"
    with pytest.raises(InvalidInput):
        otp_device_confirm(actor=user, device=device, token=wrong)
    # The failed attempt stays counted (django-otp throttles), even though the service raised.
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    device.throttling_failure_timestamp = None  # let the test retry at once
    device.save()
    confirmed = otp_device_confirm(actor=user, device=device, token=otp_code(device))
    assert confirmed.confirmed
    assert AuditEvent.objects.filter(action=AuditAction.OTP_ENROL, actor=user).count() == 1
    assert User.objects.get(pk=user.pk).requires_second_factor


@pytest.mark.django_db
def test_otp_device_of_another_user_cannot_be_confirmed(make_user):
    owner = make_user(Role.NATIONAL_OFFICER, "000000")
    other = make_user(Role.PROVINCIAL_OFFICER, "420000")
    device = otp_device_start(user=owner)
    with pytest.raises(InvalidInput):
        otp_device_confirm(actor=other, device=device, token=otp_code(device))
    device.refresh_from_db()
    assert not device.confirmed


@pytest.mark.django_db
def test_voluntary_second_factor_binds_and_can_be_switched_off(make_user):
    user = make_user(Role.GRID_WORKER, "420111")
    assert not user.requires_second_factor
    device = otp_device_start(user=user)
    otp_device_confirm(actor=user, device=device, token=otp_code(device))
    assert User.objects.get(pk=user.pk).requires_second_factor
    assert otp_devices_remove(actor=user, user=user) == 1
    assert not User.objects.get(pk=user.pk).requires_second_factor


@pytest.mark.django_db
def test_mandatory_second_factor_is_reset_only_by_an_administrator(make_user):
    user = make_user(Role.PROVINCIAL_OFFICER, "420000")
    device = otp_device_start(user=user)
    otp_device_confirm(actor=user, device=device, token=otp_code(device))
    with pytest.raises(InvalidInput):
        otp_devices_remove(actor=user, user=user)
    with pytest.raises(PermissionDenied):
        otp_devices_remove(actor=make_user(Role.SYSADMIN, "430000"), user=user)
    assert otp_devices_remove(actor=make_user(Role.SYSADMIN, "420000"), user=user) == 1
    assert not TOTPDevice.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_only_the_operator_grants_the_admin_site(make_user):
    user = make_user(Role.SYSADMIN, "000000")
    with pytest.raises(PermissionDenied):
        user_grant_admin_site(actor=user, user=user)
    user_grant_admin_site(actor=None, user=user)
    user.refresh_from_db()
    assert user.is_staff and user.is_superuser
