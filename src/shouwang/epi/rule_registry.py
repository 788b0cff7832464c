"""A registry of rule kinds: the named functions a versioned rule set refers to, with the
validator of their parameters. shouwang.epi.risk_rules and shouwang.epi.livelihood_rules each
keep one, so a health commission or a province can add its own kind of rule beside the built-in
ones without changing the platform."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

Inputs = TypeVar("Inputs")
Result = TypeVar("Result")


class RuleParamsError(ValueError):
    """Parameters a kind cannot run with: `errors` maps each bad parameter to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class RuleRegistry(Generic[Inputs, Result]):
    def __init__(self) -> None:
        self._evaluate: dict[str, Callable[[Inputs, Mapping[str, Any]], Result]] = {}
        self._validate: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {}

    def register(self, name: str, evaluate: Callable[[Inputs, Mapping[str, Any]], Result],
                 validate: Callable[[Mapping[str, Any]], dict[str, Any]]) -> None:
        """Add a kind: `evaluate(inputs, params)` and `validate(params)` (defaults filled in;
        RuleParamsError naming each bad parameter). A name is registered once."""
        existing = self._evaluate.get(name)
        if existing is not None and existing is not evaluate:
            raise ValueError(f"rule kind {name!r} is registered twice")
        self._evaluate[name] = evaluate
        self._validate[name] = validate

    def kinds(self) -> list[str]:
        return sorted(self._evaluate)

    def check(self, kind: str) -> None:
        if kind not in self._evaluate:
            raise RuleParamsError({"kind": f"unknown rule kind {kind!r}"})

    def validate(self, kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
        self.check(kind)
        return self._validate[kind](params)

    def evaluate(self, kind: str, params: Mapping[str, Any], inputs: Inputs) -> Result:
        self.check(kind)
        return self._evaluate[kind](inputs, params)
