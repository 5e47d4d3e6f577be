"""Etsy as a TokBridge source store: the one object `channels.registry` finds in this folder."""

from __future__ import annotations

from sqlalchemy import Engine

from tokbridge.channels.base import Capabilities
from tokbridge.channels.etsy.client import EtsyClient, shared_limits
from tokbridge.channels.etsy.settings import get_etsy_settings
from tokbridge.channels.etsy.store import EtsyStore
from tokbridge.channels.models import ChannelConnection
from tokbridge.config import Settings

KIND = "etsy"


class EtsyPlugin:
    kind = KIND
    display_name = "Etsy"
    capabilities = Capabilities(
        # Etsy's webhooks (listing and inventory events, Standard Webhooks signatures) are registered in its
        # portal; without ETSY_WEBHOOK_SECRET none are accepted and polling by update time does the work.
        webhooks=True,
        creates_orders=False,  # no API creates a receipt: TokBridge keeps the order, adjusts Etsy's stock
        billing=False,
        compare_and_set_stock=False,  # updateListingInventory replaces the inventory: read, compare, write
        idempotent_stock=False,  # no idempotency key
        presentment_currency=False,
    )

    @property
    def connector(self):
        from tokbridge.channels.etsy.connect import CONNECTOR

        return CONNECTOR

    @property
    def events(self):
        from tokbridge.channels.etsy.events import EVENTS

        return EVENTS

    def client(self, settings: Settings, connection: ChannelConnection) -> EtsyClient:
        etsy = get_etsy_settings()
        limits = shared_limits(
            etsy,
            redis_url=settings.redis_url,
            sqlite_path=None if settings.redis_url else str(settings.data_dir / "ratelimit.sqlite"),
            prefix=settings.queue_name,
        )
        return EtsyClient(etsy, connection.access_token, limits=limits)

    def store(self, settings: Settings, engine: Engine, connection: ChannelConnection) -> EtsyStore:
        return EtsyStore(
            self.client(settings, connection), connection.external_id, page_size=get_etsy_settings().page_size
        )

    def image_headers(self, connection: ChannelConnection, url: str) -> dict[str, str]:
        return {}  # its image URLs are public (a CDN)

    def order_admin_url(self, connection: ChannelConnection, order_external_id: str) -> str | None:
        return None  # TokBridge creates no Etsy orders


PLUGIN = EtsyPlugin()
