"""Catalog jobs: the full import, incremental changes from store events, and the periodic reconciliation.

Everything goes through the store port (`channels.registry`), so these jobs work for any store plugin.
Polling is the baseline: the scheduled reconciliation reads the products changed since its last run
and catches every change, with or without webhooks; webhooks only make changes arrive sooner.

Events only say *that* a product changed: the product is read again from the store, so the data
written is always the store's current state. A copy is never replaced by an older one: the store's
`updated_at` is compared with the stored one, both before reading (a late webhook is dropped without
an API call) and before writing (two jobs reading at different times). After a change is written,
`listings.sync_product` is queued once per kind of change ("info", "price", "inventory") so the
TikTok listing follows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from tokbridge.activity import service as activity
from tokbridge.activity.models import ActivityStatus
from tokbridge.catalog.importer import CatalogImporter, ImportResult
from tokbridge.catalog.repository import CatalogRepository
from tokbridge.catalog.repository import products as products_table
from tokbridge.catalog.repository import variants as variants_table
from tokbridge.catalog.service import CatalogNotReady
from tokbridge.channels import registry
from tokbridge.channels.base import CatalogCheckpoint, CatalogItem, CatalogPending, CatalogStream, Product, SourceStore
from tokbridge.channels.connections import ConnectionRepository, fresh_store_connection, lock_connection
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.shops import active_shops
from tokbridge.db.base import utcnow
from tokbridge.db.engine import get_engine, session_scope
from tokbridge.jobs.kinds import TEMPLATES_LINK_NEW
from tokbridge.jobs.registry import job_handler, periodic
from tokbridge.jobs.runner import JobContext
from tokbridge.jobs.service import enqueue
from tokbridge.kit.errors import NeedsReconnect, PermanentError
from tokbridge.kit.words import code_words, plural, sentence_list
from tokbridge.tenancy.scoping import bind_merchant

log = logging.getLogger(__name__)
T = TypeVar("T")

IMPORT_JOB = "catalog.import"
RECONCILE_ALL_JOB = "catalog.reconcile_all"
RECONCILE_JOB = "catalog.reconcile"
SYNC_JOB = "listings.sync_product"
RECONCILE_EVERY_SECONDS = 15 * 60
# Reconciliation looks a little further back than its last run: clocks differ, and a change
# saved while the last run was reading must not fall between two runs.
RECONCILE_OVERLAP = timedelta(minutes=2)
PROGRESS_EVERY = 50  # products between two progress reports of the full import
COUNTED = ("products", "variants", "images", "inventory_levels", "orphans")


def with_store(settings, connection: ChannelConnection, work: Callable[[SourceStore], T]) -> T:
    """Run `work` with the store's adapter, its credentials renewed when about to expire; when the store
    refuses them anyway (clocks differ), renew once and run `work` again (it must be safe to repeat).
    Adapters raise the kit's error kinds, which the job layer already understands."""
    engine = get_engine(settings.database_url)
    connection = fresh_store_connection(settings, connection)
    for attempt in (1, 2):
        store = registry.store_for(settings, engine, connection)
        try:
            with closing(store):
                return work(store)
        except NeedsReconnect:
            if attempt == 2:
                raise
            connection = fresh_store_connection(settings, connection, rejected_token=connection.access_token)
    raise AssertionError("unreachable")


def _connection(ctx: JobContext) -> ChannelConnection:
    with ctx.session() as session:
        connection = ConnectionRepository(session).get(ctx.payload["connection_id"])
    if connection is None or connection.status != "active":
        raise PermanentError("The store is no longer connected; connect it again to import its catalog.")
    return connection


def _save_store_currency(engine: Engine, connection: ChannelConnection, currency: str) -> None:
    with session_scope(engine) as session:
        row = lock_connection(bind_merchant(session, connection.merchant_id), connection.id)
        if row is not None:
            row.currency = currency


def _save_catalog_state(engine: Engine, connection_id: str, merchant_id: int, **values) -> None:
    with session_scope(engine) as session:
        connection = lock_connection(bind_merchant(session, merchant_id), connection_id)
        if connection is not None:
            data = dict(connection.data or {})
            data["catalog"] = {**(data.get("catalog") or {}), **values}
            connection.data = data


# --- full import ----------------------------------------------------------------------------------


