"""Shipping: the store's fulfilments of an order sent to TikTok as packages with their tracking (a changed
tracking number updated), the carrier mapped to one of TikTok's shipping providers."""

from __future__ import annotations

import threading
import time

from tokbridge.catalog.tasks import with_store
from tokbridge.channels import registry
from tokbridge.channels.base import Fulfilment
from tokbridge.channels.factory import tiktok_client
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.tiktok import errors as tiktok_errors
from tokbridge.db.engine import get_engine
from tokbridge.jobs.registry import job_handler
from tokbridge.jobs.runner import JobContext
from tokbridge.kit.errors import RetryableError
from tokbridge.orders import carriers, service
from tokbridge.orders import status as statuses
from tokbridge.orders.models import Order, ShipmentState, StoreSync
from tokbridge.orders.models import Shipment as ShipmentRow
from tokbridge.orders.repository import OrderRepository
from tokbridge.orders.tasks.common import fetch_and_apply, job_shop, shop_store, tiktok_api, write

ALREADY_SHIPPED = 21011006
# SEA and LATAM shops ship a package (Ship Package); elsewhere the order is marked shipped.
SHIP_PACKAGE_REGIONS = frozenset({"MY", "SG", "TH", "VN", "PH", "ID", "MX", "BR"})


_providers_cache: dict[tuple[str, str], tuple[float, list[tuple[str, str]]]] = {}
_providers_lock = threading.Lock()
PROVIDERS_TTL_SECONDS = 600
# Line items no longer waiting to ship (TikTok's display statuses).
SHIPPED_LINES = frozenset({"CANCELLED", "AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED"})


def shipping_providers(
    settings, connection: ChannelConnection, delivery_option_id: str | None
) -> list[tuple[str, str]]:
    """TikTok's shipping providers (id, name) for a delivery option, cached per process for ten minutes:
    the ship job maps a carrier to one of them, and the order page offers them for an order kept here."""
    if not delivery_option_id:
        return []
    key = (connection.id, delivery_option_id)
    with _providers_lock:
        cached = _providers_cache.get(key)
    if cached and time.monotonic() - cached[0] < PROVIDERS_TTL_SECONDS:
        return cached[1]
    client = tiktok_client(settings, get_engine(settings.database_url), connection)
    found = [(p.id, p.name) for p in client.get_shipping_providers(delivery_option_id)]
    with _providers_lock:
        _providers_cache[key] = (time.monotonic(), found)
    return found


def _providers(ctx: JobContext, connection: ChannelConnection, delivery_option_id: str | None) -> list[tuple[str, str]]:
    return shipping_providers(ctx.settings, connection, delivery_option_id)


@job_handler(service.SHIP_JOB, title="Send tracking to TikTok")
def ship(ctx: JobContext) -> None:
    """payload: {order_id}: every store fulfilment of the order not yet on TikTok is sent as a package
    (its line items only, so partial shipments stay partial); a changed tracking number is updated. An order
    kept in TokBridge has no store fulfilments: its shipment is the one the merchant entered (payload
    `carrier` and `tracking_number`, else the entry a Retry sends again)."""
    order_id = ctx.payload["order_id"]
    with ctx.session() as session:
        repository = OrderRepository(session)
        order = repository.get(order_id)
        if order is None or not (order.store_order_id or order.store_sync == StoreSync.KEPT):
            return
        kept = order.store_sync == StoreSync.KEPT and not order.store_order_id
        snapshot = _OrderSnapshot(order, repository)
    shop = job_shop(ctx, snapshot.connection_id)
    connection = shop.shop
    if kept:
        _ship_kept(ctx, connection, snapshot)
        return
    store_connection = shop_store(
        ctx, shop, "its shipments cannot be read from the store", snapshot.store_connection_id
    )
    snapshot.store_name = registry.plugin_of(store_connection).display_name
    store_order_id = snapshot.store_order_id
    assert store_order_id is not None  # not kept: the order is in the store
    fulfilments = with_store(
        ctx.settings, store_connection, lambda store: store.order_fulfilments(store_order_id)
    ).fulfilments
    providers = _providers(ctx, connection, snapshot.delivery_option_id)
    client = tiktok_api(ctx, connection)
    for fulfilment in fulfilments:
        if fulfilment.status.upper() != "SUCCESS":
            continue
        _send_fulfilment(ctx, client, connection, snapshot, fulfilment, providers)


