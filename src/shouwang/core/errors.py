"""Field-level input errors raised by services and rendered by the API and the pages alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.utils.functional import Promise


class InvalidInput(Exception):
    """Bad input, field by field. Raised before anything is written (inside the transaction)."""

    def __init__(
        self,
        fields: Mapping[str, str | Promise | Sequence[str | Promise]],
        message: str | Promise | None = None,
        code: str = "invalid_input",
    ) -> None:
        self.fields: dict[str, list[str | Promise]] = {
            name: [errs] if isinstance(errs, (str, Promise)) else list(errs)
            for name, errs in fields.items()
        }
        self.message = message
        self.code = code
        super().__init__(code)


class NotFound(Exception):
    """A record that does not exist, or lies outside the caller's jurisdiction."""
