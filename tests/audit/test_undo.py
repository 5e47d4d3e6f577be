"""Undo over HTTP against the TikTok sandbox (issue #18's "done when"): a +10 % price rule on 200 live
products, then undo, leaves TikTok's prices exactly as before, with a product whose price the store changed
meanwhile shown as a conflict and handled as chosen; a bulk deactivate undone leaves the products active;
every step is in the audit trail with its user, who can be found on the audit page."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.audit.helpers import edit_price_rule, entries, live, settle, tiktok_prices, tiktok_statuses
from tests.conftest import add_user, sign_in
from tests.pipeline.helpers import check_prerequisites, jobs, request, run_jobs, sales_warehouse, tee_template, upgrade
from tests.pipeline.test_template_sync import marked_up
from tokbridge.catalog.models import CatalogProduct, CatalogVariant
from tokbridge.db.engine import session_scope
from tokbridge.listings import service
from tokbridge.listings.models import ListingSku
from tokbridge.tenancy.scoping import bind_merchant
from tokbridge.web.app import create_app

LIVE_PRODUCTS = 200
EVERYTHING = {"match": "all", "rules": [{"field": "price", "operator": "greater_than", "value": "0"}]}


def live_world(world_factory, products: int, tiktok: dict | None = None, env: dict | None = None):
    """About a third of `products` live on TikTok under one template (the others have images or data TikTok
    refuses), and an owner who can sign in."""
    world = world_factory(
        products=products,
        tiktok={"daily_listing_limit": 10_000, **(tiktok or {})},
        env={"TIKTOK_DAILY_LISTING_LIMIT": "10000", **(env or {})},
    )
    world.import_catalog()
    upgrade(world)
    check_prerequisites(world)
    tee_template(world, sales_warehouse(world), name="Everything", selection=EVERYTHING)
    request(world, service.request_upload)
    # A fast machine meets the sandbox's 50 calls a second: the upload then waits its turn in the queue.
    settle(world, timeout=900)
    world.tiktok_control("POST", "/sandbox/clock/advance", {"seconds": 120})
    request(world, service.request_status_sync)
    settle(world, timeout=600)
    add_user(world.settings, world.merchant_id, "owner@world.test")
    return world


@contextmanager
def owner_client(world) -> Iterator[TestClient]:
    """The owner, signed in, with the CSRF header the JSON API wants."""
    with TestClient(create_app(world.settings), base_url="http://127.0.0.1") as client:
        sign_in(client, "owner@world.test")
        client.headers["X-CSRF-Token"] = client.get("/api/v1/me").json()["csrf_token"]
        yield client


@pytest.fixture
def signed_in(world_factory):
    world = live_world(world_factory, products=800)
    with owner_client(world) as client:
        yield world, client


def change_store_price(world, product_id: int, new_price: Decimal) -> None:
    """The merchant changes a product's price in the store; the sync sends it to TikTok."""
    from tests.pipeline.test_sync_switches import numeric, sync

    with session_scope(world.engine) as session:
        product = session.get(CatalogProduct, product_id)
        variants = session.scalars(select(CatalogVariant).where(CatalogVariant.product_id == product_id)).all()
        external, variant_ids = product.external_id, [v.external_id for v in variants]
    world.shopify_control(
        "PATCH",
        f"/sandbox/shops/{{shop}}/products/{numeric(external)}",
        {"variants": [{"id": variant_id, "price": str(new_price)} for variant_id in variant_ids]},
    )
    world.import_catalog()
    sync(world, product_id)


def skus_of(world, product_id: int) -> set[str]:
    with session_scope(world.engine) as session:
        from tokbridge.listings.models import Listing

        return set(
            session.scalars(
                select(ListingSku.tiktok_sku_id)
                .join(Listing, Listing.id == ListingSku.listing_id)
                .where(Listing.product_id == product_id)
            )
        )


