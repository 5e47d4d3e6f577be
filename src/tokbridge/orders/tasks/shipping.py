"""Shipping: the store's fulfilments of an order sent to TikTok as packages with their tracking (a changed
tracking number updated), the carrier mapped to one of TikTok's shipping providers."""

from __future__ import annotations

import threading
import time

from tokbridge.catalog.tasks import with_store
from tokbridge.channels import registry
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.tiktok import errors as tiktok_errors
from tokbridge.jobs.registry import job_handler
from tokbridge.jobs.runner import JobContext
from tokbridge.kit.errors import RetryableError
from tokbridge.orders import carriers, service
from tokbridge.orders.models import Order, ShipmentState
from tokbridge.orders.models import Shipment as ShipmentRow
from tokbridge.orders.repository import OrderRepository
from tokbridge.orders.tasks.common import job_shop, shop_store, tiktok_api, write

ALREADY_SHIPPED = 21011006
# SEA and LATAM shops ship a package (Ship Package); elsewhere the order is marked shipped.
SHIP_PACKAGE_REGIONS = frozenset({"MY", "SG", "TH", "VN", "PH", "ID", "MX", "BR"})


_providers_cache: dict[tuple[str, str], tuple[float, list[tuple[str, str]]]] = {}
_providers_lock = threading.Lock()
PROVIDERS_TTL_SECONDS = 600


def _providers(ctx: JobContext, connection: ChannelConnection, delivery_option_id: str | None) -> list[tuple[str, str]]:
    """TikTok's shipping providers for a delivery option, cached per process for ten minutes."""
    if not delivery_option_id:
        return []
    key = (connection.id, delivery_option_id)
    with _providers_lock:
        cached = _providers_cache.get(key)
    if cached and time.monotonic() - cached[0] < PROVIDERS_TTL_SECONDS:
        return cached[1]
    found = [(p.id, p.name) for p in tiktok_api(ctx, connection).get_shipping_providers(delivery_option_id)]
    with _providers_lock:
        _providers_cache[key] = (time.monotonic(), found)
    return found


@job_handler(service.SHIP_JOB, title="Send tracking to TikTok")
def ship(ctx: JobContext) -> None:
    """payload: {order_id}: every store fulfilment of the order not yet on TikTok is sent as a package
    (its line items only, so partial shipments stay partial); a changed tracking number is updated."""
    order_id = ctx.payload["order_id"]
    with ctx.session() as session:
        repository = OrderRepository(session)
        order = repository.get(order_id)
        if order is None or not order.store_order_id:
            return
        snapshot = _OrderSnapshot(order, repository)
    shop = job_shop(ctx, snapshot.connection_id)
    connection = shop.shop
    store_connection = shop_store(ctx, shop, "its shipments cannot be read from the store",
                                  snapshot.store_connection_id)
    snapshot.store_name = registry.plugin_of(store_connection).display_name
    fulfilments = with_store(ctx.settings, store_connection,
                             lambda store: store.order_fulfilments(snapshot.store_order_id)).fulfilments
    providers = _providers(ctx, connection, snapshot.delivery_option_id)
    client = tiktok_api(ctx, connection)
    for fulfilment in fulfilments:
        if fulfilment.status.upper() != "SUCCESS":
            continue
        _send_fulfilment(ctx, client, connection, snapshot, fulfilment, providers)


class _OrderSnapshot:
    """What the ship job needs of an order, read in one short transaction."""

    def __init__(self, order: Order, repository: OrderRepository):
        self.order_id = order.id
        self.tiktok_order_id = order.tiktok_order_id
        self.connection_id = order.connection_id
        self.store_order_id = order.store_order_id
        self.store_connection_id = order.store_connection_id
        self.delivery_option_id = (order.raw or {}).get("delivery_option_id")
        self.lines = [(line.id, line.tiktok_line_id, line.variant_id, line.seller_sku, line.display_status,
                       line.shipment_id) for line in repository.lines(order.id)]
        self.variant_external = repository.variant_external_ids([line[2] for line in self.lines if line[2]])
        self.shipments = {s.store_fulfillment_id: (s.id, s.state, s.tracking_number, s.tiktok_package_id,
                                                   list(s.tiktok_line_ids or [])) for s in repository.shipments(order.id)}
        self.carrier_map = dict(repository.settings(order.merchant_id, order.connection_id, create=False).carrier_map or {})
        self.store_name = "the store"


