"""A sandbox's notion of time: wall time plus an offset, or frozen and moved by hand.

Token expiry, rate-limit windows, buckets and timestamps follow it, so tests move it with `advance()`
instead of sleeping. (The TikTok sandbox keeps its own: it also checks requests against wall time.)
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class SandboxClock:
    def __init__(self, frozen: bool = False, start: float | None = None) -> None:
        self._lock = threading.Lock()
        self._frozen = frozen
        self._frozen_at = time.time() if start is None else start
        self._offset = 0.0 if start is None else start - time.time()

    def now(self) -> float:
        """Seconds since the epoch, as the sandbox sees them."""
        with self._lock:
            return self._frozen_at if self._frozen else time.time() + self._offset

    def now_int(self) -> int:
        return int(self.now())

    def now_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)

    def advance(self, seconds: float) -> float:
        with self._lock:
            if self._frozen:
                self._frozen_at += seconds
            else:
                self._offset += seconds
        return self.now()

    @property
    def frozen(self) -> bool:
        return self._frozen
