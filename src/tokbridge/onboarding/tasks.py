"""Onboarding jobs, and what a store's disconnection, charge change or privacy request does (the
webhook router, `inbox.tasks`, calls these for the neutral events of any store).
"""

from __future__ import annotations

import logging

from tokbridge.activity import service as activity
from tokbridge.activity.models import ActivityStatus
from tokbridge.billing import service as billing
from tokbridge.channels import registry
from tokbridge.channels.base import StoreEvent
from tokbridge.channels.connections import ConnectionRepository
from tokbridge.channels.models import ChannelConnection
from tokbridge.db.engine import get_engine, session_scope
from tokbridge.jobs.registry import job_handler
from tokbridge.jobs.runner import JobContext
from tokbridge.kit.errors import PermanentError
from tokbridge.onboarding import service
from tokbridge.tenancy.scoping import bind_merchant

log = logging.getLogger(__name__)


def _connection(ctx: JobContext) -> ChannelConnection:
    with ctx.session() as session:
        connection = ConnectionRepository(session).get(ctx.payload["connection_id"])
    if connection is None or connection.status != "active":
        raise PermanentError("The connection is no longer active; connect it again.")
    return connection


@job_handler(service.SUBSCRIBE_JOB, title="Subscribe to store and shop notifications")
def subscribe_webhooks(ctx: JobContext) -> None:
    connection = _connection(ctx)
    if connection.channel in registry.store_kinds():
        service.subscribe_store_events(ctx.settings, connection)  # nothing for a store without webhooks
    else:
        subscribed = list(ctx.checkpoint.get("subscribed", []))

        def save(event: str) -> None:
            subscribed.append(event)
            ctx.progress(len(subscribed), len(service.TIKTOK_WEBHOOK_EVENTS), checkpoint={"subscribed": subscribed})

        service.subscribe_tiktok_webhooks(
            ctx.settings, get_engine(ctx.settings.database_url), connection, done=set(subscribed), on_subscribed=save
        )


@job_handler(service.PREREQUISITES_JOB, title="Check TikTok Shop's listing prerequisites")
def check_prerequisites(ctx: JobContext) -> None:
    connection_id = ctx.payload["connection_id"]
    with ctx.session() as session:
        connection = ConnectionRepository(session).get(connection_id)
        if connection is None or connection.status != "active":
            return
        service.check_prerequisites(session, ctx.settings, connection)
        session.commit()


# --- what a store's webhook events do here (routed by `inbox.tasks`) -----------------------------


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


def store_disconnected(ctx: JobContext, connection: ChannelConnection, event: StoreEvent) -> bool:
    """The merchant removed TokBridge from the store (DISCONNECTED)."""
    with ctx.session() as session:
        service.on_store_disconnected(session, connection)
        session.commit()
    return True


def privacy_request(ctx: JobContext, connection: ChannelConnection, event: StoreEvent) -> bool:
    """A privacy request the store passes on (PRIVACY_REQUEST): noted, with ids only; the store's data goes
    when the store asks for its own erasure."""
    with ctx.session() as session:
        service.on_privacy_request(session, connection, event)
        session.commit()
    return True


def store_charge_changed(ctx: JobContext, connection: ChannelConnection, event: StoreEvent) -> bool:
    """A charge for TokBridge changed at the store (CHARGE_CHANGED): approved without coming back, or ended.
    The charge is read from the store with no transaction open."""
    store_billing = service.store_billing(ctx.settings, connection)
    if store_billing is None:
        return True  # this store does not bill the plan
    with ctx.session() as session:
        outcome = billing.on_charge_changed(
            session, connection.merchant_id, event.subject_external_id or "", store_billing
        )
        session.commit()
    if outcome:
        log.info("%s charge %s: %s", connection.channel, event.subject_external_id, outcome)
    return True


def disconnect(ctx: JobContext, connection_id: str) -> None:
    """Mark a connection disconnected and forget its tokens (they no longer work anyway)."""
    with session_scope(get_engine(ctx.settings.database_url)) as session:
        connection = service.lock_connection(bind_merchant(session, ctx.required_merchant_id), connection_id)
        if connection is not None:
            connection.status = "disconnected"
            connection.access_token = None
            connection.refresh_token = None
