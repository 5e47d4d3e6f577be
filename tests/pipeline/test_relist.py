"""Sending a product again: a failed product is edited on TikTok (same id), Bulk Upload leaves alone a
failed product that did not change, a product deleted on TikTok is created afresh, and an error while
recording TikTok's answer never jams the upload nor shows the database's words."""

from __future__ import annotations

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
from tokbridge.catalog.models import CatalogProduct
from tokbridge.db.engine import session_scope
from tokbridge.jobs.service import enqueue
from tokbridge.listings import service
from tokbridge.listings.models import Listing, ListingSku, ListingStatus
from tokbridge.listings.repository import ListingRepository
from tokbridge.tenancy.scoping import bind_merchant

DATABASE_WORDS = ("IntegrityError", "UNIQUE", "unique constraint", "duplicate key", "tiktok_listing", "sqlalchemy")


def sandbox_products(world) -> dict[str, dict]:
    return {p["id"]: p for p in world.tiktok_control("GET", "/sandbox/products")["products"]}


def listing(world, listing_id: int) -> Listing:
    return next(row for row in listings(world) if row.id == listing_id)


def sku_rows(world, listing_id: int) -> list[ListingSku]:
    with session_scope(world.engine) as session:
        return list(
            session.scalars(
                select(ListingSku).where(ListingSku.listing_id == listing_id).order_by(ListingSku.variant_id)
            )
        )


def uploaded(world) -> None:
    """Bulk Upload done; TikTok's review still under way."""
    world.import_catalog()
    check_prerequisites(world)
    tee_template(world, sales_warehouse(world))
    request(world, service.request_upload)
    run_jobs(world)


def refresh_status(world, tiktok_product_id: str) -> None:
    """What TikTok's product status webhook does."""
    with session_scope(world.engine) as session:
        enqueue(
            session,
            "listings.refresh_status",
            merchant_id=world.merchant_id,
            payload={"connection_id": world.tiktok_connection_id, "tiktok_product_ids": [tiktok_product_id]},
        )
    run_jobs(world)


def fail_review(world, row: Listing, reason: str = "The main image shows a watermark.") -> None:
    """TikTok's review refuses the product; its webhook makes TokBridge read the product again."""
    world.tiktok_control(
        "POST", f"/sandbox/products/{row.tiktok_product_id}/review", {"outcome": "FAILED", "reasons": [reason]}
    )
    refresh_status(world, row.tiktok_product_id)
    assert listing(world, row.id).status == ListingStatus.FAILED


def rename_in_store(world, product_id: int, title: str) -> None:
    with session_scope(world.engine) as session:
        external_id = session.scalar(select(CatalogProduct.external_id).where(CatalogProduct.id == product_id))
    world.shopify_control(
        "PATCH", f"/sandbox/shops/{{shop}}/products/{external_id.rsplit('/', 1)[-1]}", {"title": title}
    )
    world.import_catalog()  # what the products/update webhook does


def merchant_words(world) -> str:
    """Everything a merchant can read about jobs and products: activities, job errors, listing errors."""
    with session_scope(world.engine) as session:
        texts = [f"{a.title} {a.message or ''}" for a in session.scalars(select(Activity))]
    texts += [job.last_error or "" for job in jobs(world, "listings.upload")]
    texts += [row.last_error or "" for row in listings(world)]
    return "\n".join(texts)


