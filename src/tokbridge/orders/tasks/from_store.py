"""What the store says happened to an order it holds: shipped (tracking for TikTok) or cancelled in the store
admin (cancelled on TikTok too). Webhooks bring it at once, through the router (`inbox.tasks`); the
periodic poll finds the same changes without them, for stores that have no webhooks or lost one. Both
paths end in the same idempotent steps, so a change seen twice is handled once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from tokbridge.catalog.tasks import with_store
from tokbridge.channels import registry
from tokbridge.channels.base import OrderFulfilments, OrderPage, SourceStore
from tokbridge.channels.connections import ConnectionRepository
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.shops import shop_contexts
from tokbridge.db.base import utcnow
from tokbridge.db.engine import get_engine, session_scope
from tokbridge.jobs.registry import job_handler, periodic
from tokbridge.jobs.runner import JobContext
from tokbridge.jobs.service import enqueue
from tokbridge.kit.words import code_words
from tokbridge.orders import service
from tokbridge.orders import status as statuses
from tokbridge.orders.mapper import SOURCE_NAME
from tokbridge.orders.models import ShipmentState
from tokbridge.orders.repository import OrderRepository, stores_holding_orders
from tokbridge.orders.tasks.common import write
from tokbridge.tenancy.scoping import bind_merchant

log = logging.getLogger(__name__)

POLL_STORES_EVERY_SECONDS = 300
# Looked at again on each poll: a change the store indexes a little late is not missed.
POLL_STORE_OVERLAP = timedelta(seconds=120)


def store_order_cancelled(
    ctx: JobContext, connection: ChannelConnection, store_order_id: str, store_reason: str | None
) -> bool:
    """A store order was cancelled (ORDER_CANCELLED, or seen by the poll): ours already cancelled on TikTok
    are just marked; one the merchant cancelled in the store admin is cancelled on TikTok too (when TikTok
    still allows it). `store_reason`: CANCELLED_BY_BUYER or CANCELLED_OTHERWISE."""

    def record(session):
        bind_merchant(session, connection.merchant_id)
        order = OrderRepository(session).by_store_order(store_order_id, connection.id)
        if order is None:
            return None
        order.store_cancelled = True
        if order.tiktok_status in statuses.CANCELLED:
            return None
        tiktok = ConnectionRepository(session).get(order.connection_id)
        reason = statuses.store_cancel_reason_to_tiktok(
            store_reason, order.tiktok_status, tiktok.region if tiktok else None
        )
        if reason is None:
            order.last_error = (
                "The order was cancelled in the store, but TikTok no longer allows cancelling it "
                f"(it is {code_words(order.tiktok_status).lower()} there). Handle it on TikTok Shop "
                "Seller Center."
            )
            return None
        enqueue(
            session,
            service.CANCEL_JOB,
            merchant_id=order.merchant_id,
            payload={"connection_id": order.connection_id, "order_id": order.id, "reason": reason},
            identity_key=f"{service.CANCEL_JOB}:{order.id}",
        )
        return order.id

    write(ctx, record)
    return True


def store_fulfilment(
    ctx: JobContext, connection: ChannelConnection, store_order_id: str, fulfilment_id: str | None
) -> bool:
    """A store order shipped, or its tracking changed (ORDER_FULFILLED): carry it to TikTok, if it is ours."""
    with ctx.session() as session:
        bind_merchant(session, connection.merchant_id)
        order = OrderRepository(session).by_store_order(store_order_id, connection.id)
        if order is None:
            return True  # not a TikTok order
        order_id, shop_id = order.id, order.connection_id

    def queue(session):
        enqueue(
            session,
            service.SHIP_JOB,
            merchant_id=connection.merchant_id,
            payload={"connection_id": shop_id, "order_id": order_id},
            identity_key=f"{service.SHIP_JOB}:{order_id}:{fulfilment_id}",
        )

    write(ctx, queue)
    return True


# --- the poll: the same, without webhooks ------------------------------------------------------------


@job_handler(service.POLL_STORES_JOB, title="Look for shipments and cancellations in the stores", visible=False)
def poll_stores(ctx: JobContext) -> None:
    """System job: one poll per store holding orders from TikTok (a merchant's shops may list from several)."""
    with session_scope(get_engine(ctx.settings.database_url)) as session:
        for merchant_id, store_id in stores_holding_orders(session):
            enqueue(
                session,
                service.POLL_STORE_JOB,
                merchant_id=merchant_id,
                payload={"store_connection_id": store_id},
                identity_key=f"{service.POLL_STORE_JOB}:{store_id}",
            )


periodic(service.POLL_STORES_JOB, every_seconds=POLL_STORES_EVERY_SECONDS)


@job_handler(service.POLL_STORE_JOB, title="Look for shipments and cancellations in the store", visible=False)
def poll_store(ctx: JobContext) -> None:
    """payload: {store_connection_id}: the store's orders changed since the last poll: shipments go to
    TikTok, cancellations made in the store admin are carried over. The cursor is the store's own change
    time, kept per store connection. Without a store in the payload, every store linked to a shop."""
    with ctx.session() as session:
        wanted = ctx.payload.get("store_connection_id")
        if wanted:
            found = ConnectionRepository(session).get(wanted)
            stores = [found] if found is not None and found.status == "active" else []
        else:
            stores = list({shop.store.id: shop.store for shop in shop_contexts(session) if shop.store}.values())
    for connection in stores:
        _poll_one_store(ctx, connection)


def _poll_one_store(ctx: JobContext, connection: ChannelConnection) -> None:
    with ctx.session() as session:
        searched_until = OrderRepository(session).cursor(ctx.required_merchant_id, connection.id).searched_until
        session.commit()
    since = datetime.fromtimestamp(searched_until, UTC) - POLL_STORE_OVERLAP if searched_until else None
    newest, seen, page_cursor = searched_until, 0, None
    while True:

        def read_page(store: SourceStore, cursor: str | None = page_cursor) -> OrderPage:
            return store.orders_changed_since(since, cursor, source_name=SOURCE_NAME)

        page = with_store(ctx.settings, connection, read_page)
        for changed in page.orders:
            _store_order_changed(ctx, connection, changed)
            if changed.updated_at is not None:
                newest = max(newest, int(changed.updated_at.timestamp()))
            seen += 1
        if page.next_cursor is None:
            break
        page_cursor = page.next_cursor

    def finish(session):
        cursor = OrderRepository(session).cursor(ctx.required_merchant_id, connection.id)
        cursor.searched_until = max(cursor.searched_until, newest)
        cursor.searched_at = utcnow()

    write(ctx, finish)
    log.info(
        "store poll of %s (%s): %d orders changed",
        connection.external_id,
        registry.plugin_of(connection).display_name,
        seen,
    )


def _store_order_changed(ctx: JobContext, connection: ChannelConnection, changed: OrderFulfilments) -> None:
    with ctx.session() as session:
        bind_merchant(session, connection.merchant_id)
        repository = OrderRepository(session)
        order = repository.by_store_order(changed.order_external_id, connection.id)
        if order is None:
            return  # not one of ours
        order_id, store_cancelled, shop_id = order.id, order.store_cancelled, order.connection_id
        sent = {
            row.store_fulfillment_id: row.tracking_number
            for row in repository.shipments(order.id)
            if row.state == ShipmentState.SENT
        }
    if changed.cancelled and not store_cancelled:
        store_order_cancelled(ctx, connection, changed.order_external_id, changed.cancel_reason)
    unsent = [
        f
        for f in changed.fulfilments
        if f.status.upper() == "SUCCESS"
        and (f.external_id not in sent or next(iter(f.tracking_numbers), None) != sent[f.external_id])
    ]
    if unsent:
        write(
            ctx,
            lambda s: enqueue(
                s,
                service.SHIP_JOB,
                merchant_id=connection.merchant_id,
                payload={"connection_id": shop_id, "order_id": order_id},
                identity_key=f"{service.SHIP_JOB}:{order_id}",
            ),
        )
