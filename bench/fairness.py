"""Fairness between merchants: does one merchant's bulk upload hold back another merchant's orders?

    python bench/fairness.py                                  # a 5,000-product upload, 100 orders per phase
    python bench/fairness.py --products 1000 --orders 40 --rate 4
    python bench/fairness.py --distributed --workers 2           # PostgreSQL + Redis, `tokbridge worker` processes

What runs: both sandboxes (processes; TikTok with two shops of one seller, Shopify with two stores) and the
app with its embedded worker (`tokbridge serve --worker`, SQLite, `--threads` worker threads), TikTok sending
its webhooks to the app (with `--distributed`: PostgreSQL and Redis, the app `serve --no-worker` and `--workers`
`tokbridge worker` processes of `--threads` threads each). Merchant "Orders" has a small catalog live on
TikTok; merchant "Bulk" has `--products` products imported and a template for them, not yet uploaded.

Phase 1 (quiet): TikTok's buyers place `--orders` orders with merchant Orders at `--rate` per second; each
order's store order is watched for. Phase 2 (busy): merchant Bulk's upload is asked for and, once it is under
way, the same orders are placed again. Printed: the p95 from the buyer's order on TikTok to the store order in
each phase and their ratio (goal: busy within 1.5x of quiet), and how far the upload got meanwhile.
Both merchants share the TikTok sandbox process, so its CPU is shared too, as TikTok's would not be (and the
Shopify sandbox's, which serves the upload's images and creates the orders' store orders).

Figures (`--products 1500 --orders 40 --rate 2`, 2 cores, load average 1.5-5; order-to-store p95 in seconds;
"ran p95" of inbox.process / orders.intake / orders.to_store while busy; products uploaded in the busy 20 s):

    embedded (SQLite, 4 threads)      quiet  busy  ratio  ran p95 busy        upload
    before (f087892), run 1            0.22  0.87   3.92  0.81 / 0.68 / 0.63    278
    before (f087892), run 2            0.34  1.60   4.67  1.42 / 0.86 / 0.96    283
    after, run 1                       0.21  0.26   1.24  0.10 / 0.16 / 0.07    198
    after, run 2                       0.23  0.29   1.29  0.14 / 0.11 / 0.09    156

    distributed (PostgreSQL + Redis, 2 workers x 4 threads)
    before (f087892)                   0.62  1.31   2.10  0.69 / 0.61 / 1.14    273
    in-process pause only (a6157c8)    0.26  0.57   2.16  0.24 / 0.26 / 0.37    206

    distributed, 01:36-01:49 UTC (load avg 4-7):    quiet  busy  ratio  p50 ratio  upload
    in-process pause only, run 1                     0.41  0.71   1.74    1.43      155
    in-process pause only, run 2                     0.55  0.99   1.79    1.77       91
    in-process pause only, run 3                     0.29  0.66   2.29    1.55      172
    + urgent jobs running elsewhere, run 1           0.50  0.71   1.43    1.31       97
    + urgent jobs running elsewhere, run 2           0.31  0.49   1.55    1.29      145
    + urgent jobs running elsewhere, run 3           0.31  0.45   1.45    1.50      147
    + dispatched there too (now), run 1              0.36  0.57   1.58    1.17      106
    + dispatched there too (now), run 2              0.39  0.39   1.00    1.27      117
    + dispatched there too (now), run 3              0.28  0.37   1.32    1.24      143
    + dispatched there too (now), run 4              0.28  0.35   1.27    1.16      180
    + dispatched there too (now), run 5              0.27  0.40   1.49    1.30      132
    embedded, now (unchanged code path), 3 runs      0.22-0.25 0.27-0.35 1.24 / 1.55 / 1.17, upload 171-183

With the defaults (5,000 products, 100 orders at 5/s, embedded): before 1.79 -> 5.02 s (2.80), after
1.68 -> 3.76 s (2.24), the order jobs' run p95 0.38 / 0.33 s before and 0.21 / 0.16 s after (intake /
to_store). At 5 orders a second the Orders store's Shopify bucket runs dry (inbox.process waits on
THROTTLED in both phases, more in the second): these p95s are Shopify's pacing, not the upload's.

Where the time went before: not in the queue (p95 waits <= 0.2 s, most <= 0.03 s) but in running: each order
job ran 3-5x longer beside the upload's 8 threads in the same process (app CPU 16-17 s of 20 s wall, the
Shopify sandbox's 10-11 s serving the upload's images). After: the upload pauses at its next step while
order work is under way in its process and hands its thread back when order work waits for one
(`tokbridge/jobs/fairness.py`); its pool threads run niced. Embedded, the order jobs run as fast as when
quiet and the goal is met, for about 60-70 % of the upload's speed meanwhile. Distributed, an order job in
another worker process shared the cores and the sandboxes with the upload, unseen by that pause (2.16).
Now urgent jobs mark themselves in Redis while dispatched and while running (`jobs/fairness.py`), and bulk
threads in every process pause for those of the others too (bounded as before, re-checked every 20 ms):
ratio 1.00-1.58, mean 1.33 over 5 runs against 1.94 for the in-process pause alone in the same hour,
the busy p50 within 1.3x every time, and the upload kept 106-180 products in the busy 20 s (91-175 before).
Each p95 here is the 2nd-slowest of 40 orders, so a single run swings by +-0.3 on its own; the embedded
code path is unchanged and its 1.55 run is that swing (busy p50 0.17 s against 0.15 s quiet). An earlier
try that counted dispatched order work across processes cut the upload to 30 products in 20 s; here the
dispatch mark is cleared when a worker starts the job and the running mark when it ends. On a loaded machine (load average 10-20) every figure
here swings by several times, both phases alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from benchkit import free_port, wait_ready
from order_intake import (
    APP_KEY,
    APP_SECRET,
    base_env,
    live_products,
    place_orders,
    postgres_schema_url,
    prepare_database,
)

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
        row = conn.execute(
            select(Job.state, Job.progress_done, Job.progress_total)
            .where(Job.kind == "listings.upload", Job.merchant_id == merchant_id)
            .order_by(Job.id.desc())
            .limit(1)
        ).first()
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
        rows = conn.execute(
            select(Job.kind, Job.created_at, Job.started_at, Job.finished_at).where(Job.created_at >= since)
        ).all()
    engine.dispose()
    others = Counter(r[0] for r in rows if r[0] not in kinds)
    if others:
        print("  other jobs created meanwhile: " + ", ".join(f"{kind} {n}" for kind, n in others.most_common()))
    for kind in kinds:
        waits = sorted((r[2] - r[1]).total_seconds() for r in rows if r[0] == kind and r[2])
        runs = sorted((r[3] - r[2]).total_seconds() for r in rows if r[0] == kind and r[3] and r[2])
        if waits:
            print(
                f"  {kind}: {len(waits)} jobs, queued p50 {statistics.median(waits):.2f}s p95 {p95(waits):.2f}s; "
                f"ran p50 {statistics.median(runs):.2f}s p95 {p95(runs):.2f}s"
            )


def cpu_seconds(processes: dict[str, subprocess.Popen]) -> dict[str, float]:
    """User + system CPU seconds each process has used so far (Linux /proc), to see where a phase's CPU went."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for name, process in processes.items():
        try:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[name] = (int(fields[11]) + int(fields[12])) / ticks
    return used


