import base64
import logging
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from shouwang.core import crypto
from tests.core.testapp.fixtures import KEY_A, KEY_B, b64, keys  # noqa: F401

pytestmark = pytest.mark.usefixtures("keys")

CTX = "testapp.person.id_number"


def test_envelope_round_trips_and_names_version_and_key():
    envelope = crypto.encrypt("42011119900101123X", CTX)
    version, kid, body = envelope.split(":")
    assert (version, kid) == ("sw1", "ka")
    blob = base64.b64decode(body)
    assert len(blob) == 12 + len("42011119900101123X") + 16  # nonce, ciphertext, tag
    assert "42011119900101123X" not in envelope
    assert crypto.decrypt(envelope, CTX) == "42011119900101123X"
    assert crypto.envelope_key_id(envelope) == "ka"
    assert crypto.is_envelope(envelope)


def test_every_encryption_uses_a_fresh_nonce():
    a, b = crypto.encrypt("张三", CTX), crypto.encrypt("张三", CTX)
    assert a != b
    assert base64.b64decode(a.split(":")[2])[:12] != base64.b64decode(b.split(":")[2])[:12]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_round_trips(text):
    assert crypto.decrypt(crypto.encrypt(text, CTX), CTX) == text


def test_a_value_copied_into_another_column_does_not_decrypt():
    envelope = crypto.encrypt("13800138000", "testapp.person.phone")
    with pytest.raises(crypto.DecryptionError, match="copied from another column"):
        crypto.decrypt(envelope, "testapp.person.name")


def test_tampering_is_detected():
    envelope = crypto.encrypt("张三", CTX)
    blob = bytearray(base64.b64decode(envelope.split(":")[2]))
    blob[-1] ^= 1
    forged = f"sw1:ka:{base64.b64encode(bytes(blob)).decode()}"
    with pytest.raises(crypto.DecryptionError, match="tampered"):
        crypto.decrypt(forged, CTX)


def test_relabelling_the_key_id_is_detected():
    # Same key material under two ids: the key id is bound through the associated data.
    with override_settings(PERSONAL_DATA_KEYS=f"ka:{b64(1)},kz:{b64(1)}"):
        envelope = crypto.encrypt("张三", CTX)
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(envelope.replace("sw1:ka:", "sw1:kz:"), CTX)


def test_unknown_key_id_is_a_clear_error():
    envelope = crypto.encrypt("张三", CTX)
    with override_settings(PERSONAL_DATA_KEYS=KEY_B), pytest.raises(
        crypto.UnknownKeyId, match=r"key id 'ka'.*known: kb"
    ):
        crypto.decrypt(envelope, CTX)


@pytest.mark.parametrize("bad", ["", "plain text", "sw2:ka:AAAA", "sw1::AAAA", "sw1:ka:***",
                                 "sw1:ka:AAAA"])
def test_malformed_envelopes_are_rejected(bad):
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(bad, CTX)


def test_old_keys_decrypt_and_the_first_key_encrypts():
    old = crypto.encrypt("张三", CTX)
    with override_settings(PERSONAL_DATA_KEYS=f"{KEY_B},{KEY_A}"):
        assert crypto.key_ring().current_kid == "kb"
        assert crypto.decrypt(old, CTX) == "张三"
        new = crypto.reencrypt(old, CTX)
        assert crypto.envelope_key_id(new) == "kb"
        assert crypto.decrypt(new, CTX) == "张三"
        assert crypto.reencrypt(new, CTX) is new


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("ka", "expected 'kid:base64key'"),
        ("k a:" + b64(1), "expected 'kid:base64key'"),
        ("ka:" + b64(1, 16), "exactly 32"),
        ("ka:not base64 at all!", "exactly 32"),
        (f"{KEY_A},ka:{b64(2)}", "appears twice"),
    ],
)
def test_bad_key_settings_are_reported(value, match):
    with override_settings(PERSONAL_DATA_KEYS=value), pytest.raises(ImproperlyConfigured,
                                                                     match=match):
        crypto.key_ring()


def test_short_lookup_key_is_reported():
    with override_settings(PERSONAL_LOOKUP_KEY=b64(1, 16)), pytest.raises(
        ImproperlyConfigured, match="PERSONAL_LOOKUP_KEY"
    ):
        crypto.key_ring()


def test_key_file_first_line_encrypts(tmp_path):
    path = tmp_path / "keys"
    path.write_text(f"# rotated 2026-01\n\n{KEY_B}\n{KEY_A}\n")
    with override_settings(PERSONAL_DATA_KEYS="", PERSONAL_DATA_KEY_FILE=str(path)):
        ring = crypto.key_ring()
        assert ring.key_ids == ("kb", "ka")
        assert ring.source == str(path)


