"""Jobs on listings. Each one is resumable: it works from the database state and a checkpoint,
binds TikTok's ids in the same transaction as its progress, and never sleeps on a rate limit."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Set
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tokbridge.activity import service as activity
from tokbridge.activity.repository import ActivityRepository
from tokbridge.audit import service as audit
from tokbridge.catalog.models import CatalogProduct, CatalogVariant
from tokbridge.category_templates.mapper import content_hashes
from tokbridge.category_templates.problems import blocking
from tokbridge.channels.connections import ConnectionRepository
from tokbridge.channels.factory import tiktok_client
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.shops import NoSuchShop, ShopContext, shop_context
from tokbridge.channels.tiktok.errors import TikTokError
from tokbridge.channels.tiktok.models import InventoryUpdate, PriceUpdate, ProductSearch, ProductWriteResult
from tokbridge.db.base import utcnow
from tokbridge.db.engine import for_writing, get_engine
from tokbridge.jobs.fairness import lower_this_threads_priority
from tokbridge.jobs.models import JobState
from tokbridge.jobs.registry import job_handler, periodic
from tokbridge.jobs.runner import JobContext
from tokbridge.jobs.service import enqueue
from tokbridge.kit.errors import PermanentError, RetryableError
from tokbridge.kit.words import plural, sentence_list
from tokbridge.listings import daily_limit, service
from tokbridge.listings.models import Listing, ListingSku, ListingStatus
from tokbridge.listings.publisher import LISTING_LIMIT_CODE, Publisher, bind_skus, unbind, with_sku_ids
from tokbridge.listings.repository import ListingRepository, compact_status_counts
from tokbridge.listings.status import EXPLANATIONS, dashboard_status

BATCH = 50

log = logging.getLogger(__name__)


class DailyLimitReached(RetryableError):
    consumes_attempt = False


class BackingOff(RetryableError):
    """Only products waiting a moment after a passing error are left, each with tries to spare: a pause
    between tries, not a failed attempt (the job comes back when the first is due; nobody sleeps)."""

    consumes_attempt = False


def _shop(ctx: JobContext, connection_id: str | None = None) -> ShopContext:
    """The job's shop (the payload's `connection_id`), detached from the session that read it: the job
    calls TikTok with no transaction open."""
    with ctx.session() as session:
        try:
            shop = shop_context(session, connection_id or ctx.payload.get("connection_id"))
        except NoSuchShop:
            raise PermanentError("The TikTok shop is no longer connected. Reconnect it and try again.") from None
        session.expunge(shop.shop)
        if shop.store is not None:
            session.expunge(shop.store)
    return shop


def _client(ctx: JobContext, connection: ChannelConnection):
    return tiktok_client(ctx.settings, get_engine(ctx.settings.database_url), connection)


# --- bulk upload ----------------------------------------------------------------------------------


@job_handler("listings.upload", title="Bulk upload to TikTok Shop", on_failure=service.upload_stopped)
def upload(ctx: JobContext) -> None:
    """Send every listing of the shop that is In progress, several at a time; products queued meanwhile too.

    The queue is the listings' own status: a sent product is no longer In progress, so a resumed job
    (after a crash, a rate-limit wait or the daily limit) simply picks up what is left. A product that
    meets a passing error is tried again later in the same attempt, while the others go on.
    """
    shop = _shop(ctx)
    connection = shop.shop
    with ctx.session() as session:
        remaining = _count_queued(session, connection.id)
    publisher = Publisher(_client(ctx, connection), shop, between_steps=lambda: ctx.make_way(hand_back=False))
    progress = _Progress(ctx, ctx.checkpoint, remaining=remaining)
    retries = _ProductRetries(ctx.checkpoint.get("passing_errors"))
    with ThreadPoolExecutor(
        max_workers=ctx.settings.upload_concurrency,
        thread_name_prefix="upload",
        initializer=lower_this_threads_priority,
    ) as pool:
        while batch := _next_batch(ctx, connection.id, skip=retries.waiting()):
            futures = [
                pool.submit(_publish_or_defer, publisher, ctx, listing_id, progress, retries) for listing_id in batch
            ]
            _raise_first_stop(futures, ctx, connection.id)
    if waiting := retries.waiting():
        # Only products waiting out their back-off are left: the queue brings the job back, nobody sleeps.
        # Their tries so far go with the job, so each gets all its tries before an attempt counts as failed.
        due_in = retries.next_in()
        ctx.save_checkpoint(
            {**progress.checkpoint(), "passing_errors": retries.failures() if due_in is not None else {}}
        )
        message = f"{plural(len(waiting), 'product')} met a passing error at TikTok and will be sent again shortly"
        raise BackingOff(message, retry_after=due_in) if due_in is not None else RetryableError(message)
    with ctx.session() as session, session.begin():
        daily_limit.learn(for_writing(session), ConnectionRepository(session).get(connection.id), refused=False)
        activity.record(
            session,
            ctx.required_merchant_id,
            "listings.upload.summary",
            f"Bulk upload finished: {plural(progress.done, 'product')}",
            message=upload_summary(progress.outcomes),
            status="succeeded",
            connection_id=connection.id,
        )


def upload_summary(outcomes: Counter) -> str:
    """What became of this upload's products (not the whole catalog's)."""
    fixes = outcomes[ListingStatus.NOT_UPLOADED]
    parts = [f"{outcomes[ListingStatus.REVIEWING]:,} sent to TikTok and under review"]
    if outcomes[ListingStatus.FAILED]:
        parts.append(f"{outcomes[ListingStatus.FAILED]:,} failed (their pages say why)")
    if fixes:
        parts.append(f"{fixes:,} need fixes before they can go" if fixes > 1 else "1 needs fixes before it can go")
    return sentence_list(parts) + "."


# A product's passing errors within one attempt: tried again after 0.5 s, 1 s, then left to the next attempt.
PRODUCT_RETRIES = 3
PRODUCT_RETRY_BASE_SECONDS = 0.5


class _ProductRetries:
    """Products of this attempt that met a passing error (a 5xx, a timeout), each with when it may go again.

    `failures` are the counts carried over from the job's last run when it paused for a back-off: those
    products are due at once (the queue waited for them)."""

    def __init__(self, failures: dict | None = None) -> None:
        self._lock = threading.Lock()
        self._failures: dict[int, int] = {int(listing_id): count for listing_id, count in (failures or {}).items()}
        self._not_before: dict[int, float] = {}

    def defer(self, listing_id: int) -> None:
        with self._lock:
            failures = self._failures[listing_id] = self._failures.get(listing_id, 0) + 1
            # After its last retry here the product waits for the job's next attempt (never "due" again now).
            wait = PRODUCT_RETRY_BASE_SECONDS * 2 ** (failures - 1) if failures < PRODUCT_RETRIES else float("inf")
            self._not_before[listing_id] = time.monotonic() + wait

    def sent(self, listing_id: int) -> None:
        with self._lock:
            self._not_before.pop(listing_id, None)

    def waiting(self) -> set[int]:
        now = time.monotonic()
        with self._lock:
            return {listing_id for listing_id, due in self._not_before.items() if due > now}

    def failures(self) -> dict[str, int]:
        """Passing errors so far of the products still waiting (keys as strings: the checkpoint is JSON)."""
        with self._lock:
            return {str(listing_id): self._failures[listing_id] for listing_id in self._not_before}

    def next_in(self) -> float | None:
        """Seconds until the first waiting product may go again; None when all wait for the next attempt."""
        with self._lock:
            due = min(self._not_before.values(), default=float("inf"))
        return None if due == float("inf") else max(0.0, due - time.monotonic())


def _publish_or_defer(
    publisher: Publisher, ctx: JobContext, listing_id: int, progress: _Progress, retries: _ProductRetries
) -> None:
    ctx.make_way()  # before the product starts: it stays In progress for the job's continuation
    try:
        publisher.publish(ctx.session, listing_id, progress.recorder(listing_id))
    except RetryableError as error:
        if not error.consumes_attempt:
            raise  # a rate limit or the daily limit: the whole job waits
        log.info("listing %s met a passing error, tried again later: %s", listing_id, error)
        retries.defer(listing_id)  # still In progress, with its idempotency key: never created twice
    else:
        retries.sent(listing_id)


class _Progress:
    """Counts finished products and their outcomes across the upload threads; saved with each product's
    outcome, so a resumed job's summary still covers the whole upload."""

    def __init__(self, ctx: JobContext, checkpoint: dict, remaining: int):
        self.ctx, self.done = ctx, int(checkpoint.get("done", 0))
        self.total = self.done + remaining
        self.outcomes = Counter(checkpoint.get("outcomes") or {})
        self._lock = threading.Lock()

    def checkpoint(self) -> dict:
        with self._lock:
            return {"done": self.done, "outcomes": dict(self.outcomes)}

    def recorder(self, listing_id: int) -> Callable[[Session], None]:
        def record(session: Session) -> None:
            listing = ListingRepository(session).get(listing_id)
            with self._lock:
                self.done += 1
                if listing is not None:
                    self.outcomes[listing.status] += 1
                done, total, outcomes = self.done, max(self.total, self.done), dict(self.outcomes)
            self.ctx.progress(
                done, total, checkpoint={"done": done, "outcomes": outcomes}, session=session, forward_only=True
            )

        return record


