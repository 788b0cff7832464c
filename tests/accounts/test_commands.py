import pytest
from django.core.management import CommandError, call_command

from shouwang.accounts.models import User
from shouwang.accounts.roles import Role
from shouwang.core.models import AuditAction, AuditEvent

STRONG = "Correct-Horse-Battery-42"


@pytest.mark.django_db
def test_create_user_command_uses_the_service(divisions, capsys):
    call_command("create-user", "--username", "ops-county", "--role", Role.COUNTY_OFFICER,
                 "--division", "420111", "--password", STRONG, "--display-name", "值班员")
    user = User.objects.get(username="ops-county")
    assert user.division_code == "420111" and user.check_password(STRONG)
    assert "created ops-county" in capsys.readouterr().out
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(user.pk)).exists()


@pytest.mark.django_db
def test_create_user_command_reports_field_errors(divisions):
    with pytest.raises(CommandError) as info:
        call_command("create-user", "--username", "bad", "--role", Role.SYSADMIN,
                     "--division", "420111", "--password", "123")
    message = str(info.value)
    assert "division_code" in message and "password" not in message  # strength checked last
    assert not User.objects.filter(username="bad").exists()
    with pytest.raises(CommandError):
        call_command("create-user", "--username", "weak", "--role", Role.SYSADMIN,
                     "--division", "420000", "--password", "123")


@pytest.mark.django_db
def test_create_user_command_reads_the_password_from_the_environment(divisions, monkeypatch):
    monkeypatch.setenv("SHOUWANG_NEW_USER_PASSWORD", STRONG)
    call_command("create-user", "--username", "root", "--role", Role.SYSADMIN,
                 "--division", "000000", "--superuser")
    user = User.objects.get(username="root")
    assert user.check_password(STRONG) and user.is_superuser and user.is_staff


@pytest.mark.django_db
def test_create_user_command_refuses_without_any_password(divisions, monkeypatch):
    monkeypatch.delenv("SHOUWANG_NEW_USER_PASSWORD", raising=False)
    monkeypatch.setattr("os.isatty", lambda fd: False)
    with pytest.raises(CommandError, match="no password"):
        call_command("create-user", "--username", "x", "--role", Role.SYSADMIN,
                     "--division", "000000")
