"""Use-cases on listings that the web layer calls: bulk upload, Sync Shop Status, activate,
deactivate, delete, and the dashboard's product figures. They check and record; jobs do the calls.

Every use-case works on one TikTok shop (`ShopContext`, built by the web layer from the shop the
merchant chose): its listings, its templates, its prices. The same store product has its own listing
in each shop."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from tokbridge.activity import service as activity
from tokbridge.audit import service as audit
from tokbridge.billing import service as billing
from tokbridge.catalog.models import CatalogProduct
from tokbridge.category_templates import repository as templates
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.shops import ShopContext, active_shops
from tokbridge.jobs.models import Job
from tokbridge.jobs.service import enqueue
from tokbridge.kit.words import plural
from tokbridge.listings import currency, daily_limit, prerequisites
from tokbridge.listings.models import Listing, ListingStatus
from tokbridge.listings.publisher import unchanged_since_refused
from tokbridge.listings.repository import LISTABLE_STATUSES, ListingRepository

ACTIONS = ("activate", "deactivate", "delete")
# Statuses a bulk upload (re)sends; the others are already on TikTok.
UPLOADABLE = (ListingStatus.NOT_UPLOADED, ListingStatus.FAILED)


class ListingRefused(Exception):
    """The request cannot be carried out; the message says why and what to do."""

    def __init__(self, message: str, link: str | None = None):
        super().__init__(message)
        self.message = message
        self.link = link


def prerequisite_checks(connection: ChannelConnection | None) -> list[dict] | None:
    if connection is None:
        return None
    stored = (connection.data or {}).get("prerequisites")
    return stored.get("checks") if stored else None  # written by onboarding.service.check_prerequisites


def products_on_tiktok(session: Session) -> int:
    """What counts against the plan's product limit: the listings on TikTok in every active shop of the
    merchant (a product listed in two shops is two products there)."""
    repository = ListingRepository(session)
    return sum(repository.products_on_tiktok(shop.id) for shop in active_shops(session))


def product_usage(session: Session, merchant_id: int) -> billing.PlanUsage:
    """The plan's product usage, across all the merchant's shops."""
    subscription = billing.subscription_for(session, merchant_id)
    return billing.usage(subscription, products_used=products_on_tiktok(session), orders_used=0)


def request_upload(session: Session, shop: ShopContext, product_ids: Sequence[int] | None = None) -> tuple[Job, int]:
    """Queue the shop's linked products (all, or `product_ids`) for upload to that shop. Returns the job
    and how many products it will send. Refused while the shop's prerequisites fail, or when the plan
    has no room left."""
    merchant_id, connection = shop.merchant_id, shop.shop
    if message := prerequisites.blocking_message(prerequisite_checks(connection)):
        raise ListingRefused(message, "/dashboard#prerequisites")
    if shop.store is None:
        raise ListingRefused(
            f"Choose the store whose products {shop.label} sells before uploading: TokBridge "
            "takes the prices' currency and the stock from it.",
            "/settings",
        )
    refuse_unconverted_prices(session, shop)

    candidates = templates.assigned_product_ids(session, shop)
    if product_ids is not None:
        wanted = set(product_ids)
        candidates = [pid for pid in candidates if pid in wanted]
    listable = set(
        session.scalars(
            select(CatalogProduct.id).where(
                CatalogProduct.id.in_(candidates), CatalogProduct.status.in_(LISTABLE_STATUSES)
            )
        )
    )
    repository = ListingRepository(session)
    existing = repository.for_products(connection.id, listable)
    to_send = sorted(pid for pid in listable if pid not in existing or existing[pid].status in UPLOADABLE)
    # Bulk Upload does not send a failed product again as TikTok refused it; picking it does.
    held_back = (
        []
        if product_ids is not None
        else unchanged_since_refused(session, shop, [existing[pid] for pid in to_send if pid in existing])
    )
    to_send = [pid for pid in to_send if pid not in {listing.product_id for listing in held_back}]
    if not to_send and held_back:
        raise ListingRefused(_held_back_message(len(held_back)))
    if not to_send:
        raise ListingRefused(
            "There is nothing to upload: link products to a category template first, or they are already on TikTok.",
            "/templates",
        )

    usage = product_usage(session, merchant_id)
    if usage.products_left < len(to_send):
        raise ListingRefused(
            f"Your {usage.plan.name} plan allows {usage.plan.product_limit} products on TikTok and "
            f"{usage.products_used} are there already, so {len(to_send)} more do not fit. Upgrade your plan "
            f"or upload fewer products.",
            "/plans",
        )

    for product_id in to_send:
        listing = existing.get(product_id)
        if listing is None:
            listing = Listing(
                merchant_id=merchant_id,
                connection_id=connection.id,
                product_id=product_id,
                problems=[],
                review_reasons=[],
            )
            session.add(listing)
        listing.status = ListingStatus.IN_PROGRESS
        listing.last_error = None
        # A fresh key for a fresh attempt, kept while it is retried. An attempt that stopped without an
        # answer (see upload_stopped) keeps its key: if TikTok created the product then, it is not created twice.
        listing.idempotency_key = listing.idempotency_key or uuid.uuid4().hex
        listing.sent_fingerprint = None  # set again once TikTok answers this attempt
    if held_back:
        title, fix = _held_back_message(len(held_back)).split(". ", 1)
        activity.record(
            session,
            merchant_id,
            "listings.upload.held_back",
            title,
            message=fix,
            status="info",
            details={"product_ids": [listing.product_id for listing in held_back]},
            connection_id=connection.id,
        )
    session.flush()
    audit.record(
        session,
        None,
        "bulk.upload",
        ("listings", None),
        None,
        {"product_ids": to_send},
        summary=f"Upload of {plural(len(to_send), 'product')} to TikTok requested",
        connection_id=connection.id,
    )
    job = enqueue(
        session,
        "listings.upload",
        merchant_id=merchant_id,
        payload={"connection_id": connection.id},
        identity_key=f"listings.upload:{connection.id}",
        title="Bulk upload to TikTok Shop",
    )
    return job, len(to_send)


def refuse_unconverted_prices(session: Session, shop: ShopContext) -> None:
    """A shop in another currency than the store takes no prices until the merchant sets a rate."""
    prices = currency.conversion(session, shop)
    if prices.missing:
        raise ListingRefused(currency.missing_rate_message(prices), currency.RATE_LINK)


def upload_schedule(session: Session, shop: ShopContext | None, queued: int) -> daily_limit.UploadSchedule | None:
    """When the `queued` products just marked In progress go, given the shop's daily limit at TikTok
    (after the others already waiting)."""
    if shop is None:
        return None
    connection = shop.shop
    ahead = max(0, ListingRepository(session).count_in_progress(connection.id) - queued)
    return daily_limit.schedule(session, connection, queued, ahead=ahead)


def waiting_for_daily_limit(session: Session, shop: ShopContext | None) -> daily_limit.UploadSchedule | None:
    """The shop's products In progress, split between today and the following days."""
    if shop is None:
        return None
    connection = shop.shop
    return daily_limit.schedule(session, connection, ListingRepository(session).count_in_progress(connection.id))