def _next_batch(ctx: JobContext, connection_id: str, skip: Set[int] = frozenset()) -> list[int]:
    with ctx.session() as session:
        return [
            listing_id for listing_id in _queued(session, connection_id, BATCH + len(skip)) if listing_id not in skip
        ][:BATCH]


def _raise_first_stop(futures, ctx: JobContext, connection_id: str) -> None:
    """Wait for the batch; a rate limit, the daily limit or a lost lease stops the job (it resumes later)."""
    stop: BaseException | None = None
    limit_reached = False
    for future in futures:
        try:
            future.result()
        except TikTokError as error:
            if error.code == LISTING_LIMIT_CODE:
                limit_reached = True
            else:
                stop = stop or error
        except Exception as error:  # noqa: BLE001 - keep the first; the others finish or fail the same way
            stop = stop or error
        if stop is not None or limit_reached:
            for pending in futures:
                pending.cancel()
    if limit_reached:
        # Counted once every product already under way has its outcome, so the number left is right; learnt
        # even when another product's error also stops this attempt (else the limit is forgotten until
        # TikTok refuses again).
        with ctx.session() as session, session.begin():
            reached = _daily_limit(for_writing(session), connection_id)
        stop = stop or reached
    if stop is not None:
        raise stop


def _queued(session: Session, connection_id: str, limit: int = BATCH) -> list[int]:
    return ListingRepository(session).in_progress_ids(connection_id, limit)


