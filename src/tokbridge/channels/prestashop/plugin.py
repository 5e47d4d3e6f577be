"""PrestaShop as a TokBridge source store: the one object `channels.registry` finds in this folder."""

from __future__ import annotations

import base64
from datetime import timedelta

from sqlalchemy import Engine

from tokbridge.channels.base import Capabilities
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.prestashop.client import PrestaShopClient
from tokbridge.channels.prestashop.poll_state import PollState
from tokbridge.channels.prestashop.settings import get_prestashop_settings
from tokbridge.channels.prestashop.store import PrestaShopStore
from tokbridge.config import Settings

KIND = "prestashop"


class PrestaShopPlugin:
    kind = KIND
    display_name = "PrestaShop"
    capabilities = Capabilities(
        webhooks=False,  # none in PrestaShop's core: polling finds every change
        creates_orders=True,  # customer, address, cart, order through the Webservice
        billing=False,
        compare_and_set_stock=False,  # stock_availables: read, compare, write
        idempotent_stock=False,  # no idempotency key
        presentment_currency=False,
        order_states=True,  # order_states, mapped by the merchant; changes through order_histories
    )
    events = None

    @property
    def connector(self):
        from tokbridge.channels.prestashop.connect import CONNECTOR

        return CONNECTOR

    def client(self, connection: ChannelConnection) -> PrestaShopClient:
        data = connection.data or {}
        config = get_prestashop_settings()
        return PrestaShopClient(
            address_of(connection),
            connection.access_token or "",
            timeout=config.request_timeout_seconds,
            shop_id=None if data.get("single_shop", True) else str(data.get("shop_id") or ""),
            language_id=str(data.get("language_id") or "") or None,
        )

    def store(self, settings: Settings, engine: Engine, connection: ChannelConnection) -> PrestaShopStore:
        config = get_prestashop_settings()
        data = {**(connection.data or {}), "name": connection.name}
        return PrestaShopStore(
            self.client(connection),
            data,
            PollState(engine, connection.id),
            page_size=config.page_size,
            overlap=timedelta(seconds=config.poll_overlap_seconds),
        )

    def image_headers(self, connection: ChannelConnection, url: str) -> dict[str, str]:
        """The key, for the shop's own Webservice image URLs only (PrestaShop serves them to a key
        holder); nothing for any other address."""
        if not url.startswith(address_of(connection) + "/api/images/") or not connection.access_token:
            return {}
        token = base64.b64encode(f"{connection.access_token}:".encode()).decode()
        return {"authorization": f"Basic {token}"}

    def order_admin_url(self, connection: ChannelConnection, order_external_id: str) -> str | None:
        return None  # the back office's address is secret to each shop (its admin folder is renamed)


def address_of(connection: ChannelConnection) -> str:
    return str((connection.data or {}).get("address") or connection.external_id.split("#", 1)[0]).rstrip("/")


PLUGIN = PrestaShopPlugin()
