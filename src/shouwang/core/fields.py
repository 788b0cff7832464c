"""Model fields for personal data: encrypted at rest, found again through a keyed hash.

    class Person(models.Model):
        id_number = EncryptedTextField(lookup_field="id_number_hash", lookup_kind="id_number")
        id_number_hash = LookupHashField()

    Person.objects.filter(lookup_q(Person, "id_number", "42011119900101123X"))

The hash is recomputed from the encrypted field's value on every save, so the two never drift;
`save(update_fields=[...])` must name the hash field too when it names the encrypted one.
An encrypted column holds random-looking envelopes, so comparing or sorting it in SQL would be
silently wrong: every lookup but `isnull`, every transform and ordering raise TypeError.

Also here: finding every encrypted column of the project, counting its rows per key id and
re-encrypting them under the current key (`shouwang keys status|rotate|rehash`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from django.apps import apps as global_apps
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models, router, transaction
from django.db.models import F, Q, Value
from django.db.models.expressions import Col, OrderBy
from django.db.models.functions import Cast
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from shouwang.core import crypto

HASH_LENGTH = 64
_RAW = "_sw_envelope"


def lookup_hash(value: str, kind: str = "text") -> str:
    """The keyed hash to filter a LookupHashField by: `filter(id_number_hash=lookup_hash(v, …))`."""
    return crypto.keyed_hash(value, kind)


def lookup_q(model: type[models.Model], field_name: str, value: str) -> Q:
    """A filter on the lookup hash of `model.field_name`, using that field's own lookup kind."""
    field = model._meta.get_field(field_name)
    if not isinstance(field, EncryptedTextField) or not field.lookup_field:
        raise TypeError(f"{model._meta.label}.{field_name} is not an encrypted field with a "
                        f"lookup hash")
    return Q(**{field.lookup_field: crypto.keyed_hash(value, field.lookup_kind)})


def _ordering_names(query: Any) -> Iterator[str]:
    items = list(query.order_by)
    if not items and query.default_ordering:
        items = list(query.get_meta().ordering or ())
    for item in items:
        if isinstance(item, str):
            yield item.lstrip("-?")
        elif isinstance(item, OrderBy) and isinstance(item.expression, F):
            yield str(getattr(item.expression, "name", ""))
        elif isinstance(item, F):
            yield str(getattr(item, "name", ""))


def _names_field(opts: Any, path: str) -> models.Field[Any, Any] | None:
    field: Any = None
    for part in path.split("__"):
        if opts is None:
            return None
        try:
            field = opts.get_field(part)
        except FieldDoesNotExist:
            return None
        opts = field.related_model._meta if field.is_relation and field.related_model else None
    return cast("models.Field[Any, Any] | None", field)


