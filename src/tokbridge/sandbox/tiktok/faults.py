"""Rate limits and injected faults.

The limiter is a token bucket per (app, shop, endpoint) on the wall clock: `rate` requests per
second with a burst of one second's worth, as TikTok's "50 QPS per API per app and shop".
Faults are either random shares (from the config, changeable at run time) or queued one-shots
("the next 2 calls to /order/202309/orders/search answer 429"), which make tests deterministic.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

FAULT_KINDS = ("error", "throttle", "timeout", "slow")


class RateLimiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str, str], tuple[float, float]] = {}
        self.throttled = 0
        self.allowed = 0

    def allow(self, key: tuple[str, str, str], rate: float) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (rate, now))
            tokens = min(rate, tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                self.allowed += 1
                return True
            self._buckets[key] = (tokens, now)
            self.throttled += 1
            return False

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


@dataclass
class QueuedFault:
    kind: str
    path: str | None  # None: any endpoint
    remaining: int


@dataclass
class FaultInjector:
    error_rate: float = 0.0
    throttle_rate: float = 0.0
    timeout_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 2.0
    timeout_seconds: float = 15.0
    seed: int = 0
    queued: list[QueuedFault] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed)

    def queue(self, kind: str, path: str | None, count: int) -> None:
        with self._lock:
            self.queued.append(QueuedFault(kind, path, count))

    def clear(self) -> None:
        with self._lock:
            self.queued.clear()
            self.error_rate = self.throttle_rate = self.timeout_rate = self.slow_rate = 0.0

    def pick(self, path: str) -> str | None:
        """The fault this request suffers, if any."""
        with self._lock:
            for fault in self.queued:
                if fault.remaining > 0 and (fault.path is None or fault.path == path):
                    fault.remaining -= 1
                    kind = fault.kind
                    self.queued = [f for f in self.queued if f.remaining > 0]
                    return kind
            roll = self._rng.random()
            for kind, share in (("error", self.error_rate), ("throttle", self.throttle_rate),
                                ("timeout", self.timeout_rate), ("slow", self.slow_rate)):
                if roll < share:
                    return kind
                roll -= share
            return None