def _ship_kept(ctx: JobContext, connection: ChannelConnection, snapshot: _OrderSnapshot) -> None:
    """The merchant's shipment of an order kept in TokBridge, sent with the same calls as a store fulfilment:
    every item still to ship in one package, the carrier mapped to one of TikTok's providers; then the order
    is read back from TikTok, so it shows as shipped at once."""
    entered = snapshot.shipments.get(service.KEPT_SHIPMENT)
    carrier = ctx.payload.get("carrier") or (entered[5] if entered else None)
    tracking = ctx.payload.get("tracking_number") or (entered[2] if entered else None)
    if not tracking or not carrier:
        return  # nothing entered (a Retry of something else)
    providers = _providers(ctx, connection, snapshot.delivery_option_id)
    names = dict(providers)
    fulfilment = Fulfilment(
        external_id=service.KEPT_SHIPMENT,
        status="SUCCESS",
        tracking_company=names.get(carrier, carrier),
        tracking_numbers=[tracking],
    )
    client = tiktok_api(ctx, connection)
    open_lines = [
        line[1] for line in snapshot.lines if line[5] is None and (line[4] or "").upper() not in SHIPPED_LINES
    ]
    _send_fulfilment(ctx, client, connection, snapshot, fulfilment, providers, line_ids=open_lines, kept=True)
    fetch_and_apply(ctx, connection, [snapshot.tiktok_order_id])


class _OrderSnapshot:
    """What the ship job needs of an order, read in one short transaction."""

    def __init__(self, order: Order, repository: OrderRepository):
        self.order_id = order.id
        self.tiktok_order_id = order.tiktok_order_id
        self.connection_id = order.connection_id
        self.store_order_id = order.store_order_id
        self.store_connection_id = order.store_connection_id
        self.delivery_option_id = (order.raw or {}).get("delivery_option_id")
        self.lines = [
            (line.id, line.tiktok_line_id, line.variant_id, line.seller_sku, line.display_status, line.shipment_id)
            for line in repository.lines(order.id)
        ]
        self.variant_external = repository.variant_external_ids([line[2] for line in self.lines if line[2]])
        self.shipments = {
            s.store_fulfillment_id: (
                s.id,
                s.state,
                s.tracking_number,
                s.tiktok_package_id,
                list(s.tiktok_line_ids or []),
                s.tracking_company,
                s.shipping_provider_id,
            )
            for s in repository.shipments(order.id)
        }
        self.carrier_map = dict(
            repository.settings(order.merchant_id, order.connection_id, create=False).carrier_map or {}
        )
        self.store_name = "the store"


def _lines_for(snapshot: _OrderSnapshot, fulfilment) -> list[str]:
    """TikTok line items shipped by a store fulfilment: per store line (one per SKU), as many units as shipped."""
    taken = {line_id for s in snapshot.shipments.values() if s[1] == ShipmentState.SENT for line_id in s[4]}
    open_lines = [
        line for line in snapshot.lines if line[4] != "CANCELLED" and line[1] not in taken and line[5] is None
    ]
    chosen: list[str] = []
    for shipped in fulfilment.lines:
        matching = [
            line
            for line in open_lines
            if line[1] not in chosen
            and (
                (line[2] and snapshot.variant_external.get(line[2]) == shipped.variant_external_id)
                or (not line[2] and shipped.sku and line[3] == shipped.sku)
            )
        ]
        chosen += [line[1] for line in matching[: shipped.quantity]]
    return chosen


