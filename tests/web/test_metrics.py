"""/metrics in Prometheus's text format: off until a token or an operator address is set; what the database
holds now (jobs, the queue, listings, orders waiting for the plan) across every merchant; what was counted
(webhooks, job attempts); and, with METRICS_DIR, the counts of every process added up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from tests.conftest import create_account
from tests.support.live_server import serve
from tests.support.scrape import samples, value
from tests.support.waiting import wait_for
from tests.support.workers import start_worker, stop
from tests.web.test_etsy_webhooks import delivery, etsy_shop  # noqa: F401  (fixture)
from tokbridge.catalog.models import CatalogProduct
from tokbridge.config import get_settings
from tokbridge.db.base import utcnow
from tokbridge.db.engine import get_engine, session_scope
from tokbridge.jobs.models import Job
from tokbridge.jobs.runner import run_due_jobs
from tokbridge.jobs.service import enqueue
from tokbridge.kit.metrics import exposition
from tokbridge.listings.models import Listing
from tokbridge.orders.models import Order, StoreSync
from tokbridge.web.app import create_app

SCRAPER = {"Authorization": "Bearer scrape-me-0123456789"}


@pytest.fixture
def metrics_on(app_settings, monkeypatch):
    monkeypatch.setenv("METRICS_TOKEN", SCRAPER["Authorization"].removeprefix("Bearer "))
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture
def scraper(metrics_on):
    with TestClient(create_app(metrics_on), base_url="http://127.0.0.1") as client:
        yield client


def scrape(client) -> str:
    answer = client.get("/metrics", headers=SCRAPER)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return answer.text


def test_metrics_are_off_until_an_operator_sets_a_token_or_an_address(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers=SCRAPER).status_code == 404


def test_metrics_need_the_operators_token(scraper, app_settings):
    create_account(app_settings, "Alpha", "a@alpha.test")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": SCRAPER["Authorization"] + "x"}):
        refused = scraper.get("/metrics", headers=headers)
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert "tokbridge_" not in refused.text
    assert "tokbridge_jobs" in scrape(scraper)


@pytest.mark.parametrize("allowed, status", [("127.0.0.1", 200), ("::1,127.0.0.0/8", 200), ("10.0.0.0/8", 403)])
def test_metrics_can_be_served_to_an_operator_address_alone(app_settings, monkeypatch, allowed, status):
    monkeypatch.setenv("METRICS_ALLOW_FROM", allowed)
    get_settings.cache_clear()
    with serve(create_app(get_settings())) as url:
        answer = httpx.get(f"{url}/metrics", timeout=30)
    assert answer.status_code == status
    assert ("tokbridge_queue_depth" in answer.text) == (status == 200)


def test_the_database_figures_are_read_across_merchants(scraper, engine, two_shops):
    (alpha, alpha_shop), (bravo, bravo_shop) = two_shops
    long_ago = utcnow() - timedelta(minutes=10)
    with session_scope(engine) as session:
        for merchant, kind in ((alpha, "listings.upload"), (bravo, "listings.upload"), (bravo, "orders.poll")):
            enqueue(session, kind, merchant_id=merchant, payload={})
        session.flush()
        oldest = session.scalar(select(Job).where(Job.kind == "orders.poll"))
        oldest.next_run_at = long_ago
        session.add(Job(merchant_id=alpha, kind="listings.upload", state="running", payload={}))
        session.add(Job(merchant_id=alpha, kind="catalog.import", state="failed", payload={}, finished_at=utcnow()))
        session.add(
            Job(
                merchant_id=alpha,
                kind="catalog.import",
                state="failed",
                payload={},
                finished_at=utcnow() - timedelta(days=3),
            )
        )  # finished long ago: not counted
        session.add(
            Job(
                merchant_id=bravo,
                kind="orders.poll",
                state="queued",
                payload={},
                next_run_at=utcnow() + timedelta(hours=1),
            )
        )  # queued for later: not waiting yet
        session.execute(
            insert(CatalogProduct),
            [
                {
                    "merchant_id": merchant,
                    "channel": "shopify",
                    "external_id": f"gid://shopify/Product/{merchant}{n}",
                    "title": "Tee",
                    "status": "active",
                    "content_hash": "x",
                    "tags": [],
                    "description_html": "",
                    "synced_at": datetime.now(UTC),
                }
                for merchant in (alpha, bravo)
                for n in range(3)
            ],
        )
        products = {
            merchant: list(
                session.scalars(
                    select(CatalogProduct.id).where(CatalogProduct.merchant_id == merchant).order_by(CatalogProduct.id)
                )
            )
            for merchant in (alpha, bravo)
        }
        for (merchant, shop), statuses in (
            ((alpha, alpha_shop), ["live", "live", "failed"]),
            ((bravo, bravo_shop), ["failed", "reviewing"]),
        ):
            for product, status in zip(products[merchant], statuses):
                session.add(
                    Listing(
                        merchant_id=merchant,
                        connection_id=shop,
                        product_id=product,
                        status=status,
                        problems=[],
                        review_reasons=[],
                    )
                )
        for merchant, shop, n in ((alpha, alpha_shop, 2), (bravo, bravo_shop, 1)):
            for i in range(n):
                session.add(
                    Order(
                        merchant_id=merchant,
                        connection_id=shop,
                        tiktok_order_id=f"o{merchant}{i}",
                        tiktok_status="AWAITING_SHIPMENT",
                        status="awaiting_shipment",
                        store_sync=StoreSync.WAITING_FOR_PLAN,
                    )
                )
        session.add(
            Order(
                merchant_id=bravo,
                connection_id=bravo_shop,
                tiktok_order_id="sent",
                tiktok_status="AWAITING_SHIPMENT",
                status="awaiting_shipment",
                store_sync=StoreSync.CREATED,
            )
        )

    text = scrape(scraper)
    assert value(text, "tokbridge_jobs", kind="listings.upload", state="queued") == 2
    assert value(text, "tokbridge_jobs", kind="listings.upload", state="running") == 1
    assert value(text, "tokbridge_jobs", kind="catalog.import", state="failed") == 1
    assert value(text, "tokbridge_jobs", kind="orders.poll", state="queued") == 2
    assert value(text, "tokbridge_queue_depth", kind="listings.upload") == 2
    assert value(text, "tokbridge_queue_depth", kind="orders.poll") == 1
    assert 600 <= value(text, "tokbridge_queue_oldest_waiting_seconds") < 3600
    assert value(text, "tokbridge_orders_waiting_for_plan") == 3
    assert {
        status: value(text, "tokbridge_listings", status=status)
        for status in ("live", "failed", "reviewing", "in_progress", "inactive")
    } == {"live": 2, "failed": 2, "reviewing": 1, "in_progress": 0, "inactive": 0}


def test_webhooks_taken_and_refused_are_counted_per_platform(scraper, etsy_shop):  # noqa: F811
    before = scrape(scraper)
    body, headers = delivery()
    assert scraper.post("/webhooks/etsy", content=body, headers=headers).status_code == 200
    assert scraper.post("/webhooks/etsy", content=body.replace(b"777", b"778"), headers=headers).status_code == 401
    assert scraper.post("/webhooks/tiktok", content=b"{}").status_code == 401
    after = scrape(scraper)

    def added(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert added("tokbridge_webhooks_received_total", platform="etsy") == 1
    assert added("tokbridge_webhooks_refused_total", platform="etsy", status="401") == 1
    assert added("tokbridge_webhooks_refused_total", platform="tiktok", status="401") == 1
    assert added("tokbridge_webhooks_received_total", platform="tiktok") == 0


def test_job_attempts_are_timed_by_kind_and_outcome(scraper, app_settings):
    merchant = create_account(app_settings, "Alpha", "a@alpha.test")
    before = scrape(scraper)
    with session_scope(get_engine(app_settings.database_url)) as session:
        enqueue(session, "test.count", merchant_id=merchant, payload={"steps": 2})
        enqueue(session, "test.broken", merchant_id=merchant, payload={})
        enqueue(session, "test.flaky", merchant_id=merchant, payload={"succeed_on": 5, "retry_after": 3600})
    run_due_jobs(app_settings)
    after = scrape(scraper)

    def attempts(kind: str, outcome: str) -> float:
        return value(after, "tokbridge_job_duration_seconds_count", kind=kind, outcome=outcome) - value(
            before, "tokbridge_job_duration_seconds_count", kind=kind, outcome=outcome
        )

    assert attempts("test.count", "succeeded") == 1
    assert attempts("test.broken", "failed") == 1
    assert attempts("test.flaky", "retried") == 1 and attempts("test.flaky", "succeeded") == 0


@pytest.mark.slow
def test_worker_processes_and_the_web_add_up_in_one_directory(app_settings, monkeypatch, tmp_path):
    """Two `tokbridge worker` processes, one after the other, each run a job: /metrics counts both,
    the stopped process's count included."""
    directory = tmp_path / "metrics"
    monkeypatch.setenv("METRICS_DIR", str(directory))
    monkeypatch.setenv("METRICS_TOKEN", SCRAPER["Authorization"].removeprefix("Bearer "))
    get_settings.cache_clear()
    settings = get_settings()
    merchant = create_account(settings, "Alpha", "a@alpha.test")
    engine = get_engine(settings.database_url)

    def succeeded_attempts() -> float:  # what /metrics would show now, from the files of every process
        return value(
            exposition(directory).decode(),
            "tokbridge_job_duration_seconds_count",
            kind="test.count",
            outcome="succeeded",
        )

    def run_one_in_a_worker(expected: int) -> None:
        with session_scope(engine) as session:
            job_id = enqueue(session, "test.count", merchant_id=merchant, payload={"steps": 1}).id
        worker = start_worker()
        try:
            wait_for(lambda: _state(engine, job_id) == "succeeded", timeout=60, what="the worker to run the job")
            # Counted just after the job's outcome is committed: wait for it before stopping the worker.
            wait_for(lambda: succeeded_attempts() == expected, timeout=30, what="the worker's count")
        finally:
            stop(worker)

    run_one_in_a_worker(expected=1)
    run_one_in_a_worker(expected=2)  # the stopped worker's count stays
    assert len(list(directory.glob("histogram_*.db"))) >= 2  # each process wrote its own file
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as scraper:
        text = scrape(scraper)
    assert value(text, "tokbridge_job_duration_seconds_count", kind="test.count", outcome="succeeded") == 2
    assert ("tokbridge_jobs", frozenset({("kind", "test.count"), ("state", "succeeded")})) in samples(text)


def _state(engine, job_id: int) -> str:
    with session_scope(engine) as session:
        return session.get(Job, job_id).state