def _count_queued(session: Session, connection_id: str) -> int:
    return ListingRepository(session).count_in_progress(connection_id)


def _daily_limit(session: Session, connection_id: str) -> DailyLimitReached:
    """Plan the rest for tomorrow (TikTok counts the day in UTC), and remember what TikTok took today."""
    now = utcnow()
    tomorrow = daily_limit.next_day(now)
    daily_limit.learn(session, ConnectionRepository(session).get(connection_id), refused=True, now=now)
    remaining = _count_queued(session, connection_id)
    return DailyLimitReached(
        f"TikTok's daily listing limit for this shop is reached. The remaining {plural(remaining, 'product')} will "
        f"upload automatically after {tomorrow:%Y-%m-%d %H:%M} UTC.",
        retry_after=(tomorrow - now).total_seconds() + 60,
    )


# --- statuses ---------------------------------------------------------------------------------------


def apply_remote_status(session: Session, listing: Listing, product, *, now: datetime) -> bool:
    """Update a listing from TikTok's product; True when it just went live."""
    audit_status = product.audit.status if product.audit else None
    new_status = dashboard_status(product.status, audit_status)
    went_live = new_status == ListingStatus.LIVE and listing.status != ListingStatus.LIVE
    listing.tiktok_status = product.status
    listing.audit_status = audit_status
    listing.status = new_status
    listing.status_synced_at = now
    if new_status == ListingStatus.FAILED:
        listing.review_reasons = list(product.audit_failed_reasons or [])
        listing.last_error = EXPLANATIONS.get(product.status, EXPLANATIONS["FAILED"])
    elif new_status in (ListingStatus.LIVE, ListingStatus.REVIEWING):
        listing.review_reasons = []
        listing.last_error = None
    return went_live


@job_handler("listings.refresh_status", title="Update product statuses from TikTok", visible=False)
def refresh_status(ctx: JobContext) -> None:
    """After a product status or audit webhook, or an activation: read the products and update their
    listings, one at a time with a checkpoint, so a rate-limit pause resumes where it stopped."""
    connection = _shop(ctx).shop
    client = _client(ctx, connection)
    ids = [str(i) for i in ctx.payload.get("tiktok_product_ids", [])]
    for index in range(int(ctx.checkpoint.get("done", 0)), len(ids)):
        product = client.get_product(ids[index])
        with ctx.session() as session, session.begin():
            for_writing(session)
            listing = ListingRepository(session).by_tiktok_id(connection.id, product.id)
            if listing is not None and apply_remote_status(session, listing, product, now=utcnow()):
                _after_live(session, ctx.required_merchant_id, listing)
            ctx.progress(index + 1, len(ids), checkpoint={"done": index + 1}, session=session)


def _after_live(session: Session, merchant_id: int, listing: Listing) -> None:
    # Changes made in the store while TikTok was reviewing can only be sent now (to this shop).
    enqueue(
        session,
        "listings.sync_product",
        merchant_id=merchant_id,
        payload={"product_id": listing.product_id, "reason": "went live", "connection_id": listing.connection_id},
        identity_key=f"listings.sync_product:{listing.connection_id}:{listing.product_id}",
    )


