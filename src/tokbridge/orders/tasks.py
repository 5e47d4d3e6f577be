"""Order jobs: intake from TikTok (webhooks and the periodic search), creation in the store, fulfilment
and tracking back to TikTok, cancellations both ways, cancellation requests, returns, the plan's waiting
orders. Each job reads in a short transaction, calls the APIs with none open, and records the outcome
in another; every step is safe to repeat (stale updates ignored, the store order bound right after
creation and looked up before creating, TikTok refusing to ship a package twice)."""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.exc import IntegrityError, OperationalError

from tokbridge.catalog.tasks import with_store
from tokbridge.channels.base import InventoryChange, RefundItem
from tokbridge.channels.connections import SHOPIFY, TIKTOK, ConnectionRepository
from tokbridge.channels.factory import tiktok_client
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.shopify import errors as shopify_errors
from tokbridge.channels.tiktok import errors as tiktok_errors
from tokbridge.channels.tiktok import models as m
from tokbridge.db.engine import for_writing, get_engine, session_scope, sessionmaker_for
from tokbridge.jobs.registry import job_handler, periodic
from tokbridge.jobs.repository import JobRepository
from tokbridge.jobs.runner import JobContext, run_job
from tokbridge.jobs.service import enqueue
from tokbridge.kit.errors import PermanentError, RetryableError
from tokbridge.kit.words import code_words
from tokbridge.orders import carriers, sales_rollup, service
from tokbridge.orders import status as statuses
from tokbridge.orders.mapper import to_new_order
from tokbridge.orders.models import Order, ShipmentState, StoreSync
from tokbridge.orders.models import Shipment as ShipmentRow
from tokbridge.orders.regions import UnknownCountry
from tokbridge.orders.repository import OrderRepository, active_tiktok_connections, merchants_with_orders_in
from tokbridge.tenancy.scoping import bind_merchant

log = logging.getLogger(__name__)

POLL_EVERY_SECONDS = 300
RECOUNT_SALES_EVERY_SECONDS = 60  # until then a changed day is summed live: only speed waits
# Searched again on each poll: updates TikTok indexes a little late are not missed.
POLL_OVERLAP_SECONDS = 120
ALREADY_SHIPPED = 21011006
# SEA and LATAM shops ship a package (Ship Package); elsewhere the order is marked shipped.
SHIP_PACKAGE_REGIONS = frozenset({"MY", "SG", "TH", "VN", "PH", "ID", "MX", "BR"})


def _tiktok(ctx: JobContext, connection_id: str | None = None) -> ChannelConnection:
    with ctx.session() as session:
        repository = ConnectionRepository(session)
        connection = repository.get(connection_id) if connection_id else repository.first(TIKTOK)
    if connection is None or connection.status != "active":
        raise PermanentError("The TikTok shop is no longer connected. Reconnect it and try again.")
    return connection


def _store_connection(ctx: JobContext) -> ChannelConnection | None:
    with ctx.session() as session:
        return ConnectionRepository(session).first(SHOPIFY)


def _client(ctx: JobContext, connection: ChannelConnection):
    return tiktok_client(ctx.settings, get_engine(ctx.settings.database_url), connection)


def _write(ctx: JobContext, work):
    """Run `work(session)` in one writing transaction and commit. Two jobs inserting the same new row
    (duplicate webhooks for a new order) collide on a unique key: the loser simply runs again."""
    try:
        with ctx.session() as session:
            for_writing(session)
            result = work(session)
            session.commit()
            return result
    except IntegrityError as exc:
        raise RetryableError("a concurrent update of the same order; trying again", retry_after=0.2) from exc
    except OperationalError as exc:
        if "locked" in str(exc) or "deadlock" in str(exc).lower():
            raise RetryableError("the database is busy; trying again", retry_after=0.5) from exc
        raise


def _fetch_and_apply(ctx: JobContext, connection: ChannelConnection, tiktok_order_ids: list[str]) -> list[int]:
    orders = _client(ctx, connection).get_orders(tiktok_order_ids)
    return [_write(ctx, lambda s, o=order: service.apply_tiktok_order(s, connection, _raw(o))).order_id
            for order in orders]


