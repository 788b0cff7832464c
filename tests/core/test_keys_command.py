import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from shouwang.core import crypto
from shouwang.core.fields import (
    encrypted_columns,
    key_usage,
    lookup_hash,
    lookup_q,
    rotate_column,
)
from shouwang.core.management.commands import keys as keys_command
from tests.core.testapp.fixtures import (  # noqa: F401
    KEY_A,
    KEY_B,
    _testapp_tables,
    b64,
    keys,
    person_table,
)
from tests.core.testapp.models import TEST_MODELS, Person

ID = "42011119900101123X"


@pytest.fixture
def scan_test_models(monkeypatch):
    monkeypatch.setattr(keys_command, "discover_models", lambda: TEST_MODELS)


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def raw_envelopes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, id_number, phone FROM testapp_person ORDER BY id")
        return [v for row in cursor.fetchall() for v in row if v]


def make_people(n):
    return [Person.objects.create(name=f"居民{i}", id_number=ID if i % 2 else None,
                                  phone=f"1380013{i:04d}") for i in range(n)]


def test_generate_prints_a_usable_key_line():
    out, err = run("generate", "--kid", "k2026a")
    line = out.strip()
    assert re.fullmatch(r"k2026a:[A-Za-z0-9+/]{43}=", line)
    assert "keys rotate" in err
    with override_settings(PERSONAL_DATA_KEYS=line):
        assert crypto.key_ring().current_kid == "k2026a"
    crypto.clear_key_cache()
    assert run("generate")[0] != run("generate")[0]


def test_generate_lookup_key_and_bad_kid():
    out, _ = run("generate", "--lookup")
    with override_settings(PERSONAL_LOOKUP_KEY=out.strip()):
        assert len(crypto.key_ring().lookup_key) == 32
    crypto.clear_key_cache()
    with pytest.raises(CommandError, match="key id"):
        run("generate", "--kid", "no:colons")


@pytest.mark.usefixtures("person_table")
def test_installed_models_are_scanned_but_the_isolated_test_model_is_not():
    labels = {c.label for c in encrypted_columns()}
    assert not any(label.startswith("testapp.") for label in labels)
    assert [c.label for c in encrypted_columns(TEST_MODELS)] == [
        "testapp.Person.name", "testapp.Person.id_number", "testapp.Person.phone"]


@pytest.mark.usefixtures("db", "keys")
def test_tables_that_do_not_exist_are_skipped():
    from django.apps.registry import Apps
    from django.db import models

    from shouwang.core.fields import EncryptedTextField

    isolated = Apps()

    class Ghost(models.Model):
        secret = EncryptedTextField()

        class Meta:
            apps = isolated
            app_label = "testapp"

        def __str__(self):
            return "ghost"

    assert encrypted_columns([Ghost]) == []