def _send_fulfilment(
    ctx,
    client,
    connection,
    snapshot: _OrderSnapshot,
    fulfilment,
    providers,
    line_ids: list[str] | None = None,
    kept: bool = False,
) -> None:
    """One fulfilment to TikTok: shipped as a package, or its package's tracking corrected. `line_ids`: the
    TikTok line items it ships (else matched from the fulfilment's store lines); `kept`: entered by the
    merchant in TokBridge (the words then point at the order page, not at the store)."""
    existing = snapshot.shipments.get(fulfilment.external_id)
    tracking = fulfilment.tracking_numbers[0] if fulfilment.tracking_numbers else None
    provider_id = carriers.provider_for(fulfilment.tracking_company, providers, snapshot.carrier_map)
    if existing and existing[1] == ShipmentState.SENT:
        changed = tracking != existing[2] or (kept and provider_id != existing[6])
        if tracking and provider_id and changed and existing[3]:
            try:
                client.update_package_shipping_info(
                    existing[3], tracking_number=tracking, shipping_provider_id=provider_id
                )
            except tiktok_errors.TikTokError as exc:
                if isinstance(exc, RetryableError):
                    raise
                refusal = statuses.shipping_refusal(exc.code, exc.message)
                message = f"The tracking number {tracking} was not sent: {refusal} TikTok keeps {existing[2]}."
                write(ctx, lambda s: _keep_refusal(s, existing[0], message))
                return
            write(
                ctx,
                lambda s: _save_shipment(
                    s, snapshot, fulfilment, tracking, provider_id, existing[4], ShipmentState.SENT, None, existing[3]
                ),
            )
        elif kept and changed and provider_id is None:
            message = f"The tracking number {tracking} was not sent: {_no_provider(fulfilment, providers, kept)}"
            write(ctx, lambda s: _keep_refusal(s, existing[0], message))
        return
    if line_ids is None:
        line_ids = existing[4] if existing and existing[4] else _lines_for(snapshot, fulfilment)
    problem = None
    if not tracking:
        problem = (
            f"The store fulfilment has no tracking number: add one in {snapshot.store_name} and TokBridge sends it."
        )
    elif provider_id is None:
        problem = _no_provider(fulfilment, providers, kept)
    elif not line_ids:
        problem = (
            "None of the order's items is still waiting to ship on TikTok."
            if kept
            else "None of the fulfilled items is still waiting to ship on TikTok."
        )
    if problem:
        write(
            ctx,
            lambda s: _save_shipment(
                s, snapshot, fulfilment, tracking, provider_id, line_ids, ShipmentState.FAILED, problem, None
            ),
        )
        return
    write(
        ctx,
        lambda s: _save_shipment(
            s, snapshot, fulfilment, tracking, provider_id, line_ids, ShipmentState.PENDING, None, None
        ),
    )
    package_id = None
    try:
        if (connection.region or "").upper() in SHIP_PACKAGE_REGIONS:
            package_id = _package_of(ctx, snapshot, line_ids)
            client.ship_package(package_id, tracking_number=tracking, shipping_provider_id=provider_id)
        else:
            shipped = client.mark_package_shipped(
                snapshot.tiktok_order_id,
                tracking_number=tracking,
                shipping_provider_id=provider_id,
                order_line_item_ids=line_ids,
            )
            package_id = shipped.package_id
    except tiktok_errors.TikTokError as exc:
        if isinstance(exc, RetryableError):
            raise
        if exc.code != ALREADY_SHIPPED:
            message = (
                statuses.shipping_refusal(exc.code, exc.message)
                if kept
                else f"TikTok refused the shipment: {exc.message}"
            )
            write(
                ctx,
                lambda s: _save_shipment(
                    s, snapshot, fulfilment, tracking, provider_id, line_ids, ShipmentState.FAILED, message, None
                ),
            )
            return
        # Shipped by an earlier attempt whose answer was lost: keep the package it made, which a later
        # tracking change is sent to.
        package_id = package_id or _shipped_package(client, snapshot.tiktok_order_id, line_ids)
    write(
        ctx,
        lambda s: _save_shipment(
            s, snapshot, fulfilment, tracking, provider_id, line_ids, ShipmentState.SENT, None, package_id
        ),
    )


def _no_provider(fulfilment, providers, kept: bool) -> str:
    offered = ", ".join(name for _, name in providers) or "none"
    if kept:
        return (
            f"TikTok has no shipping provider called {fulfilment.tracking_company!r} for this order: it offers "
            f"{offered}. Choose one of them and enter the tracking number again."
        )
    return (
        f"No TikTok shipping provider matches the carrier {fulfilment.tracking_company or '(none)'!r}: "
        f"for this order TikTok offers {offered}. In Order settings, add a line naming the one your "
        f"carrier is, then press Retry."
    )


def _keep_refusal(session, shipment_id: int, message: str) -> None:
    """A correction TikTok did not take: the shipment stays as TikTok has it, the reason beside it."""
    row = session.get(ShipmentRow, shipment_id)
    if row is not None:
        row.last_error = message


def _shipped_package(client, tiktok_order_id: str, line_ids: list[str]) -> str | None:
    """The package TikTok holds these line items in, read back from the order."""
    for order in client.get_orders([tiktok_order_id]):
        for item in order.line_items:
            if item.id in line_ids and item.package_id:
                return item.package_id
    return None


def _package_of(ctx: JobContext, snapshot: _OrderSnapshot, line_ids: list[str]) -> str:
    with ctx.session() as session:
        lines = [line for line in OrderRepository(session).lines(snapshot.order_id) if line.tiktok_line_id in line_ids]
        package = next((line.package_id for line in lines if line.package_id), None)
    if package is None:
        raise RetryableError("TikTok has not assigned the package yet", retry_after=30)
    return package


def _save_shipment(
    session, snapshot: _OrderSnapshot, fulfilment, tracking, provider_id, line_ids, state, error, package_id
) -> None:
    repository = OrderRepository(session)
    row = repository.shipment(snapshot.order_id, fulfilment.external_id)
    order = repository.get(snapshot.order_id)
    if order is None:  # deleted with its merchant meanwhile
        return
    if row is None:
        row = ShipmentRow(merchant_id=order.merchant_id, order_id=order.id, store_fulfillment_id=fulfilment.external_id)
        session.add(row)
    row.tracking_number = tracking
    row.tracking_company = fulfilment.tracking_company
    row.shipping_provider_id = provider_id
    row.store_line_items = [{"id": line.line_item_external_id, "quantity": line.quantity} for line in fulfilment.lines]
    row.tiktok_line_ids = list(line_ids)
    row.state = state
    row.last_error = error
    row.tiktok_package_id = package_id or row.tiktok_package_id
    session.flush()
    if state == ShipmentState.SENT:
        for line in repository.lines(order.id):
            if line.tiktok_line_id in line_ids:
                line.shipment_id = row.id
                line.tracking_number = tracking
        order.last_error = None
    elif state == ShipmentState.FAILED:
        order.last_error = error