def upload_question(session: Session, shop: ShopContext | None) -> str:
    """What Bulk Upload asks before it starts: with TikTok's daily limit, how many can still go today."""
    question = "Upload every product linked to a category template to TikTok Shop?"
    if shop is None:
        return question
    connection = shop.shop
    limit, room = daily_limit.known_limit(connection), daily_limit.room_today(session, connection)
    room -= ListingRepository(session).count_in_progress(connection.id)
    return (
        f"{question} TikTok lets this shop create {limit} new product{'s' if limit != 1 else ''} a day: "
        f"{max(room, 0)} more can go today, the rest go on the following days on their own."
    )


def _held_back_message(count: int) -> str:
    products, were, it = ("product", "was", "it") if count == 1 else ("products", "were", "them")
    return (
        f"{count} failed {products} {were} not sent again: nothing changed since TikTok refused {it}. "
        f"Fix what TikTok's reasons say, or pick the product and choose Upload to send it as it is."
    )


def upload_stopped(session: Session, job: Job, message: str) -> None:
    """The upload job failed for good: its products still In progress become Failed with the reason, so the
    dashboard does not show work that is no longer under way and Bulk Upload can send them again."""
    connection_id = (job.payload or {}).get("connection_id")
    if connection_id is None:  # every upload job names its shop
        return
    for listing in ListingRepository(session).in_progress(connection_id):
        listing.status = ListingStatus.FAILED
        listing.last_error = (
            f"The upload stopped before this product reached TikTok: {message.rstrip('.')}. "
            f"Upload it again once that is fixed."
        )