def test_failed_product_is_edited_when_uploaded_again_and_keeps_its_tiktok_id(world_factory):
    world = world_factory(products=40)
    uploaded(world)
    target = next(row for row in listings(world) if row.status == ListingStatus.REVIEWING)
    products_on_tiktok = len(sandbox_products(world))
    skus_before = {(s.variant_id, s.tiktok_sku_id) for s in sku_rows(world, target.id)}
    for _second_pass in (False, True):
        fail_review(world, target)
        _job, queued = request(world, service.request_upload, [target.product_id])  # the product's own Upload button
        assert queued == 1
        run_jobs(world)
        again = listing(world, target.id)
        assert again.status == ListingStatus.REVIEWING, again.last_error
        assert again.tiktok_product_id == target.tiktok_product_id and not again.last_error
        on_tiktok = sandbox_products(world)
        assert len(on_tiktok) == products_on_tiktok, "edited, not created a second time"
        assert on_tiktok[target.tiktok_product_id]["audit"]["status"] == "AUDITING"
        assert {(s.variant_id, s.tiktok_sku_id) for s in sku_rows(world, target.id)} == skus_before
        assert jobs(world, "listings.upload")[-1].state == "succeeded"
        with session_scope(world.engine) as session:
            summary = session.scalars(
                select(Activity).where(Activity.kind == "listings.upload.summary").order_by(Activity.id.desc())
            ).first()
        assert summary.title == "Bulk upload finished: 1 product"
    # TikTok approves the edited product: it is live under the same id.
    world.tiktok_control("POST", f"/sandbox/products/{target.tiktok_product_id}/review", {"outcome": "APPROVED"})
    assert sandbox_products(world)[target.tiktok_product_id]["status"] == "ACTIVATE"


def test_bulk_upload_sends_a_failed_product_again_only_when_it_changed(world_factory):
    world = world_factory(products=40)
    uploaded(world)
    target = next(row for row in listings(world) if row.status == ListingStatus.REVIEWING)
    fail_review(world, target)
    audits_before = sandbox_products(world)[target.tiktok_product_id]["update_time"]

    try:
        request(world, service.request_upload)  # Bulk Upload: the others may still have problems to fix
    except service.ListingRefused as refused:
        assert "1 failed product was not sent again: nothing changed since TikTok refused it" in refused.message
    run_jobs(world)
    unchanged = listing(world, target.id)
    assert unchanged.status == ListingStatus.FAILED and unchanged.review_reasons
    assert sandbox_products(world)[target.tiktok_product_id]["update_time"] == audits_before
    assert "1 failed product was not sent again: nothing changed since TikTok refused it" in merchant_words(world)

    # The merchant fixes the product in the store: the next Bulk Upload sends it (an edit, same id).
    rename_in_store(world, target.product_id, "Organic cotton tee, relaxed fit")
    request(world, service.request_upload)
    run_jobs(world)
    sent = listing(world, target.id)
    assert sent.status == ListingStatus.REVIEWING and sent.tiktok_product_id == target.tiktok_product_id
    assert sandbox_products(world)[target.tiktok_product_id]["title"] == "Organic cotton tee, relaxed fit"

    # Refused again and unchanged since: left alone again.
    fail_review(world, sent)
    try:
        request(world, service.request_upload)
    except service.ListingRefused:
        pass
    run_jobs(world)
    assert listing(world, target.id).status == ListingStatus.FAILED


def test_delete_on_tiktok_then_upload_again_creates_afresh(world_factory):
    world = world_factory(products=40)
    upload_and_review(world)
    target = next(row for row in listings(world) if row.status == ListingStatus.LIVE)
    old_ids = {target.tiktok_product_id}
    for _second_pass in (False, True):
        request(world, service.request_action, "delete", [target.id])
        run_jobs(world)
        deleted = listing(world, target.id)
        assert deleted.status == ListingStatus.NOT_UPLOADED
        assert deleted.tiktok_product_id is None and sku_rows(world, target.id) == []
        assert {sandbox_products(world)[i]["status"] for i in old_ids} == {"DELETED"}

        request(world, service.request_upload, [target.product_id])
        run_jobs(world)
        upload_job = jobs(world, "listings.upload")[-1]
        assert upload_job.state == "succeeded", upload_job.last_error
        again = listing(world, target.id)
        assert again.status == ListingStatus.REVIEWING, again.last_error
        assert again.tiktok_product_id not in old_ids
        tiktok_skus = {s["id"] for s in sandbox_products(world)[again.tiktok_product_id]["skus"]}
        assert {s.tiktok_sku_id for s in sku_rows(world, target.id)} == tiktok_skus
        old_ids.add(again.tiktok_product_id)
        world.tiktok_control("POST", f"/sandbox/products/{again.tiktok_product_id}/review", {"outcome": "APPROVED"})
        refresh_status(world, again.tiktok_product_id)
        target = listing(world, target.id)
        assert target.status == ListingStatus.LIVE
    assert DATABASE_WORDS[0] not in merchant_words(world)