def test_development_fallback_generates_a_private_key_file_once(tmp_path, caplog):
    with override_settings(PERSONAL_DATA_KEYS="", PERSONAL_LOOKUP_KEY="", PRODUCTION=False,
                           VAR_DIR=tmp_path, PERSONAL_DATA_KEY_FILE="",
                           PERSONAL_LOOKUP_KEY_FILE=""), \
            caplog.at_level(logging.WARNING, logger="shouwang.core.crypto"):
        envelope = crypto.encrypt("张三", CTX)
        digest = crypto.keyed_hash("张三")
        key_file, lookup_file = tmp_path / "data-keys", tmp_path / "lookup-key"
        for path in (key_file, lookup_file):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert "generated a development key" in caplog.text
        content = key_file.read_text()
        crypto.clear_key_cache()
        # A second process (here: a cleared cache) reuses the same keys.
        assert crypto.decrypt(envelope, CTX) == "张三"
        assert crypto.keyed_hash("张三") == digest
        assert key_file.read_text() == content
    assert not list(tmp_path.glob(".data-keys.*"))  # no temporary files left behind


def test_production_refuses_to_start_without_keys(tmp_path):
    with override_settings(PERSONAL_DATA_KEYS="", PRODUCTION=True, VAR_DIR=tmp_path,
                           PERSONAL_DATA_KEY_FILE=str(tmp_path / "missing")):
        with pytest.raises(ImproperlyConfigured, match="production refuses to start"):
            crypto.key_ring()
        errors = crypto.check_personal_data_keys()
        assert [e.id for e in errors] == ["shouwang.E200"]
        assert not (tmp_path / "missing").exists()


def test_production_refuses_to_start_without_lookup_key(tmp_path):
    with override_settings(PRODUCTION=True, PERSONAL_LOOKUP_KEY="", VAR_DIR=tmp_path,
                           PERSONAL_LOOKUP_KEY_FILE=str(tmp_path / "missing")), pytest.raises(
        ImproperlyConfigured, match="PERSONAL_LOOKUP_KEY"
    ):
        crypto.key_ring()


def test_production_with_configured_keys_starts():
    with override_settings(PRODUCTION=True):
        assert crypto.key_ring().current_kid == "ka"
        assert crypto.check_personal_data_keys() == []


def test_key_ring_is_cached_until_cleared():
    ring = crypto.key_ring()
    assert crypto.key_ring() is ring
    crypto.clear_key_cache()
    assert crypto.key_ring() is not ring


def test_generated_key_lines_are_usable():
    line = crypto.generate_key_line("k2026")
    assert line.startswith("k2026:")
    with override_settings(PERSONAL_DATA_KEYS=line):
        assert crypto.key_ring().current_kid == "k2026"
    assert crypto.new_key_id() != crypto.new_key_id()
    with pytest.raises(ValueError, match="key id"):
        crypto.generate_key_line("bad:id")


def test_keyed_hash_normalises_id_numbers():
    digest = crypto.keyed_hash("42011119900101123X", "id_number")
    assert len(digest) == 64
    assert set(digest) <= set("0123456789abcdef")
    fullwidth = "４２０１１１１９９００１０１１２３Ｘ"
    for variant in [" 42011119900101123x ", fullwidth, "420111 19900101 123X"]:
        assert crypto.keyed_hash(variant, "id_number") == digest
    assert crypto.keyed_hash("42011119900101124X", "id_number") != digest


def test_keyed_hash_normalises_phones_and_separates_kinds():
    digest = crypto.keyed_hash("13800138000", "phone")
    assert crypto.keyed_hash("+86 138-0013-8000", "phone") == digest
    assert crypto.keyed_hash("13800138000", "text") != digest
    with pytest.raises(ValueError, match="unknown lookup kind"):
        crypto.keyed_hash("x", "nope")


def test_keyed_hash_depends_on_the_lookup_key():
    digest = crypto.keyed_hash("张三")
    with override_settings(PERSONAL_LOOKUP_KEY=b64(10)):
        assert crypto.keyed_hash("张三") != digest
    assert crypto.keyed_hash("张三") == digest


def test_inline_keys_ignore_stray_spaces():
    with override_settings(PERSONAL_DATA_KEYS=f" {KEY_A} , {KEY_B} "):
        assert crypto.key_ring().key_ids == ("ka", "kb")
