"""Server time of the dashboard and the product list with a large catalog and order history.

    python bench/dashboard.py                            # 100,000 products and orders, SQLite and PostgreSQL
    python bench/dashboard.py --products 20000 --orders 20000 --backends sqlite
    python bench/dashboard.py --postgres postgresql://postgres@127.0.0.1:5432/test

For each database: migrate a fresh one (a temporary SQLite file; a schema of its own on PostgreSQL,
dropped afterwards), seed one merchant with connected store and TikTok shop, five category templates,
`--products` catalog products (one variant each) linked to the templates by the real linking pass,
TikTok listings for 70% of them in every status, and `--orders` TikTok orders with one line each over
the last 120 days, their sales summed per day by the recount job; then the last `--marked-days` days are
marked as changed (orders arriving since the last recount), so the dashboard sums those from the orders
(orders/sales_rollup.py). Then the real app (FastAPI, signed-in session, templates rendered) answers each page
`--requests` times in this process through its ASGI interface; the time is from request to the last
byte of the response (no network in between). Prints p50 and p95 per page; the target is p95 < 200 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

VENDORS = [f"Vendor {n:02d}" for n in range(40)]
TYPES = ["T-Shirts", "Hoodies", "Mugs", "Candles", "Socks", "Caps", "Posters", "Bags", "Notebooks", "Lamps"]
WORDS = ["Weekend", "Classic", "Organic", "Vintage", "Cozy", "Bold", "Everyday", "Summer", "Urban", "Studio"]
LISTING_MIX = [
    ("reviewing", 10),
    ("live", 55),
    ("failed", 10),
    ("inactive", 5),
    ("in_progress", 2),
    ("not_uploaded", 18),
]
ORDER_MIX = [
    ("completed", 50),
    ("delivered", 12),
    ("in_transit", 10),
    ("awaiting_shipment", 8),
    ("awaiting_collection", 3),
    ("cancelled", 8),
    ("on_hold", 3),
    ("unpaid", 3),
    ("failed", 3),
]
CHUNK = 5000
EMAIL, PASSWORD = "bench@tokbridge.local", "bench-password-long"
SHOP_EXTERNAL_ID = "7000000000000000001"  # the one TikTok shop seed() connects


def weighted(mix: list[tuple[str, int]], rng: random.Random) -> str:
    return rng.choices([k for k, _ in mix], weights=[w for _, w in mix])[0]


def seed(engine, products: int, orders: int, rng: random.Random, marked_days: int = 2) -> int:
    from sqlalchemy import insert, select, text

    from tokbridge.catalog.models import CatalogProduct, CatalogVariant
    from tokbridge.category_templates import service as templates_service
    from tokbridge.channels.connections import TIKTOK
    from tokbridge.channels.models import ChannelConnection
    from tokbridge.channels.shopify.plugin import KIND as SHOPIFY
    from tokbridge.channels.shops import shop_context
    from tokbridge.db.base import utcnow
    from tokbridge.db.engine import session_scope
    from tokbridge.listings.models import Listing
    from tokbridge.tenancy.scoping import bind_merchant
    from tokbridge.tenancy.service import create_merchant_with_user

    now = utcnow()
    with session_scope(engine) as session:
        merchant_id = create_merchant_with_user(session, "Bench Goods", EMAIL, PASSWORD).merchant_id
        shop = ChannelConnection(
            merchant_id=merchant_id,
            channel=TIKTOK,
            external_id=SHOP_EXTERNAL_ID,
            name="Bench shop",
            region="US",
            scopes=[],
            data={"cipher": "bench-cipher", "prerequisites": {"checked_at": now.isoformat(), "checks": []}},
        )
        store = ChannelConnection(
            merchant_id=merchant_id,
            channel=SHOPIFY,
            external_id="bench.myshopify.com",
            name="Bench store",
            data={},
            scopes=[],
        )
        session.add(store)
        session.flush()
        shop.store_connection_id = store.id  # the shop lists this store's catalog
        session.add(shop)
        session.flush()
        connection_id = shop.id
    with session_scope(engine) as session:
        bind_merchant(session, merchant_id)
        shop_ctx = shop_context(session, connection_id)
        for product_type in TYPES[:5]:
            templates_service.create_template(
                session,
                shop_ctx,
                {
                    "name": product_type,
                    "selection": {
                        "match": "all",
                        "rules": [{"field": "product_type", "operator": "equals", "value": product_type}],
                    },
                    "category": {"id": "9601302", "version": "v2", "name_path": ["Womenswear", "Tops", product_type]},
                    "attributes": [{"attribute_id": "100347", "source": "fixed", "value_names": ["Cotton"]}],
                    "inventory": {"default_warehouse_id": "7000000000000000100"},
                    "listing": {"package_weight": {"value": "0.5", "unit": "POUND"}},
                },
            )

    started = time.perf_counter()
    with engine.begin() as conn:
        for start in range(0, products, CHUNK):
            rows = []
            for n in range(start, min(start + CHUNK, products)):
                rows.append(
                    {
                        "merchant_id": merchant_id,
                        "channel": SHOPIFY,
                        "external_id": f"gid://shopify/Product/{n + 1}",
                        "title": f"{rng.choice(WORDS)} {rng.choice(TYPES)[:-1]} {n}",
                        "vendor": rng.choice(VENDORS),
                        "product_type": rng.choice(TYPES),
                        "handle": f"product-{n}",
                        "tags": [],
                        "status": "active" if rng.random() < 0.92 else "draft",
                        "content_hash": uuid.uuid4().hex,
                        "synced_at": now,
                        "source_updated_at": now,
                        "description_html": "",
                    }
                )
            conn.execute(insert(CatalogProduct), rows)
        ids = list(
            conn.scalars(
                select(CatalogProduct.id).where(CatalogProduct.merchant_id == merchant_id).order_by(CatalogProduct.id)
            )
        )
        for start in range(0, len(ids), CHUNK):
            conn.execute(
                insert(CatalogVariant),
                [
                    {
                        "merchant_id": merchant_id,
                        "product_id": pid,
                        "channel": SHOPIFY,
                        "external_id": f"gid://shopify/ProductVariant/{pid}",
                        "title": "Default",
                        "position": 1,
                        "sku": f"SKU-{pid}",
                        "price": f"{rng.randint(5, 90)}.{rng.randint(0, 99):02d}",
                        "option_values": {},
                        "synced_at": now,
                    }
                    for pid in ids[start : start + CHUNK]
                ],
            )
        listings = []
        for pid in ids:
            status = weighted(LISTING_MIX, rng)
            if status == "not_uploaded":
                continue
            listings.append(
                {
                    "merchant_id": merchant_id,
                    "connection_id": connection_id,
                    "product_id": pid,
                    "status": status,
                    "problems": [],
                    "review_reasons": [],
                    "tiktok_product_id": None if status == "in_progress" else str(1729000000000000000 + pid),
                    "uploaded_at": now,
                }
            )
        for start in range(0, len(listings), CHUNK):
            conn.execute(insert(Listing), listings[start : start + CHUNK])
    print(f"  seeded {products:,} products, {len(listings):,} listings in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    with session_scope(engine) as session:
        bind_merchant(session, merchant_id)
        linked = templates_service.assign(session, shop_context(session, connection_id))
    print(f"  linked {linked:,} products to 5 templates in {time.perf_counter() - started:.1f} s")

    if orders:
        started = time.perf_counter()
        seeded = seed_orders(engine, merchant_id, connection_id, ids, orders, rng)
        print(f"  seeded {seeded:,} orders in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        days = sum_sales_per_day(engine)
        print(f"  summed the sales of {days} days in {time.perf_counter() - started:.1f} s (the recount job)")
        mark_recent_days(engine, merchant_id, marked_days)
    started = time.perf_counter()
    with session_scope(engine) as session:
        from tokbridge.listings.repository import compact_status_counts

        folded = compact_status_counts(session)
    print(f"  folded {folded:,} count changes in {time.perf_counter() - started:.1f} s (the compaction job)")
    if engine.dialect.name == "postgresql":
        # What autovacuum does to a live database: statistics, and the visibility map index-only scans need.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return merchant_id


def seed_orders(
    engine, merchant_id: int, connection_id: str, product_ids: list[int], orders: int, rng: random.Random
) -> int:
    """TikTok orders with one line each, when the order pipeline's tables exist (tokbridge.orders)."""
    try:
        from tokbridge.orders.models import Order, OrderLine
    except ImportError:
        print("  tokbridge.orders is not there yet: no orders seeded")
        return 0
    from sqlalchemy import insert, select

    from tokbridge.db.base import utcnow

    now = utcnow()
    with engine.begin() as conn:
        for start in range(0, orders, CHUNK):
            rows = []
            for n in range(start, min(start + CHUNK, orders)):
                status = weighted(ORDER_MIX, rng)
                placed = now - timedelta(seconds=rng.randint(0, 120 * 86400))
                units = rng.randint(1, 3)
                rows.append(
                    {
                        "merchant_id": merchant_id,
                        "connection_id": connection_id,
                        "tiktok_order_id": str(5760000000000000000 + n),
                        "tiktok_status": status.upper(),
                        "tiktok_update_time": int(placed.timestamp()),
                        "status": status,
                        "currency": "USD",
                        "total_minor": units * rng.randint(500, 9000),
                        "units": units,
                        "placed_at": placed,
                        "paid_at": None if status == "unpaid" else placed,
                        "raw": {},
                        "store_sync": "created" if status not in ("unpaid", "on_hold") else "not_yet",
                        "created_at": placed,
                        "updated_at": placed,
                    }
                )
            conn.execute(insert(Order), rows)
        order_ids = list(conn.scalars(select(Order.id).where(Order.merchant_id == merchant_id)))
        for start in range(0, len(order_ids), CHUNK):
            lines = []
            for oid in order_ids[start : start + CHUNK]:
                pid = rng.choice(product_ids)
                lines.append(
                    {
                        "merchant_id": merchant_id,
                        "order_id": oid,
                        "tiktok_line_id": f"L{oid}",
                        "tiktok_sku_id": str(1729500000000000000 + pid),
                        "tiktok_product_id": str(1729000000000000000 + pid),
                        "seller_sku": f"SKU-{pid}",
                        "product_name": f"Product {pid}",
                        "sale_minor": rng.randint(500, 9000),
                        "original_minor": 9000,
                    }
                )
            conn.execute(insert(OrderLine), lines)
    return len(order_ids)