def _raw(order: m.Order) -> dict:
    return order.model_dump(mode="json", exclude_none=True)


# --- intake --------------------------------------------------------------------------------------------


def order_event(ctx: JobContext, connection: ChannelConnection, body: dict, event: str) -> bool:
    """A TikTok order, cancellation or return notification (from `inbox.process`): recorded at once when
    the notification says all there is to know, else an `orders.intake` job fetches the order."""
    data = body.get("data") or {}
    order_id = str(data.get("order_id") or "")
    if not order_id:
        return True

    def handle(session):
        if event == "order":
            if service.apply_notification(session, connection, data):
                return
            if service.is_known_and_current(session, connection.id, order_id, data.get("update_time"),
                                            data.get("order_status")):
                return
        return enqueue(session, service.INTAKE_JOB, merchant_id=connection.merchant_id,
                       payload={"connection_id": connection.id, "order_id": order_id, "event": event,
                                "update_time": data.get("update_time") if event == "order" else None,
                                "status": data.get("order_status") if event == "order" else None}).id

    _run_now(ctx, _write(ctx, handle))
    return True


def _run_now(ctx: JobContext, job_id: int | None) -> None:
    """Run a job just queued in this thread, rather than wait for a worker to pick it up: an order reaches
    the store without queueing three times. The claim is the usual conditional update, so a worker that
    got there first runs it instead, and a failure takes the job's ordinary retry path."""
    if job_id is not None:
        run_job(ctx.settings, job_id)


def _run_to_store(ctx: JobContext, order_ids: list[int]) -> None:
    with ctx.session() as session:
        repository = JobRepository(session)
        jobs = [repository.active_with_identity(f"{service.TO_STORE_JOB}:{order_id}") for order_id in order_ids]
        job_ids = [job.id for job in jobs if job is not None and job.state == "queued"]
    for job_id in job_ids:
        _run_now(ctx, job_id)


@job_handler(service.INTAKE_JOB, title="Bring in a TikTok order", visible=False)
def intake(ctx: JobContext) -> None:
    """payload: {connection_id, order_id, event?: order|cancellation|return, update_time?}"""
    connection = _tiktok(ctx, ctx.payload["connection_id"])
    order_id = str(ctx.payload["order_id"])
    event = ctx.payload.get("event", "order")
    if event == "order":
        with ctx.session() as session:
            if service.is_known_and_current(session, connection.id, order_id, ctx.payload.get("update_time"),
                                            ctx.payload.get("status")):
                return  # a repeated or late notification: the stored order is already as new
    _run_to_store(ctx, _fetch_and_apply(ctx, connection, [order_id]))
    if event == "cancellation":
        _sync_cancellations(ctx, connection, order_id)
    elif event == "return":
        _sync_returns(ctx, connection, order_id)


def _sync_cancellations(ctx: JobContext, connection: ChannelConnection, order_id: str) -> None:
    found = list(_client(ctx, connection).iter_cancellations(m.CancellationSearch(order_ids=[order_id])))

    def save(session):
        order = OrderRepository(session).by_tiktok_id(connection.id, order_id)
        for cancellation in found:
            service.apply_cancellation(session, connection, order, cancellation.model_dump(mode="json"))

    _write(ctx, save)


def _sync_returns(ctx: JobContext, connection: ChannelConnection, order_id: str) -> None:
    found = list(_client(ctx, connection).iter_returns(m.ReturnSearch(order_ids=[order_id])))

    def save(session):
        order = OrderRepository(session).by_tiktok_id(connection.id, order_id)
        for record in found:
            service.apply_return(session, connection, order, record.model_dump(mode="json"))

    _write(ctx, save)


@job_handler(service.RETURNS_JOB, title="Refresh TikTok returns and refunds")
def sync_returns(ctx: JobContext) -> None:
    """payload: {connection_id?}: every return TikTok lists (the Returns page's refresh)."""
    connection = _tiktok(ctx, ctx.payload.get("connection_id"))
    found = list(_client(ctx, connection).iter_returns(m.ReturnSearch()))

    def save(session):
        repository = OrderRepository(session)
        for record in found:
            order = repository.by_tiktok_id(connection.id, record.order_id)
            service.apply_return(session, connection, order, record.model_dump(mode="json"))

    _write(ctx, save)


