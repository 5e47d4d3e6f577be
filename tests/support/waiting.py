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


def wait_for_lock_wait(engine, what: str, timeout: float = 60.0, waiter: threading.Thread | None = None) -> None:
    """PostgreSQL: until a session of this database waits on a lock (another transaction's row).

    The deadline is generous because a loaded machine can take seconds to start the waiting thread's
    connection; if `waiter` ends without ever waiting, that is the failure, said at once."""
    from sqlalchemy import text

    def waiting() -> bool:
        if waiter is not None and not waiter.is_alive():
            raise AssertionError(f"{what}: the other transaction finished without waiting on a lock")
        seen = watcher.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )).scalar()  # fmt: skip
        # pg_stat_activity is a snapshot taken at its first read in a transaction: without ending the
        # transaction every later look sees the first one's answer, and a waiter that started waiting
        # after it (a slow thread on a loaded machine) is never seen.
        watcher.rollback()
        return bool(seen)

    with engine.connect() as watcher:
        wait_for(waiting, timeout=timeout, what=what)