def sum_sales_per_day(engine) -> int:
    """The orders went in around the ORM, so no day is marked: mark them all (as migration 0009 does for
    existing orders), then run what the periodic recount job runs."""
    from tokbridge.db.engine import session_scope, sessionmaker_for
    from tokbridge.orders import sales_rollup
    from tokbridge.orders.repository import SalesRepository

    with session_scope(engine) as session:
        SalesRepository(session).mark_every_day()
    return sales_rollup.recount_marked_days(sessionmaker_for(engine))


def mark_recent_days(engine, merchant_id: int, days: int) -> None:
    from tokbridge.db.base import utcnow
    from tokbridge.db.engine import session_scope
    from tokbridge.orders.repository import SalesRepository

    today = utcnow().date()
    with session_scope(engine) as session:
        SalesRepository(session).mark([(merchant_id, today - timedelta(days=n)) for n in range(days)])


def measure(settings, pages: dict[str, str], requests: int) -> dict[str, tuple[float, float]]:
    import re

    from fastapi.testclient import TestClient

    from tokbridge.web.app import create_app

    results = {}
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        login = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
        signed = client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
        assert signed.url.path == "/dashboard", signed.text[:300]
        for name, path in pages.items():
            client.get(path)  # warm caches the way a second visitor would find them
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code, response.text[:300])
            times.sort()
            results[name] = (statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)])
    return results


