"""Onboarding jobs, and the processing of recorded webhooks (`inbox.process`).

Each webhook is processed in short transactions (read the event; act, which may call the store;
mark it processed): on SQLite a transaction kept open across API calls would block other writers.
TikTok order events become `orders.intake` jobs; Shopify fulfilments and cancellations of TikTok
orders go to `orders.tasks`. An event nobody handles stays in the inbox unprocessed, for replay.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import delete, update

from tokbridge.activity import service as activity
from tokbridge.activity.models import ActivityStatus
from tokbridge.billing import service as billing
from tokbridge.catalog import tasks as catalog_tasks
from tokbridge.catalog.models import CatalogProduct
from tokbridge.channels import factory
from tokbridge.channels.connections import (
    SHOPIFY,
    ConnectionRepository,
    DatabaseTokenStore,
)
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.shopify.mapping import parse_time
from tokbridge.channels.tiktok import webhooks as tiktok_webhooks
from tokbridge.channels.tiktok.auth import handle_authorization_event
from tokbridge.db.base import utcnow
from tokbridge.db.engine import get_engine, session_scope
from tokbridge.inbox.models import InboundEvent
from tokbridge.inbox.repository import InboxRepository
from tokbridge.inbox.service import PROCESS_JOB
from tokbridge.jobs.registry import handler_for, job_handler
from tokbridge.jobs.runner import JobContext
from tokbridge.jobs.service import enqueue
from tokbridge.kit.errors import PermanentError
from tokbridge.onboarding import service
from tokbridge.orders import tasks as order_tasks
from tokbridge.tenancy.scoping import bind_merchant

log = logging.getLogger(__name__)

REFRESH_STATUS_JOB = "listings.refresh_status"
ORDER_INTAKE_JOB = "orders.intake"
# What an order-family webhook type asks the intake job to refresh besides the order itself.
ORDER_EVENTS = {str(tiktok_webhooks.ORDER_STATUS_CHANGE): "order",
                str(tiktok_webhooks.CANCELLATION_STATUS_CHANGE): "cancellation",
                str(tiktok_webhooks.RETURN_STATUS_CHANGE): "return"}

# A handler returns False to leave the event in the inbox unprocessed (nobody handles it yet).
EventHandler = Callable[[JobContext, ChannelConnection, dict], bool]


def _connection(ctx: JobContext) -> ChannelConnection:
    with ctx.session() as session:
        connection = ConnectionRepository(session).get(ctx.payload["connection_id"])
    if connection is None or connection.status != "active":
        raise PermanentError("The connection is no longer active; connect it again.")
    return connection


@job_handler(service.SUBSCRIBE_JOB, title="Subscribe to store and shop notifications")
def subscribe_webhooks(ctx: JobContext) -> None:
    connection = _connection(ctx)
    if connection.channel == SHOPIFY:
        catalog_tasks.with_store(ctx.settings, connection,
                                 lambda store: service.subscribe_shopify_webhooks(ctx.settings, store.client))
    else:
        subscribed = list(ctx.checkpoint.get("subscribed", []))

        def save(event: str) -> None:
            subscribed.append(event)
            ctx.progress(len(subscribed), len(service.TIKTOK_WEBHOOK_EVENTS), checkpoint={"subscribed": subscribed})

        service.subscribe_tiktok_webhooks(ctx.settings, get_engine(ctx.settings.database_url), connection,
                                          done=set(subscribed), on_subscribed=save)


@job_handler(service.PREREQUISITES_JOB, title="Check TikTok Shop's listing prerequisites")
def check_prerequisites(ctx: JobContext) -> None:
    connection_id = ctx.payload["connection_id"]
    with ctx.session() as session:
        connection = ConnectionRepository(session).get(connection_id)
        if connection is None or connection.status != "active":
            return
        service.check_prerequisites(session, ctx.settings, connection)
        session.commit()


# --- webhooks ----------------------------------------------------------------------------------


@job_handler(PROCESS_JOB, title="Process webhooks", visible=False)
def process_inbound_events(ctx: JobContext) -> None:
    """payload: {"event_ids"} (or one "event_id"): act on recorded webhooks, each once. One failing event
    does not hold up the others; the job then retries, and the events already processed are skipped."""
    event_ids = ctx.payload.get("event_ids") or [ctx.payload["event_id"]]
    failure: Exception | None = None
    unusable: list[str] = []
    for event_id in event_ids:
        try:
            process_inbound_event(ctx, event_id)
        except PermanentError as exc:
            log.warning("webhook event %s cannot be processed: %s", event_id, exc)
            unusable.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - re-raised below, after the other events
            log.warning("webhook event %s not processed yet: %s", event_id, exc)
            failure = failure or exc
    if failure is not None:
        raise failure  # a retry skips the events processed; the unusable ones fail again, without a call
    if unusable:
        more = len(unusable) - 1
        raise PermanentError(unusable[0] + (f" (and {more} more webhook{'s' if more != 1 else ''})" if more else ""))


def process_inbound_event(ctx: JobContext, event_id: int) -> None:
    """Act on one recorded webhook, once."""
    with ctx.session() as session:
        event = InboxRepository(session).get(event_id)
        if event is None or event.processed_at is not None:
            return
        source, topic, payload = event.source, event.topic, dict(event.payload or {})
        connection = ConnectionRepository(session).get(payload.get("connection_id") or "")
    handled = True
    if connection is None:
        log.info("%s webhook %s: its connection is gone; nothing to do", source, topic)
    elif connection.status != "active" and topic not in WHILE_DISCONNECTED:
        log.info("%s webhook %s for disconnected %s ignored", source, topic, connection.external_id)
    else:
        handler = (SHOPIFY_HANDLERS if source == SHOPIFY else TIKTOK_HANDLERS).get(topic)
        body = payload.get("body") or {}
        if handler is None:
            log.info("%s webhook %s has no processing; recorded only", source, topic)
        else:
            if source == SHOPIFY:
                _check_shopify_body(topic, body)
            handled = handler(ctx, connection, body)
    if handled:
        with ctx.session() as session:
            session.execute(update(InboundEvent).where(InboundEvent.id == event_id).values(processed_at=utcnow()))
            session.commit()


def _note(ctx: JobContext, connection: ChannelConnection, kind: str, title: str, message: str,
          status: str = ActivityStatus.INFO, details: dict | None = None) -> None:
    with ctx.session() as session:
        activity.record(session, connection.merchant_id, kind, title, message, status=status, details=details)
        session.commit()


# Shopify topics

GID_FIELD = "admin_graphql_api_id"
# What a topic's processing needs from the body: (what the notification is, what it must name, where).
# Shopify retries anything but a 2xx, so these are accepted at intake and fail for good when processed.
SHOPIFY_NEEDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "products/create": ("new product", "product id", (GID_FIELD, "id")),
    "products/update": ("product update", "product id", (GID_FIELD, "id")),
    "products/delete": ("product deletion", "product id", (GID_FIELD, "id")),
    "inventory_levels/update": ("stock update", "inventory item id", ("inventory_item_id",)),
    "orders/cancelled": ("order cancellation", "order id", (GID_FIELD, "id")),
    "fulfillments/create": ("fulfilment", "order id", ("order_id",)),
    "fulfillments/update": ("fulfilment update", "order id", ("order_id",)),
}


def _check_shopify_body(topic: str, body: dict) -> None:
    """PermanentError when the body lacks the id its processing needs: retrying cannot bring it."""
    if topic not in SHOPIFY_NEEDS:
        return
    notification, needed, fields = SHOPIFY_NEEDS[topic]
    # The handlers read the first of these fields that is set; that one has to be an id.
    value = next((body.get(name) for name in fields if body.get(name)), None)
    if not _is_shopify_id(value):
        raise PermanentError(f"Shopify's {notification} notification has no {needed}; it cannot be processed.")


def _is_shopify_id(value) -> bool:
    if isinstance(value, str) and value.startswith("gid://shopify/"):
        value = value.rsplit("/", 1)[-1]
    if isinstance(value, int) and not isinstance(value, bool):
        return value > 0
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20

def _product_gid(body: dict) -> str:
    return body.get("admin_graphql_api_id") or f"gid://shopify/Product/{body['id']}"


def _shopify_product_changed(ctx: JobContext, connection: ChannelConnection, body: dict) -> bool:
    catalog_tasks.refresh_product(ctx.settings, connection, _product_gid(body),
                                  seen_updated_at=parse_time(body.get("updated_at")))
    return True


def _shopify_product_deleted(ctx: JobContext, connection: ChannelConnection, body: dict) -> bool:
    catalog_tasks.product_deleted(ctx.settings, connection, _product_gid(body))
    return True


def _shopify_inventory_changed(ctx: JobContext, connection: ChannelConnection, body: dict) -> bool:
    catalog_tasks.refresh_inventory_item(ctx.settings, connection, str(body["inventory_item_id"]))
    return True


def _shopify_uninstalled(ctx: JobContext, connection: ChannelConnection, body: dict) -> bool:
    disconnect(ctx, connection.id)
    _note(ctx, connection, "onboarding.disconnected", f"Shopify store {connection.external_id} disconnected",
          "TokBridge was uninstalled from the store: its catalog no longer updates. Connect Shopify again to resume.",
          status=ActivityStatus.FAILED)
    return True


def _shopify_data_request(ctx: JobContext, connection: ChannelConnection, body: dict) -> bool:
    # Only ids go into the record: the request itself must not spread the customer's contact details.
    customer_id = str((body.get("customer") or {}).get("id", ""))
    _note(ctx, connection, "privacy.data_request", "Customer data request from Shopify",
          "A customer asked for their data. TokBridge keeps no customer data from your store, so there is "
          "nothing to send.", details={"customer_id": customer_id,
                                       "orders_requested": [str(o) for o in body.get("orders_requested") or []]})
    return True


def _shopify_customer_redact(ctx: JobContext, connection: ChannelConnection, body: dict) -> bool:
    customer_id = str((body.get("customer") or {}).get("id", ""))
    _note(ctx, connection, "privacy.customer_redact", "Customer data erasure request from Shopify",
          "A customer's data must be erased. TokBridge keeps no customer data from your store; nothing to erase.",
          details={"customer_id": customer_id, "orders_to_redact": [str(o) for o in body.get("orders_to_redact") or []]})
    return True


def _shopify_shop_redact(ctx: JobContext, connection: ChannelConnection, body: dict) -> bool:
    """48 hours after an uninstall, Shopify asks for the shop's data to go: the catalog and the connection."""
    with ctx.session() as session:
        session.execute(delete(CatalogProduct).where(CatalogProduct.channel == SHOPIFY)
                        .execution_options(synchronize_session=False))
        session.execute(delete(ChannelConnection).where(ChannelConnection.id == connection.id)
                        .execution_options(synchronize_session=False))
        activity.record(session, connection.merchant_id, "privacy.shop_redact",
                        f"Data of Shopify store {connection.external_id} deleted",
                        "Shopify asked for the store's data to be erased after the app was uninstalled: its catalog "
                        "and connection were deleted.")
        session.commit()
    return True


