"""Assembling the sandbox: Open API routes behind the guard, the auth server, the control API,
and a background thread that applies time-driven transitions and delivers webhooks."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# Importing the area modules registers their endpoints.
from . import auth, catalog, events, order_flow, orders, products, returns  # noqa: F401
from . import errors as e
from .config import SandboxConfig
from .control import make_control_routes
from .errors import envelope
from .faults import FaultInjector, RateLimiter
from .guard import make_route_handler
from .routing import ENDPOINTS
from .seller_center import make_seller_center_routes
from .state import SandboxState
from .webhooks import WebhookOutbox


class Sandbox:
    """The running sandbox: its state plus the machinery around it (faults, limits, delivery)."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.state = SandboxState(config)
        self.outbox = WebhookOutbox(self.state)
        self.faults = FaultInjector(
            error_rate=config.fault_error_rate,
            throttle_rate=config.fault_throttle_rate,
            timeout_rate=config.fault_timeout_rate,
            slow_rate=config.fault_slow_rate,
            slow_seconds=config.slow_seconds,
            timeout_seconds=config.timeout_seconds,
            seed=config.seed,
        )
        self.limiter = RateLimiter()
        self.rate_limit_per_second = config.rate_limit_per_second
        self.log = logging.getLogger("tokbridge_sandboxes.tiktok")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        with self.state.lock:
            order_flow.schedule_buyers(self.state)

    # -- background step ----------------------------------------------------------------------------
    def step(self) -> None:
        """Apply due transitions, then deliver due webhooks."""
        self.state.tick()
        self.outbox.deliver_due()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.outbox.wake.wait(self.config.tick_seconds)
            self.outbox.wake.clear()
            try:
                self.step()
            except Exception:  # keep the loop alive; the failure is in the log
                self.log.exception("sandbox background step failed")

    def start(self) -> None:
        if self.config.background and self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="tiktok-sandbox", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.outbox.wake.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """The TikTok Shop sandbox as an ASGI app; `app.state.sandbox` is the `Sandbox`."""
    sandbox = Sandbox(config or SandboxConfig())
    token_get, token_refresh, authorize = auth.make_auth_handlers(sandbox)
    routes = [
        Route("/api/v2/token/get", token_get, methods=["GET"]),
        Route("/api/v2/token/refresh", token_refresh, methods=["GET"]),
        Route("/oauth/authorize", authorize, methods=["GET", "POST"]),
        Route("/open/authorize", authorize, methods=["GET", "POST"]),
        *make_control_routes(sandbox),
        *make_seller_center_routes(sandbox),
        *(Route(ep.path, make_route_handler(sandbox, ep), methods=[ep.method]) for ep in ENDPOINTS),
    ]

    async def not_found(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 405:
            return envelope(None, *e.INVALID_METHOD, http_status=405)
        return envelope(None, *e.INVALID_PATH, http_status=404)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        sandbox.start()
        try:
            yield
        finally:
            sandbox.stop()

    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found}, lifespan=lifespan)
    app.state.sandbox = sandbox
    return app