@job_handler(service.RESTOCK_RETURN_JOB, title="Restock returned items in the store")
def restock_return(ctx: JobContext) -> None:
    """payload: {return_id}: add the returned units back to store stock, once (an idempotency key per
    return; the row is marked restocked after). The new level flows to TikTok like any stock change."""
    return_id = int(ctx.payload["return_id"])
    with ctx.session() as session:
        restock = service.restock_changes(session, return_id)
    if restock is None:
        return
    if restock.changes:
        store_connection = _store_connection(ctx)
        if store_connection is None:
            raise PermanentError("The store is no longer connected; connect it again to restock returns.")
        with_store(ctx.settings, store_connection, lambda store: store.adjust_inventory(
            [InventoryChange(item, location, quantity) for item, location, quantity in restock.changes],
            reason="restock", idempotency_key=f"tokbridge-return-{return_id}"))
    _write(ctx, lambda session: service.mark_restocked(session, return_id, restock.not_restocked))


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
    connection = _tiktok(ctx, connection_id)
    client = _client(ctx, connection)
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
    _sync_returns(ctx, connection, tiktok_order_id)
    if refusal:
        def keep(session):
            OrderRepository(session).return_row(return_id).last_error = refusal

        _write(ctx, keep)
        raise PermanentError(refusal)


@job_handler(service.REFUND_IN_STORE_JOB, title="Record a TikTok refund on the store order")
def refund_in_store(ctx: JobContext) -> None:
    """payload: {return_id}: TikTok refunded the buyer; the store order gets a refund of those items, once
    (an idempotency key per return; the refund's id is kept after)."""
    return_id = int(ctx.payload["return_id"])
    with ctx.session() as session:
        refund = service.store_refund(session, return_id)
    if refund is None:
        return
    store_connection = _store_connection(ctx)
    if store_connection is None:
        raise PermanentError("The store is no longer connected; connect it again to record TikTok's refund.")
    items = [RefundItem(quantity=quantity, variant_external_id=variant, sku=sku)
             for variant, sku, quantity in refund.items]
    try:
        refund_id = with_store(ctx.settings, store_connection, lambda store: store.refund_order(
            refund.store_order_id, items, note=refund.note, idempotency_key=f"tokbridge-refund-{return_id}"))
    except shopify_errors.ShopifyValidationError as exc:
        reasons = "; ".join(error.message.rstrip(".") for error in exc.user_errors)
        raise PermanentError(f"Shopify refused to record TikTok's refund on the store order: {reasons}.") from exc
    except shopify_errors.NotFound as exc:
        raise PermanentError("The refunded items are no longer on the store order, so TikTok's refund could not be "
                             "recorded there. Record it in Shopify by hand.") from exc
    _write(ctx, lambda session: service.mark_refunded_in_store(session, return_id, refund_id))


# --- into the store ------------------------------------------------------------------------------------


def _not_brought_in(session, job, message: str) -> None:
    """The store never took the order (it kept failing): Failed, with the reason and a Retry, not pending."""
    service.record_store_failure(session, int(job.payload["order_id"]),
                                 f"TokBridge could not create the order in your store: {message.rstrip('.')}. "
                                 f"Retry it from the order page.")


@job_handler(service.TO_STORE_JOB, title="Create a TikTok order in the store", visible=False,
             on_failure=_not_brought_in)