class _EncryptedCol(Col):
    """The column of an encrypted field: refuses to be part of a query that sorts or groups by it.

    Ordering and grouping compile the same Col as selecting does, so the test is on the query
    being compiled: does it order or group by this very field?
    """

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        query = compiler.query
        field = self.target
        grouped = isinstance(query.group_by, tuple) and any(
            isinstance(e, Col) and e.target is field for e in query.group_by
        )
        ordered = any(_names_field(query.get_meta(), name) is field
                      for name in _ordering_names(query))
        if grouped or ordered:
            raise TypeError(
                f"{field.model._meta.label}.{field.name} is encrypted: it cannot be used to "
                f"order or group rows, since the database only sees ciphertext"
            )
        return super().as_sql(compiler, connection)


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Text encrypted with AES-256-GCM under the current key, bound to this column.

    None and "" are stored as they are (they carry no personal data and keep blank forms
    simple); every other value is stored as an `sw1:<kid>:…` envelope.
    """

    is_personal_data = True
    description = _("加密文本")

    def __init__(
        self,
        *args: Any,
        lookup_field: str | None = None,
        lookup_kind: str = "text",
        context: str | None = None,
        **kwargs: Any,
    ) -> None:
        if lookup_kind not in crypto.NORMALIZERS:
            raise ValueError(f"lookup_kind must be one of {', '.join(crypto.NORMALIZERS)}")
        self.lookup_field = lookup_field
        self.lookup_kind = lookup_kind
        # A pinned context keeps old rows readable after a model or field is renamed.
        self._context = context
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.lookup_field:
            kwargs["lookup_field"] = self.lookup_field
        if self.lookup_kind != "text":
            kwargs["lookup_kind"] = self.lookup_kind
        if self._context:
            kwargs["context"] = self._context
        return name, path, args, kwargs

    @property
    def context(self) -> str:
        """The associated data that binds every value to this column."""
        return self._context or f"{self.model._meta.label_lower}.{self.name}"

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        if self.lookup_field:
            try:
                companion = self.model._meta.get_field(self.lookup_field)
            except FieldDoesNotExist:
                companion = None
            if not isinstance(companion, LookupHashField):
                errors.append(checks.Error(
                    f"lookup_field {self.lookup_field!r} must name a LookupHashField of "
                    f"{self.model._meta.label}", obj=self, id="shouwang.E201",
                ))
        return errors

    # --- values ---------------------------------------------------------------------------

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        return crypto.decrypt(value, self.context)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value, self.context)

    # --- no SQL on ciphertext -------------------------------------------------------------

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        hint = (f"; filter on {self.lookup_field} with lookup_q()/lookup_hash() instead"
                if self.lookup_field else "")
        raise TypeError(
            f"{self.model._meta.label}.{self.name} is encrypted: only __isnull can be used in "
            f"a query, not __{lookup_name}{hint}"
        )

    def get_transform(self, lookup_name: str) -> Any:
        raise TypeError(
            f"{self.model._meta.label}.{self.name} is encrypted: __{lookup_name} cannot be "
            f"applied to it in a query"
        )

    def get_col(self, alias: str, output_field: Any = None) -> Col:
        if alias == self.model._meta.db_table and (output_field is None or output_field == self):
            return self.cached_col
        return _EncryptedCol(alias, self, output_field)

    @property
    def cached_col(self) -> Col:
        col = self.__dict__.get("_sw_cached_col")
        if col is None:
            col = self.__dict__["_sw_cached_col"] = _EncryptedCol(self.model._meta.db_table, self)
        return col


class LookupHashField(models.CharField):  # type: ignore[type-arg]
    """HMAC-SHA256 of an encrypted field's normalised value, for exact lookups.

    Filled on every save from the EncryptedTextField that names it in `lookup_field`; None when
    that value is empty, so a unique constraint on the hash ignores people without one.
    """

    is_personal_data = True
    description = _("查询摘要")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", HASH_LENGTH)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        for key, default in (("max_length", HASH_LENGTH), ("db_index", True), ("null", True),
                             ("blank", True), ("editable", False)):
            value = getattr(self, key)
            if value == default:
                kwargs.pop(key, None)
            else:
                kwargs[key] = value
        return name, path, args, kwargs

    def source_field(self) -> EncryptedTextField | None:
        for f in self.model._meta.concrete_fields:
            if isinstance(f, EncryptedTextField) and f.lookup_field == self.name:
                return f
        return None

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        source = self.source_field()
        if source is None:
            return super().pre_save(model_instance, add)
        value = getattr(model_instance, source.attname)
        digest = crypto.keyed_hash(value, source.lookup_kind) if value else None
        setattr(model_instance, self.attname, digest)
        return digest


# --- Key usage and rotation -----------------------------------------------------------------


@dataclass(frozen=True)
class EncryptedColumn:
    model: type[models.Model]
    field: EncryptedTextField

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field.name}"

    def manager(self) -> models.Manager[Any]:
        return _base_manager(self.model)

    def envelopes(self) -> models.QuerySet[Any]:
        """Rows holding an envelope, annotated with the raw (undecrypted) envelope."""
        name = self.field.name
        rows: models.QuerySet[Any] = self.manager().annotate(
            **{_RAW: Cast(F(name), output_field=models.TextField())}
        )
        return rows.filter(**{f"{name}__isnull": False}).exclude(**{_RAW: ""})


def _base_manager(model: type[models.Model]) -> models.Manager[Any]:
    # The base manager: rotation must reach every row, whatever a default manager filters out.
    return model._base_manager


def encrypted_columns(models_: Iterable[type[models.Model]] | None = None) -> list[EncryptedColumn]:
    """Every encrypted column whose table exists, over all installed models by default."""
    candidates = list(global_apps.get_models() if models_ is None else models_)
    tables: dict[str, set[str]] = {}
    found: list[EncryptedColumn] = []
    for model in candidates:
        opts = model._meta
        if opts.proxy or opts.swapped:
            continue
        alias = router.db_for_write(model)
        if alias not in tables:
            tables[alias] = set(connections[alias].introspection.table_names())
        if opts.db_table not in tables[alias]:
            continue
        found.extend(
            EncryptedColumn(model, f) for f in opts.local_concrete_fields
            if isinstance(f, EncryptedTextField)
        )
    return found


def _prefix(kid: str) -> str:
    return f"{crypto.VERSION}:{kid}:"


def key_usage(column: EncryptedColumn) -> dict[str, int]:
    """Rows per key id of the ring, and under "other" rows whose key id is not in the ring."""
    ring = crypto.key_ring()
    rows = column.envelopes()
    counts = {kid: rows.filter(**{f"{_RAW}__startswith": _prefix(kid)}).count()
              for kid in ring.key_ids}
    counts["other"] = rows.count() - sum(counts.values())
    return counts


def pending_rotation(column: EncryptedColumn) -> models.QuerySet[Any]:
    return column.envelopes().exclude(
        **{f"{_RAW}__startswith": _prefix(crypto.key_ring().current_kid)}
    )


def _batches(rows: models.QuerySet[Any], batch_size: int) -> Iterator[list[tuple[Any, str]]]:
    """(pk, envelope) in primary-key order, one batch at a time, each query starting afresh.

    Keyset pagination: a row rewritten by the previous batch drops out of `rows` and nothing is
    skipped, so an interrupted run simply continues where it stopped the next time.
    """
    last: Any = None
    while True:
        page = rows if last is None else rows.filter(pk__gt=last)
        batch = list(page.order_by("pk").values_list("pk", _RAW)[:batch_size])
        if not batch:
            return
        yield batch
        last = batch[-1][0]


def _compare_and_set(column: EncryptedColumn, pk: Any, old: str, **values: Any) -> bool:
    # Only if the row still holds the envelope we read: a concurrent edit wins over rotation.
    raw = Cast(F(column.field.name), output_field=models.TextField())
    return bool(column.manager().filter(pk=pk).filter(Exact(raw, Value(old))).update(**values))


@dataclass
class RotationResult:
    rewritten: int = 0
    changed_concurrently: int = 0


def rotate_column(
    column: EncryptedColumn,
    *,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> RotationResult:
    """Re-encrypt every row of `column` that is not under the current key.

    Idempotent and resumable: rows already under the current key are never touched, and each
    batch commits on its own. Raises crypto.UnknownKeyId when a row's key is not in the ring.
    """
    result = RotationResult()
    name = column.field.name
    for batch in _batches(pending_rotation(column), batch_size):
        with transaction.atomic(using=router.db_for_write(column.model)):
            for pk, envelope in batch:
                plaintext = crypto.decrypt(envelope, column.field.context)
                if _compare_and_set(column, pk, envelope, **{name: plaintext}):
                    result.rewritten += 1
                else:
                    result.changed_concurrently += 1
        if progress is not None:
            progress(len(batch))
    return result


def rehash_column(
    column: EncryptedColumn,
    *,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Recompute the lookup hashes of `column` (after the lookup key or a normaliser changed).

    Returns how many hashes changed. Rows whose hash is already right are left alone, so a rerun
    after an interruption only finishes the rest.
    """
    field = column.field
    if not field.lookup_field:
        return 0
    changed = 0
    hash_name = field.lookup_field
    rows = column.envelopes()
    for batch in _batches(rows, batch_size):
        current = dict(column.manager().filter(pk__in=[pk for pk, _ in batch])
                       .values_list("pk", hash_name))
        with transaction.atomic(using=router.db_for_write(column.model)):
            for pk, envelope in batch:
                digest = crypto.keyed_hash(crypto.decrypt(envelope, field.context),
                                           field.lookup_kind)
                if current.get(pk) != digest and _compare_and_set(
                    column, pk, envelope, **{hash_name: digest}
                ):
                    changed += 1
        if progress is not None:
            progress(len(batch))
    return changed
