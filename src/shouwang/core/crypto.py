"""Personal data at rest: AES-256-GCM envelopes under a rotating key ring, and keyed lookup hashes.

Envelope (text, so it fits a TEXT column on every database)::

    sw1:<kid>:<base64(nonce ‖ ciphertext ‖ tag)>

`sw1` is the format version, `kid` names the key that encrypted it, the nonce is 96 random bits.
The associated data is ``sw1:<kid>:<context>`` where the context names the column
(``app_label.model.field``): a ciphertext copied into another column, or relabelled with another
key id, fails authentication instead of decrypting. See docs/decisions/0200-personal-data.md.

Keys come from ``settings.PERSONAL_DATA_KEYS`` (``kid1:base64key,kid2:base64key``) or, when that
is empty, from the file ``settings.PERSONAL_DATA_KEY_FILE`` (one ``kid:base64key`` per line). The
first key encrypts; every key decrypts. Exact lookups use HMAC-SHA256 under
``settings.PERSONAL_LOOKUP_KEY`` (base64, at least 32 bytes). Outside production a missing key is
generated once under ``settings.VAR_DIR`` (mode 0600) with a warning; in production a missing key
is a configuration error.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import logging
import os
import re
import secrets
import tempfile
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.checks import CheckMessage, register
from django.core.checks import Error as CheckError
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone

logger = logging.getLogger(__name__)

VERSION = "sw1"
KEY_BYTES = 32
NONCE_BYTES = 12
MIN_LOOKUP_KEY_BYTES = 32
KID_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_SETTINGS = frozenset({
    "PERSONAL_DATA_KEYS", "PERSONAL_DATA_KEY_FILE", "PERSONAL_LOOKUP_KEY",
    "PERSONAL_LOOKUP_KEY_FILE", "PRODUCTION", "VAR_DIR",
})


class DecryptionError(ValueError):
    """A stored envelope that cannot be opened: malformed, tampered, or in the wrong column."""


class UnknownKeyId(DecryptionError):
    """The envelope names a key id that is not in the configured key ring."""


@dataclass(frozen=True)
class KeyRing:
    """The configured keys of this process. Build it with `key_ring()`, never by hand."""

    current_kid: str
    keys: Mapping[str, bytes]
    lookup_key: bytes
    source: str
    _ciphers: dict[str, AESGCM] = field(default_factory=dict, repr=False, compare=False)
    _aad: dict[tuple[str, str], bytes] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for kid, key in self.keys.items():
            self._ciphers[kid] = AESGCM(key)

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self.keys)

    def cipher(self, kid: str) -> AESGCM:
        try:
            return self._ciphers[kid]
        except KeyError:
            known = ", ".join(self.keys)
            raise UnknownKeyId(
                f"the value was encrypted under key id {kid!r}, which is not in the key ring "
                f"(known: {known}); add that key to PERSONAL_DATA_KEYS or the key file "
                f"({self.source}) as a decrypt-only key"
            ) from None

    def aad(self, kid: str, context: str) -> bytes:
        # Cached: a bulk import encrypts the same few columns hundreds of thousands of times.
        try:
            return self._aad[kid, context]
        except KeyError:
            value = f"{VERSION}:{kid}:{context}".encode()
            self._aad[kid, context] = value
            return value


# --- Parsing keys ---------------------------------------------------------------------------


def _decode_key(text: str, *, what: str, min_bytes: int, exact: bool) -> bytes:
    text = text.strip()
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=False)
    except (binascii.Error, ValueError):
        raw = b""
    if not raw or (exact and len(raw) != min_bytes) or len(raw) < min_bytes:
        size = f"exactly {min_bytes}" if exact else f"at least {min_bytes}"
        raise ImproperlyConfigured(
            f"{what} must be base64 of {size} random bytes "
            f"(generate one with `shouwang keys generate`)"
        )
    return raw


def parse_key_lines(lines: list[str], *, source: str) -> dict[str, bytes]:
    """`kid:base64key` entries in order (first encrypts). Blank lines and `#` comments ignored."""
    keys: dict[str, bytes] = {}
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        kid, sep, encoded = line.partition(":")
        kid = kid.strip()
        if not sep or not KID_RE.fullmatch(kid):
            raise ImproperlyConfigured(
                f"{source}, entry {number}: expected 'kid:base64key' with a key id of 1-32 "
                f"letters, digits, '-' or '_'"
            )
        if kid in keys:
            raise ImproperlyConfigured(f"{source}: key id {kid!r} appears twice")
        keys[kid] = _decode_key(
            encoded, what=f"{source}, key {kid!r}", min_bytes=KEY_BYTES, exact=True
        )
    return keys


def new_key_id() -> str:
    """A fresh key id: the date it was made and a random suffix, e.g. `k20260115-3fa9`."""
    return f"k{timezone.localdate():%Y%m%d}-{secrets.token_hex(2)}"


def generate_key_line(kid: str | None = None) -> str:
    """A new `kid:base64key` line for PERSONAL_DATA_KEYS or the key file."""
    kid = kid or new_key_id()
    if not KID_RE.fullmatch(kid):
        raise ValueError("a key id is 1-32 letters, digits, '-' or '_'")
    return f"{kid}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode('ascii')}"


def _write_once(path: Path, content: str) -> None:
    """Create `path` with mode 0600 holding `content`, unless another process already did.

    The file appears atomically (written aside, then hard-linked into place), so a concurrent
    reader never sees it half written and two racing processes agree on one key.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