@pytest.mark.slow
@pytest.mark.timeout(1200)  # 800 products imported and uploaded first, for 200 of them live
def test_a_price_rule_on_200_live_products_undone_with_a_conflict(signed_in):
    world, client = signed_in
    products = [listing.product_id for listing in live(world)]
    assert len(products) >= LIVE_PRODUCTS
    original = tiktok_prices(world)
    template_id = client.get("/api/v1/templates").json()[0]["id"]

    edit_price_rule(client, template_id, "10")
    settle(world)  # 200 price updates meet the sandbox's 50 a second: some jobs wait their turn
    raised = tiktok_prices(world)
    assert raised == marked_up(original, 10)
    [edit] = [e for e in entries(world, "template.edited")]
    assert len(entries(world, "listing.price")) == len(products)

    # Meanwhile the store changes two products' prices; TikTok gets them (+10 %).
    skipped, overwritten = products[0], products[1]
    change_store_price(world, skipped, Decimal("77.00"))
    change_store_price(world, overwritten, Decimal("88.00"))
    assert {raised_now for sku, raised_now in tiktok_prices(world).items() if sku in skus_of(world, skipped)} == {
        Decimal("84.70")
    }

    # The preview, from any entry of the change: the two are conflicts, everything else goes back.
    one_push = next(e for e in entries(world, "listing.price") if e.change_set_id == edit.id)
    preview = client.post(f"/api/v1/audit/{one_push.id}/undo/preview").json()
    assert preview["change_set_id"] == edit.id and preview["possible"] is True
    conflicts = {item["product_id"]: item for item in preview["items"] if item["conflict"]}
    assert set(conflicts) == {skipped, overwritten}
    assert "changed since" in conflicts[skipped]["conflict"] and conflicts[skipped]["can_overwrite"]
    assert any("Stock is not put back" in line for line in preview["cannot"]) or preview["cannot"] == []
    assert len(preview["items"]) == len(products) + 1  # and the template itself

    undone = client.post(
        f"/api/v1/audit/{edit.id}/undo",
        json={"decisions": {conflicts[skipped]["key"]: "skip", conflicts[overwritten]["key"]: "overwrite"}},
    )
    assert undone.status_code == 202, undone.text
    settle(world)

    after = tiktok_prices(world)
    for sku, price in original.items():
        if sku in skus_of(world, skipped):
            assert after[sku] == Decimal("84.70")  # left as the store's change made it
        else:
            assert after[sku] == price, sku  # exactly as before the rule, the overwritten conflict too
    spec = client.get(f"/api/v1/templates/{template_id}").json()
    assert spec["price"]["amount"] in (None, "0")

    # Every step in the trail with its user; the undo is audited and can itself be undone.
    undo_head = client.get(f"/api/v1/audit/{undone.json()['undo_entry_id']}").json()
    assert (
        undo_head["kind"] == "undo"
        and undo_head["undo_of"] == edit.id
        and undo_head["actor"]["name"] == "owner@world.test"
    )
    steps = client.get(f"/api/v1/audit?change_set={undo_head['id']}&limit=500").json()
    pushes = [s for s in steps if s["kind"] == "listing.price"]
    assert len(pushes) == len(products) - 1
    assert all(
        s["actor"]["type"] == "job" and s["actor"]["triggered_by"].endswith("by owner@world.test") for s in pushes
    )
    assert client.get(f"/api/v1/audit/{edit.id}").json()["undone_by"] == undo_head["id"]
    again = client.post(f"/api/v1/audit/{edit.id}/undo", json={})
    assert again.status_code == 409 and "already been undone" in again.json()["detail"]
    redo = client.post(f"/api/v1/audit/{undo_head['id']}/undo/preview").json()
    assert redo["possible"] is True and len(redo["items"]) == len(products)  # the template and the prices


