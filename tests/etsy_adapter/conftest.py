"""A live Etsy sandbox per test, TokBridge configured against it as a deployment would be, and the
plugin's own clients pointed at it over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest

from tests.contracts.etsy_pair import ACCESS_TOKEN, REFRESH_TOKEN, etsy_config
from tests.support.live_server import serve
from tokbridge.channels.etsy.client import EtsyClient
from tokbridge.channels.etsy.settings import EtsySettings, get_etsy_settings
from tokbridge.channels.etsy.store import EtsyStore
from tokbridge_sandboxes.etsy import Sandbox, SandboxConfig, create_app


@dataclass
class LiveEtsy:
    base_url: str
    sandbox: Sandbox
    config: SandboxConfig

    @property
    def env(self) -> dict[str, str]:
        return {
            "ETSY_API_BASE_URL": self.base_url,
            "ETSY_OAUTH_URL": self.base_url + "/oauth/connect",
            "ETSY_KEYSTRING": self.config.keystring,
            "ETSY_SHARED_SECRET": self.config.shared_secret,
            "ETSY_WEBHOOK_SECRET": self.config.webhook_secret,
        }

    def settings(self, **overrides) -> EtsySettings:
        return EtsySettings(
            **{
                "api_base_url": self.base_url,
                "oauth_url": self.base_url + "/oauth/connect",
                "keystring": self.config.keystring,
                "shared_secret": self.config.shared_secret,
                **overrides,
            }
        )

    def client(self, token: str | None = ACCESS_TOKEN, **options) -> EtsyClient:
        return EtsyClient(self.settings(), token, **options)

    def store(self, **options) -> EtsyStore:
        return EtsyStore(self.client(**options), str(self.config.shop_id))

    def control(self, method: str, path: str, **kwargs):
        """The sandbox's control API: what the seller does on etsy.com."""
        with httpx.Client(base_url=self.base_url, timeout=30) as http:
            response = http.request(method, path, **kwargs)
        assert response.status_code < 400, response.text
        return response.json() if response.content else None

    def listing(self, listing_id: int | str) -> dict:
        return self.control("GET", f"/sandbox/listings/{int(listing_id)}")

    def listing_where(self, predicate: Callable[[dict], bool]) -> dict:
        for listing in self.control("GET", "/sandbox/listings", params={"limit": 1000})["results"]:
            if predicate(listing):
                return listing
        raise AssertionError("the sandbox's catalog has no such listing")


@pytest.fixture
def live_etsy(monkeypatch) -> Iterator[Callable[..., LiveEtsy]]:
    """Call with SandboxConfig fields to start a sandbox (its address in the ETSY_* environment)."""
    with ExitStack() as stack:

        def start(**overrides) -> LiveEtsy:
            config = etsy_config(**{"catalog_size": 30, **overrides})
            app = create_app(config)
            live = LiveEtsy(stack.enter_context(serve(app)), app.state.sandbox, config)
            for name, value in live.env.items():
                monkeypatch.setenv(name, value)
            get_etsy_settings.cache_clear()
            return live

        yield start


__all__ = ["ACCESS_TOKEN", "REFRESH_TOKEN", "LiveEtsy"]
