"""Polling is the baseline (issue #13, item 4): with the store sending no webhooks at all, the scheduled
reconciliation still brings the store's catalog changes into TokBridge and on to the listing syncs."""

from __future__ import annotations

from sqlalchemy import select

from tests.pipeline.helpers import jobs, run_jobs
from tests.support.waiting import wait_for
from tokbridge.activity.models import Activity
from tokbridge.catalog.models import CatalogOption, CatalogProduct, CatalogVariant
from tokbridge.catalog.tasks import RECONCILE_ALL_JOB
from tokbridge.db.engine import session_scope
from tokbridge.inbox.models import InboundEvent
from tokbridge.jobs.maintenance import run_maintenance
from tokbridge.jobs.models import Job
from tokbridge.jobs.service import enqueue


def settle(world) -> None:
    def idle() -> bool:
        run_jobs(world)
        with session_scope(world.engine) as session:
            return not session.scalars(
                select(Job.id).where(Job.state.in_(("queued", "running")), Job.kind != RECONCILE_ALL_JOB)
            ).first()

    wait_for(idle, what="the jobs to finish")


def test_store_changes_arrive_by_polling_with_webhooks_off(world_factory):
    world = world_factory(products=12)
    state = world.shopify_control("GET", "/sandbox/state")["shops"][0]
    assert state["webhook_subscriptions"] == []  # the store tells TokBridge nothing by itself
    with session_scope(world.engine) as session:
        enqueue(
            session,
            "catalog.import",
            merchant_id=world.merchant_id,
            payload={"connection_id": world.shopify_connection_id},
        )
    settle(world)

    edited = world.shopify_control("GET", "/sandbox/shops/{shop}/products?limit=3")["products"][2]
    variant = edited["variants"][0]
    world.shopify_control(
        "PATCH",
        f"/sandbox/shops/{{shop}}/products/{edited['id']}",
        {"title": "Changed with nobody told", "variants": [{"id": variant["admin_graphql_api_id"], "price": "77.70"}]},
    )
    added = world.shopify_control(
        "POST", "/sandbox/shops/{shop}/products", {"title": "Made in the admin", "price": "12.00", "available": 4}
    )

    # The periodic job, as the workers' maintenance pass fires it, fans out one reconciliation per store.
    run_maintenance(world.settings)
    assert len(jobs(world, RECONCILE_ALL_JOB)) == 1
    settle(world)

    with session_scope(world.engine) as session:
        product = session.scalar(
            select(CatalogProduct).where(CatalogProduct.external_id == edited["admin_graphql_api_id"])
        )
        assert product.title == "Changed with nobody told"
        prices = session.scalars(
            select(CatalogVariant.price).where(CatalogVariant.external_id == variant["admin_graphql_api_id"])
        ).all()
        assert prices == ["77.70"]
        new = session.scalar(select(CatalogProduct).where(CatalogProduct.external_id == added["admin_graphql_api_id"]))
        assert new is not None and new.title == "Made in the admin"
        # A product without variants arrives without the store's stand-in option.
        assert session.scalars(select(CatalogOption).where(CatalogOption.product_id == new.id)).all() == []
        assert [
            v.option_values for v in session.scalars(select(CatalogVariant).where(CatalogVariant.product_id == new.id))
        ] == [{}]
        titles = list(session.scalars(select(Activity.title)))
        assert "Caught up with 2 store changes" in titles
        assert session.scalars(select(InboundEvent.id)).all() == []  # nothing came by webhook
    reasons = {(job.payload["product_id"], job.payload["reason"]) for job in jobs(world, "listings.sync_product")}
    assert {(product.id, "info"), (product.id, "price"), (new.id, "info")} <= reasons
    assert world.shopify_control("GET", "/sandbox/webhooks/deliveries")["deliveries"] == []