@job_handler(IMPORT_JOB, title="Import the store's catalog")
def import_catalog(ctx: JobContext) -> None:
    """payload: {"connection_id"}. Asks the store for its catalog from the job's checkpoint: while the
    store prepares it the job re-queues itself (without sleeping), then streams it into the catalog
    with progress, saving the store's checkpoints as it writes, so a killed worker's successor resumes.

    checkpoint: {"started_at", "store": the store's checkpoint, "synced_at" and "imported" (counts)
    once part of the stream is written}."""
    connection = _connection(ctx)
    engine = get_engine(ctx.settings.database_url)

    def export_and_import(store: SourceStore) -> ImportResult:
        if "store" not in ctx.checkpoint:
            # Prices are in the store's currency: read it with every full import (a store may change it).
            shop = store.shop_details()
            _save_store_currency(engine, connection, shop["currency"])
            _save_catalog_state(engine, connection.id, connection.merchant_id, store_name=shop["name"])
            ctx.checkpoint = {"started_at": utcnow().isoformat()}
        step = store.read_catalog(ctx.checkpoint.get("store"))
        if isinstance(step, CatalogPending):
            ctx.progress(0, None, {**ctx.checkpoint, "store": step.checkpoint})
            raise CatalogNotReady(step)
        return import_stream(ctx, engine, connection, step)

    result = with_store(ctx.settings, connection, export_and_import)
    started_at = ctx.checkpoint.get("started_at") or utcnow().isoformat()
    _save_catalog_state(
        engine,
        connection.id,
        connection.merchant_id,
        imported_at=utcnow().isoformat(),
        reconciled_at=started_at,
        products=result.products,
    )
    ctx.progress(result.products, result.products)
    link_new_products(engine, connection.merchant_id)
    with engine.connect() as db:
        by_status = CatalogRepository(db, connection.merchant_id, connection.channel).status_counts()
    title, message = import_summary(result.products, by_status, result.variants, result.images)
    with session_scope(engine) as session:
        activity.record(
            bind_merchant(session, connection.merchant_id),
            connection.merchant_id,
            "catalog.imported",
            title,
            message,
            status=ActivityStatus.SUCCEEDED,
            details={
                "products": result.products,
                "variants": result.variants,
                "removed": result.products_removed,
                "by_status": by_status,
            },
        )


def import_stream(
    ctx: JobContext, engine: Engine, connection: ChannelConnection, stream: CatalogStream
) -> ImportResult:
    """Write a catalog stream, resuming where the job's checkpoint says an earlier attempt stopped.
    Each store checkpoint is saved in the transaction that wrote everything before it. Returns the
    counts of the whole import, earlier attempts included."""
    saved = dict(ctx.checkpoint)
    counted: dict[str, Any] = {name: int((saved.get("imported") or {}).get(name, 0)) for name in COUNTED}
    earlier = ImportResult(**counted)
    resumed_from = datetime.fromisoformat(saved["synced_at"]) if saved.get("synced_at") else None

    def save(conn: Connection, checkpoint: CatalogCheckpoint, so_far: ImportResult) -> None:
        counts = {name: getattr(earlier, name) + getattr(so_far, name) for name in COUNTED}
        state = {**saved, "store": checkpoint.state, "synced_at": so_far.started_at.isoformat(), "imported": counts}
        with Session(bind=conn) as session:  # joins the importer's transaction, which commits both
            ctx.progress(
                counts["products"], stream.total, state, session=bind_merchant(session, connection.merchant_id)
            )
            session.flush()

    ctx.progress(earlier.products, stream.total)
    result = CatalogImporter(engine, connection.merchant_id, connection.channel, batch_size=500).run(
        _reporting(ctx, stream.items, earlier.products, stream.total),
        full=True,
        resumed_from=resumed_from,
        on_checkpoint=save,
    )
    for name in COUNTED:
        setattr(result, name, getattr(earlier, name) + getattr(result, name))
    return result


def import_summary(imported: int, by_status: dict[str, int], variants: int, images: int) -> tuple[str, str]:
    """The import's title and message, by store status: only active products are listed on TikTok (drafts,
    archived products and the other states a store keeps, such as inactive or sold out, are imported but
    not listed), so the dashboard's Not Uploaded count is the active ones."""
    active, drafts, archived = (by_status.get(status, 0) for status in ("active", "draft", "archived"))
    others = {
        status: count
        for status, count in sorted(by_status.items())
        if status not in ("active", "draft", "archived") and count
    }
    title = f"{plural(imported, 'product')} imported"
    if drafts or archived or others:
        parts = [f"{active:,} active"]
        if drafts:
            parts.append(plural(drafts, "draft"))
        if archived:
            parts.append(f"{archived:,} archived")
        parts.extend(f"{count:,} {code_words(status).lower()}" for status, count in others.items())
        title += f": {sentence_list(parts)}"
        if others:
            names = (
                (["draft"] if drafts else [])
                + (["archived"] if archived else [])
                + [code_words(status).lower() for status in others]
            )
            unlisted = sentence_list(names).capitalize() + " products"
        else:
            unlisted = (
                "Drafts and archived products" if drafts and archived else "Drafts" if drafts else "Archived products"
            )
        message = f"{unlisted} are not listed on TikTok. "
    else:
        title += ", all active"
        message = ""
    message += (
        f"Active products stay Not Uploaded until a category template links them. "
        f"{plural(variants, 'variant')}, {plural(images, 'image')}."
    )
    return title, message


