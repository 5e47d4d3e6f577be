"""A live PrestaShop sandbox per test, TokBridge configured against it as a deployment would be, and the
plugin's store for a connection made by the plugin's own connector, over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import Engine

from tests.contracts.prestashop_pair import KEY, prestashop_config
from tests.support.live_server import serve
from tokbridge.channels import registry
from tokbridge.channels.base import ConnectionGrant, ConnectReturn
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.prestashop.settings import get_prestashop_settings
from tokbridge.channels.prestashop.store import PrestaShopStore
from tokbridge.config import get_settings
from tokbridge.db.engine import session_scope
from tokbridge.tenancy.models import Merchant
from tokbridge_sandboxes.prestashop import SandboxConfig, create_app


@dataclass
class LivePrestaShop:
    base_url: str
    config: SandboxConfig
    connection: ChannelConnection | None = None  # the last one `store` made

    def control(self, method: str, path: str, **kwargs):
        """The sandbox's control API: what the merchant does in the back office."""
        with httpx.Client(base_url=self.base_url, timeout=30) as http:
            response = http.request(method, path, **kwargs)
        assert response.status_code < 400, response.text
        return response.json() if response.content else None

    def connect(self, key: str = KEY, **answers: str) -> ConnectionGrant:
        connector = registry.plugin("prestashop").connector
        answers = {"address": self.base_url, "key": key, **answers}
        returned = ConnectReturn(account=connector.account_of(answers), code="", answers=answers)
        return connector.finish(get_settings(), returned, callback_url="")

    def store(self, engine: Engine, **answers: str) -> PrestaShopStore:
        """The plugin's store for a connection stored as the connect flow stores it."""
        grant = self.connect(**answers)
        with session_scope(engine) as session:
            merchant = Merchant(name="PrestaShop merchant")
            session.add(merchant)
            session.flush()
            connection = ChannelConnection(
                merchant_id=merchant.id,
                channel="prestashop",
                external_id=grant.external_id,
                name=grant.name,
                data=dict(grant.data),
                scopes=grant.scopes,
            )
            connection.access_token = grant.access_token
            session.add(connection)
            session.flush()
            session.expunge(connection)
        self.connection = connection
        return registry.plugin("prestashop").store(get_settings(), engine, connection)

    def requests(self) -> list[dict]:
        return self.control("GET", "/sandbox/requests")["requests"]

    def products(self) -> list[dict]:
        return self.control("GET", "/sandbox/products")["products"]


@pytest.fixture
def live_prestashop(monkeypatch) -> Iterator[Callable[..., LivePrestaShop]]:
    """Call with SandboxConfig fields to start a sandbox (http:// allowed for it)."""
    monkeypatch.setenv("PRESTASHOP_ALLOW_HTTP", "true")
    monkeypatch.setenv("PRESTASHOP_PAGE_SIZE", "5")
    get_prestashop_settings.cache_clear()
    with ExitStack() as stack:
        stack.callback(get_prestashop_settings.cache_clear)

        def start(**overrides) -> LivePrestaShop:
            config = prestashop_config(**{"shop_name": "TokBridge Sandbox Shop", "frozen_clock": True, **overrides})
            return LivePrestaShop(stack.enter_context(serve(create_app(config))), config)

        yield start
