"""A webhook endpoint to point the TikTok sandbox at: it records each delivery (raw body and its
`Authorization` signature) and answers with the statuses queued in `statuses`, then 200. Tests serve
it with `tokbridge_sandboxes.serving.serve_in_thread(receiver.app)` and subscribe `<url>/hook`."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


class Receiver:
    """A webhook endpoint that records what it gets and answers with the queued statuses (then 200)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self._lock = threading.Lock()

        async def hook(request: Request) -> Response:
            body = await request.body()
            with self._lock:
                self.received.append({"body": body, "authorization": request.headers.get("authorization", "")})
                status = self.statuses.pop(0) if self.statuses else 200
            return Response(status_code=status)

        self.app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])

    def bodies(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(r["body"]) for r in self.received]

    def wait_for(self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 5.0) -> list[dict]:
        """The bodies received so far, once `predicate` holds for them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            bodies = self.bodies()
            if predicate(bodies):
                return bodies
            time.sleep(0.02)
        raise AssertionError(f"condition not met; received {self.bodies()}")
