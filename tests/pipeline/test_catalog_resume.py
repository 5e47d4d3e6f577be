"""A worker killed in the middle of the catalog import: the next worker resumes from the last checkpoint the
store's stream gave (no second export, nothing read twice into the catalog), and the catalog ends up exactly
as an uninterrupted read of the store's export describes it. SQLite with the embedded queue, and PostgreSQL
with Redis."""

from __future__ import annotations

import signal
from collections import defaultdict
from contextlib import closing
from datetime import datetime

import pytest
from sqlalchemy import select

from tests.support.waiting import wait_for
from tests.support.workers import start_worker, stop
from tokbridge.catalog.models import CatalogImage, CatalogInventoryLevel, CatalogProduct, CatalogVariant
from tokbridge.channels import registry
from tokbridge.channels.base import CatalogCheckpoint, CatalogPending, ImageOf, LevelOf, Product, VariantOf
from tokbridge.channels.connections import ConnectionRepository
from tokbridge.db.engine import session_scope
from tokbridge.jobs import queue
from tokbridge.jobs.models import Job
from tokbridge.jobs.service import enqueue

PRODUCTS = 1500


@pytest.fixture
def crash_world(world_factory, request):
    env = {"JOB_LEASE_SECONDS": "4", "JOB_MAINTENANCE_SECONDS": "0.5", "WORKER_THREADS": "2"}
    if "postgresql" in request.getfixturevalue("database_url"):
        env.update(
            {"REDIS_URL": request.getfixturevalue("redis_url"), "QUEUE_NAME": request.getfixturevalue("redis_prefix")}
        )
    world = world_factory(products=PRODUCTS, env=env)
    yield world, env
    queue.flush(world.settings)


def export_as_read_at_once(world) -> dict:
    """What an uninterrupted read of the store's catalog gives: per product, its variants, images (url by
    position) and stock levels."""
    with session_scope(world.engine) as session:
        connection = ConnectionRepository(session).get(world.shopify_connection_id)
        session.expunge(connection)
    with closing(registry.store_for(world.settings, world.engine, connection)) as store:
        steps = [store.read_catalog(None)]

        def ready() -> bool:
            if isinstance(steps[-1], CatalogPending):
                steps.append(store.read_catalog(steps[-1].checkpoint))
            return not isinstance(steps[-1], CatalogPending)

        wait_for(ready, what="the store's export")
        step = steps[-1]
        expected = defaultdict(lambda: {"variants": set(), "images": [], "levels": set()})
        variant_product = {}
        for item in step.items:
            if type(item) is Product:
                expected[item.external_id]  # noqa: B018 - a product without children still counts
            elif type(item) is VariantOf:
                expected[item.product_external_id]["variants"].add(item.variant.external_id)
                variant_product[item.variant.external_id] = item.product_external_id
            elif type(item) is ImageOf:
                expected[item.product_external_id]["images"].append((item.image.position, item.image.url))
            elif type(item) is LevelOf:
                expected[variant_product[item.variant_external_id]]["levels"].add(
                    (item.variant_external_id, item.level.location_external_id, item.level.available)
                )
            else:
                assert type(item) is CatalogCheckpoint
    return expected


def catalog_in_database(world) -> tuple[dict, set]:
    with session_scope(world.engine) as session:
        products = {row.id: row for row in session.scalars(select(CatalogProduct))}
        variants = {row.id: row for row in session.scalars(select(CatalogVariant))}
        found = defaultdict(lambda: {"variants": set(), "images": [], "levels": set()})
        for product in products.values():
            found[product.external_id]  # noqa: B018
        for variant in variants.values():
            found[products[variant.product_id].external_id]["variants"].add(variant.external_id)
        for image in session.scalars(select(CatalogImage).order_by(CatalogImage.position)):
            found[products[image.product_id].external_id]["images"].append((image.position, image.url))
        for level in session.scalars(select(CatalogInventoryLevel)):
            variant = variants[level.variant_id]
            found[products[variant.product_id].external_id]["levels"].add(
                (variant.external_id, level.location_external_id, level.available)
            )
        synced = {row.synced_at for row in products.values()}
    return found, synced


@pytest.mark.slow
def test_catalog_import_killed_mid_stream_resumes_from_its_checkpoint(crash_world):
    world, env = crash_world
    with session_scope(world.engine) as session:
        job_id = enqueue(
            session,
            "catalog.import",
            merchant_id=world.merchant_id,
            payload={"connection_id": world.shopify_connection_id},
        ).id

    def job() -> Job:
        with session_scope(world.engine) as session:
            found = session.get(Job, job_id)
            session.expunge(found)
            return found

    first = start_worker(env)
    second = None
    try:
        wait_for(
            lambda: (job().checkpoint or {}).get("store", {}).get("line"),
            timeout=120,
            what="the first worker to write part of the catalog",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed = job()
        assert killed.state == "running", "the import finished before the kill: make the catalog larger"
        at_kill = killed.checkpoint
        assert 0 < at_kill["imported"]["products"] < PRODUCTS
        with session_scope(world.engine) as session:
            # Only what the saved checkpoint covers is in the catalog: the checkpoint and the rows it
            # describes were written together.
            assert len(session.scalars(select(CatalogProduct.id)).all()) == at_kill["imported"]["products"]
        second = start_worker(env)
        wait_for(lambda: job().state == "succeeded", timeout=180, what="the second worker to finish the import")
    finally:
        stop(first, second)

    # Resumed, not started again: one export, and every product carries the killed run's sync time (a
    # fresh start would have re-read everything under a new one).
    (shop,) = world.shopify_sandbox.shops.values()
    assert len(shop.bulk_operations) == 1
    found, synced = catalog_in_database(world)
    assert synced == {datetime.fromisoformat(at_kill["synced_at"])}
    # Nothing duplicated or lost: the catalog is what one uninterrupted read of the export gives, images
    # at their positions (those after the checkpoint placed after the ones written before it).
    expected = export_as_read_at_once(world)
    assert len(found) == PRODUCTS
    assert found == expected
    assert job().progress_done == PRODUCTS  # counted across both attempts