def to_store(ctx: JobContext) -> None:
    """payload: {order_id}. One at a time per order (identity key); the store adapter looks the order up
    by TikTok's id before creating, and the binding is written right after."""
    order_id = ctx.payload["order_id"]
    plan = _write(ctx, lambda s: service.prepare_for_store(s, order_id))
    if plan is None or plan.store_order_id:
        return
    store_connection = _store_connection(ctx)
    if store_connection is None:
        _write(ctx, lambda s: service.record_store_failure(s, order_id, "Connect your Shopify store, then retry."))
        return
    try:
        new_order = to_new_order(plan.raw, plan.lines, plan.currency)
    except UnknownCountry as exc:
        log.warning("order %s not sent to the store: TikTok's region %r has no store country", plan.tiktok_order_id,
                    (plan.raw.get("recipient_address") or {}).get("region_code"))
        reason = f"{exc}, then retry."
        _write(ctx, lambda s: service.record_store_failure(s, order_id, reason))
        return
    try:
        created = with_store(ctx.settings, store_connection, lambda store: store.create_order(new_order))
    except shopify_errors.PermanentError as exc:
        log.warning("order %s could not be created in the store: %s", plan.tiktok_order_id, exc)
        reason = f"The store refused the order: {exc}"
        _write(ctx, lambda s: service.record_store_failure(s, order_id, reason))
        return
    _write(ctx, lambda s: service.bind_store_order(s, order_id, created.external_id, created.name))


@job_handler(service.RELEASE_JOB, title="Bring in orders that waited for the plan")
def release_waiting(ctx: JobContext) -> None:
    _write(ctx, lambda s: service.release_waiting(s, ctx.merchant_id))


# --- cancellations -------------------------------------------------------------------------------------


@job_handler(service.CANCEL_IN_STORE_JOB, title="Cancel a TikTok order in the store", visible=False)
def cancel_in_store(ctx: JobContext) -> None:
    order_id = ctx.payload["order_id"]
    with ctx.session() as session:
        order = OrderRepository(session).get(order_id)
        if order is None or not order.store_order_id or order.store_cancelled:
            return
        restock = OrderRepository(session).settings(ctx.merchant_id, create=False).restock_on_cancel
        store_order_id, by_buyer = order.store_order_id, (order.cancelled_by or "").upper() == "BUYER"
    store_connection = _store_connection(ctx)
    if store_connection is None:
        raise PermanentError("The store is no longer connected; the store order could not be cancelled.")
    error = None
    try:
        with_store(ctx.settings, store_connection, lambda store: store.cancel_order(
            store_order_id, reason="CUSTOMER" if by_buyer else "OTHER", restock=restock))
    except shopify_errors.ShopifyValidationError as exc:
        if "already" not in str(exc).lower():
            error = f"The store refused to cancel its order: {exc}"

    def record(session):
        order = OrderRepository(session).get(order_id)
        if error:
            order.last_error = error
        else:
            order.store_cancelled = True
            order.last_error = None

    _write(ctx, record)


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
    connection = _tiktok(ctx, connection_id)
    if not already:
        try:
            _client(ctx, connection).cancel_order(m.CancelOrderInput(order_id=tiktok_order_id,
                                                                     cancel_reason=ctx.payload["reason"]))
        except tiktok_errors.TikTokError as exc:
            if isinstance(exc, RetryableError):
                raise
            message = f"TikTok refused the cancellation: {exc.message}"
            _write(ctx, lambda s: setattr(OrderRepository(s).get(order_id), "last_error", message))
            raise PermanentError(message) from exc
    # The order as TikTok has it now; its cancelled status queues the store's cancellation.
    _fetch_and_apply(ctx, connection, [tiktok_order_id])


@job_handler(service.DECIDE_JOB, title="Answer a buyer's cancellation request")
def decide_cancellation(ctx: JobContext) -> None:
    cancellation_id = ctx.payload["cancellation_id"]
    with ctx.session() as session:
        row = OrderRepository(session).cancellation(cancellation_id)
        if row is None:
            return
        cancel_id, tiktok_order_id, connection_id = row.tiktok_cancel_id, row.tiktok_order_id, row.connection_id
    connection = _tiktok(ctx, connection_id)
    client = _client(ctx, connection)
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
    _fetch_and_apply(ctx, connection, [tiktok_order_id])
    _sync_cancellations(ctx, connection, tiktok_order_id)


# --- store events ---------------------------------------------------------------------------------------


def _store_gid(body: dict, key: str = "id") -> str:
    value = body.get("admin_graphql_api_id") if key == "id" else None
    return value or f"gid://shopify/Order/{body[key]}"