def breakdown(engine) -> dict[str, float]:
    """The dashboard service's parts, timed alone: tells which query to work on."""
    from tokbridge.channels.connections import TIKTOK, ConnectionRepository
    from tokbridge.channels.shops import shop_context
    from tokbridge.db.engine import session_scope
    from tokbridge.listings import service as listings
    from tokbridge.tenancy.scoping import bind_merchant

    with session_scope(engine) as session:
        bind_merchant(session, 1)
        shop = shop_context(session, ConnectionRepository(session).by_external_id(TIKTOK, SHOP_EXTERNAL_ID).id)
        shop_id = shop.shop_id
    parts = {
        "product status counts": lambda s: listings.status_counts(s, shop_context(s, shop_id)),
        "products on TikTok (plan)": lambda s: listings.product_usage(s, 1),
    }
    try:
        from tokbridge.orders import service as orders

        parts.update(
            {
                "order status counts": lambda s: orders.status_counts(s, shop_id),
                "sales, 30 days": lambda s: orders.sales(s, 30, connection_id=shop_id),
                "sales, 90 days": lambda s: orders.sales(s, 90, connection_id=shop_id),
                "orders this month (plan)": lambda s: orders.plan_usage(s, 1, products_used=0),
            }
        )
    except ImportError:
        pass
    timings = {}
    with session_scope(engine) as session:
        bind_merchant(session, 1)
        for name, call in parts.items():
            times = []
            for _ in range(5):
                started = time.perf_counter()
                call(session)
                times.append((time.perf_counter() - started) * 1000)
            timings[name] = statistics.median(times)
    return timings


