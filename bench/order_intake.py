"""Order intake: how many signed TikTok webhooks per second the app accepts (verified, stored in the inbox,
queued), on SQLite and on PostgreSQL; and the p95 time from an order placed on TikTok to its store order.

    python bench/order_intake.py                                   # SQLite, then PostgreSQL at the default URL
    python bench/order_intake.py --postgres postgresql://postgres@127.0.0.1:5432/test --redis redis://127.0.0.1:6379/0
    python bench/order_intake.py --webhooks 5000 --orders 200 --skip-postgres

Intake: the app runs as `tokbridge serve --no-worker` (uvicorn, one process), so nothing but intake uses the
machine; a client sends `--webhooks` signed order-status notifications (10% of them twice) over
`--concurrency` connections. Afterwards the inbox and the job table are counted: every distinct event must be
stored once and queued once. Targets on 2 cores: >= 1,000 webhooks/s.

Latency: both sandboxes (processes), the app with its embedded worker (SQLite) and TikTok sending its webhooks
to it. Products are uploaded and approved first; then TikTok's buyers place `--orders` orders at `--rate` per
second with no remorse window, and each order's store order is watched for. Target: p95 < 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
from benchkit import free_port, wait_ready

APP_KEY, APP_SECRET = "bench_key", "bench_secret"
SHOP_ID = "7494000000000000001"
SHOPIFY_SHOP = "tokbridge-demo.myshopify.com"


def base_env(workdir: Path, database_url: str, redis_url: str | None) -> dict:
    from cryptography.fernet import Fernet

    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DATA_DIR": str(workdir / "var"),
        "SECRET_KEY": "bench-secret",
        "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "TIKTOK_APP_KEY": APP_KEY,
        "TIKTOK_APP_SECRET": APP_SECRET,
        "LOG_LEVEL": "WARNING",
        "SHOPIFY_CLIENT_ID": "bench-client",
        "SHOPIFY_CLIENT_SECRET": "bench-secret",
        "QUEUE_NAME": f"bench-{uuid.uuid4().hex[:8]}",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    return env


def prepare_database(
    env: dict, shop_id: str, shopify: bool = False, store_domain: str = SHOPIFY_SHOP, store_token: str = "shpat_bench"
) -> int:
    """Migrate, and store a merchant with a connected TikTok shop (and the store it lists, linked through
    `store_connection_id`). Returns the merchant id."""
    os.environ.update(env)
    from tokbridge.config import get_settings

    get_settings.cache_clear()
    import tokbridge.db.models  # noqa: F401
    from tokbridge.channels.models import ChannelConnection
    from tokbridge.db.engine import make_engine, session_scope
    from tokbridge.db.migrate import upgrade
    from tokbridge.tenancy.models import Merchant

    engine = make_engine(env["DATABASE_URL"])
    upgrade(engine)
    with session_scope(engine) as session:
        merchant = Merchant(name="Bench")
        session.add(merchant)
        session.flush()
        tiktok = ChannelConnection(
            merchant_id=merchant.id,
            channel="tiktok",
            external_id=shop_id,
            name="Bench shop",
            region="US",
            data={"cipher": env.get("BENCH_CIPHER", "GCP_bench")},
            scopes=[],
        )
        if shopify:
            store = ChannelConnection(
                merchant_id=merchant.id,
                channel="shopify",
                external_id=store_domain,
                name="Bench store",
                data={},
                scopes=[],
            )
            store.access_token = store_token
            session.add(store)
            session.flush()
            tiktok.store_connection_id = store.id
        session.add(tiktok)
        merchant_id = merchant.id
    engine.dispose()
    return merchant_id


def count_rows(database_url: str) -> tuple[int, int]:
    """(inbox rows, events queued for processing: the ids carried by `inbox.process` jobs)."""
    from sqlalchemy import func, select

    from tokbridge.db.engine import make_engine
    from tokbridge.inbox.models import InboundEvent
    from tokbridge.jobs.models import Job

    engine = make_engine(database_url)
    with engine.connect() as conn:
        events = conn.execute(select(func.count()).select_from(InboundEvent)).scalar_one()
        payloads = conn.execute(select(Job.payload).where(Job.kind == "inbox.process")).scalars()
        queued = sum(len(p.get("event_ids") or [p.get("event_id")]) for p in payloads)
    engine.dispose()
    return events, queued


def signed(body: dict) -> tuple[bytes, dict]:
    from tokbridge.channels.tiktok.webhooks import compute_signature

    raw = json.dumps(body, separators=(",", ":")).encode()
    return raw, {"content-type": "application/json", "authorization": compute_signature(APP_KEY, APP_SECRET, raw)}


async def _sender(port: int, path: str, items: list, statuses: dict) -> None:
    """One keep-alive HTTP/1.1 connection sending requests back to back (a minimal client: a general one
    such as httpx costs more CPU per request than the server under test)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    while items:
        body, headers = items.pop()
        head = (
            f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: {len(body)}\r\n"
            + "".join(f"{key}: {value}\r\n" for key, value in headers.items())
            + "\r\n"
        )
        writer.write(head.encode() + body)
        status = int((await reader.readline()).split()[1])
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)
        statuses[status] = statuses.get(status, 0) + 1
    writer.close()