@job_handler("listings.sync_shop", title="Sync Shop Status")
def sync_shop(ctx: JobContext) -> None:
    """Reconcile every product of the shop from TikTok; link listings that exist there already, by SKU.

    The checkpoint is the page being read and how many of its products are done, saved before every
    read of a product's review reasons: a rate-limit wait resumes at the product it stopped at."""
    shop = _shop(ctx)
    connection = shop.shop
    client = _client(ctx, connection)
    checkpoint = {"page_token": "", "index": 0, "seen": 0, "linked": 0, **ctx.checkpoint}
    while True:
        ctx.make_way()  # between pages and reads, all saved: order work first (jobs/fairness.py)
        page = client.search_products(ProductSearch(status="ALL"), page_token=checkpoint["page_token"])
        total = page.total_count or checkpoint["seen"] + len(page.products)
        ready: list = []
        for product in page.products[int(checkpoint["index"]) :]:
            if _needs_reasons(product):
                # Search answers carry no review reasons: what is ready is saved before each read.
                checkpoint = _reconcile_and_save(ctx, connection.id, ready, checkpoint, total)
                ready = []
                ctx.make_way()
                product = client.get_product(product.id)
            ready.append(product)
        next_page = {"page_token": page.next_page_token or "", "index": 0}
        checkpoint = _reconcile_and_save(ctx, connection.id, ready, checkpoint, total, then=next_page)
        if not checkpoint["page_token"]:
            break
    seen, linked = checkpoint["seen"], checkpoint["linked"]
    with ctx.session() as session, session.begin():
        activity.record(
            session,
            ctx.required_merchant_id,
            "listings.sync_shop.summary",
            "Shop status synced",
            message=f"{plural(seen, 'product')} read from TikTok; {plural(linked, 'existing listing')} linked by SKU.",
            status="succeeded",
            connection_id=connection.id,
        )


def _reconcile_and_save(
    ctx: JobContext, connection_id: str, products: list, checkpoint: dict, total: int, then: dict | None = None
) -> dict:
    """Reconcile `products` (the next ones of the page) and save how far the sync got, in one transaction."""
    if not products and then is None:
        return checkpoint
    with ctx.session() as session, session.begin():
        for_writing(session)
        linked = sum(_reconcile(session, ctx.required_merchant_id, connection_id, product) for product in products)
        checkpoint = {
            **checkpoint,
            "index": int(checkpoint["index"]) + len(products),
            "seen": int(checkpoint["seen"]) + len(products),
            "linked": int(checkpoint["linked"]) + linked,
            **(then or {}),
        }
        ctx.progress(checkpoint["seen"], max(total, checkpoint["seen"]), checkpoint=checkpoint, session=session)
    return checkpoint


def _needs_reasons(product) -> bool:
    return product.status in ("FAILED", "PLATFORM_DEACTIVATED", "FREEZE") and not product.audit_failed_reasons


def _reconcile(session: Session, merchant_id: int, connection_id: str, product) -> int:
    repository = ListingRepository(session)
    listing = repository.by_tiktok_id(connection_id, product.id)
    if listing is not None:
        if apply_remote_status(session, listing, product, now=utcnow()):
            _after_live(session, merchant_id, listing)
        return 0
    # A listing made outside TokBridge: link it to the store product whose variants carry its SKUs.
    skus = [s.seller_sku for s in product.skus if s.seller_sku]
    if not skus or product.status == "DELETED":
        return 0
    variants = session.scalars(select(CatalogVariant).where(CatalogVariant.sku.in_(skus))).all()
    product_ids = {v.product_id for v in variants}
    if len(product_ids) != 1:
        return 0  # no match, or SKUs spread over several store products: leave it to the merchant
    product_id = product_ids.pop()
    listing = repository.for_product(connection_id, product_id)
    if listing is not None and (listing.tiktok_product_id is not None or listing.status == ListingStatus.IN_PROGRESS):
        return 0  # bound already, or its upload is under way and binds it
    if listing is None:
        listing = Listing(
            merchant_id=merchant_id, connection_id=connection_id, product_id=product_id, problems=[], review_reasons=[]
        )
        session.add(listing)
    else:  # known here but never bound (an upload TikTok refused as a duplicate, say): bind it now
        session.execute(delete(ListingSku).where(ListingSku.listing_id == listing.id))
        listing.idempotency_key = listing.sent_fingerprint = None
    listing.tiktok_product_id = product.id
    apply_remote_status(session, listing, product, now=utcnow())
    session.flush()
    by_sku = {v.sku: v for v in variants}
    for sku in product.skus:
        if sku.seller_sku in by_sku:
            session.add(
                ListingSku(
                    merchant_id=merchant_id,
                    listing_id=listing.id,
                    variant_id=by_sku[sku.seller_sku].id,
                    tiktok_sku_id=sku.id,
                    seller_sku=sku.seller_sku,
                )
            )
    return 1