def serve_and_measure(url: str, requests: int, middle: int) -> None:
    from tokbridge.config import get_settings
    from tokbridge.db.engine import make_engine

    os.environ["DATABASE_URL"] = url
    pages = {
        "dashboard": "/dashboard",
        "dashboard, 90-day sales": "/dashboard?period=90",
        "api dashboard": "/api/v1/dashboard",
        "products, first page": "/products",
        "products, page in the middle": f"/products?before={middle}",
        "products, status=live": "/products?status=live",
        "products, status=failed": "/products?status=failed",
        "products, vendor + type": f"/products?vendor={VENDORS[3].replace(' ', '+')}&product_type=Mugs",
        "products, title search": "/products?q=Organic",
        "activity": "/activity",
    }
    results = measure(get_settings(), pages, requests)
    print(f"  {'page':32} {'p50 ms':>8} {'p95 ms':>8}")
    for name, (p50, p95) in results.items():
        flag = "" if p95 < 200 else "  over the 200 ms target"
        print(f"  {name:32} {p50:8.1f} {p95:8.1f}{flag}")
    print("  where the dashboard's time goes (median of 5 calls, ms):")
    engine = make_engine(url)
    for name, ms in breakdown(engine).items():
        print(f"    {name:30} {ms:8.1f}")
    engine.dispose()


def run_backend(label: str, url: str, args, cleanup) -> None:
    from tokbridge.config import get_settings
    from tokbridge.db.engine import make_engine
    from tokbridge.db.migrate import upgrade

    print(f"\n{label}: {args.products:,} products, {args.orders:,} orders")
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    engine = make_engine(url)
    try:
        upgrade(engine)
        seed(engine, args.products, args.orders, random.Random(7), args.marked_days)
        with engine.connect() as conn:
            from sqlalchemy import func, select

            from tokbridge.catalog.models import CatalogProduct

            middle = conn.scalar(select(func.min(CatalogProduct.id))) + args.products // 2
        engine.dispose()
        # The app answers from a process of its own, as a server would: not one still holding the
        # seeding's garbage, whose collections would land in the timings.
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--serve-and-measure",
                url,
                "--requests",
                str(args.requests),
                "--middle-product",
                str(middle),
            ],
            check=True,
        )
    finally:
        engine.dispose()
        cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page")
    parser.add_argument(
        "--marked-days",
        type=int,
        default=2,
        help="recent days whose orders changed since the last recount (summed live)",
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres", default=os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--serve-and-measure", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--middle-product", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_and_measure:
        serve_and_measure(args.serve_and_measure, args.requests, args.middle_product)
        return

    from cryptography.fernet import Fernet

    workdir = Path(tempfile.mkdtemp(prefix="tokbridge-bench-dashboard-"))
    os.environ.update(
        {
            "SECRET_KEY": "bench-secret-" + uuid.uuid4().hex,
            "LOG_LEVEL": "WARNING",
            "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "DATA_DIR": str(workdir / "var"),
        }
    )
    os.environ.pop("REDIS_URL", None)

    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if "sqlite" in backends:
        path = workdir / "bench.db"
        run_backend("SQLite", f"sqlite:///{path}", args, lambda: path.unlink(missing_ok=True))
    if "postgresql" in backends:
        from sqlalchemy import text

        from tokbridge.db.engine import make_engine

        schema = f"bench_dashboard_{uuid.uuid4().hex[:8]}"
        admin = make_engine(args.postgres)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in args.postgres else "?"

        def drop() -> None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

        run_backend("PostgreSQL", f"{args.postgres}{separator}options=-csearch_path%3D{schema}", args, drop)


if __name__ == "__main__":
    main()