async def blast(port: int, path: str, bodies: list[tuple[bytes, dict]], concurrency: int) -> tuple[float, dict]:
    statuses: dict[int, int] = {}
    items = list(reversed(bodies))
    started = time.perf_counter()
    await asyncio.gather(*(_sender(port, path, items, statuses) for _ in range(concurrency)))
    return time.perf_counter() - started, statuses


def intake(label: str, database_url: str, redis_url: str | None, webhooks: int, concurrency: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="tokbridge-intake-"))
    env = base_env(workdir, database_url, redis_url)
    prepare_database(env, SHOP_ID)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tokbridge.cli", "serve", "--port", str(port), "--no-worker"], env=env
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/healthz")
        rng = random.Random(1)
        bodies = []
        for n in range(webhooks):
            event = {
                "type": 1,
                "tts_notification_id": f"bench-{n}",
                "shop_id": SHOP_ID,
                "timestamp": 1795700000 + n,
                "data": {
                    "order_id": str(576460000000000000 + rng.randrange(10**6)),
                    "order_status": "AWAITING_SHIPMENT",
                    "update_time": 1795700000 + n,
                },
            }
            bodies.append(signed(event))
        bodies += rng.sample(bodies, webhooks // 10)  # TikTok delivers some twice
        rng.shuffle(bodies)
        # A short warm-up (connections, first queries), not counted.
        asyncio.run(
            blast(
                port,
                "/webhooks/tiktok",
                [
                    signed(
                        {
                            "type": 1,
                            "tts_notification_id": f"warm-{n}",
                            "shop_id": SHOP_ID,
                            "timestamp": 1,
                            "data": {"order_id": "1", "order_status": "UNPAID"},
                        }
                    )
                    for n in range(200)
                ],
                concurrency,
            )
        )
        elapsed, statuses = asyncio.run(blast(port, "/webhooks/tiktok", bodies, concurrency))
    finally:
        server.terminate()
        server.wait(10)
    events, queued = count_rows(database_url)
    accepted = statuses.get(200, 0)
    print(
        f"[{label}] intake: {accepted} webhooks accepted in {elapsed:.2f}s = {accepted / elapsed:,.0f} webhooks/s "
        f"(concurrency {concurrency}); answers {statuses}; {webhooks} distinct events: {events - 200} stored, "
        f"{queued - 200} queued"
    )
    if events - 200 != webhooks or queued - 200 != webhooks:
        print(f"[{label}] MISMATCH: every distinct event must be stored and queued exactly once")


PRODUCT_TYPES = [
    "T-Shirts",
    "Hoodies",
    "Sneakers",
    "Pet Supplies",
    "Kitchen",
    "Stationery",
    "Home Decor",
    "Jewelry",
    "Skincare",
    "Phone Accessories",
]


def wait_job(engine, kind: str, timeout: float = 300) -> None:
    from sqlalchemy import select

    from tokbridge.jobs.models import Job

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            states = list(conn.execute(select(Job.state).where(Job.kind == kind)).scalars())
        if states and all(state in ("succeeded", "failed", "cancelled") for state in states):
            return
        threading.Event().wait(0.2)
    raise SystemExit(f"{kind} did not finish")


def latency(orders: int, rate: float, products: int, separate_worker: bool = False) -> None:
    """p95 from an order placed on TikTok to its store order, with the app's embedded worker running."""
    workdir = Path(tempfile.mkdtemp(prefix="tokbridge-latency-"))
    app_port, tiktok_port, shopify_port = free_port(), free_port(), free_port()
    app_url, tiktok_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{tiktok_port}"
    shopify_url = f"http://127.0.0.1:{shopify_port}"
    env = base_env(workdir, f"sqlite:///{workdir}/latency.db", None)
    env.update(
        {
            "TIKTOK_API_BASE_URL": tiktok_url,
            "TIKTOK_AUTH_BASE_URL": tiktok_url,
            "SHOPIFY_API_BASE_URL": shopify_url + "/shops/{shop}",
            "TIKTOK_SANDBOX_APP_KEY": APP_KEY,
            "TIKTOK_SANDBOX_APP_SECRET": APP_SECRET,
            "TIKTOK_SANDBOX_WEBHOOK_URL": f"{app_url}/webhooks/tiktok",
            "TIKTOK_SANDBOX_ON_HOLD_SECONDS": "0",
            "TIKTOK_SANDBOX_UNPAID_TO_PAID_SECONDS": "0",
            "TIKTOK_SANDBOX_TICK_SECONDS": "0.05",
            "TIKTOK_SANDBOX_REVIEW_DELAY_SECONDS": "60",
            "TIKTOK_SANDBOX_SEED": "11",
            "TIKTOK_SANDBOX_BOOTSTRAP_ACCESS_TOKEN": "bench_access",
            "TIKTOK_SANDBOX_BOOTSTRAP_REFRESH_TOKEN": "bench_refresh",
            "SHOPIFY_SANDBOX_CATALOG_SIZE": str(products),
            "SHOPIFY_SANDBOX_PREINSTALLED_TOKEN": "shpat_bench",
            "SHOPIFY_SANDBOX_CLIENT_ID": "bench-client",
            "SHOPIFY_SANDBOX_CLIENT_SECRET": "bench-secret",
            "SHOPIFY_SANDBOX_APP_WEBHOOK_URI": f"{app_url}/webhooks/shopify",
        }
    )
    sandboxes = [
        subprocess.Popen(
            [sys.executable, "-m", "tokbridge.cli", "sandbox", "tiktok", "--port", str(tiktok_port)], env=env
        ),
        subprocess.Popen(
            [sys.executable, "-m", "tokbridge.cli", "sandbox", "shopify", "--port", str(shopify_port)], env=env
        ),
    ]
    app = None
    try:
        wait_ready(f"{tiktok_url}/sandbox/state")
        wait_ready(f"{shopify_url}/sandbox/state")
        shop = httpx.get(f"{tiktok_url}/sandbox/state").json()["shops"][0]
        env["BENCH_CIPHER"] = shop["cipher"]
        merchant_id = prepare_database(env, shop["id"], shopify=True)
        live_products(env, merchant_id, shop["id"], tiktok_url)
        if separate_worker:  # the app and a worker process: both cores, as `tokbridge serve --no-worker` + `worker`
            app = subprocess.Popen(
                [sys.executable, "-m", "tokbridge.cli", "serve", "--port", str(app_port), "--no-worker"], env=env
            )
            sandboxes.append(subprocess.Popen([sys.executable, "-m", "tokbridge.cli", "worker"], env=env))
        else:
            app = subprocess.Popen(
                [sys.executable, "-m", "tokbridge.cli", "serve", "--port", str(app_port), "--worker"], env=env
            )
        wait_ready(f"{app_url}/healthz")
        skus = [
            sku["id"]
            for product in httpx.get(f"{tiktok_url}/sandbox/products").json()["products"]
            if product["status"] == "ACTIVATE"
            for sku in product["skus"]
            if sum(w["quantity"] for w in sku["inventory"]) > 0
        ]
        print(f"[latency] {len(skus)} live SKUs; placing {orders} orders at {rate}/s")
        delays, placed = place_orders(tiktok_url, shopify_url, shop["id"], skus, orders, rate, seed=3, wait=120)
        missing = placed - len(delays)
        if delays:
            p95 = delays[min(len(delays) - 1, int(len(delays) * 0.95))]
            print(
                f"[latency] {len(delays)} of {placed} orders in the store: p50 {statistics.median(delays):.2f}s, "
                f"p95 {p95:.2f}s, max {delays[-1]:.2f}s (from the buyer's order on TikTok to the store order; "
                f"TikTok's clock ticks every 0.05s){'; MISSING ' + str(missing) if missing else ''}"
            )
        job_waits(env["DATABASE_URL"])
    finally:
        for process in [app, *sandboxes]:
            if process:
                process.terminate()
                process.wait(10)


def place_orders(
    tiktok_url: str,
    shopify_url: str,
    shop_id: str,
    skus: list[str],
    count: int,
    rate: float,
    seed: int,
    wait: float = 300,
) -> tuple[list[float], int]:
    """TikTok's buyers place `count` orders at `rate` per second; returns the delays until each one is in
    the store (sorted) and how many were placed."""
    placed: dict[str, float] = {}
    seen: dict[str, float] = {}
    done = threading.Event()

    def watch():
        with httpx.Client(base_url=shopify_url, timeout=30) as client:
            while not done.is_set():
                for order in client.get(f"/sandbox/shops/{SHOPIFY_SHOP}/orders").json()["orders"]:
                    seen.setdefault(order["source_identifier"], time.monotonic())
                done.wait(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    rng = random.Random(seed)
    with httpx.Client(base_url=tiktok_url, timeout=30) as client:
        started = time.monotonic()
        for n in range(count):
            threading.Event().wait(max(0.0, started + n / rate - time.monotonic()))  # pacing the buyers
            answer = client.post(
                "/sandbox/orders", json={"shop_id": shop_id, "items": [{"sku_id": rng.choice(skus), "quantity": 1}]}
            )
            if answer.status_code == 200:
                placed[answer.json()["id"]] = time.monotonic()
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and not set(placed) <= set(seen):
        threading.Event().wait(0.2)
    done.set()
    watcher.join(5)
    return sorted(seen[o] - placed[o] for o in placed if o in seen), len(placed)


def job_waits(database_url: str) -> None:
    """How long order jobs waited in the queue and ran: where the time went."""
    from sqlalchemy import select

    from tokbridge.db.engine import make_engine
    from tokbridge.jobs.models import Job

    engine = make_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Job.kind, Job.created_at, Job.started_at, Job.finished_at).where(
                Job.kind.in_(["inbox.process", "orders.intake", "orders.to_store"])
            )
        ).all()
    engine.dispose()
    for kind in ("inbox.process", "orders.intake", "orders.to_store"):
        waits = sorted((r[2] - r[1]).total_seconds() for r in rows if r[0] == kind and r[2])
        runs = sorted((r[3] - r[2]).total_seconds() for r in rows if r[0] == kind and r[3] and r[2])
        if waits:
            print(
                f"[latency] {kind}: {len(waits)} jobs, queued p50 {statistics.median(waits):.2f}s "
                f"p95 {waits[int(len(waits) * 0.95)]:.2f}s; ran p50 {statistics.median(runs):.2f}s"
            )


