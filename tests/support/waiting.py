"""Waiting for a condition with a deadline, instead of sleeping a guessed time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout: float = 30.0, interval: float = 0.05, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        pause.wait(interval)


def wait_for_lock_wait(engine, what: str, timeout: float = 10.0) -> None:
    """PostgreSQL: until a session of this database waits on a lock (another transaction's row)."""
    from sqlalchemy import text

    with engine.connect() as watcher:
        wait_for(lambda: watcher.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )).scalar(), timeout=timeout, what=what)  # fmt: skip
