"""A live Shopify sandbox per test, and the production adapter pointed at it over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest

from tests.support.live_server import serve
from tokbridge.channels.shopify.client import ShopifyClient
from tokbridge.channels.shopify.store import ShopifyStore
from tokbridge_sandboxes.shopify import Sandbox, SandboxConfig, create_app

SHOP = "tokbridge-demo.myshopify.com"
TOKEN = "shpat_adapter_test"


@dataclass
class LiveShop:
    base_url: str
    sandbox: Sandbox
    config: SandboxConfig

    @property
    def api_base(self) -> str:
        """What SHOPIFY_API_BASE_URL is set to in a deployment against the sandbox."""
        return self.base_url + "/shops/{shop}"

    def client(self, **options) -> ShopifyClient:
        options.setdefault("base_url", self.api_base)
        options.setdefault("timeout", 10.0)
        return ShopifyClient(SHOP, TOKEN, **options)

    def store(self, **options) -> ShopifyStore:
        return ShopifyStore(self.client(**options))

    def control(self, method: str, path: str, **kwargs) -> httpx.Response:
        """The sandbox's control API: what a merchant does in the Shopify admin."""
        with httpx.Client(base_url=self.base_url, timeout=10) as http:
            response = http.request(method, path.replace("{shop}", SHOP), **kwargs)
        assert response.status_code < 400, response.text
        return response


@pytest.fixture
def live_shop() -> Iterator[Callable[..., LiveShop]]:
    """Call with SandboxConfig fields to start a sandbox; it stops at the end of the test."""
    with ExitStack() as stack:

        def start(**overrides) -> LiveShop:
            settings = {"preinstalled_token": TOKEN, "catalog_size": 12, "webhook_retry_seconds": 0.0, **overrides}
            config = SandboxConfig(**settings)
            app = create_app(config)
            base_url = stack.enter_context(serve(app))
            return LiveShop(base_url=base_url, sandbox=app.state.sandbox, config=config)

        yield start