def live_products(env: dict, merchant_id: int, shop_id: str, tiktok_url: str, upload: bool = True) -> None:
    """Import the store linked to the merchant's TikTok shop `shop_id` (TikTok's id of the shop the script
    connected), one template for every product type in that shop, upload, and let TikTok's review pass
    (`upload=False`: stop before the upload)."""
    from contextlib import closing

    from tokbridge.catalog import service as catalog_service
    from tokbridge.category_templates import service as templates
    from tokbridge.channels import factory, registry
    from tokbridge.channels.connections import TIKTOK, ConnectionRepository
    from tokbridge.channels.shops import shop_context
    from tokbridge.config import get_settings
    from tokbridge.db.engine import get_engine, session_scope
    from tokbridge.jobs.registry import load_handlers
    from tokbridge.jobs.runner import run_due_jobs
    from tokbridge.listings import service as listings
    from tokbridge.onboarding.service import check_prerequisites
    from tokbridge.tenancy.scoping import bind_merchant

    get_settings.cache_clear()
    settings = get_settings()
    load_handlers()
    engine = get_engine(settings.database_url)
    with session_scope(engine) as session:
        bind_merchant(session, merchant_id)
        tiktok = next(c for c in ConnectionRepository(session).for_channel(TIKTOK) if c.external_id == shop_id)
        connection_id = tiktok.id
        tiktok.access_token, tiktok.refresh_token = "bench_access", "bench_refresh"
        from datetime import UTC, datetime, timedelta

        tiktok.access_expires_at = datetime.now(UTC) + timedelta(days=7)
        tiktok.refresh_expires_at = datetime.now(UTC) + timedelta(days=300)
        session.flush()
        store = shop_context(session, connection_id).store
        session.expunge(store)
    with closing(registry.store_for(settings, engine, store)) as source:
        catalog_service.import_whole_catalog(source, engine, merchant_id, timeout=120)
    with session_scope(engine) as session:
        bind_merchant(session, merchant_id)
        from tokbridge.billing import service as billing

        billing.change_plan(session, merchant_id, "scale")
        tiktok = shop_context(session, connection_id).shop
        check_prerequisites(session, settings, tiktok)
        client = factory.tiktok_client(settings, engine, tiktok)
        warehouse = next(w.id for w in client.get_warehouses() if w.type == "SALES_WAREHOUSE")
    with session_scope(engine) as session:
        bind_merchant(session, merchant_id)
        templates.create_template(
            session,
            shop_context(session, connection_id),
            {
                "name": "Everything",
                "selection": {
                    "match": "any",
                    "rules": [{"field": "product_type", "operator": "equals", "value": name} for name in PRODUCT_TYPES],
                },
                "category": {"id": "9601302", "version": "v2"},
                "attributes": [{"attribute_id": "100347", "source": "fixed", "value_names": ["Cotton"]}],
                "variants": [
                    {"option_name": "Size", "attribute_id": "100007"},
                    {"option_name": "Color", "attribute_id": "100000"},
                ],
                "inventory": {"default_warehouse_id": warehouse},
                "listing": {"package_weight": {"value": "0.5", "unit": "POUND"}},
            },
        )
    if not upload:
        return
    with session_scope(engine) as session:
        bind_merchant(session, merchant_id)
        listings.request_upload(session, shop_context(session, connection_id))
    run_due_jobs(settings, limit=1000)
    httpx.post(f"{tiktok_url}/sandbox/clock/advance", json={"seconds": 120}, timeout=120)
    with session_scope(engine) as session:
        bind_merchant(session, merchant_id)
        listings.request_status_sync(session, shop_context(session, connection_id))
    run_due_jobs(settings, limit=1000)


def postgres_schema_url(url: str) -> tuple[str, callable]:
    from sqlalchemy import text

    from tokbridge.db.engine import make_engine

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop():
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--webhooks", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis", default=None, help="queue on Redis for the PostgreSQL run (default: SQLite file)")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--orders", type=int, default=200, help="orders for the latency run (0: skip it)")
    parser.add_argument("--rate", type=float, default=10.0, help="orders placed per second in the latency run")
    parser.add_argument("--products", type=int, default=60, help="store catalog for the latency run")
    parser.add_argument(
        "--separate-worker",
        action="store_true",
        help="latency run with `serve --no-worker` and a `tokbridge worker` process",
    )
    args = parser.parse_args()

    if not args.skip_sqlite:
        workdir = Path(tempfile.mkdtemp(prefix="tokbridge-intake-db-"))
        intake("SQLite", f"sqlite:///{workdir}/intake.db", None, args.webhooks, args.concurrency)
    if not args.skip_postgres:
        url, drop = postgres_schema_url(args.postgres)
        try:
            intake("PostgreSQL", url, args.redis, args.webhooks, args.concurrency)
        finally:
            drop()
    if args.orders:
        latency(args.orders, args.rate, args.products, args.separate_worker)


if __name__ == "__main__":
    main()
