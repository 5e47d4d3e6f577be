"""The sandbox's notion of time: wall time plus an offset, or frozen and moved by hand.

Tests drive the leaky bucket and timestamps through `advance()` instead of sleeping.
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


def iso(ts: float) -> str:
    """Shopify's DateTime form: second precision, `Z` suffix."""
    # isoformat, not strftime: several times faster, and a bulk run formats millions of these.
    return datetime.fromtimestamp(int(ts), UTC).isoformat()[:-6] + "Z"


def parse_iso(text: str) -> float:
    value = text.strip().strip("'\"")
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
