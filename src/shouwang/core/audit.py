"""Writing the audit log. Every service calls `audit_log` inside its transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.db import models

from shouwang.core.context import current_request_context
from shouwang.core.models import AuditAction, AuditEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from shouwang.accounts.models import User

MASK = "***"


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def mask_changes(changes: Mapping[str, Any], personal_fields: Iterable[str]) -> dict[str, Any]:
    """Changes as `{field: [old, new]}` (or `{field: value}`) with personal values masked.

    A personal field keeps its name, so the log shows *that* it changed, never to what.
    """
    personal = set(personal_fields)
    out: dict[str, Any] = {}
    for field, value in changes.items():
        if field in personal:
            if isinstance(value, (list, tuple)) and len(value) == 2:
                out[field] = [MASK if value[0] not in (None, "") else value[0],
                              MASK if value[1] not in (None, "") else value[1]]
            else:
                out[field] = MASK if value not in (None, "") else value
        else:
            out[field] = _jsonable(value)
    return out


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for every field whose value differs."""
    keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def personal_field_names(model: type[models.Model]) -> set[str]:
    """Fields that hold personal data: encrypted fields and their lookup hashes."""
    return {
        f.name for f in model._meta.get_fields()
        if getattr(f, "is_personal_data", False)
    }


def audit_log(
    *,
    actor: User | AnonymousUser | None,
    action: AuditAction | str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    division_code: str = "",
    summary: str = "",
    changes: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row. `changes` are masked for the personal fields of `obj`'s model."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        division_code = division_code or str(getattr(obj, "division_code", "") or "")
    if not division_code and actor is not None and actor.is_authenticated:
        # Events without a record (logins, tokens) belong to the actor's own division.
        division_code = str(getattr(actor, "division_id", "") or "")
    # obj.__class__, not type(obj): request.user is a lazy proxy whose __class__ is the model.
    personal = personal_field_names(obj.__class__) if obj is not None else set()
    ctx = current_request_context()
    real_actor = actor if actor is not None and actor.is_authenticated else None
    event = AuditEvent(
        actor=real_actor,
        actor_username=getattr(real_actor, "username", "") or "",
        actor_role=getattr(real_actor, "role", "") or "",
        actor_division_code=getattr(real_actor, "division_id", "") or "",
        action=str(action),
        object_type=object_type[:64],
        object_id=object_id[:64],
        division_code=division_code[:12],
        summary=summary[:255],
        changes=mask_changes(changes or {}, personal),
        ip_address=ctx.ip_address if ctx else None,
        user_agent=ctx.user_agent if ctx else "",
        request_id=ctx.request_id if ctx else "",
    )
    event.save()
    return event
