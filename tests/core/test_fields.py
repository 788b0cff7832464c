import pytest
from django.apps.registry import Apps
from django.db import connection, models
from django.db.migrations.writer import MigrationWriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shouwang.core import crypto
from shouwang.core.audit import MASK, audit_log, personal_field_names
from shouwang.core.fields import EncryptedTextField, LookupHashField, lookup_hash, lookup_q
from tests.core.testapp.fixtures import _testapp_tables, keys, person_table  # noqa: F401
from tests.core.testapp.models import Person

ID = "42011119900101123X"


def raw_row(pk):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, id_number, id_number_hash, phone, phone_hash FROM testapp_person "
            "WHERE id = %s", [pk],
        )
        return cursor.fetchone()


# --- the field on its own -------------------------------------------------------------------


@pytest.mark.usefixtures("keys")
def test_prep_and_from_db_value_round_trip_and_keep_empty_values():
    field = Person._meta.get_field("id_number")
    assert field.context == "testapp.person.id_number"
    assert field.get_prep_value(None) is None
    assert field.get_prep_value("") == ""
    assert field.from_db_value(None, None, connection) is None
    assert field.from_db_value("", None, connection) == ""
    stored = field.get_prep_value(ID)
    assert stored.startswith("sw1:ka:")
    assert field.from_db_value(stored, None, connection) == ID
    assert field.to_python(ID) == ID


@pytest.mark.usefixtures("keys")
def test_values_are_bound_to_their_column():
    stored = Person._meta.get_field("phone").get_prep_value("13800138000")
    with pytest.raises(crypto.DecryptionError):
        Person._meta.get_field("name").from_db_value(stored, None, connection)


def test_fields_deconstruct_and_serialise_for_migrations():
    field = Person._meta.get_field("id_number")
    _name, path, args, kwargs = field.deconstruct()
    assert path == "shouwang.core.fields.EncryptedTextField"
    assert kwargs == {"null": True, "blank": True, "lookup_field": "id_number_hash",
                      "lookup_kind": "id_number"}
    clone = EncryptedTextField(*args, **kwargs)
    assert (clone.lookup_field, clone.lookup_kind, clone.null) == ("id_number_hash", "id_number",
                                                                   True)
    pinned = EncryptedTextField(context="legacy.person.id")
    assert pinned.deconstruct()[3] == {"context": "legacy.person.id"}
    serialised, imports = MigrationWriter.serialize(field)
    assert "shouwang.core.fields.EncryptedTextField(" in serialised
    assert "lookup_field='id_number_hash'" in serialised
    assert "import shouwang.core.fields" in imports

    hash_field = Person._meta.get_field("id_number_hash")
    assert hash_field.deconstruct()[1:] == ("shouwang.core.fields.LookupHashField", [], {})
    assert (hash_field.max_length, hash_field.db_index, hash_field.null) == (64, True, True)
    unique = LookupHashField(unique=True, db_index=False)
    assert unique.deconstruct()[3] == {"unique": True, "db_index": False}


def test_unknown_lookup_kind_is_refused():
    with pytest.raises(ValueError, match="lookup_kind"):
        EncryptedTextField(lookup_kind="blood_type")


def test_fields_are_personal_data_for_the_audit_log():
    assert personal_field_names(Person) == {"name", "id_number", "id_number_hash", "phone",
                                            "phone_hash"}


def test_lookup_field_must_name_a_lookup_hash_field():
    isolated = Apps()

    class Broken(models.Model):
        secret = EncryptedTextField(lookup_field="missing")
        other = EncryptedTextField(lookup_field="plain")
        plain = models.CharField(max_length=64)

        class Meta:
            apps = isolated
            app_label = "testapp"

        def __str__(self):
            return "broken"

    errors = [e for f in Broken._meta.local_fields for e in f.check()]
    assert [e.id for e in errors] == ["shouwang.E201", "shouwang.E201"]
    assert not Person._meta.get_field("id_number").check()


# --- through a real table -------------------------------------------------------------------


