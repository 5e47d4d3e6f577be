"""TikTok orders into the merchant's store: created there where the store accepts outside orders, else kept
in TokBridge with the store's stock lowered by what sold (the store's declared capabilities decide)."""

from __future__ import annotations

import logging

from tokbridge.catalog.tasks import with_store
from tokbridge.channels import registry
from tokbridge.channels.base import STOCK_CORRECTION
from tokbridge.channels.connections import ConnectionRepository
from tokbridge.channels.models import ChannelConnection
from tokbridge.jobs.registry import job_handler
from tokbridge.jobs.runner import JobContext
from tokbridge.kit.errors import PermanentError
from tokbridge.orders import service
from tokbridge.orders.mapper import in_store_currency, order_total, store_currency, to_new_order
from tokbridge.orders.money import to_minor
from tokbridge.orders.regions import UnknownCountry
from tokbridge.orders.repository import OrderRepository
from tokbridge.orders.tasks.common import adjust_store_stock, job_shop, write

log = logging.getLogger(__name__)


def _not_brought_in(session, job, message: str) -> None:
    """The store never took the order (it kept failing): Failed, with the reason and a Retry, not pending."""
    service.record_store_failure(
        session,
        int(job.payload["order_id"]),
        f"TokBridge could not create the order in your store: {message.rstrip('.')}. Retry it from the order page.",
    )


@job_handler(
    service.TO_STORE_JOB, title="Create a TikTok order in the store", visible=False, on_failure=_not_brought_in
)
def to_store(ctx: JobContext) -> None:
    """payload: {connection_id, order_id}. One at a time per order (identity key); the order goes to the
    store linked to ITS TikTok shop, which looks the order up by TikTok's id before creating, and the
    binding is written right after. An order sold in another currency than the store's reaches it in the
    store's: with the buyer's currency beside where the store records one (a presentment currency), else
    converted at the shop's rate, the note saying so. A store that takes no outside orders gets its stock
    lowered instead, and the order is kept in TokBridge."""
    order_id = ctx.payload["order_id"]
    plan = write(ctx, lambda s: service.prepare_for_store(s, order_id))
    if plan is None or plan.store_order_id:
        return
    shop = job_shop(ctx, plan.connection_id)
    store_connection = shop.store
    if store_connection is None:
        reason = f"No store is linked to the TikTok shop {shop.label}. Link its store in Settings, then retry."
        write(ctx, lambda s: service.record_store_failure(s, order_id, reason))
        return
    plugin = registry.plugin_of(store_connection)
    if not service.creates_orders_in_store(plugin.capabilities):
        _keep_in_tokbridge(ctx, store_connection, order_id)
        return
    try:
        new_order = to_new_order(plan.raw, plan.lines, plan.currency)
    except UnknownCountry as exc:
        log.warning(
            "order %s not sent to the store: TikTok's region %r has no store country",
            plan.tiktok_order_id,
            (plan.raw.get("recipient_address") or {}).get("region_code"),
        )
        reason = f"{exc}, then retry."
        write(ctx, lambda s: service.record_store_failure(s, order_id, reason))
        return
    conversion = store_currency(
        plan.currency, _store_currency(ctx, store_connection), shop.shop.price_rate, shop.shop.price_rate_from
    )
    if conversion.missing:
        reason = (
            f"This order is in {conversion.order_currency} and your store sells in "
            f"{conversion.store_currency}. Set the rate of the TikTok shop {shop.label} in Settings, "
            f"then retry."
        )
        write(ctx, lambda s: service.record_store_failure(s, order_id, reason))
        return
    new_order = in_store_currency(new_order, conversion, presentment=plugin.capabilities.presentment_currency)
    if plugin.capabilities.order_states:  # the merchant's mapped state for a new order (None: the store's paid one)
        with ctx.session() as session:
            new_order.state_external_id = (
                OrderRepository(session)
                .settings(ctx.required_merchant_id, plan.connection_id, create=False)
                .new_order_state
            )
    try:
        created = with_store(ctx.settings, store_connection, lambda store: store.create_order(new_order))
    except PermanentError as exc:
        log.warning("order %s could not be created in the store: %s", plan.tiktok_order_id, exc)
        reason = f"The store refused the order: {exc}"
        write(ctx, lambda s: service.record_store_failure(s, order_id, reason))
        return
    currency = (created.currency or new_order.currency).upper()
    total = to_minor(created.total, currency) if created.total is not None else order_total(new_order)
    side = service.StoreSide(store_connection.id, currency, total, conversion.rate)
    write(ctx, lambda s: service.bind_store_order(s, order_id, created.external_id, created.name, side))


def _store_currency(ctx: JobContext, store_connection: ChannelConnection) -> str:
    """The store's currency: as the last catalog import read it, else read from the store now (and kept)."""
    if store_connection.currency:
        return store_connection.currency
    code = str(with_store(ctx.settings, store_connection, lambda store: store.shop_details()["currency"])).upper()

    def remember(session):
        row = ConnectionRepository(session).get(store_connection.id)
        if row is not None and not row.currency:
            row.currency = code

    write(ctx, remember)
    return code


def _keep_in_tokbridge(ctx: JobContext, store_connection: ChannelConnection, order_id: int) -> None:
    """The store cannot hold the order: what it sold leaves the store's stock, once (one idempotency key per
    order), and the order stays in TokBridge, where shipping and cancelling it are handled."""
    sold = write(ctx, lambda s: service.take_stock_once(s, order_id))
    if sold.changes:
        adjust_store_stock(
            ctx, store_connection, sold.changes, reason=STOCK_CORRECTION, idempotency_key=f"tokbridge-order-{order_id}"
        )
    write(ctx, lambda s: service.keep_order(s, order_id, sold.not_restocked, store_connection.id))


@job_handler(service.RELEASE_JOB, title="Bring in orders that waited for the plan")
def release_waiting(ctx: JobContext) -> None:
    write(ctx, lambda s: service.release_waiting(s, ctx.required_merchant_id))