def test_a_bulk_deactivate_undone_leaves_the_products_active(world_factory):
    world = live_world(world_factory, products=40)
    with owner_client(world) as client:
        chosen = live(world)[:6]
        accepted = client.post(
            "/api/v1/listings/actions", json={"action": "deactivate", "listing_ids": [row.id for row in chosen]}
        )
        assert accepted.status_code == 202, accepted.text
        run_jobs(world)
        statuses = tiktok_statuses(world)
        assert {statuses[row.tiktok_product_id] for row in chosen} == {"SELLER_DEACTIVATED"}
        [head] = entries(world, "bulk.deactivate")

        # From its activity row, as a merchant would: the preview, then Undo.
        assert f'href="/audit/{head.id}/undo"' in client.get("/activity").text
        page = client.get(f"/audit/{head.id}/undo")
        assert page.status_code == 200 and "Activate it again" in page.text and "Changed since" not in page.text
        done = client.post(f"/audit/{head.id}/undo", data={"csrf_token": client.headers["X-CSRF-Token"]})
        assert done.status_code == 200 and "Undo started" in done.text
        run_jobs(world)
        statuses = tiktok_statuses(world)
        assert {statuses[row.tiktok_product_id] for row in chosen} == {"ACTIVATE"}
        assert {row.status for row in live(world) if row.id in {c.id for c in chosen}} == {"live"}
        assert len([row for row in live(world) if row.id in {c.id for c in chosen}]) == 6

        # A merchant finds who changed a product's status, and when, on the audit page and in its CSV.
        product_id = chosen[0].product_id
        found = client.get(f"/audit?product={product_id}").text
        assert "Deactivated “" in found and "owner@world.test" in found
        rows = list(csv.DictReader(io.StringIO(client.get(f"/audit.csv?product={product_id}").text)))
        assert [row["What"] for row in rows] == ["Activated or deactivated on TikTok"] * 2
        assert {row["For"] or row["Started by"] for row in rows} and all(
            "owner@world.test" in row["Started by"] for row in rows
        )
        assert [row["Before"] for row in rows] == ["Inactive", "Live"]


def test_a_deletion_says_it_cannot_be_undone_before_anything_is_done(world_factory):
    world = live_world(world_factory, products=20)
    with owner_client(world) as client:
        chosen = live(world)[:2]
        client.post("/api/v1/listings/actions", json={"action": "delete", "listing_ids": [row.id for row in chosen]})
        run_jobs(world)
        [head] = entries(world, "bulk.delete")
        preview = client.post(f"/api/v1/audit/{head.id}/undo/preview").json()
        assert preview["possible"] is False and "upload them again" in preview["cannot"][0]
        refused = client.post(f"/api/v1/audit/{head.id}/undo", json={})
        assert refused.status_code == 409 and "Nothing in this change can be undone" in refused.json()["detail"]
        with session_scope(world.engine) as session:
            bind_merchant(session, world.merchant_id)
        assert len(entries(world, "undo")) == 0


def test_an_undo_meets_a_rate_limit_and_a_lost_answer_and_puts_each_product_back_once(world_factory):
    world = live_world(world_factory, products=40)
    with owner_client(world) as client:
        original = tiktok_prices(world)
        edit_price_rule(client, client.get("/api/v1/templates").json()[0]["id"], "10")
        settle(world)
        [edit] = entries(world, "template.edited")
        pushes = [e for e in entries(world, "listing.price") if e.change_set_id == edit.id]
        assert len(pushes) >= 3

        # TikTok takes the first product's prices but its answer is lost; then it throttles a price update.
        prices = "/product/202309/products/{product_id}/prices/update"
        world.tiktok_control(
            "POST",
            "/sandbox/faults",
            {"queue": [{"kind": "drop_answer", "path": prices}, {"kind": "throttle", "path": prices}]},
        )
        assert client.post(f"/api/v1/audit/{edit.id}/undo", json={}).status_code == 202
        settle(world)

        assert tiktok_prices(world) == original
        [job] = jobs(world, "undo.apply")
        assert job.state == "succeeded" and job.progress_done == len(pushes)
        [undo_head] = entries(world, "undo")
        recorded = Counter(e.product_id for e in entries(world, "listing.price") if e.change_set_id == undo_head.id)
        assert recorded == Counter({e.product_id: 1 for e in pushes})
        assert world.tiktok_control("POST", "/sandbox/faults", {})["queued"] == []  # both faults met
