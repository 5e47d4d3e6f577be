"""Catalog jobs end to end: sandbox over HTTP, database on SQLite and PostgreSQL."""

from datetime import datetime

from tokbridge.catalog import service
from tokbridge.catalog.repository import CatalogRepository
from tokbridge.catalog.service import CatalogNotReady
from tokbridge.kit.errors import RetryableError


def counts(engine, merchant_id):
    with engine.connect() as conn:
        return CatalogRepository(conn, merchant_id, "shopify").counts()


def test_full_import_as_worker_steps_then_changes_then_webhooks(live_shop, engine, merchant_id):
    shop = live_shop(catalog_size=15, frozen_clock=True)
    store = shop.store()
    operation_id = service.start_full_import(store)

    # The worker's first look usually finds the export still running: a retryable answer, no sleep.
    result = None
    for _ in range(50):
        try:
            result = service.finish_full_import(store, engine, merchant_id, operation_id)
            break
        except CatalogNotReady as pending:
            assert isinstance(pending, RetryableError) and pending.retry_after > 0
    assert result is not None and result.products == 15
    baseline = counts(engine, merchant_id)

    truth = shop.control("GET", "/sandbox/shops/{shop}/products", params={"limit": 100}).json()["products"]
    since = max(datetime.fromisoformat(t["updated_at"].replace("Z", "+00:00")) for t in truth)
    shop.control("POST", "/sandbox/clock", json={"seconds": 3600})
    edited = truth[2]
    shop.control("PATCH", f"/sandbox/shops/{{shop}}/products/{edited['id']}", json={"title": "Summer edition"})

    changes, watermark = service.import_changes_since(store, engine, merchant_id, since)
    assert changes.products == 1 and watermark > since
    with engine.connect() as conn:
        assert (
            CatalogRepository(conn, merchant_id, "shopify").product(edited["admin_graphql_api_id"])["title"]
            == "Summer edition"
        )

    # products/update for a product, products/delete for another: re-read, or flagged as gone.
    deleted = truth[4]
    shop.control("DELETE", f"/sandbox/shops/{{shop}}/products/{deleted['id']}")
    refreshed = service.refresh_products(
        store, engine, merchant_id, [edited["admin_graphql_api_id"], deleted["admin_graphql_api_id"]]
    )
    assert refreshed.products == 1 and refreshed.products_removed == 1
    after = counts(engine, merchant_id)
    assert after["products"] == baseline["products"] - 1
    assert after["variants"] == baseline["variants"] - len(deleted["variants"])