@pytest.mark.usefixtures("person_table", "scan_test_models")
class TestRotation:
    def test_status_counts_rows_per_key(self):
        make_people(3)
        with override_settings(PERSONAL_DATA_KEYS=f"{KEY_B},{KEY_A}"):
            Person.objects.create(name="新人")
            out, _ = run("status")
        assert "Encrypting key: kb" in out
        rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
                for line in out.splitlines() if "testapp.Person" in line}
        # columns: kb, ka, other, pending
        assert rows["testapp.Person.name"] == ["1", "3", "0", "3"]
        assert rows["testapp.Person.id_number"] == ["0", "1", "0", "1"]
        assert rows["testapp.Person.phone"] == ["0", "3", "0", "3"]

    def test_rotate_re_encrypts_everything_once(self):
        people = make_people(7)
        before = raw_envelopes()
        hashes = list(Person.objects.order_by("id").values_list("id_number_hash", "phone_hash"))
        assert all(e.startswith("sw1:ka:") for e in before)
        with override_settings(PERSONAL_DATA_KEYS=f"{KEY_B},{KEY_A}"):
            out, _ = run("rotate", "--batch-size", "3")
            assert f"{len(before)} value(s) re-encrypted." in out
            after = raw_envelopes()
            assert len(after) == len(before)
            assert all(e.startswith("sw1:kb:") for e in after)
            for person in people:
                fresh = Person.objects.get(pk=person.pk)
                assert (fresh.name, fresh.id_number, fresh.phone) == (
                    person.name, person.id_number, person.phone)
            # The lookup hashes do not depend on the data key: nothing to redo.
            assert list(Person.objects.order_by("id").values_list(
                "id_number_hash", "phone_hash")) == hashes
            assert Person.objects.filter(lookup_q(Person, "id_number", ID)).count() == 3

            out, _ = run("rotate")
            assert "0 value(s) re-encrypted." in out
            assert raw_envelopes() == after

        # Once rotated, the old key can be dropped.
        with override_settings(PERSONAL_DATA_KEYS=KEY_B):
            assert Person.objects.get(pk=people[0].pk).name == "居民0"

    def test_rotation_resumes_after_an_interruption(self):
        make_people(10)
        column = next(c for c in encrypted_columns(TEST_MODELS) if c.field.name == "name")

        def crash_after_first_batch(n):
            raise KeyboardInterrupt

        with override_settings(PERSONAL_DATA_KEYS=f"{KEY_B},{KEY_A}"):
            with pytest.raises(KeyboardInterrupt):
                rotate_column(column, batch_size=4, progress=crash_after_first_batch)
            assert key_usage(column) == {"kb": 4, "ka": 6, "other": 0}
            result = rotate_column(column, batch_size=4)
            assert (result.rewritten, result.changed_concurrently) == (6, 0)
            assert key_usage(column) == {"kb": 10, "ka": 0, "other": 0}

    def test_rows_under_an_unknown_key_stop_rotation_with_a_clear_error(self):
        make_people(2)
        with override_settings(PERSONAL_DATA_KEYS=KEY_B):
            out, _ = run("status")
            assert re.search(r"testapp\.Person\.name\s*│\s*0\s*│\s*2\s*│\s*2", out)
            with pytest.raises(CommandError, match=r"testapp\.Person\.name: .*key id 'ka'"):
                run("rotate")

    def test_rehash_after_the_lookup_key_changed(self):
        make_people(4)
        new_lookup = b64(42)
        with override_settings(PERSONAL_LOOKUP_KEY=new_lookup):
            assert not Person.objects.filter(lookup_q(Person, "id_number", ID)).exists()
            out, _ = run("rehash", "--batch-size", "2")
            assert "6 value(s) re-hashed." in out  # 2 ID numbers and 4 phones
            assert Person.objects.filter(lookup_q(Person, "id_number", ID)).count() == 2
            assert Person.objects.filter(
                phone_hash=lookup_hash("13800130003", "phone")).count() == 1
            assert "0 value(s) re-hashed." in run("rehash")[0]

    def test_a_concurrent_edit_wins_over_rotation(self, monkeypatch):
        person = Person.objects.create(name="旧名")
        column = next(c for c in encrypted_columns(TEST_MODELS) if c.field.name == "name")
        real_decrypt = crypto.decrypt

        def decrypt_while_someone_edits(envelope, context):
            plain = real_decrypt(envelope, context)
            Person.objects.filter(pk=person.pk).update(name="新名")
            return plain

        with override_settings(PERSONAL_DATA_KEYS=f"{KEY_B},{KEY_A}"):
            monkeypatch.setattr(crypto, "decrypt", decrypt_while_someone_edits)
            result = rotate_column(column)
            monkeypatch.setattr(crypto, "decrypt", real_decrypt)
            assert (result.rewritten, result.changed_concurrently) == (0, 1)
            assert Person.objects.get(pk=person.pk).name == "新名"

    def test_batch_size_must_be_positive(self):
        with pytest.raises(CommandError, match="batch-size"):
            run("rotate", "--batch-size", "0")