def _development_fallback(path: Path, content: Callable[[], str], what: str) -> None:
    if getattr(settings, "PRODUCTION", False):
        raise ImproperlyConfigured(
            f"{what} is not configured: production refuses to start without it "
            f"(expected the setting or the file {path})"
        )
    if not path.exists():
        _write_once(path, content())
        logger.warning(
            "%s was not configured; generated a development key at %s. "
            "Never use it for real personal data.", what, path,
        )


def _load_data_keys() -> tuple[dict[str, bytes], str]:
    inline = str(getattr(settings, "PERSONAL_DATA_KEYS", "") or "").strip()
    if inline:
        return parse_key_lines(inline.split(","), source="PERSONAL_DATA_KEYS"), (
            "PERSONAL_DATA_KEYS"
        )
    configured = getattr(settings, "PERSONAL_DATA_KEY_FILE", "") or ""
    path = Path(configured) if configured else Path(settings.VAR_DIR) / "data-keys"
    _development_fallback(
        path, lambda: f"# Development key generated {timezone.now():%Y-%m-%d %H:%M %Z}\n"
        f"{generate_key_line()}\n", "PERSONAL_DATA_KEYS / PERSONAL_DATA_KEY_FILE",
    )
    keys = parse_key_lines(path.read_text(encoding="utf-8").splitlines(), source=str(path))
    return keys, str(path)


def _load_lookup_key() -> bytes:
    inline = str(getattr(settings, "PERSONAL_LOOKUP_KEY", "") or "").strip()
    if inline:
        return _decode_key(inline, what="PERSONAL_LOOKUP_KEY", min_bytes=MIN_LOOKUP_KEY_BYTES,
                           exact=False)
    configured = getattr(settings, "PERSONAL_LOOKUP_KEY_FILE", "") or ""
    path = Path(configured) if configured else Path(settings.VAR_DIR) / "lookup-key"
    _development_fallback(
        path, lambda: base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii") + "\n",
        "PERSONAL_LOOKUP_KEY",
    )
    return _decode_key(path.read_text(encoding="utf-8"), what=f"the lookup key in {path}",
                       min_bytes=MIN_LOOKUP_KEY_BYTES, exact=False)


# --- The per-process cache ------------------------------------------------------------------

_cache: dict[str, KeyRing] = {}


def key_ring() -> KeyRing:
    """The key ring of this process, read from settings once and cached."""
    ring = _cache.get("ring")
    if ring is None:
        keys, source = _load_data_keys()
        if not keys:
            raise ImproperlyConfigured(f"{source} holds no key")
        ring = KeyRing(current_kid=next(iter(keys)), keys=keys, lookup_key=_load_lookup_key(),
                       source=source)
        _cache["ring"] = ring
    return ring