def store_order_cancelled(ctx: JobContext, connection: ChannelConnection, body: dict) -> bool:
    """Shopify `orders/cancelled`: ours already cancelled on TikTok are just marked; one the merchant
    cancelled in the store admin is cancelled on TikTok too (when TikTok still allows it)."""
    store_order_id = _store_gid(body)

    def record(session):
        bind_merchant(session, connection.merchant_id)
        order = OrderRepository(session).by_store_order(store_order_id)
        if order is None:
            return None
        order.store_cancelled = True
        if order.tiktok_status in statuses.CANCELLED:
            return None
        tiktok = ConnectionRepository(session).get(order.connection_id)
        reason = statuses.store_cancel_reason_to_tiktok(body.get("cancel_reason"), order.tiktok_status,
                                                        tiktok.region if tiktok else None)
        if reason is None:
            order.last_error = ("The order was cancelled in the store, but TikTok no longer allows cancelling it "
                                f"(it is {code_words(order.tiktok_status).lower()} there). Handle it on TikTok Shop "
                                "Seller Center.")
            return None
        enqueue(session, service.CANCEL_JOB, merchant_id=order.merchant_id,
                payload={"order_id": order.id, "reason": reason}, identity_key=f"{service.CANCEL_JOB}:{order.id}")
        return order.id

    _write(ctx, record)
    return True


def store_fulfilment(ctx: JobContext, connection: ChannelConnection, body: dict) -> bool:
    """Shopify `fulfillments/create|update`: carry the shipment of one of our orders to TikTok."""
    store_order_id = f"gid://shopify/Order/{body['order_id']}"
    with ctx.session() as session:
        bind_merchant(session, connection.merchant_id)
        order = OrderRepository(session).by_store_order(store_order_id)
        if order is None:
            return True  # not a TikTok order
        order_id = order.id

    def queue(session):
        enqueue(session, service.SHIP_JOB, merchant_id=connection.merchant_id, payload={"order_id": order_id},
                identity_key=f"{service.SHIP_JOB}:{order_id}:{body.get('id')}")

    _write(ctx, queue)
    return True