@pytest.mark.usefixtures("person_table")
class TestStored:
    def test_save_encrypts_and_fills_the_lookup_hashes(self):
        person = Person.objects.create(name="张三", id_number=ID, phone="+86 138 0013 8000")
        name, id_number, id_hash, phone, phone_hash = raw_row(person.pk)
        for stored, plain in ((name, "张三"), (id_number, ID), (phone, "13800138000")):
            assert stored.startswith("sw1:ka:")
            assert plain not in stored
        assert id_hash == lookup_hash(ID, "id_number")
        assert phone_hash == lookup_hash("13800138000", "phone")
        assert person.id_number_hash == id_hash

        fresh = Person.objects.get(pk=person.pk)
        assert (fresh.name, fresh.id_number, fresh.phone) == ("张三", ID, "+86 138 0013 8000")
        assert list(Person.objects.filter(pk=person.pk).values_list("name", flat=True)) == ["张三"]

    def test_none_and_empty_round_trip_without_hash(self):
        person = Person.objects.create(name="", id_number=None, phone="")
        assert raw_row(person.pk) == ("", None, None, "", None)
        fresh = Person.objects.get(pk=person.pk)
        assert (fresh.name, fresh.id_number, fresh.phone) == ("", None, "")
        assert Person.objects.filter(id_number__isnull=True, pk=person.pk).exists()
        assert not Person.objects.filter(id_number__isnull=False, pk=person.pk).exists()

    def test_lookup_finds_normalised_variants(self):
        wanted = Person.objects.create(name="李四", id_number=ID)
        Person.objects.create(name="王五", id_number="110105194912310029")
        for variant in (ID, ID.lower(), f" {ID[:6]} {ID[6:]} "):
            assert list(Person.objects.filter(lookup_q(Person, "id_number", variant))) == [wanted]
        by_phone = Person.objects.create(name="赵六", phone="13800138000")
        assert Person.objects.get(lookup_q(Person, "phone", "+86-138-0013-8000")) == by_phone
        with pytest.raises(TypeError, match="lookup hash"):
            lookup_q(Person, "name", "李四")

    def test_changing_the_value_changes_the_hash(self):
        person = Person.objects.create(name="张三", id_number=ID)
        person.id_number = "110105194912310029"
        person.save()
        assert raw_row(person.pk)[2] == lookup_hash("110105194912310029", "id_number")
        person.id_number = None
        person.save()
        assert raw_row(person.pk)[2] is None

    def test_update_fields_and_bulk_create_keep_the_hash(self):
        person = Person.objects.create(name="张三")
        person.id_number = ID
        person.save(update_fields=["id_number", "id_number_hash"])
        assert raw_row(person.pk)[2] == lookup_hash(ID, "id_number")
        created = Person.objects.bulk_create([Person(name="甲", id_number=ID),
                                              Person(name="乙", phone="13800138000")])
        pks = [p.pk for p in created if p.pk] or list(
            Person.objects.order_by("-pk").values_list("pk", flat=True)[:2])
        hashes = {raw_row(pk)[2] for pk in pks} | {raw_row(pk)[4] for pk in pks}
        assert lookup_hash(ID, "id_number") in hashes
        assert lookup_hash("13800138000", "phone") in hashes

    def test_update_and_bulk_update_encrypt(self):
        person = Person.objects.create(name="张三")
        Person.objects.filter(pk=person.pk).update(name="李四")
        assert raw_row(person.pk)[0].startswith("sw1:")
        person.refresh_from_db()
        assert person.name == "李四"
        person.name = "王五"
        Person.objects.bulk_update([person], ["name"])
        assert raw_row(person.pk)[0].startswith("sw1:")
        assert Person.objects.get(pk=person.pk).name == "王五"

    @pytest.mark.parametrize(
        "query",
        [
            lambda qs: qs.filter(name="张三"),
            lambda qs: qs.filter(id_number=None),
            lambda qs: qs.filter(name__startswith="张"),
            lambda qs: qs.filter(name__in=["张三"]),
            lambda qs: qs.exclude(name__icontains="张"),
            lambda qs: qs.filter(name__lower="张三"),
            lambda qs: qs.order_by("name"),
            lambda qs: qs.order_by("-id_number"),
            lambda qs: qs.values("pk").order_by(models.F("phone").desc()),
            lambda qs: qs.values("name").annotate(n=models.Count("id")),
        ],
    )
    def test_ciphertext_is_never_compared_or_sorted(self, query):
        Person.objects.create(name="张三")
        with pytest.raises(TypeError, match="encrypted"):
            list(query(Person.objects.all()))

    def test_filter_error_points_to_the_lookup_hash(self):
        with pytest.raises(TypeError, match="id_number_hash with lookup_q"):
            Person.objects.filter(id_number=ID)

    def test_a_value_copied_into_another_column_fails_loudly(self):
        person = Person.objects.create(name="张三", phone="13800138000")
        with connection.cursor() as cursor:
            cursor.execute("UPDATE testapp_person SET name = phone WHERE id = %s", [person.pk])
        with pytest.raises(crypto.DecryptionError):
            Person.objects.get(pk=person.pk)

    def test_audit_masks_the_personal_fields(self):
        person = Person.objects.create(name="张三", id_number=ID, division_code="420111")
        event = audit_log(actor=None, action="update", obj=person,
                          changes={"name": ["张三", "李四"], "id_number_hash": [None, "ab"],
                                   "division_code": ["420111", "420106"]})
        assert event.changes == {"name": [MASK, MASK], "id_number_hash": [None, MASK],
                                 "division_code": ["420111", "420106"]}

    @settings(max_examples=30, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.text(max_size=200).filter(lambda s: "\x00" not in s))
    def test_any_text_round_trips_through_the_database(self, text):
        person = Person.objects.create(name=text)
        assert Person.objects.get(pk=person.pk).name == text