def _shopify_subscription_updated(ctx: JobContext, connection: ChannelConnection, body: dict) -> bool:
    """A charge for TokBridge changed at Shopify: approved without coming back, or the plan's charge ended."""
    gid = str((body.get("app_subscription") or {}).get("admin_graphql_api_id") or "")
    charge_id = gid.rsplit("/", 1)[-1]
    if not charge_id.isdigit():
        log.warning("app_subscriptions/update without a subscription id; ignored")
        return True
    store_billing = factory.shopify_billing(ctx.settings, service.fresh_shopify_connection(ctx.settings, connection))
    with ctx.session() as session:
        outcome = billing.store_charge_changed(session, connection.merchant_id, charge_id, store_billing)
        session.commit()
    if outcome:
        log.info("Shopify charge %s: %s", charge_id, outcome)
    return True


def _store_order_cancelled(ctx: JobContext, connection: ChannelConnection, body: dict) -> bool:
    return order_tasks.store_order_cancelled(ctx, connection, body)


def _store_fulfilment(ctx: JobContext, connection: ChannelConnection, body: dict) -> bool:
    return order_tasks.store_fulfilment(ctx, connection, body)


SHOPIFY_HANDLERS: dict[str, EventHandler] = {
    "products/create": _shopify_product_changed,
    "products/update": _shopify_product_changed,
    "products/delete": _shopify_product_deleted,
    "inventory_levels/update": _shopify_inventory_changed,
    "app/uninstalled": _shopify_uninstalled,
    "customers/data_request": _shopify_data_request,
    "customers/redact": _shopify_customer_redact,
    "shop/redact": _shopify_shop_redact,
    "orders/cancelled": _store_order_cancelled,
    "fulfillments/create": _store_fulfilment,
    "fulfillments/update": _store_fulfilment,
    "app_subscriptions/update": _shopify_subscription_updated,
}


