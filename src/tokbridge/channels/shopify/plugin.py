"""Shopify as a TokBridge source store: the one object `channels.registry` finds in this folder."""

from __future__ import annotations

from sqlalchemy import Engine

from tokbridge.channels.base import Capabilities
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.shopify.billing import ShopifyBilling
from tokbridge.channels.shopify.client import ShopifyClient
from tokbridge.channels.shopify.settings import get_shopify_settings
from tokbridge.channels.shopify.store import ShopifyStore
from tokbridge.channels.shopify.urls import admin_order_url
from tokbridge.config import Settings

KIND = "shopify"


class ShopifyPlugin:
    kind = KIND
    display_name = "Shopify"
    capabilities = Capabilities(
        webhooks=True,
        creates_orders=True,
        billing=True,
        compare_and_set_stock=True,  # inventorySetQuantities' changeFromQuantity
        idempotent_stock=True,  # the @idempotent directive on inventory mutations
        presentment_currency=True,  # orderCreate's presentmentCurrency and presentmentMoney
    )

    @property
    def connector(self):
        from tokbridge.channels.shopify.connect import CONNECTOR

        return CONNECTOR

    @property
    def events(self):
        from tokbridge.channels.shopify.events import EVENTS

        return EVENTS

    def client(
        self, settings: Settings, connection: ChannelConnection, *, wait_when_throttled: bool = False
    ) -> ShopifyClient:
        shopify = get_shopify_settings()
        return ShopifyClient(
            connection.external_id,
            connection.access_token,
            api_version=shopify.api_version,
            base_url=get_shopify_settings().api_base_url,
            timeout=shopify.request_timeout_seconds,
            max_attempts=shopify.max_attempts,
            wait_when_throttled=wait_when_throttled,
        )

    def store(self, settings: Settings, engine: Engine, connection: ChannelConnection) -> ShopifyStore:
        return ShopifyStore(
            self.client(settings, connection), checkpoint_every=get_shopify_settings().catalog_checkpoint_lines
        )

    def billing(self, settings: Settings, connection: ChannelConnection) -> ShopifyBilling:
        """Shopify bills TokBridge's plans as app subscriptions (`capabilities.billing`)."""
        return ShopifyBilling(self.client(settings, connection), test=get_shopify_settings().billing_test)

    def image_headers(self, connection: ChannelConnection, url: str) -> dict[str, str]:
        return {}  # its image URLs are public (a CDN)

    def order_admin_url(self, connection: ChannelConnection, order_external_id: str) -> str | None:
        return admin_order_url(connection.external_id, order_external_id)


PLUGIN = ShopifyPlugin()