# --- activate, deactivate, delete --------------------------------------------------------------------


ACTION_RESULT = {
    "activate": (None, None),  # TikTok decides (live, or back to review): read it afterwards
    "deactivate": (ListingStatus.INACTIVE, "SELLER_DEACTIVATED"),
    "delete": (ListingStatus.NOT_UPLOADED, "DELETED"),  # and the binding goes: see unbind
}


@job_handler("listings.batch_action", title="Change products on TikTok")
def batch_action(ctx: JobContext) -> None:
    action = ctx.payload["action"]
    connection = _shop(ctx).shop
    with ctx.session() as session:
        listings = {
            l.tiktok_product_id: l.id
            for l in session.scalars(
                select(Listing).where(
                    Listing.id.in_(ctx.payload["listing_ids"]),
                    Listing.connection_id == connection.id,
                    Listing.tiktok_product_id.is_not(None),
                )
            )
        }
    client = _client(ctx, connection)
    call = {
        "activate": client.activate_products,
        "deactivate": client.deactivate_products,
        "delete": client.delete_products,
    }[action]
    result = call(list(listings))
    errors = {e.item_id: e.message for e in result.errors if e.item_id}
    status, tiktok_status = ACTION_RESULT[action]
    with ctx.session() as session, session.begin():
        for_writing(session)
        repository = ListingRepository(session)
        for tiktok_id, listing_id in listings.items():
            listing = repository.get(listing_id)
            if listing is None:  # deleted with its merchant meanwhile
                continue
            if tiktok_id in errors:
                listing.last_error = f"TikTok refused to {action} it: {errors[tiktok_id]}"
                continue
            before = {"tiktok_product_id": tiktok_id, "status": listing.status, "tiktok_status": listing.tiktok_status}
            if action == "delete":
                unbind(session, listing)  # the next upload creates the product afresh
            elif status is not None:
                listing.status, listing.tiktok_status, listing.last_error = status, tiktok_status, None
            audit_status(session, listing, action, before, ctx.payload.get("change_set"))
        if (row := ActivityRepository(session).for_job(ctx.job_id)) and ctx.payload.get("change_set"):
            row.details = {**(row.details or {}), "audit_entry": ctx.payload["change_set"]}  # its Undo link
        if action == "activate":  # TikTok decides whether it goes live at once or back to review: ask it
            accepted = [tiktok_id for tiktok_id in listings if tiktok_id not in errors]
            if accepted:
                enqueue(
                    session,
                    "listings.refresh_status",
                    merchant_id=ctx.merchant_id,
                    payload={"connection_id": connection.id, "tiktok_product_ids": accepted},
                )
        ctx.progress(len(listings), len(listings), session=session)
    if errors:
        raise PermanentError(
            f"{len(errors)} of {len(listings)} products could not be {action}d; see each product for TikTok's reason."
        )


ACTION_WORDS = {"activate": "Activated", "deactivate": "Deactivated", "delete": "Deleted"}


def audit_status(session: Session, listing: Listing, action: str, before: dict, change_set: int | None) -> None:
    """One product's activation, deactivation or deletion on TikTok. Activation's outcome is TikTok's
    to decide (live or back to review): `after` says what was asked."""
    title = session.scalar(select(CatalogProduct.title).where(CatalogProduct.id == listing.product_id)) or "a product"
    after = (
        None
        if action == "delete"
        else {
            "tiktok_product_id": before["tiktok_product_id"],
            "action": action,
            "status": ListingStatus.LIVE if action == "activate" else listing.status,
        }
    )
    audit.record(
        session,
        None,
        "listing.deleted" if action == "delete" else "listing.status",
        ("product", listing.product_id),
        before,
        after,
        summary=f"{ACTION_WORDS[action]} “{title[:120]}” on TikTok",
        change_set=change_set,
        product_id=listing.product_id,
        connection_id=listing.connection_id,
    )


# --- continuous sync ---------------------------------------------------------------------------------


SYNC_JOB = "listings.sync_product"