def clear_key_cache() -> None:
    """Forget the cached key ring (after the settings or the key file changed)."""
    _cache.clear()


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in _SETTINGS:
        clear_key_cache()


@register("security")
def check_personal_data_keys(**kwargs: Any) -> list[CheckMessage]:
    """Fail `check`/`runserver`/`migrate` at start when the keys are unusable."""
    try:
        key_ring()
    except ImproperlyConfigured as exc:
        return [CheckError(str(exc), id="shouwang.E200")]
    return []


# --- Envelopes ------------------------------------------------------------------------------


def encrypt(plaintext: str, context: str) -> str:
    """Seal `plaintext` for the column named by `context` under the current key."""
    ring = _cache.get("ring") or key_ring()
    kid = ring.current_kid
    nonce = os.urandom(NONCE_BYTES)
    sealed = ring._ciphers[kid].encrypt(nonce, plaintext.encode("utf-8"), ring.aad(kid, context))
    return f"{VERSION}:{kid}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def _split(envelope: str) -> tuple[str, bytes]:
    version, _, rest = envelope.partition(":")
    kid, _, body = rest.partition(":")
    if version != VERSION or not kid or not body:
        raise DecryptionError(
            f"not a {VERSION} personal-data envelope (starts with {envelope[:8]!r})"
        )
    try:
        blob = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionError("the envelope's body is not valid base64") from None
    if len(blob) < NONCE_BYTES + 16:
        raise DecryptionError("the envelope is too short to hold a nonce and a tag")
    return kid, blob


def decrypt(envelope: str, context: str) -> str:
    """Open an envelope made by `encrypt` for the same `context`."""
    ring = _cache.get("ring") or key_ring()
    kid, blob = _split(envelope)
    cipher = ring.cipher(kid)
    try:
        plain = cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], ring.aad(kid, context))
    except InvalidTag:
        raise DecryptionError(
            f"authentication failed for a value under key {kid!r} in {context!r}: it was "
            f"tampered with, copied from another column, or the key material changed"
        ) from None
    return plain.decode("utf-8")


def envelope_key_id(envelope: str) -> str:
    """The key id an envelope was sealed under (without decrypting it)."""
    return _split(envelope)[0]


def is_envelope(value: str) -> bool:
    return value.startswith(VERSION + ":") and value.count(":") >= 2


def reencrypt(envelope: str, context: str) -> str:
    """The same plaintext sealed under the current key (unchanged if already under it)."""
    ring = _cache.get("ring") or key_ring()
    if envelope_key_id(envelope) == ring.current_kid:
        return envelope
    return encrypt(decrypt(envelope, context), context)


# --- Keyed lookup hashes --------------------------------------------------------------------


def _norm_text(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def _norm_compact_upper(value: str) -> str:
    # ID and passport numbers are copied with stray spaces and lower-case letters (x, e).
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


def _norm_phone(value: str) -> str:
    from shouwang.core.validators import InvalidIdentifier, normalize_mobile

    try:
        return normalize_mobile(value)
    except InvalidIdentifier:
        return "".join(ch for ch in unicodedata.normalize("NFKC", value) if ch.isalnum())


NORMALIZERS: dict[str, Callable[[str], str]] = {
    "text": _norm_text,
    "id_number": _norm_compact_upper,
    "passport": _norm_compact_upper,
    "phone": _norm_phone,
}


def normalize_for_lookup(value: str, kind: str = "text") -> str:
    try:
        normalizer = NORMALIZERS[kind]
    except KeyError:
        raise ValueError(
            f"unknown lookup kind {kind!r}; expected one of {', '.join(NORMALIZERS)}"
        ) from None
    return normalizer(value)


def keyed_hash(value: str, kind: str = "text") -> str:
    """HMAC-SHA256 of the normalised value, as 64 hex digits; the kind separates domains."""
    ring = _cache.get("ring") or key_ring()
    message = f"{kind}\x00{normalize_for_lookup(value, kind)}".encode()
    return hmac.digest(ring.lookup_key, message, "sha256").hex()