def test_an_answer_that_cannot_be_recorded_fails_the_product_in_plain_words(world_factory):
    world = world_factory(products=40)
    upload_and_review(world)
    rows = [row for row in listings(world) if row.status == ListingStatus.LIVE]
    bound, other = rows[0], rows[1]
    # The other product is sent again with the key of the first one's create (a stale key, say): TikTok
    # answers with the first product, which TokBridge already binds to another listing.
    request(world, service.request_action, "delete", [other.id])
    run_jobs(world)
    request(world, service.request_upload, [other.product_id])
    first_key = next(
        key
        for (_shop, key), answer in world.tiktok_sandbox.state.idempotency.items()
        if answer["product_id"] == bound.tiktok_product_id
    )
    with session_scope(world.engine) as session:
        session.get(Listing, other.id).idempotency_key = first_key
    run_jobs(world)
    upload_job = jobs(world, "listings.upload")[-1]
    assert upload_job.state == "succeeded", upload_job.last_error
    failed = listing(world, other.id)
    assert failed.status == ListingStatus.FAILED and failed.last_error
    words = merchant_words(world)
    for word in DATABASE_WORDS:
        assert word.lower() not in words.lower(), word
    assert listing(world, bound.id).tiktok_product_id == bound.tiktok_product_id


def test_product_deleted_in_the_store_is_deleted_on_tiktok_and_unbound(world_factory):
    world = world_factory(products=40)
    upload_and_review(world)
    deleted, deactivated = [row for row in listings(world) if row.status == ListingStatus.LIVE][:2]
    for row, behaviour in ((deleted, "delete"), (deactivated, "deactivate")):
        with session_scope(world.engine) as session:
            bind_merchant(session, world.merchant_id)
            ListingRepository(session).sync_settings(
                world.merchant_id, world.tiktok_connection_id
            ).on_store_delete = behaviour
            external_id = session.scalar(select(CatalogProduct.external_id).where(CatalogProduct.id == row.product_id))
        world.shopify_control("DELETE", f"/sandbox/shops/{{shop}}/products/{external_id.rsplit('/', 1)[-1]}")
        world.import_catalog()  # the full import marks it deleted, as the products/delete webhook does
        with session_scope(world.engine) as session:
            enqueue(
                session,
                "listings.sync_product",
                merchant_id=world.merchant_id,
                payload={"product_id": row.product_id, "reason": "deleted in the store"},
            )
        run_jobs(world)
    on_tiktok = sandbox_products(world)
    assert on_tiktok[deleted.tiktok_product_id]["status"] == "DELETED"
    gone = listing(world, deleted.id)
    assert gone.status == ListingStatus.NOT_UPLOADED and gone.tiktok_product_id is None
    assert sku_rows(world, deleted.id) == []
    assert on_tiktok[deactivated.tiktok_product_id]["status"] == "SELLER_DEACTIVATED"
    kept = listing(world, deactivated.id)
    assert kept.status == ListingStatus.INACTIVE and kept.tiktok_product_id == deactivated.tiktok_product_id


def test_a_product_tiktok_has_but_tokbridge_forgot_is_refused_in_plain_words(world_factory):
    world = world_factory(products=40)
    upload_and_review(world)
    row = next(row for row in listings(world) if row.status == ListingStatus.LIVE)
    with session_scope(world.engine) as session:  # TokBridge forgets the binding (a reinstall, say)
        session.execute(ListingSku.__table__.delete().where(ListingSku.listing_id == row.id))
        session.execute(Listing.__table__.delete().where(Listing.id == row.id))
    request(world, service.request_upload, [row.product_id])
    run_jobs(world)
    refused = next(r for r in listings(world) if r.product_id == row.product_id)
    assert refused.status == ListingStatus.FAILED
    assert "Sync Shop Status" in refused.last_error
    assert "external_product_id" not in refused.last_error and "external_id" not in refused.last_error
    # Sync Shop Status links it again, by SKU.
    request(world, service.request_status_sync)
    run_jobs(world)
    assert next(r for r in listings(world) if r.product_id == row.product_id).tiktok_product_id == row.tiktok_product_id
