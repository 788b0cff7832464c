"""Demo data: a registry of builders that each capability extends.

`shouwang demo-data --scale small|province|national --seed N` runs every registered builder in
order. A capability adds its builder in its app's `demo.py` module (found the way Django finds
`admin` modules) or in this package, with `register_demo_builder`.

Every builder must be
- deterministic: all randomness from `ctx.rng(name)`, seeded by the seed and the builder's name,
  so that adding a builder never changes what another one generates;
- idempotent: running it twice changes nothing (look records up by a natural key first, or use
  the capability's own idempotent import);
- consistent: it uses only the divisions `ctx.divisions()` returns and the records earlier
  builders made, and it writes through the capability's services like a user would.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from django.utils.module_loading import autodiscover_modules

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from shouwang.geo.models import Division


class Writer(Protocol):
    def write(self, msg: str) -> Any: ...


@dataclass(frozen=True)
class Scale:
    """How much demo data to make: where, and how many records per county."""

    name: str
    division_prefix: str  # builders generate records in the counties under this prefix
    records_per_county: int
    description: str


SCALES: dict[str, Scale] = {
    s.name: s
    for s in (
        Scale("small", "4201", 40, "武汉市 (Wuhan): one city's counties, a few records each"),
        Scale("province", "42", 200, "湖北省 (Hubei): every county of one province"),
        Scale("national", "", 200, "every county of mainland China"),
    )
}


@dataclass
class DemoContext:
    scale: Scale
    seed: int
    out: Writer  # for progress lines while a builder runs
    # What builders report for the operator, e.g. the table of demo logins.
    notes: list[str] = field(default_factory=list)

    def rng(self, name: str) -> random.Random:
        """A random generator of its own for `name`, fixed by the seed."""
        digest = hashlib.sha256(f"{self.seed}:{name}".encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))  # noqa: S311 - demo data

    def divisions(self, level: str = "county") -> QuerySet[Division]:
        """The divisions of `level` inside the scale's area, in code order."""
        from shouwang.core.scoping import prefix_q
        from shouwang.geo.models import Division

        return Division.objects.filter(prefix_q("code", self.scale.division_prefix),
                                       level=level).order_by("code")


@dataclass(frozen=True)
class DemoBuilder:
    """One capability's demo data. Lower `order` runs first (accounts are 10)."""

    name: str
    order: int
    build: Callable[[DemoContext], None]
    description: str = ""


_BUILDERS: dict[str, DemoBuilder] = {}


def register_demo_builder(builder: DemoBuilder) -> DemoBuilder:
    existing = _BUILDERS.get(builder.name)
    if existing is not None and existing != builder:
        raise ValueError(f"demo builder {builder.name!r} is registered twice")
    _BUILDERS[builder.name] = builder
    return builder


def demo_builders() -> list[DemoBuilder]:
    import shouwang.demo.accounts  # noqa: F401 - registers the demo users

    autodiscover_modules("demo")
    return sorted(_BUILDERS.values(), key=lambda b: (b.order, b.name))


def build_demo(*, scale: str, seed: int, out: Writer) -> DemoContext:
    """Run every builder; returns the context with the notes they left for the operator."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    ctx = DemoContext(scale=SCALES[scale], seed=seed, out=out)
    for builder in demo_builders():
        builder.build(ctx)
    return ctx