# TikTok types (the inbox topic is the type number)


def _tiktok_product_status(ctx: JobContext, connection: ChannelConnection, body: dict) -> bool:
    product_id = str((body.get("data") or {}).get("product_id", ""))
    if product_id:
        with ctx.session() as session:
            enqueue(session, REFRESH_STATUS_JOB, merchant_id=connection.merchant_id,
                    payload={"connection_id": connection.id, "tiktok_product_ids": [product_id]},
                    identity_key=f"{REFRESH_STATUS_JOB}:{connection.id}:{product_id}")
            session.commit()
    return True


def _tiktok_order_event(ctx: JobContext, connection: ChannelConnection, body: dict) -> bool:
    if handler_for(ORDER_INTAKE_JOB) is None:
        return False  # stays in the inbox until the orders module registers its handler
    return order_tasks.order_event(ctx, connection, body, ORDER_EVENTS.get(str(body.get("type")), "order"))


def _tiktok_authorization(ctx: JobContext, connection: ChannelConnection, body: dict) -> bool:
    event = tiktok_webhooks.WebhookEvent.model_validate(body)
    notice = handle_authorization_event(event, DatabaseTokenStore(get_engine(ctx.settings.database_url)))
    if notice is None:
        return True
    shop = connection.name or connection.external_id
    if notice.kind == "deauthorized":
        disconnect(ctx, connection.id)
        _note(ctx, connection, "onboarding.disconnected", f"TikTok shop {shop} disconnected",
              "The shop removed TokBridge's authorization on TikTok: nothing is sent to it any more. "
              "Connect TikTok Shop again to resume.", status=ActivityStatus.FAILED)
    else:
        ends = datetime.fromtimestamp(notice.expires_at, UTC) if notice.expires_at else None
        when = f"on {ends:%d %B %Y}" if ends else "soon"
        _note(ctx, connection, "onboarding.authorization_expiring", f"TikTok authorization of {shop} ends {when}",
              "Authorize TokBridge again from Connect TikTok Shop before then, or listings and orders stop syncing.",
              status=ActivityStatus.FAILED, details={"expires_at": ends.isoformat() if ends else None})
    return True


