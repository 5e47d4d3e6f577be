"""TikTok's orders coming in: a notification (from the webhook router) recorded at once or fetched by an
`orders.intake` job, the periodic search of orders updated since the last run (TikTok's own fallback for
lost webhooks), and the dashboard's sales recount."""

from __future__ import annotations

import logging

from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.tiktok import models as m
from tokbridge.db.engine import get_engine, session_scope, sessionmaker_for
from tokbridge.jobs.registry import job_handler, periodic
from tokbridge.jobs.repository import JobRepository
from tokbridge.jobs.runner import JobContext
from tokbridge.jobs.service import enqueue
from tokbridge.orders import sales_rollup, service
from tokbridge.orders.models import StoreSync
from tokbridge.orders.repository import OrderRepository, every_active_shop, merchants_with_orders_in
from tokbridge.orders.tasks.cancellations import sync_cancellations
from tokbridge.orders.tasks.common import fetch_and_apply, job_shop, raw, run_now, tiktok_api, write
from tokbridge.orders.tasks.returns import sync_returns_of

log = logging.getLogger(__name__)

POLL_EVERY_SECONDS = 300
RECOUNT_SALES_EVERY_SECONDS = 60  # until then a changed day is summed live: only speed waits
# Searched again on each poll: updates TikTok indexes a little late are not missed.
POLL_OVERLAP_SECONDS = 120


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
            if service.is_known_and_current(
                session, connection.id, order_id, data.get("update_time"), data.get("order_status")
            ):
                return
        return enqueue(
            session,
            service.INTAKE_JOB,
            merchant_id=connection.merchant_id,
            payload={
                "connection_id": connection.id,
                "order_id": order_id,
                "event": event,
                "update_time": data.get("update_time") if event == "order" else None,
                "status": data.get("order_status") if event == "order" else None,
            },
        ).id

    run_now(ctx, write(ctx, handle))
    return True


def run_to_store(ctx: JobContext, order_ids: list[int]) -> None:
    with ctx.session() as session:
        repository = JobRepository(session)
        jobs = [repository.active_with_identity(f"{service.TO_STORE_JOB}:{order_id}") for order_id in order_ids]
        job_ids = [job.id for job in jobs if job is not None and job.state == "queued"]
    for job_id in job_ids:
        run_now(ctx, job_id)


@job_handler(service.INTAKE_JOB, title="Bring in a TikTok order", visible=False)
def intake(ctx: JobContext) -> None:
    """payload: {connection_id, order_id, event?: order|cancellation|return, update_time?}"""
    connection = job_shop(ctx, ctx.payload["connection_id"]).shop
    order_id = str(ctx.payload["order_id"])
    event = ctx.payload.get("event", "order")
    if event == "order":
        with ctx.session() as session:
            if service.is_known_and_current(
                session, connection.id, order_id, ctx.payload.get("update_time"), ctx.payload.get("status")
            ):
                return  # a repeated or late notification: the stored order is already as new
    run_to_store(ctx, fetch_and_apply(ctx, connection, [order_id]))
    if event == "cancellation":
        sync_cancellations(ctx, connection, order_id)
    elif event == "return":
        sync_returns_of(ctx, connection, order_id)


# --- periodic -------------------------------------------------------------------------------------------


@job_handler(service.POLL_ALL_JOB, title="Search TikTok orders updated since the last run", visible=False)
def poll_all(ctx: JobContext) -> None:
    """System job: one poll per connected TikTok shop, and waiting orders released where the plan allows."""
    with session_scope(get_engine(ctx.settings.database_url)) as session:
        connections = every_active_shop(session)
        waiting = merchants_with_orders_in(session, [StoreSync.WAITING_FOR_PLAN])
        for merchant_id, connection_id in connections:
            enqueue(
                session,
                service.POLL_JOB,
                merchant_id=merchant_id,
                payload={"connection_id": connection_id},
                identity_key=f"{service.POLL_JOB}:{connection_id}",
            )
        for merchant_id in waiting:
            enqueue(
                session,
                service.RELEASE_JOB,
                merchant_id=merchant_id,
                identity_key=f"{service.RELEASE_JOB}:{merchant_id}",
            )


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
    connection = job_shop(ctx, ctx.payload["connection_id"]).shop
    with ctx.session() as session:
        since = OrderRepository(session).cursor(ctx.required_merchant_id, connection.id).searched_until
        session.commit()
    newest = since
    search = m.OrderSearch(update_time_ge=max(0, since - POLL_OVERLAP_SECONDS) or None)
    seen = 0
    for order in tiktok_api(ctx, connection).iter_orders(search):
        write(ctx, lambda s, o=order: service.apply_tiktok_order(s, connection, raw(o)))
        newest = max(newest, int(order.update_time or 0))
        seen += 1

    def finish(session):
        from tokbridge.db.base import utcnow

        repository = OrderRepository(session)
        cursor = repository.cursor(ctx.required_merchant_id, connection.id)
        cursor.searched_until = max(cursor.searched_until, newest)
        cursor.searched_at = utcnow()
        for order in repository.with_store_sync([StoreSync.PENDING], connection_id=connection.id):
            service.enqueue_to_store(session, order)

    write(ctx, finish)
    log.info("order poll of %s: %d orders updated since %s", connection.external_id, seen, since)
