"""An upload whose TikTok answers are lost after TikTok acted (product created, image stored): every
product is created once, bound to its listing, and the upload finishes."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import update

from tests.pipeline.helpers import check_prerequisites, jobs, listings, run_jobs, sales_warehouse, tee_template
from tokbridge.channels.shops import shop_context
from tokbridge.db.base import utcnow
from tokbridge.db.engine import session_scope
from tokbridge.jobs.models import Job
from tokbridge.listings import service
from tokbridge.tenancy.scoping import bind_merchant

CREATE = "/product/202309/products"
UPLOAD = "/product/202309/images/upload"


def _upload_with_retries_due(world) -> None:
    with session_scope(world.engine) as session:
        bind_merchant(session, world.merchant_id)
        service.request_upload(session, shop_context(session, world.tiktok_connection_id))
    run_jobs(world)
    for _ in range(10):  # retries, as if their back-off had passed
        with session_scope(world.engine) as session:
            if not session.execute(update(Job).where(Job.state == "queued").values(next_run_at=utcnow())).rowcount:
                break
        run_jobs(world)


def test_products_whose_create_answer_was_lost_are_created_once(world_factory):
    world = world_factory(products=40, env={"TIKTOK_TIMEOUT_SECONDS": "2"})
    world.import_catalog()
    check_prerequisites(world)
    tee_template(world, sales_warehouse(world))
    world.tiktok_control(
        "POST",
        "/sandbox/faults",
        {
            "timeout_seconds": 2.5,
            "slow_seconds": 0.1,
            "queue": [
                {"kind": "drop_answer", "path": CREATE, "count": 2},
                {"kind": "timeout_answer", "path": CREATE, "count": 1},
                {"kind": "delay_answer", "path": CREATE, "count": 1},
                {"kind": "drop_answer", "path": UPLOAD, "count": 2},
                {"kind": "timeout_answer", "path": UPLOAD, "count": 1},
            ],
        },
    )
    _upload_with_retries_due(world)
    assert world.tiktok_control("POST", "/sandbox/faults", {})["queued"] == []  # every fault struck
    assert jobs(world, "listings.upload")[-1].state == "succeeded"

    products = world.tiktok_control("GET", "/sandbox/products")["products"]
    created = Counter(p["external_product_id"] for p in products)
    assert created and max(created.values()) == 1  # no product twice
    bound = {row.tiktok_product_id for row in listings(world) if row.tiktok_product_id}
    assert bound == {p["id"] for p in products}  # each one bound to its listing

    # A second upload of the same products (the merchant presses Upload again): nothing new is created.
    world.tiktok_control("POST", "/sandbox/faults", {"queue": [{"kind": "drop_answer", "path": CREATE, "count": 1}]})
    _upload_with_retries_due(world)
    assert len(world.tiktok_control("GET", "/sandbox/products")["products"]) == len(products)
