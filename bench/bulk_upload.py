"""Bulk upload of a Shopify catalog to TikTok through the whole pipeline, against both sandboxes.

    python bench/bulk_upload.py                  # 5,000 products, 50 requests/s per shop and endpoint
    python bench/bulk_upload.py --products 500 --rate 50
    python bench/bulk_upload.py --products 200 --metrics var/bench-metrics.txt   # and keep /metrics

What runs: both sandboxes as `tokbridge sandbox …` processes, and one `tokbridge worker` process
(Huey on SQLite, as in the embedded default) doing the upload job. This process imports the
catalog, checks prerequisites, creates a template for every product, asks for the upload, and
waits for the job. It prints products per minute, how close the busiest endpoint (image upload)
came to TikTok's ceiling, the 429s the sandbox answered, and duplicates on TikTok (must be 0).
With --metrics FILE, this process and the worker count into one METRICS_DIR, and at the end a
`tokbridge serve --no-worker` process is scraped at /metrics (with METRICS_TOKEN) into FILE.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from benchkit import free_port, wait_ready

SHOP = "tokbridge-demo.myshopify.com"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=5000, help="catalog size")
    parser.add_argument("--rate", type=float, default=50, help="TikTok's requests per second per shop and endpoint")
    parser.add_argument("--threads", type=int, default=2, help="worker threads")
    parser.add_argument("--metrics", type=Path, help="write what /metrics shows after the run to this file")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tokbridge-bench-"))
    tiktok_port, shopify_port = free_port(), free_port()
    tiktok_url, shopify_url = f"http://127.0.0.1:{tiktok_port}", f"http://127.0.0.1:{shopify_port}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir}/bench.db",
        "DATA_DIR": str(workdir / "var"),
        "SECRET_KEY": "bench-secret",
        "ENCRYPTION_KEYS": "",
        "TIKTOK_APP_KEY": "bench_key",
        "TIKTOK_APP_SECRET": "bench_secret",
        "TIKTOK_API_BASE_URL": tiktok_url,
        "TIKTOK_AUTH_BASE_URL": tiktok_url,
        "TIKTOK_RATE_LIMIT_PER_SECOND": str(int(args.rate)),
        "SHOPIFY_API_BASE_URL": shopify_url + "/shops/{shop}",
        "TIKTOK_SANDBOX_APP_KEY": "bench_key",
        "TIKTOK_SANDBOX_APP_SECRET": "bench_secret",
        "TIKTOK_SANDBOX_RATE_LIMIT_PER_SECOND": str(args.rate),
        "TIKTOK_SANDBOX_DAILY_LISTING_LIMIT": "1000000",
        "TIKTOK_SANDBOX_REVIEW_DELAY_SECONDS": "86400",
        "SHOPIFY_SANDBOX_CATALOG_SIZE": str(args.products),
        "SHOPIFY_SANDBOX_PREINSTALLED_TOKEN": "shpat_bench",
        "WORKER_THREADS": str(args.threads),
        "LOG_LEVEL": "WARNING",
    }
    from cryptography.fernet import Fernet

    env["ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    if args.metrics:
        env.update(METRICS_DIR=str(workdir / "metrics"), METRICS_TOKEN="bench-metrics-token")
    os.environ.update(env)
    if args.metrics:
        from tokbridge.kit import metrics

        metrics.use_directory(workdir / "metrics")  # this process's calls (the import) count too

    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tokbridge.cli", "sandbox", "tiktok", "--port", str(tiktok_port)], env=env
        ),
        subprocess.Popen(
            [sys.executable, "-m", "tokbridge.cli", "sandbox", "shopify", "--port", str(shopify_port)], env=env
        ),
    ]
    try:
        wait_ready(tiktok_url + "/sandbox/state")
        wait_ready(shopify_url + "/sandbox/state")
        run(args, env, tiktok_url, workdir, processes)
    finally:
        for process in processes:
            process.terminate()
            process.wait(15)


def run(args, env, tiktok_url: str, workdir: Path, processes: list) -> None:
    from contextlib import closing
    from datetime import UTC, datetime

    from sqlalchemy import func, select

    from tokbridge.billing import service as billing
    from tokbridge.catalog import service as catalog_service
    from tokbridge.category_templates import service as templates
    from tokbridge.channels import factory, registry
    from tokbridge.channels.connections import TIKTOK
    from tokbridge.channels.models import ChannelConnection
    from tokbridge.channels.shopify.plugin import KIND as SHOPIFY
    from tokbridge.channels.shops import shop_context
    from tokbridge.config import get_settings
    from tokbridge.db.engine import get_engine, session_scope
    from tokbridge.db.migrate import upgrade
    from tokbridge.jobs.models import Job
    from tokbridge.listings import service
    from tokbridge.listings.models import Listing, UploadedImage
    from tokbridge.onboarding.service import check_prerequisites
    from tokbridge.tenancy.models import Merchant
    from tokbridge.tenancy.scoping import bind_merchant

    settings = get_settings()
    engine = get_engine(settings.database_url)
    upgrade(engine)
    state = httpx.get(tiktok_url + "/sandbox/state").json()
    shop = state["shops"][0]
    token = state["bootstrap_token"]
    with session_scope(engine) as session:
        merchant = Merchant(name="Bench")
        session.add(merchant)
        session.flush()
        merchant_id = merchant.id
        tiktok = ChannelConnection(
            merchant_id=merchant_id,
            channel=TIKTOK,
            external_id=shop["id"],
            name=shop["name"],
            region=shop["region"],
            data={"cipher": shop["cipher"]},
            scopes=[],
        )
        tiktok.access_token, tiktok.refresh_token = token["access_token"], token["refresh_token"]
        tiktok.access_expires_at = datetime.fromtimestamp(token["access_token_expire_in"], UTC)
        tiktok.refresh_expires_at = datetime.fromtimestamp(token["access_token_expire_in"] + 86400 * 300, UTC)
        store = ChannelConnection(
            merchant_id=merchant_id, channel=SHOPIFY, external_id=SHOP, name="Bench", data={}, scopes=[]
        )
        store.access_token = "shpat_bench"
        session.add(store)
        session.flush()
        tiktok.store_connection_id = store.id  # the shop lists this store's catalog
        session.add(tiktok)
        session.flush()
        session.expunge_all()

    started = time.perf_counter()
    with closing(registry.store_for(settings, engine, store)) as source:
        catalog_service.import_whole_catalog(source, engine, merchant_id)
    print(f"imported {args.products} products in {time.perf_counter() - started:.1f} s")

    client = factory.tiktok_client(settings, engine, tiktok)
    warehouse = next(w.id for w in client.get_warehouses() if w.type == "SALES_WAREHOUSE")
    with session_scope(engine) as session:
        bind_merchant(session, merchant_id)
        check_prerequisites(session, settings, session.get(ChannelConnection, tiktok.id))
    with session_scope(engine) as session:
        bind_merchant(session, merchant_id)
        billing.change_plan(session, merchant_id, "scale")
        shop_ctx = shop_context(session, tiktok.id)
        # A category with no required attribute, so every well-formed product can go.
        templates.create_template(
            session,
            shop_ctx,
            {
                "name": "Everything",
                "category": {"id": "9600003", "version": "v2"},
                "inventory": {"default_warehouse_id": warehouse},
                "listing": {"package_weight": {"value": "1", "unit": "POUND"}},
            },
        )
        _job, queued = service.request_upload(session, shop_ctx)
    print(f"queued {queued} linked products for upload")
    limiter_before = httpx.get(tiktok_url + "/sandbox/state").json()["rate_limit"]

    worker = subprocess.Popen([sys.executable, "-m", "tokbridge.cli", "worker"], env=env)
    processes.append(worker)
    started = time.perf_counter()
    done = threading.Event()
    while not done.is_set():
        with session_scope(engine) as session:
            job = session.scalar(select(Job).where(Job.kind == "listings.upload"))
            if job.state in ("succeeded", "failed", "cancelled"):
                break
        done.wait(1.0)
    elapsed = time.perf_counter() - started
    limiter_after = httpx.get(tiktok_url + "/sandbox/state").json()["rate_limit"]

    with session_scope(engine) as session:
        created = session.scalar(select(func.count(Listing.id)).where(Listing.tiktok_product_id.is_not(None)))
        statuses = Counter(
            dict(session.execute(select(Listing.status, func.count(Listing.id)).group_by(Listing.status)).all())
        )
        images = session.scalar(select(func.count(UploadedImage.id)))
        job_state, attempts = job.state, job.attempts
    on_tiktok = httpx.get(tiktok_url + "/sandbox/products", timeout=60).json()["products"]
    duplicates = sum(n - 1 for n in Counter(p["external_product_id"] for p in on_tiktok).values() if n > 1)

    print(f"upload job: {job_state} after {attempts} attempt(s), {elapsed:.1f} s")
    print(f"listings: {dict(statuses)}")
    print(f"products created on TikTok: {created} ({len(on_tiktok)} in the sandbox)")
    print(f"products per minute: {created / elapsed * 60:.0f}")
    print(
        f"image uploads: {images}; busiest endpoint at {images / elapsed:.1f} req/s = "
        f"{images / elapsed / args.rate:.2f} of the {args.rate:.0f} req/s ceiling"
    )
    print(f"create calls: {created / elapsed:.1f} req/s = {created / elapsed / args.rate:.2f} of the ceiling")
    print(f"429 answers from TikTok: {limiter_after['throttled'] - limiter_before['throttled']}")
    print(f"duplicates on TikTok: {duplicates}")
    if args.metrics:
        scrape_metrics(env, args.metrics)


def scrape_metrics(env: dict, target: Path) -> None:
    """/metrics of a web process serving the same database and metrics folder, as Prometheus would read it."""
    port = free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "tokbridge.cli", "serve", "--no-worker", "--port", str(port)], env=env
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/healthz")
        answer = httpx.get(
            f"http://127.0.0.1:{port}/metrics", timeout=60, headers={"Authorization": f"Bearer {env['METRICS_TOKEN']}"}
        )
        answer.raise_for_status()
    finally:
        web.terminate()
        web.wait(15)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(answer.text)
    print(f"/metrics: {len(answer.text.splitlines())} lines written to {target}")


if __name__ == "__main__":
    main()
