"""Rate limits and injected faults.

The limiter is a token bucket per (app, shop, endpoint) on the wall clock: `rate` requests per
second with a burst of one second's worth, as TikTok's "50 QPS per API per app and shop".
Faults are either random shares (from the config, changeable at run time) or queued one-shots
("the next 2 calls to /order/202309/orders/search answer 429"), which make tests deterministic.

Answer faults strike *after* the sandbox has acted, as when a gateway or the network loses the answer:
the product is created (or the image stored, the package shipped) but the caller hears a 500
(`drop_answer`), hears nothing until it gives up (`timeout_answer`), or hears late (`delay_answer`).
By rate they strike only the operations of `answer_fault_paths` (the writes that matter when repeated);
queued, any path given.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

FAULT_KINDS = ("error", "throttle", "timeout", "slow")
ANSWER_FAULT_KINDS = ("drop_answer", "delay_answer", "timeout_answer")
# Writes whose lost answer tempts a caller to do them twice: create a product, upload an image, ship.
ANSWER_FAULT_PATHS = (
    "/product/202309/products",
    "/product/202309/images/upload",
    "/fulfillment/202309/orders/{order_id}/packages",
    "/fulfillment/202309/packages/{package_id}/ship",
)


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
    drop_answer_rate: float = 0.0
    delay_answer_rate: float = 0.0
    timeout_answer_rate: float = 0.0
    slow_seconds: float = 2.0
    timeout_seconds: float = 15.0
    seed: int = 0
    answer_fault_paths: tuple[str, ...] = ANSWER_FAULT_PATHS
    queued: list[QueuedFault] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed)

    def reseed(self, seed: int) -> None:
        """Start the random faults' sequence again: the same seed and calls give the same faults."""
        with self._lock:
            self.seed = seed
            self._rng = random.Random(seed)

    def queue(self, kind: str, path: str | None, count: int) -> None:
        with self._lock:
            self.queued.append(QueuedFault(kind, path, count))

    def clear(self) -> None:
        with self._lock:
            self.queued.clear()
            self.error_rate = self.throttle_rate = self.timeout_rate = self.slow_rate = 0.0
            self.drop_answer_rate = self.delay_answer_rate = self.timeout_answer_rate = 0.0
            self.answer_fault_paths = ANSWER_FAULT_PATHS

    def pick(self, path: str) -> str | None:
        """The fault this request suffers before it is acted on, if any."""
        with self._lock:
            return self._take_queued(path, FAULT_KINDS) or self._roll(
                (
                    ("error", self.error_rate),
                    ("throttle", self.throttle_rate),
                    ("timeout", self.timeout_rate),
                    ("slow", self.slow_rate),
                )
            )

    def pick_answer_fault(self, path: str) -> str | None:
        """What happens to the answer of a request that was acted on, if anything."""
        with self._lock:
            queued = self._take_queued(path, ANSWER_FAULT_KINDS)
            if queued or path not in self.answer_fault_paths:
                return queued
            return self._roll(
                (
                    ("drop_answer", self.drop_answer_rate),
                    ("delay_answer", self.delay_answer_rate),
                    ("timeout_answer", self.timeout_answer_rate),
                )
            )

    def _take_queued(self, path: str, kinds: tuple[str, ...]) -> str | None:
        for fault in self.queued:
            if fault.kind in kinds and fault.remaining > 0 and (fault.path is None or fault.path == path):
                fault.remaining -= 1
                self.queued = [f for f in self.queued if f.remaining > 0]
                return fault.kind
        return None

    def _roll(self, shares: tuple[tuple[str, float], ...]) -> str | None:
        if not any(share for _kind, share in shares):
            return None  # no draw: the seeded sequence is spent only by the faults switched on
        roll = self._rng.random()
        for kind, share in shares:
            if roll < share:
                return kind
            roll -= share
        return None