def _reporting(
    ctx: JobContext, items: Iterable[CatalogItem | CatalogCheckpoint], done: int, total: int | None
) -> Iterator[CatalogItem | CatalogCheckpoint]:
    for item in items:
        yield item
        if type(item) is Product:
            done += 1
            if done % PROGRESS_EVERY == 0:
                ctx.progress(done, total)


# --- one product --------------------------------------------------------------------------------


@dataclass
class Applied:
    """What writing one product changed. `stale`: the store's copy was older than ours; not written."""

    product_id: int | None = None
    stale: bool = False
    reasons: list[str] = field(default_factory=list)


@dataclass
class _Snapshot:
    product_id: int
    updated_at: datetime | None
    info: tuple
    prices: dict
    stock: dict


def _snapshot(engine: Engine, merchant_id: int, channel: str, external_id: str) -> _Snapshot | None:
    with engine.connect() as conn:
        repo = CatalogRepository(conn, merchant_id, channel)
        row = repo.product(external_id)
        if row is None:
            return None
        variants = repo.variants_of(row["id"])
        images = [image["url"] for image in repo.images_of(row["id"])]
        return _Snapshot(
            product_id=row["id"],
            updated_at=row["source_updated_at"],
            info=(
                row["content_hash"],
                tuple(images),
                tuple(
                    (v["external_id"], v["title"], v["sku"], v["barcode"], str(v["option_values"]), v["weight_grams"])
                    for v in variants
                ),
            ),
            prices={v["external_id"]: (v["price"], v["compare_at_price"]) for v in variants},
            stock={v["external_id"]: repo.levels_of(v["id"]) for v in variants},
        )


def apply_product(engine: Engine, connection: ChannelConnection, product: Product) -> Applied:
    """Write a product read from the store, unless our copy is newer; queue the listing syncs."""
    merchant_id = connection.merchant_id
    before = _snapshot(engine, merchant_id, connection.channel, product.external_id)
    if before and before.updated_at and product.updated_at and product.updated_at < before.updated_at:
        log.info(
            "product %s: store copy of %s is older than ours (%s); not written",
            product.external_id,
            product.updated_at,
            before.updated_at,
        )
        return Applied(product_id=before.product_id, stale=True)
    CatalogImporter(engine, merchant_id, connection.channel, batch_size=500).run([product], full=False)
    after = _snapshot(engine, merchant_id, connection.channel, product.external_id)
    if after is None:  # deleted (with its merchant or connection) right after the write
        return Applied()
    if before is None:
        reasons = ["info"]  # new in the store: templates may now select it
        link_new_products(engine, merchant_id)
    else:
        reasons = [
            reason
            for reason, changed in (
                ("info", before.info != after.info),
                ("price", before.prices != after.prices),
                ("inventory", before.stock != after.stock),
            )
            if changed
        ]
    if reasons:
        with session_scope(engine) as session:
            queue_listing_sync(bind_merchant(session, merchant_id), merchant_id, after.product_id, reasons)
    return Applied(product_id=after.product_id, reasons=reasons)


def link_new_products(engine: Engine, merchant_id: int) -> None:
    """Queue the linking of new products to the templates whose rules select them (the templates' job:
    `templates.link_new`, queued by kind because templates sit above the catalog): the catalog is the
    merchant's, shared by all its TikTok shops, so each active shop links with its own templates (one job
    per shop, `connection_id` in the payload)."""
    with session_scope(engine) as session:
        session = bind_merchant(session, merchant_id)
        for shop in active_shops(session):
            enqueue(session, TEMPLATES_LINK_NEW, merchant_id=merchant_id, payload={"connection_id": shop.id})


def queue_listing_sync(session, merchant_id: int, product_id: int, reasons: Iterable[str]) -> None:
    """One `listings.sync_product` job per product and kind of change (the lead's handler decides
    what reaches TikTok according to the merchant's sync settings)."""
    for reason in reasons:
        enqueue(
            session,
            SYNC_JOB,
            merchant_id=merchant_id,
            payload={"product_id": product_id, "reason": reason},
            identity_key=f"{SYNC_JOB}:{product_id}:{reason}",
        )


def refresh_product(
    settings, connection: ChannelConnection, product_external_id: str, *, seen_updated_at: datetime | None = None
) -> Applied:
    """A store said the product was created or changed: re-read it and write it (unless the event is
    older than our copy, in which case nothing is read at all)."""
    engine = get_engine(settings.database_url)
    if seen_updated_at is not None:
        with engine.connect() as conn:
            stored = CatalogRepository(conn, connection.merchant_id, connection.channel).product(product_external_id)
        if stored and stored["source_updated_at"] and seen_updated_at < stored["source_updated_at"]:
            log.info(
                "product %s: event of %s is older than our copy (%s); ignored",
                product_external_id,
                seen_updated_at,
                stored["source_updated_at"],
            )
            return Applied(product_id=stored["id"], stale=True)
    product = with_store(settings, connection, lambda store: store.product(product_external_id))
    if product is None:
        return product_deleted(settings, connection, product_external_id)
    return apply_product(engine, connection, product)


