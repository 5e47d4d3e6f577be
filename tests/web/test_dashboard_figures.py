"""The dashboard's figures and facts over HTTP against both sandboxes (issue #12): the connected store
and shop described, Create Template always offered, the import summary split by store status, and a
plan refusal that links to the plans."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import add_user, sign_in
from tests.pipeline.helpers import check_prerequisites, run_jobs, sales_warehouse, tee_template
from tests.support.waiting import wait_for
from tests.support.world import SHOP, world_factory  # noqa: F401  (fixture)
from tokbridge.activity.models import Activity
from tokbridge.catalog.models import CatalogProduct
from tokbridge.db.engine import session_scope
from tokbridge.jobs.models import Job
from tokbridge.jobs.service import enqueue
from tokbridge.tenancy.scoping import bind_merchant
from tokbridge.web.app import create_app


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def text_of(page: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</(?:dd|p)>', page, re.DOTALL)
    assert found, f"no {testid} on the page"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


@pytest.fixture
def shop(world_factory):  # noqa: F811
    world = world_factory(products=150)
    add_user(world.settings, world.merchant_id, "owner@figures.test")
    with TestClient(create_app(world.settings), base_url="http://127.0.0.1") as client:
        sign_in(client, "owner@figures.test")
        yield world, client


def import_through_the_job(world) -> None:
    with session_scope(world.engine) as session:
        enqueue(
            bind_merchant(session, world.merchant_id),
            "catalog.import",
            merchant_id=world.merchant_id,
            payload={"connection_id": world.shopify_connection_id},
            identity_key=f"catalog.import:{world.shopify_connection_id}",
        )
    # Shopify's bulk export takes a moment: the job looks again until it is ready.
    wait_for(lambda: run_jobs(world) == 0 and not jobs_waiting(world), timeout=60, what="the catalog import")


def jobs_waiting(world) -> int:
    with session_scope(world.engine) as session:
        return session.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.kind == "catalog.import", Job.state.in_(("queued", "running")))
        )


def products_by_status(world) -> dict[str, int]:
    with session_scope(world.engine) as session:
        return dict(
            session.execute(
                select(CatalogProduct.status, func.count())
                .where(CatalogProduct.merchant_id == world.merchant_id)
                .group_by(CatalogProduct.status)
            ).all()
        )


def test_dashboard_describes_the_store_and_shop_and_always_offers_create_template(shop):
    world, client = shop
    page = client.get("/dashboard").text
    assert 'data-testid="create-template"' in page and 'href="/templates/new"' in page
    shop_info = text_of(page, "shop-info")
    assert world.tiktok_sandbox.state.shops[world.shop_id].name in shop_info
    assert "region US" in shop_info and "connected" in shop_info

    import_through_the_job(world)
    page = client.get("/dashboard").text
    store_info = text_of(page, "store-info")
    assert store_info.startswith("Tokbridge Demo") and SHOP in store_info and "prices in USD" in store_info
    assert "connected" in store_info

    # Second pass: with a template the checklist no longer asks for one, and the button stays.
    check_prerequisites(world)
    tee_template(world, sales_warehouse(world))
    page = client.get("/dashboard").text
    assert 'data-testid="create-template"' in page and 'href="/templates/new"' in page


def test_the_import_summary_splits_the_catalog_by_store_status(shop):
    world, client = shop
    import_through_the_job(world)
    counts = products_by_status(world)
    assert counts.get("draft") and counts.get("archived")  # the sandbox's catalog has some of each
    total = sum(counts.values())
    imported = [a for a in client.get("/api/v1/activity").json() if a["kind"] == "catalog.imported"]
    assert len(imported) == 1
    draft_words = f"{counts['draft']} draft" + ("s" if counts["draft"] > 1 else "")
    assert imported[0]["title"] == (
        f"{total} products imported: {counts['active']} active, {draft_words} and {counts['archived']} archived"
    )
    assert imported[0]["message"].startswith("Drafts and archived products are not listed on TikTok.")
    dashboard = client.get("/dashboard").text
    not_uploaded = re.search(r'data-status="not_uploaded"><span class="count">(\d+)<', dashboard).group(1)
    assert int(not_uploaded) == counts["active"]

    # Importing again says the same of the same catalog.
    with session_scope(world.engine) as session:
        session.query(Activity).filter(Activity.kind == "catalog.imported").delete()
    import_through_the_job(world)
    again = [a for a in client.get("/api/v1/activity").json() if a["kind"] == "catalog.imported"]
    assert [a["title"] for a in again] == [imported[0]["title"]]


def test_a_plan_refusal_on_bulk_upload_links_to_the_plans(shop):
    world, client = shop
    import_through_the_job(world)
    check_prerequisites(world)
    tee_template(world, sales_warehouse(world), selection={"match": "all", "rules": []})  # every product
    refused = client.post("/dashboard/upload", data={"csrf_token": csrf(client.get("/dashboard").text)})
    assert refused.url.path == "/dashboard"
    error = re.search(r'data-testid="dashboard-error">(.*?)</p>', refused.text, re.DOTALL).group(1)
    assert "Free plan allows 25 products" in error and '<a href="/plans">' in error