def print_cpu(label: str, before: dict[str, float], after: dict[str, float], seconds: float) -> None:
    shares = ", ".join(f"{name} {after[name] - before.get(name, 0):.1f}s" for name in after)
    print(f"  CPU during {label} ({seconds:.0f}s wall): {shares}")


def request_bulk_upload(env: dict, merchant_id: int, shop_id: str) -> int:
    """Queue the upload of merchant Bulk's products to its TikTok shop `shop_id` (TikTok's id)."""
    from tokbridge.channels.connections import TIKTOK, ConnectionRepository
    from tokbridge.channels.shops import shop_context
    from tokbridge.config import get_settings
    from tokbridge.db.engine import for_writing, get_engine, session_scope
    from tokbridge.listings import service as listings
    from tokbridge.tenancy.scoping import bind_merchant

    with session_scope(get_engine(get_settings().database_url)) as session:
        bind_merchant(for_writing(session), merchant_id)  # the app's worker writes too: wait for the lock
        shop = ConnectionRepository(session).by_external_id(TIKTOK, shop_id)
        _job, queued = listings.request_upload(session, shop_context(session, shop.id))
    return queued


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=5000, help="merchant Bulk's catalog, all uploaded")
    parser.add_argument("--orders", type=int, default=100, help="merchant Orders' orders per phase")
    parser.add_argument("--rate", type=float, default=5.0, help="orders placed per second")
    parser.add_argument("--order-products", type=int, default=60, help="merchant Orders' catalog")
    parser.add_argument("--threads", type=int, default=4, help="worker threads of the app (its default: 4)")
    parser.add_argument("--distributed", action="store_true", help="PostgreSQL + Redis, separate worker processes")
    parser.add_argument("--workers", type=int, default=2, help="worker processes with --distributed")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    from tokbridge.db.base import utcnow

    workdir = Path(tempfile.mkdtemp(prefix="tokbridge-fairness-"))
    app_port, tiktok_port, shopify_port = free_port(), free_port(), free_port()
    app_url, tiktok_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{tiktok_port}"
    shopify_url = f"http://127.0.0.1:{shopify_port}"
    drop_schema = None
    if args.distributed:
        database_url, drop_schema = postgres_schema_url(args.postgres)
        env = base_env(workdir, database_url, args.redis)
    else:
        env = base_env(workdir, f"sqlite:///{workdir}/fairness.db", None)
    env.update(
        {
            "TIKTOK_API_BASE_URL": tiktok_url,
            "TIKTOK_AUTH_BASE_URL": tiktok_url,
            "SHOPIFY_API_BASE_URL": shopify_url + "/shops/{shop}",
            "WORKER_THREADS": str(args.threads),
            "TIKTOK_SANDBOX_APP_KEY": APP_KEY,
            "TIKTOK_SANDBOX_APP_SECRET": APP_SECRET,
            "TIKTOK_SANDBOX_SHOP_REGIONS": '["US", "US"]',
            "TIKTOK_SANDBOX_DAILY_LISTING_LIMIT": "1000000",
            "TIKTOK_SANDBOX_WEBHOOK_URL": f"{app_url}/webhooks/tiktok",
            "TIKTOK_SANDBOX_ON_HOLD_SECONDS": "0",
            "TIKTOK_SANDBOX_UNPAID_TO_PAID_SECONDS": "0",
            "TIKTOK_SANDBOX_TICK_SECONDS": "0.05",
            "TIKTOK_SANDBOX_REVIEW_DELAY_SECONDS": "60",
            "TIKTOK_SANDBOX_SEED": "11",
            "TIKTOK_SANDBOX_BOOTSTRAP_ACCESS_TOKEN": "bench_access",
            "TIKTOK_SANDBOX_BOOTSTRAP_REFRESH_TOKEN": "bench_refresh",
            "SHOPIFY_SANDBOX_CATALOG_SIZE": str(args.order_products),
            "SHOPIFY_SANDBOX_PREINSTALLED_TOKEN": "shpat_bench",
            "SHOPIFY_SANDBOX_CLIENT_ID": "bench-client",
            "SHOPIFY_SANDBOX_CLIENT_SECRET": "bench-secret",
            "SHOPIFY_SANDBOX_APP_WEBHOOK_URI": f"{app_url}/webhooks/shopify",
        }
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tokbridge.cli", "sandbox", "tiktok", "--port", str(tiktok_port)], env=env
        ),
        subprocess.Popen(
            [sys.executable, "-m", "tokbridge.cli", "sandbox", "shopify", "--port", str(shopify_port)], env=env
        ),
    ]
    try:
        wait_ready(f"{tiktok_url}/sandbox/state")
        wait_ready(f"{shopify_url}/sandbox/state")
        orders_shop, bulk_shop = httpx.get(f"{tiktok_url}/sandbox/state").json()["shops"][:2]

        started = time.monotonic()
        env["BENCH_CIPHER"] = orders_shop["cipher"]
        orders_merchant = prepare_database(env, orders_shop["id"], shopify=True)
        live_products(env, orders_merchant, orders_shop["id"], tiktok_url)
        skus = [
            sku["id"]
            for product in httpx.get(f"{tiktok_url}/sandbox/products").json()["products"]
            if product["status"] == "ACTIVATE"
            for sku in product["skus"]
            if sum(w["quantity"] for w in sku["inventory"]) > 0
        ]

        httpx.post(f"{shopify_url}/sandbox/shops", json={"shop": BULK_SHOP, "count": args.products}, timeout=300)
        bulk_token = httpx.post(f"{shopify_url}/sandbox/shops/{BULK_SHOP}/tokens", json={}).json()["access_token"]
        env["BENCH_CIPHER"] = bulk_shop["cipher"]
        bulk_merchant = prepare_database(
            env, bulk_shop["id"], shopify=True, store_domain=BULK_SHOP, store_token=bulk_token
        )
        live_products(env, bulk_merchant, bulk_shop["id"], tiktok_url, upload=False)
        mode = (
            f"PostgreSQL + Redis, {args.workers} worker processes of {args.threads} threads"
            if args.distributed
            else f"SQLite, embedded worker of {args.threads} threads"
        )
        print(
            f"[fairness] set up in {time.monotonic() - started:.0f}s: merchant Orders has {len(skus)} live SKUs, "
            f"merchant Bulk {args.products} products to upload; {mode}"
        )

        app = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tokbridge.cli",
                "serve",
                "--port",
                str(app_port),
                "--no-worker" if args.distributed else "--worker",
            ],
            env=env,
        )
        processes.append(app)
        for _ in range(args.workers if args.distributed else 0):
            processes.append(subprocess.Popen([sys.executable, "-m", "tokbridge.cli", "worker"], env=env))
        wait_ready(f"{app_url}/healthz")

        watched = {"app": app, "tiktok sandbox": processes[0], "shopify sandbox": processes[1]}
        watched.update({f"worker {n + 1}": process for n, process in enumerate(processes[3:])})
        quiet_since, cpu_before, wall = utcnow(), cpu_seconds(watched), time.monotonic()
        quiet = _delays(place_orders(tiktok_url, shopify_url, orders_shop["id"], skus, args.orders, args.rate, seed=1))
        print_cpu("quiet", cpu_before, cpu_seconds(watched), time.monotonic() - wall)
        print(f"[fairness] quiet: {len(quiet)} orders, p50 {statistics.median(quiet):.2f}s, p95 {p95(quiet):.2f}s")
        job_waits(env["DATABASE_URL"], quiet_since)

        queued = request_bulk_upload(env, bulk_merchant, bulk_shop["id"])
        deadline = time.monotonic() + 120
        while upload_progress(env["DATABASE_URL"], bulk_merchant)[1] == 0 and time.monotonic() < deadline:
            threading.Event().wait(0.2)
        state, done, total = upload_progress(env["DATABASE_URL"], bulk_merchant)
        print(f"[fairness] merchant Bulk's upload of {queued} products is {state}: {done} of {total} done")
        busy_since, cpu_before, wall = utcnow(), cpu_seconds(watched), time.monotonic()
        busy = _delays(place_orders(tiktok_url, shopify_url, orders_shop["id"], skus, args.orders, args.rate, seed=2))
        print_cpu("busy", cpu_before, cpu_seconds(watched), time.monotonic() - wall)
        state, done_after, total = upload_progress(env["DATABASE_URL"], bulk_merchant)
        print(
            f"[fairness] busy: {len(busy)} orders, p50 {statistics.median(busy):.2f}s, p95 {p95(busy):.2f}s; "
            f"meanwhile the upload went from {done} to {done_after} of {total} ({state})"
        )
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
        if drop_schema:
            drop_schema()


if __name__ == "__main__":
    main()
