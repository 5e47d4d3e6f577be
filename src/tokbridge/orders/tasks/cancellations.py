"""Cancellations both ways: the merchant's cancel sent to TikTok, a TikTok cancellation carried to the store
(its order cancelled, or the stock an order kept in TokBridge took given back), buyers' requests answered."""

from __future__ import annotations

import logging

from tokbridge.catalog.tasks import with_store
from tokbridge.channels.base import CANCELLED_BY_BUYER, CANCELLED_OTHERWISE, STOCK_RESTOCK
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.tiktok import errors as tiktok_errors
from tokbridge.channels.tiktok import models as m
from tokbridge.jobs.registry import job_handler
from tokbridge.jobs.runner import JobContext
from tokbridge.kit.errors import PermanentError, RefusedWithFix, RetryableError
from tokbridge.orders import service
from tokbridge.orders import status as statuses
from tokbridge.orders.models import StoreSync
from tokbridge.orders.repository import OrderRepository
from tokbridge.orders.store_states import keeps_order_states
from tokbridge.orders.tasks.common import (
    adjust_store_stock,
    fetch_and_apply,
    job_shop,
    record_store_outcome,
    shop_store,
    tiktok_api,
    write,
)

log = logging.getLogger(__name__)


def sync_cancellations(ctx: JobContext, connection: ChannelConnection, order_id: str) -> None:
    found = list(tiktok_api(ctx, connection).iter_cancellations(m.CancellationSearch(order_ids=[order_id])))

    def save(session):
        order = OrderRepository(session).by_tiktok_id(connection.id, order_id)
        for cancellation in found:
            service.apply_cancellation(session, connection, order, cancellation.model_dump(mode="json"))

    write(ctx, save)


@job_handler(service.CANCEL_IN_STORE_JOB, title="Cancel a TikTok order in the store", visible=False)
def cancel_in_store(ctx: JobContext) -> None:
    order_id = ctx.payload["order_id"]
    with ctx.session() as session:
        order = OrderRepository(session).get(order_id)
        kept = order is not None and order.store_sync == StoreSync.KEPT
        if order is None or not (order.store_order_id or kept) or order.store_cancelled:
            return
        connection_id, held_by = order.connection_id, order.store_connection_id
        settings = OrderRepository(session).settings(ctx.required_merchant_id, connection_id, create=False)
        restock, cancelled_state = settings.restock_on_cancel, settings.cancelled_state
        store_order_id, by_buyer = order.store_order_id, (order.cancelled_by or "").upper() == "BUYER"
        returned = service.stock_to_give_back(session, order_id) if kept and restock else None
    store_connection = shop_store(ctx, job_shop(ctx, connection_id), "the store order could not be cancelled", held_by)
    error = None
    try:
        if kept:
            # No store order to cancel: the stock the order took goes back, once.
            if returned is not None and returned.changes:
                adjust_store_stock(
                    ctx,
                    store_connection,
                    returned.changes,
                    reason=STOCK_RESTOCK,
                    idempotency_key=f"tokbridge-order-{order_id}-cancelled",
                )
        else:
            assert store_order_id is not None  # not kept: the order is in the store
            # A store whose orders carry a state moves it to the merchant's cancelled state (None: its own).
            with_store(
                ctx.settings,
                store_connection,
                lambda store: store.cancel_order(
                    store_order_id,
                    reason=CANCELLED_BY_BUYER if by_buyer else CANCELLED_OTHERWISE,
                    restock=restock,
                    state_external_id=cancelled_state if keeps_order_states(store_connection) else None,
                ),
            )
    except RefusedWithFix as exc:
        if "already" not in str(exc).lower():
            error = f"The store refused to cancel its order: {exc}"

    record_store_outcome(ctx, order_id, error, "store_cancelled")


@job_handler(service.CANCEL_JOB, title="Cancel a TikTok order")
def cancel(ctx: JobContext) -> None:
    """payload: {order_id, reason}: the merchant's cancel, on TikTok first, then in the store."""
    order_id = ctx.payload["order_id"]
    with ctx.session() as session:
        order = OrderRepository(session).get(order_id)
        if order is None:
            return
        tiktok_order_id, connection_id = order.tiktok_order_id, order.connection_id
        already = order.tiktok_status in statuses.CANCELLED
    connection = job_shop(ctx, connection_id).shop
    if not already:
        try:
            tiktok_api(ctx, connection).cancel_order(
                m.CancelOrderInput(order_id=tiktok_order_id, cancel_reason=ctx.payload["reason"])
            )
        except tiktok_errors.TikTokError as exc:
            if isinstance(exc, RetryableError):
                raise
            message = f"TikTok refused the cancellation: {exc.message}"
            write(ctx, lambda s: setattr(OrderRepository(s).get(order_id), "last_error", message))
            raise PermanentError(message) from exc
    # The order as TikTok has it now; its cancelled status queues the store's cancellation.
    fetch_and_apply(ctx, connection, [tiktok_order_id])


@job_handler(service.DECIDE_JOB, title="Answer a buyer's cancellation request")
def decide_cancellation(ctx: JobContext) -> None:
    cancellation_id = ctx.payload["cancellation_id"]
    with ctx.session() as session:
        row = OrderRepository(session).cancellation(cancellation_id)
        if row is None:
            return
        cancel_id, tiktok_order_id, connection_id = row.tiktok_cancel_id, row.tiktok_order_id, row.connection_id
    connection = job_shop(ctx, connection_id).shop
    client = tiktok_api(ctx, connection)
    key = f"tokbridge-{cancel_id}-{'approve' if ctx.payload.get('approve') else 'reject'}"
    try:
        if ctx.payload.get("approve"):
            client.approve_cancellation(cancel_id, idempotency_key=key)
        else:
            client.reject_cancellation(cancel_id, reject_reason=ctx.payload["reject_reason"], idempotency_key=key)
    except tiktok_errors.TikTokError as exc:
        if isinstance(exc, RetryableError):
            raise
        raise PermanentError(f"TikTok refused the answer: {exc.message}") from exc
    fetch_and_apply(ctx, connection, [tiktok_order_id])
    sync_cancellations(ctx, connection, tiktok_order_id)
