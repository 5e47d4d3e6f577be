"""Fixtures shared by the sandbox tests. These tests talk to the sandboxes over HTTP only and never
import `tokbridge`: the connector's own tests (../../tests) check it against the sandboxes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest


def _wait_until(predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    """The predicate's first truthy value, polled until the deadline (not a guessed sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"{what} not met within {timeout}s")


@pytest.fixture
def wait_until() -> Callable[..., Any]:
    return _wait_until
