"""A change posted from a record's own page (a case report, an alert …) that names the version
of the record it was made on: one way for every app to run it and to answer.

The page itself answers, not a redirect: a resent form names a version that is gone by then,
so a reload is refused as a conflict and changes nothing. Bad input answers 422 with the
messages by field, a stale version 409 with the service's own explanation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from django.contrib import messages
from django.http import HttpRequest, HttpResponse

from shouwang.core.errors import InvalidInput

Record = TypeVar("Record")


class RenderRecordPage(Protocol):
    def __call__(self, *, action: str = "", errors: dict[str, list[str]] | None = None,
                 status: int = 200, form: dict[str, str] | None = None) -> HttpResponse: ...


def field_errors(exc: InvalidInput) -> dict[str, list[str]]:
    """The messages of an InvalidInput by field, as text in the active language."""
    return {k: [str(m) for m in v] for k, v in exc.fields.items()}


def versioned_action(request: HttpRequest, *, record: Record, action: str,
                     call: Callable[[Record, int], Any], done: str, render: RenderRecordPage,
                     conflicts: tuple[type[Exception], ...]) -> HttpResponse:
    """Run `call(record, version)` with the version the form posted; answer with the page."""
    try:
        version = int(request.POST.get("version") or "")
    except ValueError:
        version = 0
    form = {k: str(v) for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    try:
        call(record, version)
    except InvalidInput as exc:
        return render(action=action, errors=field_errors(exc), status=422, form=form)
    except conflicts as exc:
        return render(action=action, errors={"all": [str(getattr(exc, "message", exc))]},
                      status=409, form=form)
    messages.success(request, done)
    return render()
