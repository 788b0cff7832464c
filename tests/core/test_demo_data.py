import io
from datetime import date, timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from shouwang.accounts.models import User
from shouwang.accounts.roles import SECOND_FACTOR_REQUIRED, Role
from shouwang.core import jobs
from shouwang.core.models import AuditEvent
from shouwang.demo import SCALES, DemoBuilder, DemoContext, demo_builders, register_demo_builder
from shouwang.demo.accounts import DEMO_PASSWORD, DEMO_USERS, demo_totp_key, demo_totp_secret


def _demo(*args):
    out = io.StringIO()
    call_command("demo-data", *args, stdout=out)
    return out.getvalue()


def _snapshot():
    users = sorted(User.objects.values_list("pk", "username", "password", "role", "division_id"))
    devices = sorted(TOTPDevice.objects.values_list("pk", "user_id", "key", "confirmed"))
    return users, devices, AuditEvent.objects.count()


@pytest.mark.django_db
def test_demo_data_creates_a_user_of_every_role(divisions):
    output = _demo("--scale", "small", "--seed", "1")
    roles = set(User.objects.filter(username__startswith="demo-").values_list("role", flat=True))
    assert roles == set(Role.values)
    assert DEMO_PASSWORD in output
    for spec in DEMO_USERS:
        user = User.objects.get(username=spec.username)
        assert user.division_id == spec.division_code
        assert user.role == spec.role
        assert user.check_password(DEMO_PASSWORD)
        assert spec.username in output
    assert User.objects.get(username="demo-hongshan").division_id == "420111"
    assert User.objects.get(username="demo-wuchang").division_id == "420106"


@pytest.mark.django_db
def test_national_and_provincial_demo_users_have_the_printed_authenticator(divisions):
    output = _demo()
    with_totp = [u for u in DEMO_USERS if u.role in SECOND_FACTOR_REQUIRED]
    assert {u.role for u in with_totp} == set(SECOND_FACTOR_REQUIRED)
    for spec in with_totp:
        device = TOTPDevice.objects.get(user__username=spec.username, confirmed=True)
        assert device.bin_key == demo_totp_key(spec.username)
        assert demo_totp_secret(spec.username) in output
        assert f"otpauth://totp/Shouwang%3A{spec.username}?secret=" in output
        # A code an authenticator app would show from the printed secret is accepted.
        device.last_t = -1
        code = TOTP(demo_totp_key(spec.username), device.step, device.t0, device.digits).token()
        assert device.verify_token(f"{code:06d}")
    others = [u.username for u in DEMO_USERS if u.role not in SECOND_FACTOR_REQUIRED]
    assert not TOTPDevice.objects.filter(user__username__in=others).exists()


@pytest.mark.django_db
def test_running_demo_data_twice_changes_nothing(divisions):
    first_output = _demo("--seed", "7")
    before = _snapshot()
    second_output = _demo("--seed", "7")
    assert _snapshot() == before
    assert second_output == first_output


@pytest.mark.django_db
def test_demo_data_needs_the_divisions(db):
    with pytest.raises(CommandError, match="geo load"):
        _demo()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_demo_data_refuses_a_clash_with_an_existing_account(divisions, make_user):
    make_user(Role.COUNTY_OFFICER, "420106", username="demo-hongshan")
    with pytest.raises(CommandError, match="demo-hongshan"):
        _demo()


@pytest.mark.django_db
def test_demo_data_refuses_production(divisions, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        _demo()
    assert not User.objects.exists()


def test_scales_and_seeded_randomness():
    assert list(SCALES) == ["small", "province", "national"]
    a = DemoContext(scale=SCALES["small"], seed=1, out=io.StringIO())
    b = DemoContext(scale=SCALES["small"], seed=1, out=io.StringIO())
    c = DemoContext(scale=SCALES["small"], seed=2, out=io.StringIO())
    draw = [a.rng("x").random() for _ in range(3)]
    assert draw == [b.rng("x").random() for _ in range(3)]
    assert a.rng("x").random() != c.rng("x").random()
    assert a.rng("x").random() != a.rng("y").random()


@pytest.mark.django_db
def test_scale_picks_the_counties_of_its_area(divisions):
    small = DemoContext(scale=SCALES["small"], seed=1, out=io.StringIO())
    national = DemoContext(scale=SCALES["national"], seed=1, out=io.StringIO())
    assert list(small.divisions().values_list("code", flat=True)) == ["420106", "420111"]
    assert set(national.divisions().values_list("code", flat=True)) >= {
        "420106", "420111", "420606", "430102"
    }


@pytest.mark.django_db
def test_builders_run_in_order_and_a_later_builder_is_called(divisions):
    calls = []
    late = DemoBuilder(name="test.late", order=90, build=lambda ctx: calls.append(ctx.seed))
    with mock.patch.dict("shouwang.demo._BUILDERS"):
        register_demo_builder(late)
        names = [b.name for b in demo_builders()]
        assert names[0] == "accounts.users"
        assert names[-1] == "test.late"
        with pytest.raises(ValueError, match="twice"):
            register_demo_builder(DemoBuilder(name="test.late", order=1, build=print))
        _demo("--seed", "3")
    assert calls == [3]


def test_run_jobs_says_when_nothing_is_registered():
    out = io.StringIO()
    jobs.scheduled_jobs()  # every app's jobs module imported (and registered) before clearing
    with mock.patch.dict(jobs._SCHEDULED, clear=True):
        call_command("run-jobs", "--list", stdout=out)
    assert "No scheduled jobs are registered yet." in out.getvalue()


def test_run_jobs_runs_a_registered_job_for_a_day():
    seen = []
    job = jobs.ScheduledJob(name="test.count", run=lambda day: seen.append(day) or {"n": 1})
    out = io.StringIO()
    with mock.patch.dict(jobs._SCHEDULED, clear=True):
        jobs.register_scheduled_job(job)
        call_command("run-jobs", "--list", stdout=out)
        call_command("run-jobs", "test.count", "--date", "2026-03-01", stdout=out)
        with pytest.raises(CommandError, match="unknown job"):
            call_command("run-jobs", "nope", stdout=out)
    assert seen == [date(2026, 3, 1)]
    assert "test.count" in out.getvalue()
    assert 'test.count 2026-03-01: {"n": 1}' in out.getvalue()


def test_run_jobs_without_a_date_runs_each_job_for_its_own_default_day():
    from django.utils import timezone

    seen: dict[str, date] = {}
    nightly = jobs.ScheduledJob(name="test.nightly",
                                run=lambda day: seen.setdefault("nightly", day) and {})
    today = jobs.ScheduledJob(name="test.today", run=lambda day: seen.setdefault("today", day)
                              and {}, default_days_back=0)
    with mock.patch.dict(jobs._SCHEDULED, clear=True):
        jobs.register_scheduled_job(nightly)
        jobs.register_scheduled_job(today)
        call_command("run-jobs", "test.nightly", "test.today", stdout=io.StringIO())
    assert seen == {"nightly": timezone.localdate() - timedelta(days=1),
                    "today": timezone.localdate()}
    assert jobs.scheduled_jobs()["risk-levels"].default_days_back == 0