def product_deleted(settings, connection: ChannelConnection, product_external_id: str) -> Applied:
    """A store said the product was deleted (or it was found gone): flag it deleted, queue its listing sync."""
    engine = get_engine(settings.database_url)
    with engine.begin() as conn:
        repo = CatalogRepository(conn, connection.merchant_id, connection.channel)
        # Write first (see onboarding.service.lock_connection for why, on SQLite).
        found = repo.mark_deleted([product_external_id])
        stored = repo.product(product_external_id)
    if not found or stored is None:
        return Applied()
    with session_scope(engine) as session:
        queue_listing_sync(
            bind_merchant(session, connection.merchant_id), connection.merchant_id, stored["id"], ["deleted"]
        )
    return Applied(product_id=stored["id"], reasons=["deleted"])


def refresh_inventory_item(settings, connection: ChannelConnection, inventory_item_external_id: str) -> Applied | None:
    """A store said an item's stock changed: re-read the variant's product (its stock at every location
    comes with it). The id is the item's external id as the catalog stores it
    (`ProductVariant.inventory_item_external_id`). None when it belongs to no product we know."""
    engine = get_engine(settings.database_url)
    with engine.connect() as conn:
        product_id = conn.scalar(
            select(variants_table.c.product_id).where(
                variants_table.c.merchant_id == connection.merchant_id,
                variants_table.c.channel == connection.channel,
                variants_table.c.inventory_item_external_id == inventory_item_external_id,
            )
        )
        if product_id is None:
            log.info("inventory item %s is not in the catalog; left to the reconciliation", inventory_item_external_id)
            return None
        product_external_id = conn.scalar(select(products_table.c.external_id).where(products_table.c.id == product_id))
    if product_external_id is None:  # deleted between the two reads
        return None
    return refresh_product(settings, connection, product_external_id)


# --- reconciliation -------------------------------------------------------------------------------


periodic(RECONCILE_ALL_JOB, every_seconds=RECONCILE_EVERY_SECONDS)


@job_handler(RECONCILE_ALL_JOB, title="Reconcile every store", visible=False)
def reconcile_all(ctx: JobContext) -> None:
    """System job: one reconciliation job per connected store."""
    with ctx.session() as session:
        repository = ConnectionRepository(session)
        connections = [
            connection for kind in sorted(registry.store_kinds()) for connection in repository.for_channel(kind)
        ]
        for connection in connections:
            enqueue(
                session,
                RECONCILE_JOB,
                merchant_id=connection.merchant_id,
                payload={"connection_id": connection.id},
                identity_key=f"{RECONCILE_JOB}:{connection.id}",
            )
        session.commit()


@job_handler(RECONCILE_JOB, title="Catch up with store changes", visible=False)
def reconcile(ctx: JobContext) -> None:
    """payload: {"connection_id"}. Read the products changed since the last run and write those
    that differ: a change whose webhook never came is caught here."""
    connection = _connection(ctx)
    since_text = ((connection.data or {}).get("catalog") or {}).get("reconciled_at")
    if not since_text:
        return  # the full import has not finished; it covers everything until then
    result = reconcile_connection(ctx.settings, connection, datetime.fromisoformat(since_text))
    if result:
        engine = get_engine(ctx.settings.database_url)
        with session_scope(engine) as session:
            activity.record(
                bind_merchant(session, connection.merchant_id),
                connection.merchant_id,
                "catalog.reconciled",
                f"Caught up with {plural(result, 'store change')}",
                "These changes had not reached TokBridge by webhook; the catalog now matches the store.",
            )


def reconcile_connection(settings, connection: ChannelConnection, since: datetime) -> int:
    """Apply the products changed in the store since `since`; returns how many differed from ours."""
    engine = get_engine(settings.database_url)
    started = utcnow()

    def read_changes(store: SourceStore) -> int:
        if connection.currency is None:  # connected before currencies were read: learn it now
            _save_store_currency(engine, connection, store.shop_details()["currency"])
        changed, cursor = 0, None
        while True:
            page = store.products_changed_since(since - RECONCILE_OVERLAP, cursor)
            for product in page.products:
                if apply_product(engine, connection, product).reasons:
                    changed += 1
            cursor = page.next_cursor
            if cursor is None:
                return changed

    changed = with_store(settings, connection, read_changes)
    _save_catalog_state(engine, connection.id, connection.merchant_id, reconciled_at=started.isoformat())
    return changed