# --- fulfilment -> TikTok -------------------------------------------------------------------------------

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
    found = [(p.id, p.name) for p in _client(ctx, connection).get_shipping_providers(delivery_option_id)]
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
    connection = _tiktok(ctx, snapshot.connection_id)
    store_connection = _store_connection(ctx)
    if store_connection is None:
        raise PermanentError("The store is no longer connected.")
    fulfilments = with_store(ctx.settings, store_connection,
                             lambda store: store.order_fulfilments(snapshot.store_order_id)).fulfilments
    providers = _providers(ctx, connection, snapshot.delivery_option_id)
    client = _client(ctx, connection)
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
        self.delivery_option_id = (order.raw or {}).get("delivery_option_id")
        self.lines = [(line.id, line.tiktok_line_id, line.variant_id, line.seller_sku, line.display_status,
                       line.shipment_id) for line in repository.lines(order.id)]
        self.variant_external = repository.variant_external_ids([line[2] for line in self.lines if line[2]])
        self.shipments = {s.store_fulfillment_id: (s.id, s.state, s.tracking_number, s.tiktok_package_id,
                                                   list(s.tiktok_line_ids or [])) for s in repository.shipments(order.id)}
        self.carrier_map = dict(repository.settings(order.merchant_id, create=False).carrier_map or {})


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
            _write(ctx, lambda s: _save_shipment(s, snapshot, fulfilment, tracking, provider_id, existing[4],
                                                 ShipmentState.SENT, None, existing[3]))
        return
    line_ids = existing[4] if existing and existing[4] else _lines_for(snapshot, fulfilment)
    problem = None
    if not tracking:
        problem = "The store fulfilment has no tracking number: add one in Shopify and TokBridge sends it."
    elif provider_id is None:
        offered = ", ".join(name for _, name in providers) or "none"
        problem = (f"No TikTok shipping provider matches the carrier {fulfilment.tracking_company or '(none)'!r}: "
                   f"for this order TikTok offers {offered}. In Order settings, add a line naming the one your "
                   f"carrier is, then press Retry.")
    elif not line_ids:
        problem = "None of the fulfilled items is still waiting to ship on TikTok."
    if problem:
        _write(ctx, lambda s: _save_shipment(s, snapshot, fulfilment, tracking, provider_id, line_ids,
                                             ShipmentState.FAILED, problem, None))
        return
    _write(ctx, lambda s: _save_shipment(s, snapshot, fulfilment, tracking, provider_id, line_ids,
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
            _write(ctx, lambda s: _save_shipment(s, snapshot, fulfilment, tracking, provider_id, line_ids,
                                                 ShipmentState.FAILED, message, None))
            return
        # Shipped by an earlier attempt whose answer was lost: keep the package it made, which a later
        # tracking change is sent to.
        package_id = package_id or _shipped_package(client, snapshot.tiktok_order_id, line_ids)
    _write(ctx, lambda s: _save_shipment(s, snapshot, fulfilment, tracking, provider_id, line_ids,
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


# --- periodic -------------------------------------------------------------------------------------------


@job_handler(service.POLL_ALL_JOB, title="Search TikTok orders updated since the last run", visible=False)
def poll_all(ctx: JobContext) -> None:
    """System job: one poll per connected TikTok shop, and waiting orders released where the plan allows."""
    with session_scope(get_engine(ctx.settings.database_url)) as session:
        connections = active_tiktok_connections(session)
        waiting = merchants_with_orders_in(session, [StoreSync.WAITING_FOR_PLAN])
        for merchant_id, connection_id in connections:
            enqueue(session, service.POLL_JOB, merchant_id=merchant_id, payload={"connection_id": connection_id},
                    identity_key=f"{service.POLL_JOB}:{connection_id}")
        for merchant_id in waiting:
            enqueue(session, service.RELEASE_JOB, merchant_id=merchant_id,
                    identity_key=f"{service.RELEASE_JOB}:{merchant_id}")


periodic(service.POLL_ALL_JOB, every_seconds=POLL_EVERY_SECONDS)


@job_handler(service.RECOUNT_SALES_JOB, title="Sum the sales of days whose orders changed", visible=False)
def recount_sales(ctx: JobContext) -> None:
    """System job: the dashboard's per-day sales sums, recounted for the marked days (orders/sales_rollup.py)."""
    days = sales_rollup.recount_marked_days(sessionmaker_for(get_engine(ctx.settings.database_url)))
    ctx.progress(days, days)


periodic(service.RECOUNT_SALES_JOB, every_seconds=RECOUNT_SALES_EVERY_SECONDS)


@job_handler(service.POLL_JOB, title="Search TikTok orders updated since the last run", visible=False)
def poll(ctx: JobContext) -> None:
    """payload: {connection_id}: the fallback TikTok asks for, in case a webhook never arrived. Orders still
    pending for the store (their job gave up) are queued again."""
    connection = _tiktok(ctx, ctx.payload["connection_id"])
    with ctx.session() as session:
        since = OrderRepository(session).cursor(ctx.merchant_id, connection.id).searched_until
        session.commit()
    newest = since
    search = m.OrderSearch(update_time_ge=max(0, since - POLL_OVERLAP_SECONDS) or None)
    seen = 0
    for order in _client(ctx, connection).iter_orders(search):
        _write(ctx, lambda s, o=order: service.apply_tiktok_order(s, connection, _raw(o)))
        newest = max(newest, int(order.update_time or 0))
        seen += 1

    def finish(session):
        from tokbridge.db.base import utcnow

        repository = OrderRepository(session)
        cursor = repository.cursor(ctx.merchant_id, connection.id)
        cursor.searched_until = max(cursor.searched_until, newest)
        cursor.searched_at = utcnow()
        for order in repository.with_store_sync([StoreSync.PENDING]):
            service.enqueue_to_store(session, order)

    _write(ctx, finish)
    log.info("order poll of %s: %d orders updated since %s", connection.external_id, seen, since)