def queue_product_sync(session: Session, merchant_id: int, product_id: int, reason: str) -> int:
    """One `listings.sync_product` per shop where the product is on TikTok. Returns how many shops."""
    shops = ListingRepository(session).shops_listing(product_id)
    for connection_id in shops:
        payload = {"product_id": product_id, "reason": reason, "connection_id": connection_id}
        job = enqueue(
            session,
            SYNC_JOB,
            merchant_id=merchant_id,
            payload=payload,
            identity_key=f"{SYNC_JOB}:{connection_id}:{product_id}:{reason}",
        )
        if job.state == JobState.RUNNING:  # it may have read the product before this change
            enqueue(session, SYNC_JOB, merchant_id=merchant_id, payload=payload)
    return len(shops)


@job_handler(SYNC_JOB, title="Sync a product to TikTok", visible=False)
def sync_product(ctx: JobContext) -> None:
    """Send what changed in the store to one shop, per that shop's switches and prices; nothing when the
    mapped data is the same. Three steps, so no transaction is open during a call to TikTok: read and
    compare, send, record.

    Without a `connection_id` (a store change: the catalog does not know the shops) the job hands the
    change to every shop where the product is on TikTok, one job each: the shops move independently."""
    product_id = int(ctx.payload["product_id"])
    if not ctx.payload.get("connection_id"):
        with ctx.session() as session, session.begin():
            queue_product_sync(
                for_writing(session), ctx.required_merchant_id, product_id, str(ctx.payload.get("reason") or "store")
            )
        return
    shop = _shop(ctx)
    connection = shop.shop
    with ctx.session() as session:
        listing = ListingRepository(session).for_product(connection.id, product_id)
        if listing is None or listing.tiktok_product_id is None:
            return  # not on TikTok: the next upload sends the current data
        if listing.status == ListingStatus.IN_PROGRESS:
            raise RetryableError("the product's upload is still under way", retry_after=30)
        if listing.status not in (ListingStatus.LIVE, ListingStatus.INACTIVE):
            return  # under review or failed: TikTok takes no price or stock changes now; sent when live
        sync = ListingRepository(session).sync_settings(ctx.required_merchant_id, connection.id, create=False)
        switches: dict[str, Any] = {
            "info": sync.sync_product_info,
            "price": sync.sync_price,
            "inventory": sync.sync_inventory,
            "on_delete": sync.on_store_delete,
        }
        store_status = session.scalar(select(CatalogProduct.status).where(CatalogProduct.id == product_id))
        listing_id, tiktok_id, pushed_info = listing.id, listing.tiktok_product_id, listing.pushed_content_hash
        skus = {
            s.variant_id: (s.id, s.tiktok_sku_id, s.seller_sku, s.pushed_price, s.pushed_quantity)
            for s in ListingRepository(session).skus(listing.id)
        }
        session.commit()
    client = _client(ctx, connection)
    if store_status == "deleted":
        _remove_deleted(ctx, client, listing_id, switches["on_delete"])
        return

    publisher = Publisher(client, shop)
    uris = None
    if switches["info"]:
        with ctx.session() as session:
            prepared = publisher.prepare(session, product_id)
        if prepared.bundle is not None:
            uris = publisher.upload_images(ctx.session, prepared.bundle)
    with ctx.session() as session:
        prepared = publisher.prepare(session, product_id, image_uris=uris)
    if switches["price"] and _prices_unconverted(ctx, prepared, connection.id):
        switches = {**switches, "price": False}  # stock still goes; prices wait for the conversion rate
    problems = [p for p in prepared.problems if p.code != "currency_rate"]
    if prepared.body is None or prepared.bundle is None or (switches["info"] and blocking(problems)):
        with ctx.session() as session, session.begin():
            row = ListingRepository(session).get(listing_id)
            if row is None:  # deleted with its merchant meanwhile
                return
            row.problems = [p.as_dict() for p in prepared.problems]
            count = len(blocking(problems))
            activity.record(
                session,
                ctx.required_merchant_id,
                "listings.sync.blocked",
                "A store change could not be sent to TikTok",
                status="failed",
                message=f"{count} problem{'s' if count != 1 else ''}; see the product for fixes.",
                connection_id=connection.id,
            )
        return

    body, bundle = prepared.body, prepared.bundle
    sent = _send_changes(client, tiktok_id, body, bundle, skus, switches, pushed_info)
    if not sent.changes:
        return
    with ctx.session() as session, session.begin():
        for sku_row_id, field, value in sent.pushed:
            sku_row = session.get(ListingSku, sku_row_id)
            if sku_row is not None:  # an SKU unbound meanwhile keeps nothing
                setattr(sku_row, field, value)
        listing = ListingRepository(session).get(listing_id)
        if listing is None:  # deleted with its merchant meanwhile
            return
        if sent.info_hash is not None:
            listing.pushed_content_hash = sent.info_hash
        if sent.edited is not None:
            # SKUs added or removed: the bindings become TikTok's answer, and the edit is under review.
            bind_skus(
                session,
                listing,
                sent.edited,
                bundle,
                body,
                sent_price=switches["price"],
                sent_inventory=switches["inventory"],
            )
            listing.audit_status = (sent.edited.audit or {}).get("status") or "AUDITING"
            listing.status = dashboard_status(listing.tiktok_status, listing.audit_status)
        activity.record(
            session,
            ctx.required_merchant_id,
            "listings.sync",
            f"Sent store changes of “{body.title[:80]}”",
            status="succeeded",
            details={"changes": sent.changes, "product_id": product_id},
            connection_id=connection.id,
        )
        audit_pushes(session, sent, listing, body.title, ctx.payload.get("change_set"))


