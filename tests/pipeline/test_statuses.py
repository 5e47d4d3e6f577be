"""Statuses after TikTok's review, webhooks, Sync Shop Status, activation, continuous sync, limits."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from tests.pipeline.helpers import (
    check_prerequisites,
    jobs,
    listings,
    request,
    run_jobs,
    sales_warehouse,
    tee_template,
    upload_and_review,
)
from tokbridge.activity.models import Activity
from tokbridge.catalog.models import CatalogInventoryLevel, CatalogVariant
from tokbridge.db.engine import session_scope
from tokbridge.jobs.service import enqueue
from tokbridge.listings import service
from tokbridge.listings.models import ListingSku, ListingStatus

DASHBOARD_OF = {
    "ACTIVATE": "live",
    "FAILED": "failed",
    "PENDING": "reviewing",
    "SELLER_DEACTIVATED": "inactive",
    "PLATFORM_DEACTIVATED": "failed",
    "FREEZE": "failed",
}


def sandbox_truth(world) -> Counter:
    return Counter(DASHBOARD_OF[p["status"]] for p in world.tiktok_control("GET", "/sandbox/products")["products"])


def dashboard(world) -> dict:
    return request(world, service.status_counts)


def test_review_outcomes_match_the_sandbox_after_sync(world_factory):
    world = world_factory(products=80, tiktok={"review_rejection_rate": 0.3})
    upload_and_review(world)
    truth = sandbox_truth(world)
    # Products TikTok refused at upload (an image, say) never reached it: failed here, absent there.
    truth["failed"] += sum(1 for row in listings(world) if row.status == "failed" and not row.tiktok_product_id)
    counts = dashboard(world)
    assert truth["live"] > 0 and truth["failed"] > 0
    for status in ("live", "failed", "reviewing", "inactive"):
        assert counts[status] == truth[status], status
    for row in listings(world):
        if row.status == ListingStatus.FAILED and row.tiktok_status == "FAILED":
            assert row.review_reasons, "a failed review keeps TikTok's reasons"


def test_status_webhook_job_updates_one_listing(world_factory):
    world = world_factory(products=150)
    world.import_catalog()
    check_prerequisites(world)
    tee_template(world, sales_warehouse(world))
    request(world, service.request_upload)
    run_jobs(world)
    target = next(row for row in listings(world) if row.status == ListingStatus.REVIEWING)
    world.tiktok_control(
        "POST",
        f"/sandbox/products/{target.tiktok_product_id}/review",
        {"outcome": "FAILED", "reasons": ["The main image shows a watermark."]},
    )
    with session_scope(world.engine) as session:
        enqueue(
            session,
            "listings.refresh_status",
            merchant_id=world.merchant_id,
            payload={"connection_id": world.tiktok_connection_id, "tiktok_product_ids": [target.tiktok_product_id]},
        )
    run_jobs(world)
    updated = next(row for row in listings(world) if row.id == target.id)
    assert updated.status == ListingStatus.FAILED
    assert "watermark" in str(updated.review_reasons)


def test_deactivate_then_activate_round_trip(world_factory):
    world = world_factory(products=150)
    upload_and_review(world)
    live = [row.id for row in listings(world) if row.status == ListingStatus.LIVE]
    assert live
    request(world, service.request_action, "deactivate", live)
    run_jobs(world)
    assert {row.status for row in listings(world) if row.id in live} == {ListingStatus.INACTIVE}
    assert sandbox_truth(world)["inactive"] == len(live)
    request(world, service.request_action, "activate", live)
    run_jobs(world)
    assert {row.status for row in listings(world) if row.id in live} == {ListingStatus.LIVE}


def test_sync_links_listings_that_exist_on_tiktok_by_sku(world_factory):
    world = world_factory(products=150)
    upload_and_review(world)
    bound = {row.product_id: row.tiktok_product_id for row in listings(world) if row.tiktok_product_id}
    with session_scope(world.engine) as session:  # TokBridge forgets its bindings (say, a fresh install)
        for row in session.scalars(select(ListingSku)):
            session.delete(row)
        session.flush()
        from tokbridge.listings.models import Listing

        for row in session.scalars(select(Listing)):
            session.delete(row)
    request(world, lambda session, merchant_id: service.request_status_sync(session, merchant_id))
    run_jobs(world)
    relinked = {row.product_id: row.tiktok_product_id for row in listings(world) if row.tiktok_product_id}
    assert relinked == bound


def test_store_stock_change_reaches_tiktok(world_factory):
    world = world_factory(products=150)
    upload_and_review(world)
    live = next(row for row in listings(world) if row.status == ListingStatus.LIVE)
    with session_scope(world.engine) as session:
        variant = session.scalars(
            select(CatalogVariant).where(CatalogVariant.product_id == live.product_id).order_by(CatalogVariant.id)
        ).first()
        level = session.scalars(
            select(CatalogInventoryLevel).where(CatalogInventoryLevel.variant_id == variant.id)
        ).first()
        others = sum(
            l.available
            for l in session.scalars(
                select(CatalogInventoryLevel).where(
                    CatalogInventoryLevel.variant_id == variant.id, CatalogInventoryLevel.id != level.id
                )
            )
        )
        sku = session.scalar(select(ListingSku).where(ListingSku.variant_id == variant.id))
    new_level = level.available + 7
    world.shopify_control(
        "PUT",
        "/sandbox/shops/{shop}/inventory",
        {
            "inventory_item_id": variant.inventory_item_external_id,
            "location_id": level.location_external_id,
            "available": new_level,
        },
    )
    world.import_catalog()  # what the inventory webhook or the reconciliation does
    with session_scope(world.engine) as session:
        enqueue(
            session,
            "listings.sync_product",
            merchant_id=world.merchant_id,
            payload={"product_id": live.product_id, "reason": "inventory"},
        )
    run_jobs(world)
    product = next(
        p for p in world.tiktok_control("GET", "/sandbox/products")["products"] if p["id"] == live.tiktok_product_id
    )
    tiktok_sku = next(s for s in product["skus"] if s["id"] == sku.tiktok_sku_id)
    assert sum(w["quantity"] for w in tiktok_sku["inventory"]) == new_level + others
    with session_scope(world.engine) as session:
        change = session.scalars(select(Activity).where(Activity.kind == "listings.sync")).one()
    assert {
        "field": "stock",
        "sku": sku.seller_sku,
        "before": sku.pushed_quantity,
        "after": new_level + others,
    } in change.details["changes"]
    # Nothing changed since: a second sync sends nothing.
    with session_scope(world.engine) as session:
        enqueue(
            session,
            "listings.sync_product",
            merchant_id=world.merchant_id,
            payload={"product_id": live.product_id, "reason": "inventory"},
        )
    run_jobs(world)
    with session_scope(world.engine) as session:
        assert len(session.scalars(select(Activity).where(Activity.kind == "listings.sync")).all()) == 1


def test_daily_listing_limit_plans_the_rest_for_tomorrow(world_factory):
    world = world_factory(products=150)
    world.tiktok_control("PUT", f"/sandbox/shops/{world.shop_id}/listing_limit", {"daily_listing_limit": 1})
    world.import_catalog()
    check_prerequisites(world)
    tee_template(world, sales_warehouse(world))
    request(world, service.request_upload)
    run_jobs(world)
    upload_job = jobs(world, "listings.upload")[-1]
    assert upload_job.state == "queued" and upload_job.attempts == 0  # waiting is not a failed attempt
    assert "daily listing limit" in upload_job.last_error and "UTC" in upload_job.last_error
    assert len(world.tiktok_control("GET", "/sandbox/products")["products"]) == 1
    assert (upload_job.next_run_at - upload_job.updated_at).total_seconds() > 60


def test_uploads_beyond_the_plan_are_refused_with_an_upgrade_link(world_factory, monkeypatch):
    from tokbridge.billing.plans import available_plans

    monkeypatch.setenv(
        "PLANS", '[{"code": "free", "name": "Free", "monthly_amount": "0", "product_limit": 1, "order_limit": 5}]'
    )
    available_plans.cache_clear()
    try:
        world = world_factory(products=150)
        world.import_catalog()
        check_prerequisites(world)
        tee_template(world, sales_warehouse(world))
        with pytest.raises(service.ListingRefused) as refused:
            request(world, service.request_upload)
        assert "Free plan allows 1 products" in refused.value.message and refused.value.link == "/plans"
    finally:
        available_plans.cache_clear()
