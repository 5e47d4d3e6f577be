"""The production client, wired to a real TikTok sandbox over HTTP.

`connect(**sandbox_settings)` starts a sandbox, authorises the app the way a seller would (an auth
code from the sandbox, exchanged through `AuthClient.get_token`), lists the authorized shops and
returns a `TikTokClient` for the first one, plus everything around it for assertions.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.live_server import serve
from tokbridge.channels.tiktok.auth import AuthClient, InMemoryTokenStore, TokenManager
from tokbridge.channels.tiktok.client import TikTokClient
from tokbridge.channels.tiktok.models import AuthorizedShop
from tokbridge.channels.tiktok.settings import TikTokAppSettings
from tokbridge.channels.tiktok.transport import SignedTransport
from tokbridge.kit.ratelimit import RateLimiter, make_rate_limiter
from tokbridge_sandboxes.tiktok import SandboxConfig, create_app

APP_KEY, APP_SECRET = "tb_client_key", "tb_client_secret"


@dataclass
class Connected:
    base_url: str
    sandbox: Any  # tokbridge_sandboxes.tiktok.Sandbox: read-only here
    app: TikTokAppSettings
    transport: SignedTransport
    auth: AuthClient
    store: InMemoryTokenStore
    tokens: TokenManager
    shop: AuthorizedShop
    client: TikTokClient
    control: httpx.Client

    def sandbox_control(self, method: str, path: str, body: Any = None) -> Any:
        response = self.control.request(method, path, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def client_with(self, **app_overrides: Any) -> TikTokClient:
        """A second client on the same shop and tokens, e.g. with another secret or timeout."""
        app = TikTokAppSettings(**{**self.app.model_dump(), **app_overrides})
        transport = SignedTransport(app, self.base_url, limiter=self.transport.limiter)
        return TikTokClient(transport, shop_id=self.shop.id, shop_cipher=self.shop.cipher, tokens=self.tokens)


def sandbox_config(**overrides: Any) -> SandboxConfig:
    base = {
        "app_key": APP_KEY,
        "app_secret": APP_SECRET,
        "bootstrap_token": False,
        "tick_seconds": 0.05,
        "review_delay_seconds": 300,
        "seed": 5,
    }
    return SandboxConfig(**{**base, **overrides})


def open_connection(
    stack: contextlib.ExitStack,
    limiter: RateLimiter | None = None,
    app_settings: dict[str, Any] | None = None,
    http: httpx.Client | None = None,
    **sandbox_overrides: Any,
) -> Connected:
    """A sandbox served over HTTP and a client authorised on its first shop; `stack` closes both."""
    app_asgi = create_app(sandbox_config(**sandbox_overrides))
    base_url = stack.enter_context(serve(app_asgi))
    settings = TikTokAppSettings(
        **{
            "app_key": APP_KEY,
            "app_secret": APP_SECRET,
            "service_id": "7431458374265161478",
            "authorize_url": f"{base_url}/open/authorize",
            "timeout_seconds": 10.0,
            **(app_settings or {}),
        }
    )
    # Generous by default so functional tests never trip it; rate tests pass their own.
    transport = SignedTransport(
        settings, base_url, limiter=limiter or make_rate_limiter(10_000, burst=1_000), http=http
    )
    control = httpx.Client(base_url=base_url, timeout=10)
    stack.callback(control.close)
    stack.callback(transport.close)
    auth = AuthClient(settings, base_url, transport)

    code = control.post("/sandbox/auth_codes").json()["code"]
    grant = auth.get_token(code)
    shop = auth.authorized_shops(grant.access_token)[0]
    store = InMemoryTokenStore()
    store.save(shop.id, grant)
    tokens = TokenManager(auth, store)
    client = TikTokClient(transport, shop_id=shop.id, shop_cipher=shop.cipher, tokens=tokens)
    return Connected(base_url, app_asgi.state.sandbox, settings, transport, auth, store, tokens, shop, client, control)


@pytest.fixture
def connect() -> Iterator:
    with contextlib.ExitStack() as stack:
        yield lambda *args, **kwargs: open_connection(stack, *args, **kwargs)


@pytest.fixture
def tiktok(connect) -> Connected:
    return connect()
