"""Demo users: one of every role, bound to divisions in and around Wuhan, one shared password.

National and provincial roles must pass TOTP, so their demo accounts get a confirmed
authenticator with a fixed secret, printed (with its otpauth:// URI) for an authenticator app.
"""

from __future__ import annotations

import base64
import hashlib
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from shouwang.accounts.models import User
from shouwang.accounts.roles import SECOND_FACTOR_REQUIRED, Role
from shouwang.accounts.services import otp_device_confirm, otp_device_start, user_create
from shouwang.demo import DemoBuilder, DemoContext, register_demo_builder
from shouwang.geo.models import Division

DEMO_PASSWORD = "Shouwang@2026"  # noqa: S105 - printed for every demo user on purpose
TOTP_ISSUER = "Shouwang"


class DemoDataError(Exception):
    """The database is not ready for demo data (e.g. the divisions are not loaded)."""


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    division_code: str
    display_name: str


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("demo-national", Role.NATIONAL_OFFICER, "000000", "国家疾控 王建国"),
    DemoUser("demo-hubei", Role.PROVINCIAL_OFFICER, "420000", "湖北省疾控 李红"),
    DemoUser("demo-wuhan", Role.CITY_OFFICER, "420100", "武汉市疾控 张伟"),
    DemoUser("demo-hongshan", Role.COUNTY_OFFICER, "420111", "洪山区疾控 刘洋"),
    DemoUser("demo-wuchang", Role.COUNTY_OFFICER, "420106", "武昌区疾控 陈静"),
    DemoUser("demo-grid", Role.GRID_WORKER, "420111", "洪山区网格员 杨帆"),
    DemoUser("demo-port", Role.PORT_OFFICER, "420100", "武汉海关口岸 赵磊"),
    DemoUser("demo-lab", Role.LABORATORY, "420100", "武汉市疾控实验室 黄敏"),
    # 武汉市: the livelihood demo's 黄陂区 and 新洲区 (livelihood/demo.py) lie inside it.
    DemoUser("demo-livelihood", Role.LIVELIHOOD_CADRE, "420100", "武汉市防返贫干部 周强"),
    DemoUser("demo-auditor", Role.AUDITOR, "420000", "湖北省审计 吴芳"),
    DemoUser("demo-admin", Role.SYSADMIN, "000000", "系统管理员 郑斌"),
)


def demo_totp_key(username: str) -> bytes:
    """The fixed 20-byte TOTP secret of a demo user (the same on every machine, by design)."""
    return hashlib.sha256(f"shouwang-demo-totp:{username}".encode()).digest()[:20]


def demo_totp_secret(username: str) -> str:
    return base64.b32encode(demo_totp_key(username)).decode().rstrip("=")


def demo_totp_uri(username: str) -> str:
    label = quote(f"{TOTP_ISSUER}:{username}")
    return f"otpauth://totp/{label}?secret={demo_totp_secret(username)}&issuer={TOTP_ISSUER}"


def _width(text: str) -> int:
    """Columns a terminal gives `text`: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  " + "  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in rows
    ]


def _ensure_user(spec: DemoUser) -> User:
    user = User.objects.filter(username=spec.username).select_related("division").first()
    if user is None:
        return user_create(
            actor=None, username=spec.username, password=DEMO_PASSWORD, role=spec.role,
            division_code=spec.division_code, display_name=spec.display_name,
        )
    if user.role != spec.role or user.division_code != spec.division_code:
        raise DemoDataError(
            f"user {spec.username} exists as {user.role}@{user.division_code}, "
            f"not the demo {spec.role}@{spec.division_code}; rename or remove it first"
        )
    return user


def _ensure_totp(user: User) -> bool:
    """Give `user` the demo authenticator; False when the user enrolled one of their own."""
    key_hex = demo_totp_key(user.username).hex()
    confirmed = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    if any(d.key == key_hex for d in confirmed):
        return True
    if confirmed:
        return False
    device = otp_device_start(user=user)
    # The pending device got a random secret; the demo one must be the printed, fixed one.
    TOTPDevice.objects.filter(pk=device.pk).update(key=key_hex, last_t=-1)
    device.refresh_from_db()
    code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    otp_device_confirm(actor=user, device=device, token=f"{code:0{device.digits}d}")
    return True


def build_demo_users(ctx: DemoContext) -> None:
    needed = {u.division_code for u in DEMO_USERS}
    present = set(Division.objects.filter(code__in=needed).values_list("code", flat=True))
    missing = sorted(needed - present)
    if missing:
        raise DemoDataError(
            f"divisions {', '.join(missing)} are missing; run `shouwang geo load` first"
        )
    rows: list[tuple[str, ...]] = []
    totp_lines = []
    for spec in DEMO_USERS:
        user = _ensure_user(spec)
        totp = ""
        if spec.role in SECOND_FACTOR_REQUIRED:
            if _ensure_totp(user):
                totp = "TOTP " + demo_totp_secret(spec.username)
                totp_lines.append(f"  {spec.username}: {demo_totp_uri(spec.username)}")
            else:
                totp = "(own authenticator)"
        rows.append((spec.username, str(Role(spec.role).label), spec.division_code,
                     str(user.division.name if user.division else ""), totp))

    ctx.notes.append(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    ctx.notes.extend(_table(rows))
    if totp_lines:
        ctx.notes.append(
            "National and provincial accounts need a TOTP code after the password. Add their "
            "fixed demo secret to an authenticator app (or scan these URIs as QR codes):"
        )
        ctx.notes.extend(totp_lines)


register_demo_builder(DemoBuilder(
    name="accounts.users", order=10, build=build_demo_users,
    description="one demo user of every role, with TOTP for national and provincial roles",
))