def request_status_sync(session: Session, shop: ShopContext) -> Job:
    connection = shop.shop
    return enqueue(
        session,
        "listings.sync_shop",
        merchant_id=shop.merchant_id,
        payload={"connection_id": connection.id},
        identity_key=f"listings.sync_shop:{connection.id}",
        title="Sync Shop Status",
    )


def request_action(session: Session, shop: ShopContext, action: str, listing_ids: Sequence[int]) -> Job:
    """Activate, deactivate or delete listings of the shop on TikTok (the job sends at most 20 ids a call).
    Listings of another shop are left alone."""
    if action not in ACTIONS:
        raise ListingRefused(f"Unknown action {action!r}; use one of {', '.join(ACTIONS)}.")
    connection = shop.shop
    listings = [ListingRepository(session).get(listing_id) for listing_id in listing_ids]
    on_tiktok = [
        listing.id
        for listing in listings
        if listing is not None and listing.tiktok_product_id and listing.connection_id == connection.id
    ]
    if not on_tiktok:
        raise ListingRefused("None of these products is on TikTok in this shop yet.")
    title = f"{action.capitalize()} {plural(len(on_tiktok), 'product')} on TikTok"
    # The head of the bulk change; the job adds one entry per product TikTok took it for.
    head = audit.record(
        session,
        None,
        f"bulk.{action}",
        ("listings", None),
        None,
        {"listing_ids": on_tiktok},
        summary=title,
        connection_id=connection.id,
    )
    return enqueue(
        session,
        "listings.batch_action",
        merchant_id=shop.merchant_id,
        payload={
            "connection_id": connection.id,
            "action": action,
            "listing_ids": on_tiktok,
            "change_set": head.id,
            "triggered_by": audit.actor_of(session).trigger(title),
        },
        title=title,
    )


SYNC_SETTINGS = ("sync_product_info", "sync_price", "sync_inventory", "on_store_delete")


def save_sync_settings(session: Session, shop: ShopContext, values: dict) -> None:
    """The shop's sync switches and what a store deletion does on TikTok, recorded in the audit trail."""
    settings = ListingRepository(session).sync_settings(shop.merchant_id, shop.shop_id)
    before = {name: getattr(settings, name) for name in SYNC_SETTINGS}
    for name in SYNC_SETTINGS:
        setattr(settings, name, values[name])
    after = {name: getattr(settings, name) for name in SYNC_SETTINGS}
    if before != after:
        audit.record(
            session,
            None,
            "settings.sync",
            ("shop", shop.shop_id),
            before,
            after,
            summary=f"Sync settings changed for {shop.label}",
            connection_id=shop.shop_id,
        )


def status_counts(session: Session, shop: ShopContext | None) -> dict[str, int]:
    """The six dashboard counts of one shop (no shop: every listable product is Not uploaded)."""
    return ListingRepository(session).status_counts(shop.shop_id if shop else None)
