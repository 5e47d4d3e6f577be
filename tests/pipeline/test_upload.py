"""Bulk upload against both sandboxes over HTTP: import, template, validate, upload, review, statuses."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from tests.pipeline.helpers import check_prerequisites, jobs, listings, run_jobs, sales_warehouse, tee_template
from tokbridge.activity.models import Activity
from tokbridge.channels.shops import shop_context
from tokbridge.db.engine import session_scope
from tokbridge.listings import service
from tokbridge.listings.models import ListingStatus
from tokbridge.tenancy.scoping import bind_merchant


def _request_upload(world):
    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        return service.request_upload(session, shop_context(session, world.tiktok_connection_id))


def _ready_to_upload(world_factory, products: int):
    """A world whose catalog is imported, prerequisites checked, and a T-shirt template: (world, template id)."""
    world = world_factory(products=products)
    world.import_catalog()
    check_prerequisites(world)
    return world, tee_template(world, sales_warehouse(world))


def _counts(world) -> dict[str, int]:
    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        return service.status_counts(session, shop_context(session, world.tiktok_connection_id))


def test_upload_sends_valid_products_once_and_keeps_invalid_ones_with_fixes(world_factory):
    world, _template_id = _ready_to_upload(world_factory, 60)

    job, queued = _request_upload(world)
    assert queued > 0
    run_jobs(world)
    upload_job = jobs(world, "listings.upload")[-1]
    assert upload_job.state == "succeeded", upload_job.last_error

    rows = listings(world)
    on_tiktok = {row.tiktok_product_id for row in rows if row.tiktok_product_id}
    sandbox_products = world.tiktok_control("GET", "/sandbox/products")
    sandbox_ids = {p["id"] for p in sandbox_products["products"]}
    assert on_tiktok == sandbox_ids  # every created product is bound, nothing created twice
    statuses = Counter(row.status for row in rows)
    assert statuses[ListingStatus.REVIEWING] == len(sandbox_ids) > 0
    for row in rows:
        if row.status == ListingStatus.NOT_UPLOADED:
            assert row.problems and all(p["fix"] for p in row.problems)  # each problem says how to fix it

    counts = _counts(world)
    assert counts["reviewing"] == len(sandbox_ids)


def test_uploads_are_refused_while_prerequisites_fail(world_factory):
    world = world_factory(products=10)
    world.tiktok_control("PUT", f"/sandbox/shops/{world.shop_id}/prerequisites", {"failing": ["RETURN_WAREHOUSE"]})
    world.import_catalog()
    check_prerequisites(world)
    tee_template(world, sales_warehouse(world))
    with pytest.raises(service.ListingRefused, match="Pickup and return warehouses"):
        _request_upload(world)


def test_products_imported_later_are_linked_to_matching_templates(world_factory):
    from sqlalchemy import select

    from tokbridge.category_templates.models import ProductTemplateAssignment
    from tokbridge.category_templates.tasks import link_new_products
    from tokbridge.db.engine import session_scope

    world, template_id = _ready_to_upload(world_factory, 120)
    with session_scope(world.engine) as session:  # forget the links, as if these products were new
        linked = session.scalars(select(ProductTemplateAssignment)).all()
        assert linked
        for row in linked:
            session.delete(row)
    assert link_new_products(world.engine, world.merchant_id, world.tiktok_connection_id) == len(linked)
    with session_scope(world.engine) as session:
        assert {row.template_id for row in session.scalars(select(ProductTemplateAssignment))} == {template_id}


def test_an_upload_that_stops_for_good_leaves_no_product_in_progress(world_factory):
    """The upload job fails for good (here: the shop was disconnected before it ran). Its products turn
    Failed with the reason instead of staying In progress, and Bulk Upload sends them again, each with
    the request key of the attempt that never got an answer (TikTok creates nothing twice)."""
    from sqlalchemy import update

    from tokbridge.channels.models import ChannelConnection

    world, _template_id = _ready_to_upload(world_factory, 20)
    _job, queued = _request_upload(world)
    assert queued > 0
    keys = {row.id: row.idempotency_key for row in listings(world) if row.status == ListingStatus.IN_PROGRESS}
    with session_scope(world.engine) as session:
        session.execute(
            update(ChannelConnection)
            .where(ChannelConnection.id == world.tiktok_connection_id)
            .values(status="disconnected")
        )
    run_jobs(world)
    assert jobs(world, "listings.upload")[-1].state == "failed"
    stopped = [row for row in listings(world) if row.id in keys]
    assert {row.status for row in stopped} == {ListingStatus.FAILED}
    assert all(
        "The upload stopped before this product reached TikTok: The TikTok shop is no longer connected"
        in row.last_error
        for row in stopped
    )

    with session_scope(world.engine) as session:  # reconnected
        session.execute(
            update(ChannelConnection).where(ChannelConnection.id == world.tiktok_connection_id).values(status="active")
        )
    assert _counts(world)["in_progress"] == 0 and _counts(world)["failed"] == len(keys)
    _job, again = _request_upload(world)
    assert again == len(keys)
    assert {row.id: row.idempotency_key for row in listings(world) if row.id in keys} == keys
    run_jobs(world)
    assert jobs(world, "listings.upload")[-1].state == "succeeded"
    rows = listings(world)
    assert not any(row.status == ListingStatus.IN_PROGRESS for row in rows)
    assert not any(row.idempotency_key for row in rows)  # every attempt has its answer now
    on_tiktok = [row.tiktok_product_id for row in rows if row.tiktok_product_id]
    assert on_tiktok and len(on_tiktok) == len(world.tiktok_control("GET", "/sandbox/products")["products"])


def _upload_summaries(world) -> list[Activity]:
    with session_scope(world.engine) as session:
        found = list(
            session.scalars(select(Activity).where(Activity.kind == "listings.upload.summary").order_by(Activity.id))
        )
        session.expunge_all()
        return found


def _expected_summary(outcomes: Counter) -> str:
    parts = [f"{outcomes[ListingStatus.REVIEWING]} sent to TikTok and under review"]
    if outcomes[ListingStatus.FAILED]:
        parts.append(f"{outcomes[ListingStatus.FAILED]} failed (their pages say why)")
    if outcomes[ListingStatus.NOT_UPLOADED]:
        parts.append(f"{outcomes[ListingStatus.NOT_UPLOADED]} need fixes before they can go")
    return (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]) + "."


def test_the_upload_summary_speaks_of_this_uploads_products_only(world_factory):
    world, _template_id = _ready_to_upload(world_factory, 60)
    _job, queued = _request_upload(world)
    run_jobs(world)

    sent = Counter(row.status for row in listings(world))  # this upload's products, by outcome
    assert sum(sent.values()) == queued and sent[ListingStatus.FAILED] > 0
    catalog_not_uploaded = _counts(world)["not_uploaded"]
    assert catalog_not_uploaded > sent[ListingStatus.NOT_UPLOADED]  # other types, not linked: not in this upload
    (summary,) = _upload_summaries(world)
    assert summary.title == f"Bulk upload finished: {queued} products"
    assert summary.message == _expected_summary(sent)
    assert str(catalog_not_uploaded) not in summary.message

    # Upload again: only the products that failed go, and the summary counts them alone.
    retried = {row.id for row in listings(world) if row.status in service.UPLOADABLE}
    _job, again = _request_upload(world)
    assert again == len(retried)
    run_jobs(world)
    second = _upload_summaries(world)[-1]
    assert second.title == f"Bulk upload finished: {again} product" + ("s" if again > 1 else "")
    assert second.message == _expected_summary(Counter(row.status for row in listings(world) if row.id in retried))
