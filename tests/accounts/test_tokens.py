import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from shouwang.accounts.models import ApiToken
from shouwang.accounts.roles import Role
from shouwang.accounts.services import user_set_active
from shouwang.accounts.tokens import api_token_authenticate, api_token_create, api_token_revoke
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction, AuditEvent


@pytest.mark.django_db
def test_only_the_digest_is_stored_and_the_secret_authenticates(make_user):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    token, raw = api_token_create(actor=user, user=user, name="laptop", days=30)
    assert raw.startswith(f"sw_{token.prefix}_")
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {stored.digest, stored.prefix, stored.name}
    assert api_token_authenticate(raw) == user
    assert AuditEvent.objects.filter(action=AuditAction.TOKEN_CREATE, actor=user).exists()
    stored.refresh_from_db()
    assert stored.last_used_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("mangle", [
    lambda raw: "",
    lambda raw: "not-a-token",
    lambda raw: raw[:-1] + ("A" if raw[-1] != "A" else "B"),  # right prefix, wrong secret
    lambda raw: raw.rsplit("_", 1)[0] + "_" + "x" * 43,
    lambda raw: raw + "x",
    lambda raw: "sw_" + "0" * 300,
])
def test_forged_tokens_are_refused(make_user, mangle):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    _, raw = api_token_create(actor=user, user=user, name="t")
    assert api_token_authenticate(mangle(raw)) is None


@pytest.mark.django_db
def test_expired_revoked_and_deactivated_tokens_are_refused(make_user):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    expired, raw_expired = api_token_create(actor=user, user=user, name="old")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api_token_authenticate(raw_expired) is None

    revoked, raw_revoked = api_token_create(actor=user, user=user, name="gone")
    api_token_revoke(actor=user, token=revoked)
    api_token_revoke(actor=user, token=revoked)  # idempotent: one audit row
    assert api_token_authenticate(raw_revoked) is None
    assert AuditEvent.objects.filter(action=AuditAction.TOKEN_REVOKE).count() == 1

    _, raw = api_token_create(actor=user, user=user, name="live")
    assert api_token_authenticate(raw) == user
    user_set_active(actor=None, user=user, active=False)
    assert api_token_authenticate(raw) is None


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "days", "field"), [
    ("", 30, "name"), ("x" * 65, 30, "name"), ("ok", 0, "days"), ("ok", 367, "days"),
])
def test_token_create_validates(make_user, name, days, field):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    with pytest.raises(InvalidInput) as info:
        api_token_create(actor=user, user=user, name=name, days=days)
    assert field in info.value.fields
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_a_user_cannot_create_tokens_for_someone_else(make_user):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    other = make_user(Role.COUNTY_OFFICER, "420106")
    with pytest.raises(InvalidInput) as info:
        api_token_create(actor=user, user=other, name="x")
    assert "user" in info.value.fields
