"""Both sandboxes running over HTTP, the connector configured against them, and a merchant with a
connected store and TikTok shop: the world most pipeline tests start from.

Connections are stored the way the connect flows store them (encrypted tokens, the shop cipher),
without walking the OAuth screens; `tests/onboarding` covers those.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, closing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.support.live_server import serve
from tokbridge.catalog import service as catalog_service
from tokbridge.channels import factory, registry
from tokbridge.channels.connections import TIKTOK, ConnectionRepository
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.shopify.plugin import KIND as SHOPIFY
from tokbridge.channels.shopify.settings import get_shopify_settings
from tokbridge.config import get_settings
from tokbridge.db.engine import get_engine, session_scope
from tokbridge_sandboxes.shopify import SandboxConfig as ShopifySandboxConfig
from tokbridge_sandboxes.shopify import create_app as create_shopify_sandbox
from tokbridge_sandboxes.tiktok import SandboxConfig as TikTokSandboxConfig
from tokbridge_sandboxes.tiktok import create_app as create_tiktok_sandbox

SHOP = "tokbridge-demo.myshopify.com"
SHOPIFY_TOKEN = "shpat_world_token"
TIKTOK_KEY, TIKTOK_SECRET = "world_app_key", "world_app_secret"
SHOPIFY_ID, SHOPIFY_SECRET = "world-client-id", "world-client-secret"


@dataclass
class World:
    settings: Any
    merchant_id: int
    tiktok_url: str
    shopify_url: str
    tiktok_sandbox: Any
    shopify_sandbox: Any
    tiktok_connection_id: str
    shopify_connection_id: str
    shop_id: str

    @property
    def engine(self):
        return get_engine(self.settings.database_url)

    def tiktok_control(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(method, self.tiktok_url + path, json=body, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def shopify_control(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(method, self.shopify_url + path.replace("{shop}", SHOP), json=body, timeout=30)
        assert response.status_code < 400, response.text
        return response.json() if response.content else None

    def import_catalog(self) -> Any:
        with session_scope(self.engine) as session:
            connection = ConnectionRepository(session).get(self.shopify_connection_id)
            session.expunge(connection)
        with closing(registry.store_for(self.settings, self.engine, connection)) as store:
            return catalog_service.import_whole_catalog(store, self.engine, self.merchant_id, timeout=120)


def reset_channel_caches() -> None:
    get_settings.cache_clear()
    factory.tiktok_app.cache_clear()
    get_shopify_settings.cache_clear()
    factory._transports_by_settings.clear()


def point_connector_at_sandboxes(
    stack: ExitStack,
    monkeypatch,
    request,
    database_url: str,
    *,
    base: str,
    tiktok_url: str,
    tiktok_app: tuple[str, str],
    shopify_url: str | None = None,
    shopify_app: tuple[str, str] | None = None,
    extra: dict | None = None,
) -> None:
    """Configure the connector as a deployment against the sandboxes would be (environment variables),
    with Redis for the queue when the database is PostgreSQL; undone when `stack` closes. Without
    `shopify_url`, another store's settings come in `extra`."""
    env = {
        "BASE_URL": base,
        "JOB_MAINTENANCE_SECONDS": "0.5",
        "TIKTOK_API_BASE_URL": tiktok_url,
        "TIKTOK_AUTH_BASE_URL": tiktok_url,
        "TIKTOK_APP_KEY": tiktok_app[0],
        "TIKTOK_APP_SECRET": tiktok_app[1],
        "TIKTOK_SERVICE_ID": "7431458374265161478",
        "TIKTOK_AUTHORIZE_URL": f"{tiktok_url}/open/authorize",
        "TIKTOK_RATE_LIMIT_PER_SECOND": "5000",
        "TIKTOK_RATE_LIMIT_BURST": "5000",
    }
    if shopify_url is not None:
        env.update(
            {
                "SHOPIFY_API_BASE_URL": shopify_url + "/shops/{shop}",
                "SHOPIFY_CLIENT_ID": shopify_app[0],
                "SHOPIFY_CLIENT_SECRET": shopify_app[1],
            }
        )
    env.update(extra or {})
    if "postgresql" in database_url:
        env.update(
            {"REDIS_URL": request.getfixturevalue("redis_url"), "QUEUE_NAME": request.getfixturevalue("redis_prefix")}
        )
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_channel_caches()
    stack.callback(reset_channel_caches)


