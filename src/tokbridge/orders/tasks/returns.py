"""Returns and refunds: TikTok's returns read in, the merchant's decision sent to TikTok, returned units put
back in store stock, and TikTok's refund recorded on the store order."""

from __future__ import annotations

import logging

from tokbridge.catalog.tasks import with_store
from tokbridge.channels import registry
from tokbridge.channels.base import STOCK_RESTOCK, RefundItem
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.tiktok import errors as tiktok_errors
from tokbridge.channels.tiktok import models as m
from tokbridge.jobs.registry import job_handler
from tokbridge.jobs.runner import JobContext
from tokbridge.kit.errors import NotFound, PermanentError, RefusedWithFix, RetryableError
from tokbridge.orders import service
from tokbridge.orders import status as statuses
from tokbridge.orders.repository import OrderRepository
from tokbridge.orders.tasks.common import adjust_store_stock, job_shop, shop_store, tiktok_api, write

log = logging.getLogger(__name__)


def sync_returns_of(ctx: JobContext, connection: ChannelConnection, order_id: str) -> None:
    found = list(tiktok_api(ctx, connection).iter_returns(m.ReturnSearch(order_ids=[order_id])))

    def save(session):
        order = OrderRepository(session).by_tiktok_id(connection.id, order_id)
        for record in found:
            service.apply_return(session, connection, order, record.model_dump(mode="json"))

    write(ctx, save)


def _shop_and_store_of_return(session, return_id: int) -> tuple[str | None, str | None]:
    """The TikTok shop of a return, and the store holding its order (None: not recorded)."""
    repository = OrderRepository(session)
    row = repository.return_row(return_id)
    if row is None:
        return None, None
    order = repository.get(row.order_id) if row.order_id is not None else None
    return row.connection_id, order.store_connection_id if order is not None else None


@job_handler(service.RETURNS_JOB, title="Refresh TikTok returns and refunds")
def sync_returns(ctx: JobContext) -> None:
    """payload: {connection_id}: every return the TikTok shop lists (the Returns page's refresh)."""
    connection = job_shop(ctx, ctx.payload.get("connection_id")).shop
    found = list(tiktok_api(ctx, connection).iter_returns(m.ReturnSearch()))

    def save(session):
        repository = OrderRepository(session)
        for record in found:
            order = repository.by_tiktok_id(connection.id, record.order_id)
            service.apply_return(session, connection, order, record.model_dump(mode="json"))

    write(ctx, save)


@job_handler(service.RESTOCK_RETURN_JOB, title="Restock returned items in the store")
def restock_return(ctx: JobContext) -> None:
    """payload: {return_id}: add the returned units back to store stock, once (an idempotency key per
    return; the row is marked restocked after). The new level flows to TikTok like any stock change."""
    return_id = int(ctx.payload["return_id"])
    with ctx.session() as session:
        restock = service.restock_changes(session, return_id)
        connection_id, held_by = _shop_and_store_of_return(session, return_id)
    if restock is None:
        return
    if restock.changes:
        store_connection = shop_store(
            ctx, job_shop(ctx, connection_id), "the returned items could not be restocked", held_by
        )
        adjust_store_stock(
            ctx,
            store_connection,
            restock.changes,
            reason=STOCK_RESTOCK,
            idempotency_key=f"tokbridge-return-{return_id}",
        )
    write(ctx, lambda session: service.mark_restocked(session, return_id, restock.not_restocked))


@job_handler(service.DECIDE_RETURN_JOB, title="Answer a buyer's return")
def decide_return(ctx: JobContext) -> None:
    """payload: {return_id, decision, reject_reason?}: the merchant's decision sent to TikTok (one
    idempotency key per return and decision), then the return read back as TikTok has it now. A refusal is
    kept on the return, in plain words, for the order page."""
    return_id = int(ctx.payload["return_id"])
    decision, reject_reason = ctx.payload["decision"], ctx.payload.get("reject_reason")
    with ctx.session() as session:
        row = OrderRepository(session).return_row(return_id)
        if row is None:
            return
        tiktok_return_id, tiktok_order_id, connection_id = row.tiktok_return_id, row.tiktok_order_id, row.connection_id
    connection = job_shop(ctx, connection_id).shop
    client = tiktok_api(ctx, connection)
    key = f"tokbridge-return-{tiktok_return_id}-{decision.lower()}"
    refusal = None
    try:
        if decision.startswith("APPROVE"):
            client.approve_return(tiktok_return_id, decision=decision, idempotency_key=key)
        else:
            client.reject_return(tiktok_return_id, decision=decision, reject_reason=reject_reason, idempotency_key=key)
    except tiktok_errors.TikTokError as exc:
        if isinstance(exc, RetryableError):
            raise
        log.info("TikTok refused %s of return %s: %s %s", decision, tiktok_return_id, exc.code, exc.message)
        refusal = statuses.return_refusal(exc.code, exc.message)
    sync_returns_of(ctx, connection, tiktok_order_id)
    if refusal:

        def keep(session):
            row = OrderRepository(session).return_row(return_id)
            if row is not None:  # deleted with its merchant meanwhile
                row.last_error = refusal

        write(ctx, keep)
        raise PermanentError(refusal)


@job_handler(service.REFUND_IN_STORE_JOB, title="Record a TikTok refund on the store order")
def refund_in_store(ctx: JobContext) -> None:
    """payload: {return_id}: TikTok refunded the buyer; the store order gets a refund of those items, once
    (an idempotency key per return; the refund's id is kept after)."""
    return_id = int(ctx.payload["return_id"])
    with ctx.session() as session:
        refund = service.store_refund(session, return_id)
        connection_id, held_by = _shop_and_store_of_return(session, return_id)
    if refund is None:
        return
    store_connection = shop_store(
        ctx, job_shop(ctx, connection_id), "TikTok's refund could not be recorded there", held_by
    )
    store_name = registry.plugin_of(store_connection).display_name
    items = [
        RefundItem(quantity=quantity, variant_external_id=variant, sku=sku) for variant, sku, quantity in refund.items
    ]
    try:
        refund_id = with_store(
            ctx.settings,
            store_connection,
            lambda store: store.refund_order(
                refund.store_order_id, items, note=refund.note, idempotency_key=f"tokbridge-refund-{return_id}"
            ),
        )
    except RefusedWithFix as exc:
        reasons = "; ".join(reason.rstrip(".") for reason in exc.reasons)
        raise PermanentError(f"{store_name} refused to record TikTok's refund on the store order: {reasons}.") from exc
    except NotFound as exc:
        raise PermanentError(
            "The refunded items are no longer on the store order, so TikTok's refund could not be "
            f"recorded there. Record it in {store_name} by hand."
        ) from exc
    write(ctx, lambda session: service.mark_refunded_in_store(session, return_id, refund_id))
