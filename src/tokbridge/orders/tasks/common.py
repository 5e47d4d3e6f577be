"""What the order jobs share: the connections they act for, the TikTok client, one writing transaction,
running a job just queued."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError, OperationalError

from tokbridge.catalog.tasks import with_store
from tokbridge.channels import registry
from tokbridge.channels.base import InventoryChange, SourceStore
from tokbridge.channels.connections import ConnectionRepository
from tokbridge.channels.factory import tiktok_client
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.shops import NoSuchShop, ShopContext, shop_context
from tokbridge.channels.tiktok import models as m
from tokbridge.db.engine import for_writing, get_engine
from tokbridge.jobs.runner import JobContext, run_job
from tokbridge.kit.errors import PermanentError, RetryableError
from tokbridge.orders import service
from tokbridge.orders.repository import OrderRepository


def job_shop(ctx: JobContext, connection_id: str | None) -> ShopContext:
    """The TikTok shop a job works for (its payload's `connection_id`, or its order's), with the store linked
    to that shop. A shop no longer connected fails the job in plain words."""
    with ctx.session() as session:
        try:
            return shop_context(session, connection_id)
        except NoSuchShop:
            raise PermanentError("The TikTok shop is no longer connected. Reconnect it and try again.") from None


def order_shop(ctx: JobContext, order_id: int) -> ShopContext | None:
    """The shop of a stored order (None: the order is gone)."""
    with ctx.session() as session:
        order = OrderRepository(session).get(int(order_id))
        connection_id = order.connection_id if order is not None else None
    return job_shop(ctx, connection_id) if connection_id else None


def shop_store(ctx: JobContext, shop: ShopContext, what: str, held_by: str | None = None) -> ChannelConnection:
    """The store holding an order: the one it was created in (`held_by`, while connected), else the store
    linked to its shop; none fails the job, saying why (`what` could not be done)."""
    if held_by and held_by != shop.store_id:
        with ctx.session() as session:
            found = ConnectionRepository(session).get(held_by)
        if found is not None and found.status == "active":
            return found
    if shop.store is None:
        raise PermanentError(
            f"No store is linked to the TikTok shop {shop.label} any more, so {what}. "
            "Link its store in Settings, then retry."
        )
    return shop.store


def adjust_store_stock(
    ctx: JobContext,
    store_connection: ChannelConnection,
    changes: list[tuple[str, str, int]],
    *,
    reason: str,
    idempotency_key: str,
) -> None:
    """Apply relative stock changes ((item, location, delta)) to the store once, however often the job runs.

    A store whose stock writes take an idempotency key (`capabilities.idempotent_stock`) gets them in one
    call, which a retry repeats harmlessly. A store without one would apply a retried call again, so each
    item goes alone and is remembered in the job's checkpoint as soon as the store took it: a retry (a
    failure on a later item, a crashed worker) skips what is done. What remains is the one call whose
    answer was lost, which nothing on the store's side can tell apart."""
    inventory = [InventoryChange(item, location, delta) for item, location, delta in changes]
    if registry.plugin_of(store_connection).capabilities.idempotent_stock:
        with_store(
            ctx.settings,
            store_connection,
            lambda store: store.adjust_inventory(inventory, reason=reason, idempotency_key=idempotency_key),
        )
        return
    applied = list(ctx.checkpoint.get("stock_applied", []))
    for change in inventory:
        done = f"{change.inventory_item_external_id}@{change.location_external_id}"
        if done in applied:
            continue

        def adjust_one(store: SourceStore, one: InventoryChange = change, key: str = done) -> None:
            store.adjust_inventory([one], reason=reason, idempotency_key=f"{idempotency_key}:{key}")

        with_store(ctx.settings, store_connection, adjust_one)
        applied.append(done)
        ctx.save_checkpoint({**ctx.checkpoint, "stock_applied": applied})


def tiktok_api(ctx: JobContext, connection: ChannelConnection):
    return tiktok_client(ctx.settings, get_engine(ctx.settings.database_url), connection)


def record_store_outcome(ctx: JobContext, order_id: int, error: str | None, done_flag: str) -> None:
    """After a change of the store order: its refusal in words on the order, or the order's `done_flag`
    (store_cancelled, store_delivered) set so the change is not made twice."""

    def record(session):
        order = OrderRepository(session).get(order_id)
        if order is None:  # deleted with its merchant meanwhile
            return
        if error:
            order.last_error = error
        else:
            setattr(order, done_flag, True)
            order.last_error = None

    write(ctx, record)


def write(ctx: JobContext, work):
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


def raw(order: m.Order) -> dict:
    return order.model_dump(mode="json", exclude_none=True)


def fetch_and_apply(ctx: JobContext, connection: ChannelConnection, tiktok_order_ids: list[str]) -> list[int]:
    orders = tiktok_api(ctx, connection).get_orders(tiktok_order_ids)
    return [
        write(ctx, lambda s, o=order: service.apply_tiktok_order(s, connection, raw(o))).order_id for order in orders
    ]


def run_now(ctx: JobContext, job_id: int | None) -> None:
    """Run a job just queued in this thread, rather than wait for a worker to pick it up: an order reaches
    the store without queueing three times. The claim is the usual conditional update, so a worker that
    got there first runs it instead, and a failure takes the job's ordinary retry path."""
    if job_id is not None:
        run_job(ctx.settings, job_id)