def audit_pushes(session: Session, sent: SentChanges, listing: Listing, title: str, change_set: int | None) -> None:
    """The prices and stock just sent to TikTok, one entry each, in the change set that caused them (a
    template edit) or on their own (a store change). `after` keeps what a call needs to send `before` back."""
    for kind, values, what in (("listing.price", sent.prices, "Price"), ("listing.stock", sent.stock, "Stock")):
        if not values:
            continue
        changes = ", ".join(
            f"{v['seller_sku'] or 'SKU'} {_shown(v['before'])} → {_shown(v['after'])}" for v in values.values()
        )
        before = {
            "tiktok_product_id": listing.tiktok_product_id,
            "skus": {sku: v["before"] for sku, v in values.items()},
        }
        after = {
            "tiktok_product_id": listing.tiktok_product_id,
            "skus": {sku: v["after"] for sku, v in values.items()},
            "extra": {sku: {k: v[k] for k in ("currency", "warehouses") if k in v} for sku, v in values.items()},
        }
        audit.record(
            session,
            None,
            kind,
            ("product", listing.product_id),
            before,
            after,
            summary=f"{what} sent to TikTok for “{title[:80]}”: {changes}",
            change_set=change_set,
            product_id=listing.product_id,
            connection_id=listing.connection_id,
        )


def _shown(value) -> str:
    return "not sent before" if value is None else str(value)


def _prices_unconverted(ctx: JobContext, prepared, connection_id: str) -> bool:
    """True when the shop's currency needs a conversion rate that is not set: say so, send no price."""
    missing = next((p for p in prepared.problems if p.code == "currency_rate"), None)
    if missing is None or prepared.body is None:
        return False
    with ctx.session() as session, session.begin():
        activity.record(
            session,
            ctx.required_merchant_id,
            "listings.sync.price_blocked",
            f"Prices of “{prepared.body.title[:80]}” were not sent to TikTok",
            status="failed",
            message=f"{missing.message} {missing.fix}",
            connection_id=connection_id,
        )
    return True


@dataclass
class SentChanges:
    changes: list[dict] = field(default_factory=list)
    pushed: list[tuple[int, str, object]] = field(default_factory=list)  # (listing sku id, column, value)
    info_hash: str | None = None
    edited: ProductWriteResult | None = None  # TikTok's answer to Edit Product, when SKUs were added or removed
    # Per TikTok SKU id, what it had (as last sent) and what it got: the audit trail's values, for undo.
    prices: dict[str, dict] = field(default_factory=dict)
    stock: dict[str, dict] = field(default_factory=dict)


