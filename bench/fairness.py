"""Fairness between merchants: does one merchant's bulk upload hold back another merchant's orders?

    python bench/fairness.py                                  # a 5,000-product upload, 100 orders per phase
    python bench/fairness.py --products 1000 --orders 40 --rate 4

What runs: both sandboxes (processes; TikTok with two shops of one seller, Shopify with two stores) and the
app with its embedded worker (`tokbridge serve --worker`, SQLite, `--threads` worker threads), TikTok sending
its webhooks to the app. Merchant "Orders" has a small catalog live on TikTok; merchant "Bulk" has
`--products` products imported and a template for them, not yet uploaded.

Phase 1 (quiet): TikTok's buyers place `--orders` orders with merchant Orders at `--rate` per second; each
order's store order is watched for. Phase 2 (busy): merchant Bulk's upload is asked for and, once it is under
way, the same orders are placed again. Printed: the p95 from the buyer's order on TikTok to the store order in
each phase and their ratio (goal: busy within 1.5x of quiet), and how far the upload got meanwhile.
Both merchants share the TikTok sandbox process, so its CPU is shared too, as TikTok's would not be.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from benchkit import free_port, wait_ready
from order_intake import APP_KEY, APP_SECRET, base_env, live_products, place_orders, prepare_database

BULK_SHOP = "bulk-merchant.myshopify.com"


def p95(delays: list[float]) -> float:
    return delays[min(len(delays) - 1, int(len(delays) * 0.95))]


def _delays(placed_orders: tuple[list[float], int]) -> list[float]:
    delays, placed = placed_orders
    if len(delays) < placed:
        print(f"  MISSING: {placed - len(delays)} of {placed} orders never reached the store")
    return delays


def upload_progress(database_url: str, merchant_id: int) -> tuple[str, int, int]:
    from sqlalchemy import select

    from tokbridge.db.engine import make_engine
    from tokbridge.jobs.models import Job

    engine = make_engine(database_url)
    with engine.connect() as conn:
        row = conn.execute(select(Job.state, Job.progress_done, Job.progress_total)
                           .where(Job.kind == "listings.upload", Job.merchant_id == merchant_id)
                           .order_by(Job.id.desc()).limit(1)).first()
    engine.dispose()
    return (row[0], row[1] or 0, row[2] or 0) if row else ("none", 0, 0)


def job_waits(database_url: str, since) -> None:
    """How long the order jobs created since `since` waited in the queue and ran: where the time went."""
    from sqlalchemy import select

    from tokbridge.db.engine import make_engine
    from tokbridge.jobs.models import Job

    engine = make_engine(database_url)
    kinds = ["inbox.process", "orders.intake", "orders.to_store"]
    with engine.connect() as conn:
        rows = conn.execute(select(Job.kind, Job.created_at, Job.started_at, Job.finished_at)
                            .where(Job.kind.in_(kinds), Job.created_at >= since)).all()
    engine.dispose()
    for kind in kinds:
        waits = sorted((r[2] - r[1]).total_seconds() for r in rows if r[0] == kind and r[2])
        runs = sorted((r[3] - r[2]).total_seconds() for r in rows if r[0] == kind and r[3] and r[2])
        if waits:
            print(f"  {kind}: {len(waits)} jobs, queued p50 {statistics.median(waits):.2f}s p95 {p95(waits):.2f}s; "
                  f"ran p50 {statistics.median(runs):.2f}s p95 {p95(runs):.2f}s")


def request_bulk_upload(env: dict, merchant_id: int) -> int:
    from tokbridge.config import get_settings
    from tokbridge.db.engine import for_writing, get_engine, session_scope
    from tokbridge.listings import service as listings
    from tokbridge.tenancy.scoping import bind_merchant

    with session_scope(get_engine(get_settings().database_url)) as session:
        bind_merchant(for_writing(session), merchant_id)  # the app's worker writes too: wait for the lock
        _job, queued = listings.request_upload(session, merchant_id)
    return queued


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=5000, help="merchant Bulk's catalog, all uploaded")
    parser.add_argument("--orders", type=int, default=100, help="merchant Orders' orders per phase")
    parser.add_argument("--rate", type=float, default=5.0, help="orders placed per second")
    parser.add_argument("--order-products", type=int, default=60, help="merchant Orders' catalog")
    parser.add_argument("--threads", type=int, default=4, help="worker threads of the app (its default: 4)")
    args = parser.parse_args()
    from tokbridge.db.base import utcnow

    workdir = Path(tempfile.mkdtemp(prefix="tokbridge-fairness-"))
    app_port, tiktok_port, shopify_port = free_port(), free_port(), free_port()
    app_url, tiktok_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{tiktok_port}"
    shopify_url = f"http://127.0.0.1:{shopify_port}"
    env = base_env(workdir, f"sqlite:///{workdir}/fairness.db", None)
    env.update({
        "TIKTOK_API_BASE_URL": tiktok_url, "TIKTOK_AUTH_BASE_URL": tiktok_url,
        "SHOPIFY_API_BASE_URL": shopify_url + "/shops/{shop}", "WORKER_THREADS": str(args.threads),
        "TIKTOK_SANDBOX_APP_KEY": APP_KEY, "TIKTOK_SANDBOX_APP_SECRET": APP_SECRET,
        "TIKTOK_SANDBOX_SHOP_REGIONS": '["US", "US"]', "TIKTOK_SANDBOX_DAILY_LISTING_LIMIT": "1000000",
        "TIKTOK_SANDBOX_WEBHOOK_URL": f"{app_url}/webhooks/tiktok", "TIKTOK_SANDBOX_ON_HOLD_SECONDS": "0",
        "TIKTOK_SANDBOX_UNPAID_TO_PAID_SECONDS": "0", "TIKTOK_SANDBOX_TICK_SECONDS": "0.05",
        "TIKTOK_SANDBOX_REVIEW_DELAY_SECONDS": "60", "TIKTOK_SANDBOX_SEED": "11",
        "TIKTOK_SANDBOX_BOOTSTRAP_ACCESS_TOKEN": "bench_access", "TIKTOK_SANDBOX_BOOTSTRAP_REFRESH_TOKEN": "bench_refresh",
        "SHOPIFY_SANDBOX_CATALOG_SIZE": str(args.order_products), "SHOPIFY_SANDBOX_PREINSTALLED_TOKEN": "shpat_bench",
        "SHOPIFY_SANDBOX_CLIENT_ID": "bench-client", "SHOPIFY_SANDBOX_CLIENT_SECRET": "bench-secret",
        "SHOPIFY_SANDBOX_APP_WEBHOOK_URI": f"{app_url}/webhooks/shopify",
    })
    processes = [
        subprocess.Popen([sys.executable, "-m", "tokbridge.cli", "sandbox", "tiktok", "--port", str(tiktok_port)], env=env),
        subprocess.Popen([sys.executable, "-m", "tokbridge.cli", "sandbox", "shopify", "--port", str(shopify_port)],
                         env=env),
    ]
    try:
        wait_ready(f"{tiktok_url}/sandbox/state")
        wait_ready(f"{shopify_url}/sandbox/state")
        orders_shop, bulk_shop = httpx.get(f"{tiktok_url}/sandbox/state").json()["shops"][:2]

        started = time.monotonic()
        env["BENCH_CIPHER"] = orders_shop["cipher"]
        orders_merchant = prepare_database(env, orders_shop["id"], shopify=True)
        live_products(env, orders_merchant, tiktok_url)
        skus = [sku["id"] for product in httpx.get(f"{tiktok_url}/sandbox/products").json()["products"]
                if product["status"] == "ACTIVATE" for sku in product["skus"]
                if sum(w["quantity"] for w in sku["inventory"]) > 0]

        httpx.post(f"{shopify_url}/sandbox/shops", json={"shop": BULK_SHOP, "count": args.products}, timeout=300)
        bulk_token = httpx.post(f"{shopify_url}/sandbox/shops/{BULK_SHOP}/tokens", json={}).json()["access_token"]
        env["BENCH_CIPHER"] = bulk_shop["cipher"]
        bulk_merchant = prepare_database(env, bulk_shop["id"], shopify=True, store_domain=BULK_SHOP,
                                         store_token=bulk_token)
        live_products(env, bulk_merchant, tiktok_url, upload=False)
        print(f"[fairness] set up in {time.monotonic() - started:.0f}s: merchant Orders has {len(skus)} live SKUs, "
              f"merchant Bulk {args.products} products to upload; {args.threads} worker threads")

        app = subprocess.Popen([sys.executable, "-m", "tokbridge.cli", "serve", "--port", str(app_port), "--worker"],
                               env=env)
        processes.append(app)
        wait_ready(f"{app_url}/healthz")

        quiet_since = utcnow()
        quiet = _delays(place_orders(tiktok_url, shopify_url, orders_shop["id"], skus, args.orders, args.rate, seed=1))
        print(f"[fairness] quiet: {len(quiet)} orders, p50 {statistics.median(quiet):.2f}s, p95 {p95(quiet):.2f}s")
        job_waits(env["DATABASE_URL"], quiet_since)

        queued = request_bulk_upload(env, bulk_merchant)
        deadline = time.monotonic() + 120
        while upload_progress(env["DATABASE_URL"], bulk_merchant)[1] == 0 and time.monotonic() < deadline:
            threading.Event().wait(0.2)
        state, done, total = upload_progress(env["DATABASE_URL"], bulk_merchant)
        print(f"[fairness] merchant Bulk's upload of {queued} products is {state}: {done} of {total} done")
        busy_since = utcnow()
        busy = _delays(place_orders(tiktok_url, shopify_url, orders_shop["id"], skus, args.orders, args.rate, seed=2))
        state, done_after, total = upload_progress(env["DATABASE_URL"], bulk_merchant)
        print(f"[fairness] busy: {len(busy)} orders, p50 {statistics.median(busy):.2f}s, p95 {p95(busy):.2f}s; "
              f"meanwhile the upload went from {done} to {done_after} of {total} ({state})")
        job_waits(env["DATABASE_URL"], busy_since)
        ratio = p95(busy) / p95(quiet)
        print(f"[fairness] busy p95 / quiet p95 = {ratio:.2f} (goal <= 1.5): {'met' if ratio <= 1.5 else 'NOT met'}")
        if state != "running":
            print("[fairness] note: the upload was no longer running at the end; use more --products")
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:  # a worker thread still in the upload's batch
                process.kill()
                process.wait(15)


if __name__ == "__main__":
    main()
