"""A model with personal-data fields, for tests only.

It lives in its own app registry, so that it never appears in the project's migrations or in
the models that `shouwang keys` finds; tests create and drop its table themselves.
"""

from __future__ import annotations

from django.apps.registry import Apps
from django.db import connection, models

from shouwang.core.fields import EncryptedTextField, LookupHashField

test_apps = Apps()


class Person(models.Model):
    name = EncryptedTextField(blank=True)
    id_number = EncryptedTextField(
        null=True, blank=True, lookup_field="id_number_hash", lookup_kind="id_number"
    )
    id_number_hash = LookupHashField()
    phone = EncryptedTextField(blank=True, lookup_field="phone_hash", lookup_kind="phone")
    phone_hash = LookupHashField()
    division_code = models.CharField(max_length=12, default="420111")

    class Meta:
        apps = test_apps
        app_label = "testapp"

    def __str__(self) -> str:
        return f"Person {self.pk}"


TEST_MODELS: list[type[models.Model]] = [Person]


def create_tables() -> None:
    existing = set(connection.introspection.table_names())
    with connection.schema_editor() as editor:
        for model in TEST_MODELS:
            if model._meta.db_table not in existing:
                editor.create_model(model)


def drop_tables() -> None:
    existing = set(connection.introspection.table_names())
    with connection.schema_editor() as editor:
        for model in TEST_MODELS:
            if model._meta.db_table in existing:
                editor.delete_model(model)