def _send_changes(
    client, tiktok_id: str, body, bundle, skus: dict, switches: dict, pushed_info: str | None
) -> SentChanges:
    """Compare the mapped body with what was last sent and send only the difference."""
    sent = SentChanges()
    variant_by_external = {v.external_id: v for v in bundle.variants}
    candidates = [
        (sku, skus.get(variant_by_external[sku.external_sku_id].id))
        for sku in body.skus
        if sku.external_sku_id in variant_by_external
    ]
    bound = [(sku, row) for sku, row in candidates if row is not None]
    if switches["inventory"]:
        changed = [(sku, row, sum(w.quantity for w in sku.inventory)) for sku, row in bound]
        changed = [(sku, row, quantity) for sku, row, quantity in changed if row[4] != quantity]
        if changed:
            client.update_inventory(
                tiktok_id, [InventoryUpdate(id=row[1], inventory=sku.inventory) for sku, row, _ in changed]
            )
            for sku, row, quantity in changed:
                sent.changes.append({"field": "stock", "sku": row[2], "before": row[4], "after": quantity})
                sent.pushed.append((row[0], "pushed_quantity", quantity))
                sent.stock[row[1]] = {
                    "seller_sku": row[2],
                    "before": row[4],
                    "after": quantity,
                    "warehouses": [w.model_dump(mode="json") for w in sku.inventory],
                }
    if switches["price"]:
        repriced = [(sku, row) for sku, row in bound if sku.price and row[3] != sku.price.amount]
        if repriced:
            client.update_price(
                tiktok_id,
                [
                    PriceUpdate(id=row[1], price=sku.price, external_list_prices=sku.external_list_prices)
                    for sku, row in repriced
                ],
            )
            for sku, row in repriced:
                sent.changes.append({"field": "price", "sku": row[2], "before": row[3], "after": sku.price.amount})
                sent.pushed.append((row[0], "pushed_price", sku.price.amount))
                sent.prices[row[1]] = {
                    "seller_sku": row[2],
                    "before": row[3],
                    "after": sku.price.amount,
                    "currency": sku.price.currency,
                }
    info_hash = content_hashes(body).information
    if switches["info"] and info_hash != pushed_info:
        added = [
            sku
            for sku in body.skus
            if sku.external_sku_id not in variant_by_external or variant_by_external[sku.external_sku_id].id not in skus
        ]
        # A variant deleted in the store took its binding with it: TikTok's own list tells what to remove.
        bound_ids = {row[1] for row in skus.values()}
        removed = [sku for sku in client.get_product(tiktok_id).skus if sku.id not in bound_ids]
        if added or removed:
            # Only Edit Product adds and removes SKUs. Price and stock of kept SKUs stay as TikTok has them
            # when their switch is off; a new SKU needs both.
            sku_ids = {variant_id: row[1] for variant_id, row in skus.items()}
            keep = [name for name in ("price", "inventory") if not switches[name]]
            sent.edited = client.edit_product(tiktok_id, with_sku_ids(body, bundle, sku_ids), keep_sku_fields=keep)
            sent.changes.append(
                {
                    "field": "variants",
                    "added": [sku.seller_sku for sku in added],
                    "removed": [sku.seller_sku for sku in removed],
                }
            )
        else:
            client.partial_edit_product(
                tiktok_id,
                {
                    "title": body.title,
                    "description": body.description,
                    "main_images": [image.model_dump(exclude_none=True) for image in body.main_images],
                    "product_attributes": [a.model_dump(exclude_none=True) for a in body.product_attributes or []]
                    or None,
                },
            )
        sent.changes.append({"field": "product information", "before": None, "after": body.title})
        sent.info_hash = info_hash
    return sent


def _remove_deleted(ctx: JobContext, client, listing_id: int, behaviour: str) -> None:
    with ctx.session() as session:
        listing = ListingRepository(session).get(listing_id)
        tiktok_id = listing.tiktok_product_id if listing is not None else None
    if tiktok_id is None:  # deleted, or unbound, meanwhile: nothing on TikTok to remove
        return
    call = client.delete_products if behaviour == "delete" else client.deactivate_products
    refused = [error.message for error in call([tiktok_id]).errors]
    with ctx.session() as session, session.begin():
        listing = ListingRepository(session).get(listing_id)
        if listing is None:  # deleted with its merchant meanwhile
            return
        if refused:
            listing.last_error = f"TikTok refused to {behaviour} it after it was deleted in your store: {refused[0]}"
            return
        before = {"tiktok_product_id": tiktok_id, "status": listing.status, "tiktok_status": listing.tiktok_status}
        if behaviour == "delete":
            unbind(session, listing)
        else:
            listing.status, listing.tiktok_status = ListingStatus.INACTIVE, "SELLER_DEACTIVATED"
        audit_status(session, listing, behaviour, before, None)
        activity.record(
            session,
            ctx.required_merchant_id,
            "listings.store_deleted",
            f"Product deleted in the store was {'deleted' if behaviour == 'delete' else 'deactivated'} on TikTok",
            status="succeeded",
            details={"tiktok_product_id": tiktok_id},
            connection_id=listing.connection_id,
        )


# --- periodic -------------------------------------------------------------------------------------------

COMPACT_COUNTS_EVERY_SECONDS = 60  # reads sum whatever rows are there: compacting only keeps them few


@job_handler("listings.compact_counts", title="Fold the product counts' changes", visible=False)
def compact_counts(ctx: JobContext) -> None:
    """System job: the +1/-1 rows the database triggers write for the dashboard's counts, folded per bucket."""
    with ctx.session() as session, session.begin():
        folded = compact_status_counts(for_writing(session))
    ctx.progress(folded, folded)


periodic("listings.compact_counts", every_seconds=COMPACT_COUNTS_EVERY_SECONDS)