TIKTOK_HANDLERS: dict[str, EventHandler] = {
    str(tiktok_webhooks.PRODUCT_STATUS_CHANGE): _tiktok_product_status,
    str(tiktok_webhooks.PRODUCT_AUDIT_STATUS_CHANGE): _tiktok_product_status,
    str(tiktok_webhooks.ORDER_STATUS_CHANGE): _tiktok_order_event,
    str(tiktok_webhooks.CANCELLATION_STATUS_CHANGE): _tiktok_order_event,
    str(tiktok_webhooks.RETURN_STATUS_CHANGE): _tiktok_order_event,
    str(tiktok_webhooks.SELLER_DEAUTHORIZATION): _tiktok_authorization,
    str(tiktok_webhooks.UPCOMING_AUTHORIZATION_EXPIRATION): _tiktok_authorization,
}


# What still matters once a connection is disconnected: Shopify's privacy requests come after the
# uninstall, and TikTok's authorization notices say why the connection ended.
WHILE_DISCONNECTED = frozenset({"app/uninstalled", "customers/data_request", "customers/redact", "shop/redact",
                                str(tiktok_webhooks.SELLER_DEAUTHORIZATION),
                                str(tiktok_webhooks.UPCOMING_AUTHORIZATION_EXPIRATION)})


def disconnect(ctx: JobContext, connection_id: str) -> None:
    """Mark a connection disconnected and forget its tokens (they no longer work anyway)."""
    with session_scope(get_engine(ctx.settings.database_url)) as session:
        connection = service.lock_connection(bind_merchant(session, ctx.merchant_id), connection_id)
        if connection is not None:
            connection.status = "disconnected"
            connection.access_token = None
            connection.refresh_token = None

