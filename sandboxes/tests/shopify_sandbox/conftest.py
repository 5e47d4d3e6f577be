"""Fixtures: a live sandbox per test (real HTTP), and a live receiver for webhooks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tokbridge_sandboxes.serving import serve_in_thread as serve
from tokbridge_sandboxes.shopify import Sandbox, SandboxConfig, create_app

SHOP = "tokbridge-demo.myshopify.com"
VERSION = "2026-07"


@dataclass
class Live:
    base_url: str
    sandbox: Sandbox
    token: str
    wait_until: Callable[..., Any]  # the shared deadline poll (../conftest.py), for tests that wait on the sandbox

    def client(self, token: str | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            timeout=10,
            headers={"X-Shopify-Access-Token": self.token if token is None else token},
        )

    def graphql(
        self, query: str, variables: dict | None = None, version: str = VERSION, token: str | None = None
    ) -> dict:
        with self.client(token) as client:
            response = client.post(
                f"/admin/api/{version}/graphql.json", json={"query": query, "variables": variables or {}}
            )
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def live_sandbox(wait_until) -> Iterator[Callable[..., Live]]:
    """Call with SandboxConfig fields to start a sandbox; it stops at the end of the test."""
    with ExitStack() as stack:

        def start(**overrides) -> Live:
            settings = {
                "preinstalled_token": "shpat_test_token",
                "catalog_size": 12,
                "frozen_clock": True,
                "webhook_retry_seconds": 0.0,
                **overrides,
            }
            app = create_app(SandboxConfig(**settings))
            base_url = stack.enter_context(serve(app))
            return Live(
                base_url=base_url,
                sandbox=app.state.sandbox,
                token=settings["preinstalled_token"],
                wait_until=wait_until,
            )

        yield start


@dataclass
class Receiver:
    """An HTTP endpoint that records what it receives; answers with `status`."""

    url: str = ""
    received: list[dict] = field(default_factory=list)
    status: int = 200
    condition: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, predicate: Callable[[list[dict]], bool], timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self.condition:
            while not predicate(self.received):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"condition not met; received {[r['headers'].get('x-shopify-topic') for r in self.received]}"
                    )
                self.condition.wait(remaining)
            return list(self.received)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    sink = Receiver()

    async def record(request: Request) -> Response:
        body = await request.body()
        with sink.condition:
            sink.received.append({"path": request.url.path, "headers": dict(request.headers), "body": body})
            sink.condition.notify_all()
        return Response(status_code=sink.status)

    app = Starlette(routes=[Route("/{path:path}", record, methods=["POST"])])
    with serve(app) as base_url:
        sink.url = base_url + "/webhooks"
        yield sink
