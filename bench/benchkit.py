"""What the bench scripts share: a free port and waiting for a server they started to answer."""

from __future__ import annotations

import threading
import time

import httpx

from tokbridge_sandboxes.serving import free_port

__all__ = ["free_port", "wait_ready"]


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            threading.Event().wait(0.2)  # polling a process we started, not a rate limit
    raise SystemExit(f"{url} did not come up")
