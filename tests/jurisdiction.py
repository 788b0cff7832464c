"""The jurisdiction walker: every route that takes a record's id is checked for scoping.

Each capability registers its record routes in `tests/<app>/routes.py`:

    @scoped_route("api:audit_event",
                  sibling=(Role.AUDITOR, "420111"), parent=(Role.AUDITOR, "420100"))
    def _make_audit_event(division_code: str) -> dict[str, Any]:
        event = ...create a record in division_code through the real services...
        return {"event_id": event.pk}

The walker creates the record in 武昌区 (420106) and asserts that an officer of the
sibling county 洪山区 (420111) gets 404 and an officer of the parent city 武汉市 (420100)
gets 200. Routes that take a parameter but hold no jurisdiction-bound record (public
reference data, the caller's own tokens) are declared with `unscoped_route(name, reason)`.
A parameterised route in neither list fails `tests/test_jurisdiction.py`, so no new
endpoint can forget the check.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from shouwang.accounts.roles import Role

RECORD_DIVISION = "420106"  # 武昌区
SIBLING_DIVISION = "420111"  # 洪山区, the same city
PARENT_DIVISION = "420100"  # 武汉市

RecordMaker = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class ScopedRoute:
    url_name: str
    make: RecordMaker
    sibling: tuple[str, str] = (Role.COUNTY_OFFICER, SIBLING_DIVISION)
    parent: tuple[str, str] = (Role.CITY_OFFICER, PARENT_DIVISION)
    method: str = "get"
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def is_api(self) -> bool:
        return self.url_name.startswith("api:")


@dataclass(frozen=True)
class UnscopedRoute:
    url_name: str
    reason: str


SCOPED: dict[str, ScopedRoute] = {}
UNSCOPED: dict[str, UnscopedRoute] = {}


def scoped_route(
    url_name: str,
    *,
    sibling: tuple[str, str] = (Role.COUNTY_OFFICER, SIBLING_DIVISION),
    parent: tuple[str, str] = (Role.CITY_OFFICER, PARENT_DIVISION),
    method: str = "get",
    body: dict[str, Any] | None = None,
) -> Callable[[RecordMaker], RecordMaker]:
    def register(make: RecordMaker) -> RecordMaker:
        SCOPED[url_name] = ScopedRoute(url_name, make, sibling, parent, method, body or {})
        return make

    return register


def unscoped_route(url_name: str, reason: str) -> None:
    UNSCOPED[url_name] = UnscopedRoute(url_name, reason)


def discover() -> None:
    """Import every tests/<package>/routes.py so that its registrations run."""
    root = Path(__file__).resolve().parent
    for info in pkgutil.iter_modules([str(root)]):
        if info.ispkg and (root / info.name / "routes.py").exists():
            importlib.import_module(f"tests.{info.name}.routes")


def iter_routes(
    patterns: list[URLPattern | URLResolver] | None = None, prefix: str = "", ns: str = ""
) -> Iterator[tuple[str, str]]:
    """(route, namespaced name) for every URL pattern of the project."""
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            inner_ns = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
            yield from iter_routes(p.url_patterns, prefix + str(p.pattern), inner_ns)
        else:
            name = f"{ns}:{p.name}" if ns and p.name else (p.name or "")
            yield prefix + str(p.pattern), name


def parameterised_routes() -> dict[str, str]:
    """{name: route} of every route that takes a path parameter, Django's own admin excepted
    (the admin is for system administrators and scopes nothing by division)."""
    return {
        name: route
        for route, name in iter_routes()
        if "<" in route and not route.startswith("admin/") and name != "set_language"
    }
