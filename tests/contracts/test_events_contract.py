"""Events through the port, for plugins that declare webhooks: the store's webhook requests, received over
HTTP, verified by `plugin.events` and translated into neutral `StoreEvent`s that name the same ids as the
catalog stream and the created orders. (Plugins without webhooks are served by polling: changes since a
cursor and fulfilments read back, in the other files, run for every pair.)"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.contracts.admin import Delivery
from tests.contracts.pairs import pairs
from tests.contracts.test_orders_contract import tiktok_order
from tests.support.live_server import serve
from tokbridge.channels import base
from tokbridge.kit import errors

with_webhooks = pytest.mark.parametrize("pair", pairs(lambda capabilities: capabilities.webhooks), indirect=True)


class Inbox:
    """Takes every webhook request and keeps it raw, as the store sent it."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.lock = threading.Lock()

    async def endpoint(self, request: Request) -> Response:
        delivery = Delivery(headers=dict(request.headers), body=await request.body())
        with self.lock:
            self.deliveries.append(delivery)
        return Response(status_code=200)


@contextmanager
def receiving(pair) -> Iterator[Inbox]:
    inbox = Inbox()
    with serve(Starlette(routes=[Route("/webhooks", inbox.endpoint, methods=["POST"])])) as url:
        pair.admin.send_webhooks_to(f"{url}/webhooks")
        yield inbox


def events_of(pair, delivery: Delivery) -> list[base.StoreEvent]:
    """The port's `StoreEvents` end to end: the envelope opened (for the connection's account), then
    translated."""
    opened = pair.plugin.events.open(delivery.headers, delivery.body)
    assert opened.account == pair.admin.account.external_id
    assert opened.topic == pair.admin.topic_of(delivery)
    return pair.plugin.events.translate(opened.topic, opened.payload)


@with_webhooks
def test_webhooks_are_verified_and_a_tampered_one_is_not(pair):
    product_id = min(pair.catalog().products)
    events = pair.plugin.events
    with receiving(pair) as inbox:
        pair.admin.edit_product(product_id, "Signed")
        assert pair.admin.webhooks_settled()
    assert inbox.deliveries
    for delivery in inbox.deliveries:
        assert events.verify(pair.settings, delivery.headers, delivery.body)
        assert not events.verify(pair.settings, delivery.headers, delivery.body + b" ")
        assert not events.verify(pair.settings, {}, delivery.body)


@with_webhooks
def test_store_changes_become_neutral_events_about_the_ids_the_port_gave(pair):
    """Each change the merchant makes in the store is announced about the ids the port gave. A stock change
    names the inventory item (STOCK_CHANGED), or, where the store's notification is thin, the product that
    holds it (PRODUCT_CHANGED: the domain reads the product with its stock). Orders are only followed where
    the store takes TikTok's orders (`creates_orders`); the merchant removing TokBridge is announced
    (DISCONNECTED), or else the store refuses TokBridge's access from then on."""
    catalog = pair.catalog()
    variant, level = catalog.stocked_variant()
    stocked_product = catalog.variant_product[variant.external_id]
    edited, deleted = sorted(product for product in catalog.products if product != stocked_product)[:2]
    creates_orders = pair.plugin.capabilities.creates_orders
    store = pair.store()
    with receiving(pair) as inbox:
        pair.admin.edit_product(edited, "Changed in the store")
        pair.admin.delete_product(deleted)
        pair.admin.set_stock(variant.inventory_item_external_id, level.location_external_id, level.available + 1)
        if creates_orders:
            shipped = store.create_order(tiktok_order(variant, "contract-2001", quantity=1))
            cancelled = store.create_order(tiktok_order(variant, "contract-2002", quantity=1))
            pair.admin.ship(shipped.external_id, carrier="UPS", tracking_number="1Z999AA10123456785")
            pair.admin.cancel(cancelled.external_id)
        pair.admin.disconnect()
        assert pair.admin.webhooks_settled()

    translated = [event for delivery in inbox.deliveries for event in events_of(pair, delivery)]
    assert all(isinstance(event, base.StoreEvent) for event in translated)
    about = {(event.kind, event.subject_external_id) for event in translated}
    assert (base.PRODUCT_CHANGED, edited) in about
    assert (base.PRODUCT_DELETED, deleted) in about
    assert (base.STOCK_CHANGED, variant.inventory_item_external_id) in about or (
        base.PRODUCT_CHANGED,
        stocked_product,
    ) in about
    if creates_orders:
        assert (base.ORDER_FULFILLED, shipped.external_id) in about
        assert (base.ORDER_CANCELLED, cancelled.external_id) in about
    if base.DISCONNECTED not in {event.kind for event in translated}:
        with pytest.raises(errors.NeedsReconnect):
            pair.store().shop_details()