def _lines_for(snapshot: _OrderSnapshot, fulfilment) -> list[str]:
    """TikTok line items shipped by a store fulfilment: per store line (one per SKU), as many units as shipped."""
    taken = {line_id for s in snapshot.shipments.values() if s[1] == ShipmentState.SENT for line_id in s[4]}
    open_lines = [line for line in snapshot.lines
                  if line[4] != "CANCELLED" and line[1] not in taken and line[5] is None]
    chosen: list[str] = []
    for shipped in fulfilment.lines:
        matching = [line for line in open_lines if line[1] not in chosen and (
            (line[2] and snapshot.variant_external.get(line[2]) == shipped.variant_external_id)
            or (not line[2] and shipped.sku and line[3] == shipped.sku))]
        chosen += [line[1] for line in matching[: shipped.quantity]]
    return chosen


def _send_fulfilment(ctx, client, connection, snapshot: _OrderSnapshot, fulfilment, providers) -> None:
    existing = snapshot.shipments.get(fulfilment.external_id)
    tracking = fulfilment.tracking_numbers[0] if fulfilment.tracking_numbers else None
    provider_id = carriers.provider_for(fulfilment.tracking_company, providers, snapshot.carrier_map)
    if existing and existing[1] == ShipmentState.SENT:
        if tracking and provider_id and tracking != existing[2] and existing[3]:
            client.update_package_shipping_info(existing[3], tracking_number=tracking, shipping_provider_id=provider_id)
            write(ctx, lambda s: _save_shipment(s, snapshot, fulfilment, tracking, provider_id, existing[4],
                                                 ShipmentState.SENT, None, existing[3]))
        return
    line_ids = existing[4] if existing and existing[4] else _lines_for(snapshot, fulfilment)
    problem = None
    if not tracking:
        problem = (f"The store fulfilment has no tracking number: add one in {snapshot.store_name} and TokBridge "
                   "sends it.")
    elif provider_id is None:
        offered = ", ".join(name for _, name in providers) or "none"
        problem = (f"No TikTok shipping provider matches the carrier {fulfilment.tracking_company or '(none)'!r}: "
                   f"for this order TikTok offers {offered}. In Order settings, add a line naming the one your "
                   f"carrier is, then press Retry.")
    elif not line_ids:
        problem = "None of the fulfilled items is still waiting to ship on TikTok."
    if problem:
        write(ctx, lambda s: _save_shipment(s, snapshot, fulfilment, tracking, provider_id, line_ids,
                                             ShipmentState.FAILED, problem, None))
        return
    write(ctx, lambda s: _save_shipment(s, snapshot, fulfilment, tracking, provider_id, line_ids,
                                         ShipmentState.PENDING, None, None))
    package_id = None
    try:
        if (connection.region or "").upper() in SHIP_PACKAGE_REGIONS:
            package_id = _package_of(ctx, snapshot, line_ids)
            client.ship_package(package_id, tracking_number=tracking, shipping_provider_id=provider_id)
        else:
            shipped = client.mark_package_shipped(snapshot.tiktok_order_id, tracking_number=tracking,
                                                  shipping_provider_id=provider_id, order_line_item_ids=line_ids)
            package_id = shipped.package_id
    except tiktok_errors.TikTokError as exc:
        if isinstance(exc, RetryableError):
            raise
        if exc.code != ALREADY_SHIPPED:
            message = f"TikTok refused the shipment: {exc.message}"
            write(ctx, lambda s: _save_shipment(s, snapshot, fulfilment, tracking, provider_id, line_ids,
                                                 ShipmentState.FAILED, message, None))
            return
        # Shipped by an earlier attempt whose answer was lost: keep the package it made, which a later
        # tracking change is sent to.
        package_id = package_id or _shipped_package(client, snapshot.tiktok_order_id, line_ids)
    write(ctx, lambda s: _save_shipment(s, snapshot, fulfilment, tracking, provider_id, line_ids,
                                         ShipmentState.SENT, None, package_id))


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


def _save_shipment(session, snapshot: _OrderSnapshot, fulfilment, tracking, provider_id, line_ids, state, error,
                   package_id) -> None:
    repository = OrderRepository(session)
    row = repository.shipment(snapshot.order_id, fulfilment.external_id)
    order = repository.get(snapshot.order_id)
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