@pytest.fixture
def world_factory(app_settings, merchant_id, monkeypatch) -> Iterator:
    with ExitStack() as stack:

        def start(
            *, products: int = 40, tiktok: dict | None = None, shopify: dict | None = None, env: dict | None = None
        ) -> World:
            tiktok_config = TikTokSandboxConfig(
                **{
                    "app_key": TIKTOK_KEY,
                    "app_secret": TIKTOK_SECRET,
                    "seed": 11,
                    "tick_seconds": 0.05,
                    "review_delay_seconds": 60,
                    **(tiktok or {}),
                }
            )
            tiktok_app = create_tiktok_sandbox(tiktok_config)
            tiktok_url = stack.enter_context(serve(tiktok_app))
            shopify_config = ShopifySandboxConfig(
                **{
                    "client_id": SHOPIFY_ID,
                    "client_secret": SHOPIFY_SECRET,
                    "preinstalled_token": SHOPIFY_TOKEN,
                    "catalog_size": products,
                    "webhook_retry_seconds": 0.0,
                    **(shopify or {}),
                }
            )
            shopify_app = create_shopify_sandbox(shopify_config)
            shopify_url = stack.enter_context(serve(shopify_app))

            for name, value in {
                "TIKTOK_APP_KEY": TIKTOK_KEY,
                "TIKTOK_APP_SECRET": TIKTOK_SECRET,
                "TIKTOK_API_BASE_URL": tiktok_url,
                "TIKTOK_AUTH_BASE_URL": tiktok_url,
                "SHOPIFY_CLIENT_ID": SHOPIFY_ID,
                "SHOPIFY_CLIENT_SECRET": SHOPIFY_SECRET,
                "SHOPIFY_API_BASE_URL": shopify_url + "/shops/{shop}",
                # Functional tests are not about pacing: keep our limiter out of the way (bench/ measures it).
                "TIKTOK_RATE_LIMIT_PER_SECOND": "5000",
                "TIKTOK_RATE_LIMIT_BURST": "5000",
                **(env or {}),
            }.items():
                monkeypatch.setenv(name, value)
            reset_channel_caches()
            stack.callback(reset_channel_caches)
            settings = get_settings()

            state = tiktok_app.state.sandbox.state
            shop = next(iter(state.shops.values()))
            token = state.bootstrap
            with session_scope(get_engine(settings.database_url)) as session:
                tiktok_connection = ChannelConnection(
                    merchant_id=merchant_id,
                    channel=TIKTOK,
                    external_id=shop.id,
                    name=shop.name,
                    region=shop.region,
                    data={"cipher": shop.cipher},
                    scopes=[],
                )
                tiktok_connection.access_token = token.access_token
                tiktok_connection.refresh_token = token.refresh_token
                tiktok_connection.access_expires_at = datetime.fromtimestamp(token.access_expires, UTC)
                tiktok_connection.refresh_expires_at = datetime.fromtimestamp(token.refresh_expires, UTC)
                shopify_connection = ChannelConnection(
                    merchant_id=merchant_id, channel=SHOPIFY, external_id=SHOP, name="Demo store", data={}, scopes=[]
                )
                shopify_connection.access_token = SHOPIFY_TOKEN
                session.add_all([tiktok_connection, shopify_connection])
                session.flush()
                tiktok_connection.store_connection_id = shopify_connection.id  # the shop lists this store
                session.flush()
                ids = tiktok_connection.id, shopify_connection.id
            return World(
                settings,
                merchant_id,
                tiktok_url,
                shopify_url,
                tiktok_app.state.sandbox,
                shopify_app.state.sandbox,
                ids[0],
                ids[1],
                shop.id,
            )

        yield start
