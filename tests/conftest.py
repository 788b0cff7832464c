from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

os.environ.setdefault("SHOUWANG_TESTING", "1")


@pytest.fixture(autouse=True)
def _block_internet(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests never reach the network: only loopback connections are allowed."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in {"localhost", "::1"} or host.startswith("/")
        ):
            raise RuntimeError(f"tests may not reach the network ({host})")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the default language: a request through the test client leaves the
    language it negotiated active in the thread, and the next test on the worker would read
    English where it expects Chinese."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After a transactional test has emptied every table, put back the reference data that
    migrations load (the disease list). Plain tests that xdist schedules later on the same worker
    rely on it; a fixture cannot do this, as the flush is the very last teardown."""
    result = yield
    if "transactional_db" in getattr(item, "fixturenames", ()):
        from pytest_django.plugin import blocking_manager_key

        from tests.factories import restore_reference_data

        with item.config.stash[blocking_manager_key].unblock():
            restore_reference_data()
    return result


@pytest.fixture
def divisions(db: None) -> None:
    from tests.factories import ensure_sample_divisions

    ensure_sample_divisions()


@pytest.fixture
def make_user(db: None) -> Any:
    from tests.factories import make_user

    return make_user
