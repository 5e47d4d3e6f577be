"""The sandbox's clock: wall time plus an offset that the control API can push forward.

Business time (token expiry, reviews, order transitions, webhook retries) follows this clock, so
a test can jump a week ahead. The request `timestamp` window is checked against the wall clock,
because callers sign requests with their own real time.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


class SandboxClock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def now_int(self) -> int:
        return int(self.now())

    @staticmethod
    def wall_now() -> float:
        return time.time()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += max(0.0, seconds)


@dataclass(order=True)
class _Timer:
    due: float
    seq: int
    action: Callable[[float], None] = field(compare=False)


class Timers:
    """Actions due at a sandbox time; `run_due` fires them in time order (not thread-safe alone:
    callers hold the state lock)."""

    def __init__(self) -> None:
        self._heap: list[_Timer] = []
        self._seq = itertools.count()

    def at(self, due: float, action: Callable[[float], None]) -> None:
        heapq.heappush(self._heap, _Timer(due, next(self._seq), action))

    def run_due(self, now: float) -> int:
        fired = 0
        while self._heap and self._heap[0].due <= now:
            timer = heapq.heappop(self._heap)
            # An action sees its own due time, so chained transitions keep exact spacing.
            timer.action(timer.due)
            fired += 1
        return fired

    def __len__(self) -> int:
        return len(self._heap)
