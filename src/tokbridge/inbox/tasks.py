"""The webhook router: the processing of recorded webhooks (`inbox.process`).

A store's webhook is translated by its plugin into neutral `StoreEvent`s, and each event kind has one
handler here, whatever the store. TikTok, the sales channel rather than a store plugin, keeps its table by
notification type. Each webhook is processed in short transactions (read the event; act, which may call an
API; mark it processed): on SQLite a transaction kept open across API calls would block other writers. An
event whose handler says "not yet" stays in the inbox unprocessed, for replay.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import update

from tokbridge.activity import service as activity
from tokbridge.activity.models import ActivityStatus
from tokbridge.catalog import tasks as catalog_tasks
from tokbridge.channels import base, registry
from tokbridge.channels.base import StoreEvent
from tokbridge.channels.connections import TIKTOK, ConnectionRepository, DatabaseTokenStore
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.tiktok import webhooks as tiktok_webhooks
from tokbridge.channels.tiktok.auth import handle_authorization_event
from tokbridge.db.base import utcnow
from tokbridge.db.engine import get_engine
from tokbridge.inbox.models import InboundEvent
from tokbridge.inbox.repository import InboxRepository
from tokbridge.jobs import kinds
from tokbridge.jobs.registry import handler_for, job_handler
from tokbridge.jobs.runner import JobContext
from tokbridge.jobs.service import enqueue
from tokbridge.kit.errors import PermanentError
from tokbridge.onboarding import tasks as onboarding_tasks
from tokbridge.orders.tasks import from_store, intake

log = logging.getLogger(__name__)

# A handler returns False to leave the event in the inbox unprocessed (nobody handles it yet).
StoreEventHandler = Callable[[JobContext, ChannelConnection, StoreEvent], bool]
TikTokHandler = Callable[[JobContext, ChannelConnection, dict], bool]


@job_handler(kinds.INBOX_PROCESS, title="Process webhooks", visible=False)
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
    body = payload.get("body") or {}
    if connection is None:
        log.info("%s webhook %s: its connection is gone; nothing to do", source, topic)
        handled = True
    elif source == TIKTOK:
        handled = _tiktok(ctx, connection, topic, body)
    elif source not in registry.store_kinds():
        log.warning("%s webhook %s: no installed store plugin of that kind; left unprocessed", source, topic)
        handled = False
    else:
        handled = _store(ctx, connection, source, topic, body)
    if handled:
        with ctx.session() as session:
            session.execute(update(InboundEvent).where(InboundEvent.id == event_id).values(processed_at=utcnow()))
            session.commit()


def _store(ctx: JobContext, connection: ChannelConnection, source: str, topic: str, body: dict) -> bool:
    active = connection.status == "active"
    events_of = registry.plugin(source).events
    try:
        events = events_of.translate(topic, body) if events_of is not None else []
    except PermanentError:
        if not active:
            log.info("%s webhook %s for disconnected %s ignored", source, topic, connection.external_id)
            return True
        raise
    if not events:
        log.info("%s webhook %s has no processing; recorded only", source, topic)
    handled = True
    for event in events:
        handler = STORE_HANDLERS.get(event.kind)
        if not active and event.kind not in STORE_EVENTS_WHILE_DISCONNECTED:
            log.info("%s webhook %s for disconnected %s ignored", source, topic, connection.external_id)
        elif handler is None:
            log.info("%s event %s has no processing; recorded only", source, event.kind)
        else:
            handled = handler(ctx, connection, event) and handled
    return handled


# --- store events, whatever the store ----------------------------------------------------------


def _subject(event: StoreEvent) -> str:
    """The product, item or order the event is about, which these kinds always name."""
    if event.subject_external_id is None:
        raise PermanentError(f"a {event.kind} event that names nothing")
    return event.subject_external_id


def _product_changed(ctx: JobContext, connection: ChannelConnection, event: StoreEvent) -> bool:
    catalog_tasks.refresh_product(
        ctx.settings, connection, _subject(event), seen_updated_at=event.data.get("updated_at")
    )
    return True


def _product_deleted(ctx: JobContext, connection: ChannelConnection, event: StoreEvent) -> bool:
    catalog_tasks.product_deleted(ctx.settings, connection, _subject(event))
    return True


def _stock_changed(ctx: JobContext, connection: ChannelConnection, event: StoreEvent) -> bool:
    catalog_tasks.refresh_inventory_item(ctx.settings, connection, _subject(event))
    return True


def _order_fulfilled(ctx: JobContext, connection: ChannelConnection, event: StoreEvent) -> bool:
    return from_store.store_fulfilment(ctx, connection, _subject(event), event.data.get("fulfilment_id"))


def _order_cancelled(ctx: JobContext, connection: ChannelConnection, event: StoreEvent) -> bool:
    return from_store.store_order_cancelled(ctx, connection, _subject(event), event.data.get("reason"))


STORE_HANDLERS: dict[str, StoreEventHandler] = {
    base.PRODUCT_CHANGED: _product_changed,
    base.PRODUCT_DELETED: _product_deleted,
    base.STOCK_CHANGED: _stock_changed,
    base.ORDER_FULFILLED: _order_fulfilled,
    base.ORDER_CANCELLED: _order_cancelled,
    base.DISCONNECTED: onboarding_tasks.store_disconnected,
    base.CHARGE_CHANGED: onboarding_tasks.store_charge_changed,
    base.PRIVACY_REQUEST: onboarding_tasks.privacy_request,
}

# What still matters once a store is disconnected: privacy requests come after the uninstall.
STORE_EVENTS_WHILE_DISCONNECTED = frozenset({base.DISCONNECTED, base.PRIVACY_REQUEST})


# --- TikTok, by notification type (the inbox topic is the type number) ---------------------------

# What an order-family webhook type asks the intake job to refresh besides the order itself.
ORDER_EVENTS = {
    str(tiktok_webhooks.ORDER_STATUS_CHANGE): "order",
    str(tiktok_webhooks.CANCELLATION_STATUS_CHANGE): "cancellation",
    str(tiktok_webhooks.RETURN_STATUS_CHANGE): "return",
}


def _tiktok(ctx: JobContext, connection: ChannelConnection, topic: str, body: dict) -> bool:
    if connection.status != "active" and topic not in TIKTOK_WHILE_DISCONNECTED:
        log.info("tiktok webhook %s for disconnected %s ignored", topic, connection.external_id)
        return True
    handler = TIKTOK_HANDLERS.get(topic)
    if handler is None:
        log.info("tiktok webhook %s has no processing; recorded only", topic)
        return True
    return handler(ctx, connection, body)


def _tiktok_product_status(ctx: JobContext, connection: ChannelConnection, body: dict) -> bool:
    product_id = str((body.get("data") or {}).get("product_id", ""))
    if product_id:
        with ctx.session() as session:
            enqueue(
                session,
                kinds.LISTINGS_REFRESH_STATUS,
                merchant_id=connection.merchant_id,
                payload={"connection_id": connection.id, "tiktok_product_ids": [product_id]},
                identity_key=f"{kinds.LISTINGS_REFRESH_STATUS}:{connection.id}:{product_id}",
            )
            session.commit()
    return True


def _tiktok_order_event(ctx: JobContext, connection: ChannelConnection, body: dict) -> bool:
    if handler_for(kinds.ORDERS_INTAKE) is None:
        return False  # stays in the inbox until the orders module registers its handler
    return intake.order_event(ctx, connection, body, ORDER_EVENTS.get(str(body.get("type")), "order"))


def _tiktok_authorization(ctx: JobContext, connection: ChannelConnection, body: dict) -> bool:
    event = tiktok_webhooks.WebhookEvent.model_validate(body)
    notice = handle_authorization_event(event, DatabaseTokenStore(get_engine(ctx.settings.database_url)))
    if notice is None:
        return True
    shop = connection.name or connection.external_id
    if notice.kind == "deauthorized":
        onboarding_tasks.disconnect(ctx, connection.id)
        _note(
            ctx,
            connection,
            "onboarding.disconnected",
            f"TikTok shop {shop} disconnected",
            "The shop removed TokBridge's authorization on TikTok: nothing is sent to it any more. "
            "Connect TikTok Shop again to resume.",
            status=ActivityStatus.FAILED,
        )
    else:
        ends = datetime.fromtimestamp(notice.expires_at, UTC) if notice.expires_at else None
        when = f"on {ends:%d %B %Y}" if ends else "soon"
        _note(
            ctx,
            connection,
            "onboarding.authorization_expiring",
            f"TikTok authorization of {shop} ends {when}",
            "Authorize TokBridge again from Connect TikTok Shop before then, or listings and orders stop syncing.",
            status=ActivityStatus.FAILED,
            details={"expires_at": ends.isoformat() if ends else None},
        )
    return True


def _note(
    ctx: JobContext,
    connection: ChannelConnection,
    kind: str,
    title: str,
    message: str,
    status: str = ActivityStatus.INFO,
    details: dict | None = None,
) -> None:
    with ctx.session() as session:
        activity.record(session, connection.merchant_id, kind, title, message, status=status, details=details)
        session.commit()


TIKTOK_HANDLERS: dict[str, TikTokHandler] = {
    str(tiktok_webhooks.PRODUCT_STATUS_CHANGE): _tiktok_product_status,
    str(tiktok_webhooks.PRODUCT_AUDIT_STATUS_CHANGE): _tiktok_product_status,
    str(tiktok_webhooks.ORDER_STATUS_CHANGE): _tiktok_order_event,
    str(tiktok_webhooks.CANCELLATION_STATUS_CHANGE): _tiktok_order_event,
    str(tiktok_webhooks.RETURN_STATUS_CHANGE): _tiktok_order_event,
    str(tiktok_webhooks.SELLER_DEAUTHORIZATION): _tiktok_authorization,
    str(tiktok_webhooks.UPCOMING_AUTHORIZATION_EXPIRATION): _tiktok_authorization,
}

# TikTok's authorization notices say why the connection ended: they matter after it.
TIKTOK_WHILE_DISCONNECTED = frozenset(
    {str(tiktok_webhooks.SELLER_DEAUTHORIZATION), str(tiktok_webhooks.UPCOMING_AUTHORIZATION_EXPIRATION)}
)
