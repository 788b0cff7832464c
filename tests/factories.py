"""Test data through the real services: divisions, users of every role."""

from __future__ import annotations

import functools
from unittest import mock

from django.contrib.auth.hashers import make_password

from shouwang.accounts.models import User
from shouwang.accounts.services import user_create
from shouwang.geo.models import NATION_CODE, Division, Level

PASSWORD = "Shouwang-test-2026!"

# A small, real corner of the division tree: two provinces, two cities, three counties each side.
SAMPLE_DIVISIONS: list[tuple[str, str, str, str, str | None]] = [
    (NATION_CODE, "中华人民共和国", "China", Level.NATION, None),
    ("420000", "湖北省", "Hubei Sheng", Level.PROVINCE, NATION_CODE),
    ("420100", "武汉市", "Wuhan Shi", Level.PREFECTURE, "420000"),
    ("420106", "武昌区", "Wuchang Qu", Level.COUNTY, "420100"),
    ("420111", "洪山区", "Hongshan Qu", Level.COUNTY, "420100"),
    ("420600", "襄阳市", "Xiangyang Shi", Level.PREFECTURE, "420000"),
    ("420606", "樊城区", "Fancheng Qu", Level.COUNTY, "420600"),
    ("430000", "湖南省", "Hunan Sheng", Level.PROVINCE, NATION_CODE),
    ("430100", "长沙市", "Changsha Shi", Level.PREFECTURE, "430000"),
    ("430102", "芙蓉区", "Furong Qu", Level.COUNTY, "430100"),
    ("420111001", "珞南街道", "Luonan Jiedao", Level.TOWNSHIP, "420111"),
]


def ensure_sample_divisions() -> None:
    for code, name, name_en, level, parent in SAMPLE_DIVISIONS:
        if not Division.objects.filter(code=code).exists():
            Division(code=code, name=name, name_en=name_en, level=level, parent_id=parent).save()


def restore_reference_data() -> None:
    """Put back the reference data that migrations load, after a transactional test flushed it.

    pytest-django empties every table after a transactional (live-server) test; tests that run
    later on the same worker would otherwise find no diseases (nor the default risk and
    livelihood rules).
    """
    from django.apps import apps

    from shouwang.livelihood.defaults import seed as seed_livelihood_defaults
    from shouwang.risk.defaults import seed as seed_risk_defaults
    from shouwang.surveillance.services.diseases import diseases_sync

    diseases_sync()
    seed_risk_defaults(apps)
    seed_livelihood_defaults(apps)


@functools.cache
def _password_hash() -> str:
    return make_password(PASSWORD)


def _set_test_password(user: User, raw_password: str | None) -> None:
    """Users made by the factory share one argon2 hash of PASSWORD (with one salt): hashing it
    again for every user cost ~0.1 s each, most of the set-up time of tests with a few officers.
    Logging in still verifies the password with argon2."""
    if raw_password != PASSWORD:
        _original_set_password(user, raw_password)
        return
    user.password = _password_hash()
    user._password = raw_password


_original_set_password = User.set_password


def make_user(role: str, division_code: str, username: str | None = None, **extra: str) -> User:
    ensure_sample_divisions()
    with mock.patch.object(User, "set_password", _set_test_password):
        return user_create(
            actor=None,
            username=username or f"{role}-{division_code}",
            password=PASSWORD,
            role=role,
            division_code=division_code,
            check_password_strength=False,
            **extra,
        )
