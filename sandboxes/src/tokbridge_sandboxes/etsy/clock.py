"""The sandbox's notion of time: wall time plus an offset, or frozen and moved by hand.

Token expiry, the rate-limit windows and listing timestamps follow this clock, so tests move it
instead of sleeping.
"""

from __future__ import annotations

import threading
import time


class SandboxClock:
    def __init__(self, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._frozen = frozen
        self._frozen_at = float(int(time.time()))
        self._offset = 0.0

    def now(self) -> float:
        with self._lock:
            return self._frozen_at if self._frozen else time.time() + self._offset

    def now_int(self) -> int:
        return int(self.now())

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
