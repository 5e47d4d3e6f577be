"""A probe of a running TokBridge: a real deployment attacked over HTTP, one table of what held.

    python bench/probe.py                      # everything, faults included (about 4 minutes on 2 cores)
    python bench/probe.py --quick              # smaller catalog, fewer webhooks and orders
    python bench/probe.py --skip-faults        # areas 1-8 only
    python bench/probe.py --only faults --keep # one area; keep the database and Redis keys to look at

What runs: both sandboxes (processes; TikTok with two shops of one seller, Shopify with two stores), a fresh
PostgreSQL database created for the run on `--postgres`, Redis on `--redis` under a queue name of its own,
the app (`tokbridge serve --no-worker`) and two `tokbridge worker` processes, all on free ports. Merchant
Alpha has products live on TikTok, templates, orders, jobs and activity; merchant Bravo has a catalog and a
template. Bravo, and strangers, then attack:

  cross-merchant   Bravo reads and writes Alpha's products, templates, orders, jobs, connections by id
  csrf             every state-changing route without a token, with a wrong one, with another session's
  open redirect    `next=` and `back=` with external, scheme-relative, backslash and encoded targets
  parallel sign-in 20 simultaneous POST /login, wrong passwords and the right one
  odd input        ids beyond bigint on every {id} route, out-of-range filters, NUL, odd category ids, deep JSON
  webhooks         concurrent signed webhooks with malformed ones among them, each sent twice
  secrets          the app's secret, tokens, passwords and emails searched in logs, database dump and Redis
  cookies/headers  Secure cookies under an https BASE_URL, security headers on every kind of answer
  faults           sandbox faults on, orders placed, a worker killed by SIGKILL: store orders lost or doubled

Printed: one table, area | tried | held | failed, then every failure in detail. The script exits 0 when it
ran, whatever it found; 2 when it could not run.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
from benchkit import free_port, wait_ready
from order_intake import SHOPIFY_SHOP, live_products

BRAVO_STORE = "bravo-probe.myshopify.com"
MISSING_ID = 9_000_000_000_000  # within bigint, and no row has it
TOO_BIG, WAY_TOO_BIG = str(2**63), "9" * 30
FORM = "application/x-www-form-urlencoded"
# Job kinds the app starts by itself (schedules, webhooks): not the trace of an attacker's write.
BACKGROUND_KINDS = {
    "orders.poll",
    "orders.poll_all",
    "orders.release_waiting",
    "orders.recount_sales",
    "catalog.reconcile",
    "catalog.reconcile_all",
    "jobs.prune",
    "sessions.prune",
    "notifications.sweep",
    "notifications.digest",
    "listings.compact_counts",
    "inbox.process",
    "listings.refresh_status",
    "orders.intake",
}
# Rows that change without anyone asking (counters, caches, sessions): left out of "nothing changed".
UNWATCHED_TABLES = {
    "job",
    "activity",
    "inbound_event",
    "web_session",
    "login_throttle",
    "periodic_run",
    "sales_day",
    "product_sales_day",
    "sales_day_mark",
    "top_products_snapshot",
    "listing_count_delta",
    "product_count_delta",
    "order_poll_cursor",
    "notification_event",
    "notification_digest",
    "user_account",
}
VOLATILE_COLUMNS = ("token", "expires", "updated_at", "checked_at", "synced_at", "refreshed", "last_")


# --- the table ------------------------------------------------------------------------------------


@dataclass
class Area:
    name: str
    tried: int = 0
    held: int = 0
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def check(self, held: bool, what: str) -> bool:
        self.tried += 1
        if held:
            self.held += 1
        else:
            self.failures.append(what)
        return held


AREAS: dict[str, Area] = {}


def area(name: str) -> Area:
    return AREAS.setdefault(name, Area(name))


def print_table() -> None:
    width = max(len(a.name) for a in AREAS.values())
    print()
    print(f"| {'area'.ljust(width)} | tried | held | failed |")
    print(f"|{'-' * (width + 2)}|------:|-----:|-------:|")
    for a in AREAS.values():
        print(f"| {a.name.ljust(width)} | {a.tried:5} | {a.held:4} | {a.tried - a.held:6} |")
    for a in AREAS.values():
        for note in a.notes:
            print(f"[{a.name}] {note}")
    failures = [(a.name, f) for a in AREAS.values() for f in a.failures]
    print(f"\n{len(failures)} failure(s)" + (":" if failures else "."))
    for name, failure in failures:
        print(f"  [{name}] {failure}")


# --- the deployment -------------------------------------------------------------------------------


def _random(prefix: str) -> str:
    return f"{prefix}{secrets.token_urlsafe(18).replace('-', 'x').replace('_', 'y')}"


@dataclass
class Account:
    business: str
    email: str
    password: str
    merchant_id: int = 0


class Deployment:
    """Sandboxes, a fresh PostgreSQL database, the app and two workers, each a process with its own log."""

    def __init__(self, postgres: str, redis_url: str, quick: bool):
        from cryptography.fernet import Fernet

        self.quick = quick
        self.workdir = Path(tempfile.mkdtemp(prefix="tokbridge-probe-"))
        self.database = f"tokbridge_probe_{uuid.uuid4().hex[:8]}"
        self.admin_url = postgres
        base = urlsplit(postgres)
        self.database_url = base._replace(path=f"/{self.database}").geturl()
        self.queue = f"probe{uuid.uuid4().hex[:8]}"  # as written: Huey keeps only letters and digits
        self.redis_url = redis_url
        self.app_port, self.tiktok_port, self.shopify_port = free_port(), free_port(), free_port()
        self.app_url = f"http://127.0.0.1:{self.app_port}"
        self.tiktok_url = f"http://127.0.0.1:{self.tiktok_port}"
        self.shopify_url = f"http://127.0.0.1:{self.shopify_port}"
        self.secrets = {  # what must never be found in logs, the database or Redis
            "SECRET_KEY": _random("sk"),
            "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "TIKTOK_APP_SECRET": _random("ttsecret"),
            "SHOPIFY_CLIENT_SECRET": _random("shpss"),
        }
        self.tiktok_key = "probe_app_key"
        self.alpha_store_token = _random("shpat_alpha")
        self.env = {
            **os.environ,
            **self.secrets,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": redis_url,
            "QUEUE_NAME": self.queue,
            "DATA_DIR": str(self.workdir / "var"),
            "BASE_URL": self.app_url,
            "LOG_LEVEL": "INFO",
            "TIKTOK_APP_KEY": self.tiktok_key,
            "SHOPIFY_CLIENT_ID": "probe-client",
            "JOB_LEASE_SECONDS": "15",
            "JOB_MAINTENANCE_SECONDS": "0.5",
            "TIKTOK_API_BASE_URL": self.tiktok_url,
            "TIKTOK_AUTH_BASE_URL": self.tiktok_url,
            "SHOPIFY_API_BASE_URL": self.shopify_url + "/shops/{shop}",
            "TIKTOK_SANDBOX_APP_KEY": self.tiktok_key,
            "TIKTOK_SANDBOX_APP_SECRET": self.secrets["TIKTOK_APP_SECRET"],
            "TIKTOK_SANDBOX_SHOP_REGIONS": '["US", "US"]',
            "TIKTOK_SANDBOX_DAILY_LISTING_LIMIT": "1000000",
            "TIKTOK_SANDBOX_WEBHOOK_URL": f"{self.app_url}/webhooks/tiktok",
            "TIKTOK_SANDBOX_ON_HOLD_SECONDS": "0",
            "TIKTOK_SANDBOX_UNPAID_TO_PAID_SECONDS": "0",
            "TIKTOK_SANDBOX_TICK_SECONDS": "0.05",
            "TIKTOK_SANDBOX_REVIEW_DELAY_SECONDS": "60",
            "TIKTOK_SANDBOX_SEED": "19",
            # live_products() stores these two tokens on the connections it prepares.
            "TIKTOK_SANDBOX_BOOTSTRAP_ACCESS_TOKEN": "bench_access",
            "TIKTOK_SANDBOX_BOOTSTRAP_REFRESH_TOKEN": "bench_refresh",
            "SHOPIFY_SANDBOX_CATALOG_SIZE": "20" if quick else "36",
            "SHOPIFY_SANDBOX_PREINSTALLED_TOKEN": self.alpha_store_token,
            "SHOPIFY_SANDBOX_CLIENT_ID": "probe-client",
            "SHOPIFY_SANDBOX_CLIENT_SECRET": self.secrets["SHOPIFY_CLIENT_SECRET"],
            "SHOPIFY_SANDBOX_APP_WEBHOOK_URI": f"{self.app_url}/webhooks/shopify",
        }
        self.processes: dict[str, subprocess.Popen] = {}
        self.redis_seen = bytearray()
        self.redis_keys: set[bytes] = set()
        self.logs: dict[str, Path] = {}
        self.alpha = Account("Alpha Probe Ltd", f"owner-{uuid.uuid4().hex[:6]}@alpha-probe.test", _random("pw"))
        self.bravo = Account("Bravo Probe Ltd", f"owner-{uuid.uuid4().hex[:6]}@bravo-probe.test", _random("pw"))
        self.extra_accounts: list[Account] = []
        self.shops: list[dict] = []

    # processes

    def start(self, name: str, args: list[str], env: dict | None = None) -> subprocess.Popen:
        log = self.workdir / f"{name}.log"
        self.logs[name] = log
        handle = open(log, "ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "tokbridge.cli", *args], env=env or self.env, stdout=handle, stderr=subprocess.STDOUT
        )
        self.processes[name] = process
        return process

    def stop_all(self) -> None:
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(15)

    def psql(self, sql: str) -> None:
        subprocess.run(
            ["psql", self.admin_url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, stdout=subprocess.DEVNULL
        )

    def create_database(self) -> None:
        self.psql(f'CREATE DATABASE "{self.database}"')

    def drop_database(self) -> None:
        from tokbridge.db.engine import get_engine

        get_engine(self.database_url).dispose()
        self.psql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def capture_redis(self) -> None:
        """Keep what Redis holds for this deployment now: queues empty out and limiter keys expire, so the
        secrets search looks at what was there along the way, not only at the end."""
        import redis

        client = redis.Redis.from_url(self.redis_url)
        for key in client.scan_iter(match=f"*{self.queue}*"):
            self.redis_keys.add(key)
            kind = client.type(key).decode()
            values = []
            if kind == "string":
                values = [client.get(key) or b""]
            elif kind == "list":
                values = client.lrange(key, 0, -1)
            elif kind == "hash":
                values = [part for item in client.hgetall(key).items() for part in item]
            elif kind == "set":
                values = list(client.smembers(key))
            elif kind == "zset":
                values = client.zrange(key, 0, -1)
            self.redis_seen += key + b"\n" + b"\n".join(values) + b"\n"

    def flush_redis(self) -> None:
        import redis

        client = redis.Redis.from_url(self.redis_url)
        for key in list(client.scan_iter(match=f"*{self.queue}*")):
            client.delete(key)

    # set-up

    def set_up(self) -> None:
        started = time.monotonic()
        self.create_database()
        self.start("tiktok-sandbox", ["sandbox", "tiktok", "--port", str(self.tiktok_port)])
        self.start("shopify-sandbox", ["sandbox", "shopify", "--port", str(self.shopify_port)])
        wait_ready(f"{self.tiktok_url}/sandbox/state")
        wait_ready(f"{self.shopify_url}/sandbox/state")
        self.shops = httpx.get(f"{self.tiktok_url}/sandbox/state").json()["shops"][:2]
        httpx.post(f"{self.shopify_url}/sandbox/shops", json={"shop": BRAVO_STORE, "count": 8}, timeout=120)
        tokens = httpx.post(f"{self.shopify_url}/sandbox/shops/{BRAVO_STORE}/tokens", json={}).json()
        self.bravo_store_token = bravo_token = tokens["access_token"]

        os.environ.update(self.env)
        from tokbridge.config import get_settings

        get_settings.cache_clear()
        import tokbridge.db.models  # noqa: F401
        from tokbridge.db.engine import get_engine
        from tokbridge.db.migrate import upgrade

        upgrade(get_engine(self.database_url))
        for account, shop, domain, token in (
            (self.alpha, self.shops[0], SHOPIFY_SHOP, self.alpha_store_token),
            (self.bravo, self.shops[1], BRAVO_STORE, bravo_token),
        ):
            account.merchant_id = self._merchant_with_connections(account, shop, domain, token)
        live_products(self.env, self.alpha.merchant_id, self.shops[0]["id"], self.tiktok_url)
        live_products(self.env, self.bravo.merchant_id, self.shops[1]["id"], self.tiktok_url, upload=False)

        self.start("app", ["serve", "--port", str(self.app_port), "--no-worker"])
        self.start("worker-1", ["worker"])
        self.start("worker-2", ["worker"])
        wait_ready(f"{self.app_url}/healthz")
        print(
            f"[probe] set up in {time.monotonic() - started:.0f}s: PostgreSQL database {self.database}, "
            f"Redis queue {self.queue}, app on {self.app_url}, 2 workers; logs in {self.workdir}"
        )

    def _merchant_with_connections(self, account: Account, shop: dict, domain: str, token: str) -> int:
        from tokbridge.channels.models import ChannelConnection
        from tokbridge.db.engine import get_engine, session_scope
        from tokbridge.tenancy.service import create_merchant_with_user

        with session_scope(get_engine(self.database_url)) as session:
            user = create_merchant_with_user(session, account.business, account.email, account.password)
            store = ChannelConnection(
                merchant_id=user.merchant_id,
                channel="shopify",
                external_id=domain,
                name=f"{account.business} store",
                data={},
                scopes=[],
            )
            store.access_token = token
            session.add(store)
            session.flush()
            # The shop lists this store's catalog (live_products() finds the store through it).
            session.add(
                ChannelConnection(
                    merchant_id=user.merchant_id,
                    channel="tiktok",
                    external_id=shop["id"],
                    name=f"{account.business} shop",
                    region="US",
                    data={"cipher": shop["cipher"]},
                    scopes=[],
                    store_connection_id=store.id,
                )
            )
            return user.merchant_id

    # the database, read by the probe

    def sql(self, statement: str, **params) -> list:
        from sqlalchemy import text

        from tokbridge.db.engine import get_engine

        with get_engine(self.database_url).connect() as conn:
            return list(conn.execute(text(statement), params))

    def settle(self, timeout: float = 180) -> bool:
        """Wait until no job is running or due: the deployment is quiet."""
        deadline = time.monotonic() + timeout
        quiet_since = None
        while time.monotonic() < deadline:
            from tokbridge.db.base import utcnow

            busy = self.sql(
                "SELECT count(*) FROM job WHERE state = 'running' OR (state = 'queued' AND next_run_at <= :now)",
                now=utcnow(),
            )[0][0]
            if busy:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > 1.5:
                return True
            threading.Event().wait(0.3)  # polling processes we started
        return False

    def snapshot(self, merchant_id: int) -> tuple:
        """What an attacker's write would change: the merchant's rows (volatile columns left out) and the
        jobs started for it on request."""
        tables = getattr(self, "_watched", None)
        if tables is None:
            rows = self.sql(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
            )
            columns: dict[str, list[str]] = {}
            for table, column in rows:
                columns.setdefault(table, []).append(column)
            tables = self._watched = {
                table: [c for c in cols if not any(v in c for v in VOLATILE_COLUMNS)]
                for table, cols in columns.items()
                if "merchant_id" in cols and table not in UNWATCHED_TABLES
            }
        state = []
        for table, cols in sorted(tables.items()):
            quoted = ", ".join(f'"{c}"' for c in cols)
            state.append(
                (
                    table,
                    tuple(
                        tuple(r)
                        for r in self.sql(
                            f'SELECT {quoted} FROM "{table}" WHERE merchant_id = :m ORDER BY 1', m=merchant_id
                        )
                    ),
                )
            )
        jobs = self.sql(
            "SELECT kind, count(*) FROM job WHERE merchant_id = :m GROUP BY kind ORDER BY kind", m=merchant_id
        )
        state.append(("job", tuple((k, n) for k, n in jobs if k not in BACKGROUND_KINDS)))
        return tuple(state)

    def live_tokens(self) -> list[str]:
        """Every access and refresh token the connections hold now (refreshed ones included), decrypted."""
        from sqlalchemy import select

        from tokbridge.channels.models import ChannelConnection
        from tokbridge.db.engine import get_engine, session_scope

        found = []
        with session_scope(get_engine(self.database_url)) as session:
            for connection in session.scalars(select(ChannelConnection)):
                for name in ("access_token", "refresh_token"):
                    try:
                        value = getattr(connection, name)
                    except Exception:  # noqa: BLE001 - a token the probe cannot read is not searched for
                        value = None
                    if value:
                        found.append(value)
        return found


def changed(before: tuple, after: tuple) -> str:
    diffs = [f"{b[0]}" for b, a in zip(before, after, strict=True) if b != a]
    return ", ".join(diffs)


# --- HTTP helpers ---------------------------------------------------------------------------------

TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(html: str) -> str:
    match = TOKEN_FIELD.search(html)
    return match.group(1) if match else ""


class Browser:
    """A signed-in (or signed-out) client: cookies, the session's CSRF token."""

    def __init__(self, base_url: str):
        self.http = httpx.Client(base_url=base_url, timeout=60, follow_redirects=False)
        self.token = ""

    def sign_in(self, account: Account) -> Browser:
        token = form_token(self.http.get("/login").text)
        answer = self.http.post(
            "/login",
            data={"email": account.email, "password": account.password, "csrf_token": token, "next": "/dashboard"},
        )
        if answer.status_code != 303:
            raise SystemExit(f"{account.email} could not sign in: {answer.status_code}")
        self.token = self.http.get("/api/v1/me").json()["csrf_token"]
        return self

    def call(self, method: str, path: str, body=None, token: str | None = "") -> httpx.Response:
        """A page form (a path outside /api/) or a JSON call, with the session's token unless told. A
        connection the server dropped comes back as a made-up 599, counted as a server error."""
        try:
            return self._call(method, path, body, token)
        except httpx.TransportError as exc:
            return httpx.Response(599, text=f"no answer: {type(exc).__name__}: {exc}")

    def _call(self, method: str, path: str, body, token: str | None) -> httpx.Response:
        token = self.token if token == "" else token
        if path.startswith("/api/"):
            headers = {"X-CSRF-Token": token} if token is not None else {}
            if method == "GET":
                return self.http.request(method, path, headers=headers)
            return self.http.request(method, path, json=body if body is not None else {}, headers=headers)
        if method == "GET":
            return self.http.get(path)
        data = dict(body or {})
        if token is not None:
            data["csrf_token"] = token
        return self.http.request(method, path, data=data, headers={"content-type": FORM})


def all_at_once(count: int, send) -> list:
    """Call send(i) from `count` threads released together; answers (or the exception) in order."""
    answers: list = [None] * count
    start = threading.Barrier(count)

    def run(index: int) -> None:
        try:
            start.wait()
            answers[index] = send(index)
        except Exception as exc:  # noqa: BLE001 - reported as a failure
            answers[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    return answers


def status_of(answer) -> str:
    return str(answer.status_code) if isinstance(answer, httpx.Response) else type(answer).__name__


# --- 1. cross-merchant ----------------------------------------------------------------------------


def alpha_records(d: Deployment) -> dict:
    a = d.alpha.merchant_id

    def ids(sql: str) -> list[int]:
        return [row[0] for row in d.sql(sql, m=a)]

    return {
        "product": ids("SELECT id FROM product WHERE merchant_id = :m ORDER BY id LIMIT 3"),
        "template": ids("SELECT id FROM category_template WHERE merchant_id = :m ORDER BY id"),
        "order": ids("SELECT id FROM tiktok_order WHERE merchant_id = :m ORDER BY id LIMIT 3"),
        "job": ids(
            "SELECT id FROM job WHERE merchant_id = :m AND kind IN ('listings.upload', 'listings.sync_shop', "
            "'orders.to_store') ORDER BY id DESC LIMIT 3"
        ),
        "listing": ids("SELECT id FROM tiktok_listing WHERE merchant_id = :m ORDER BY id LIMIT 3"),
        "connection": ids("SELECT id FROM channel_connection WHERE merchant_id = :m ORDER BY id"),
        "cancellation": ids("SELECT id FROM order_cancellation WHERE merchant_id = :m ORDER BY id LIMIT 1"),
        "return": ids("SELECT id FROM order_return WHERE merchant_id = :m ORDER BY id LIMIT 1"),
        "activity": ids("SELECT id FROM activity WHERE merchant_id = :m ORDER BY id"),
        "tiktok_order_ids": [
            row[0] for row in d.sql("SELECT tiktok_order_id FROM tiktok_order WHERE merchant_id = :m", m=a)
        ],
    }


def cross_merchant(d: Deployment, alpha: Browser, bravo: Browser) -> None:
    result = area("cross-merchant")
    # Alpha's records get a name Bravo's pages must never show.
    [first_template] = alpha_records(d)["template"][:1] or [None]
    spec = alpha.call("GET", f"/api/v1/templates/{first_template}").json()
    spec.pop("id", None)
    secret_name = "Alpha secret template"
    made = alpha.call("POST", "/api/v1/templates", {**spec, "name": secret_name, "priority": 99})
    if made.status_code != 201:
        result.notes.append(f"Alpha's extra template was not created ({made.status_code}): {made.text[:200]}")
    # A cancellation request on one of Alpha's orders, when the sandbox lets a buyer ask for one.
    records = alpha_records(d)
    a = records
    bravo_template = d.sql(
        "SELECT id FROM category_template WHERE merchant_id = :m ORDER BY id LIMIT 1", m=d.bravo.merchant_id
    )[0][0]
    bravo_spec = bravo.call("GET", f"/api/v1/templates/{bravo_template}").json()
    bravo_spec.pop("id", None)
    bravo_products = [
        row[0]
        for row in d.sql("SELECT id FROM product WHERE merchant_id = :m ORDER BY id LIMIT 2", m=d.bravo.merchant_id)
    ]
    markers = [d.alpha.business, d.alpha.email, secret_name, *a["tiktok_order_ids"]]

    def first(kind: str) -> int:
        return (a[kind] or [MISSING_ID])[0]

    attacks: list[tuple[str, str, object]] = []
    for pid in a["product"]:
        attacks += [("GET", f"/products/{pid}", None), ("GET", f"/api/v1/products/{pid}", None)]
    for tid in a["template"]:
        attacks += [
            ("GET", f"/templates/{tid}/edit", None),
            ("GET", f"/api/v1/templates/{tid}", None),
            ("GET", f"/api/v1/templates/{tid}/category-check", None),
            ("PUT", f"/api/v1/templates/{tid}", {**bravo_spec, "name": "taken over"}),
            ("POST", f"/api/v1/templates/{tid}/products", {"product_ids": []}),
            ("POST", f"/templates/{tid}/edit", {"name": "taken over"}),
            ("DELETE", f"/api/v1/templates/{tid}", None),
            ("POST", f"/templates/{tid}/delete", None),
        ]
    for oid in a["order"]:
        attacks += [
            ("GET", f"/orders/{oid}", None),
            ("GET", f"/api/v1/orders/{oid}", None),
            ("POST", f"/api/v1/orders/{oid}/cancel", {"reason": "CUSTOMER_REQUEST"}),
            ("POST", f"/api/v1/orders/{oid}/retry", None),
            ("POST", f"/orders/{oid}/cancel", {"reason": "CUSTOMER_REQUEST"}),
            ("POST", f"/orders/{oid}/retry", None),
        ]
    for jid in a["job"]:
        attacks += [("GET", f"/api/v1/jobs/{jid}", None), ("POST", f"/api/v1/jobs/{jid}/cancel", None)]
    for cid in a["connection"]:
        attacks += [("POST", f"/settings/connections/{cid}/disconnect", None)]
    attacks += [
        ("POST", f"/api/v1/orders/cancellations/{first('cancellation')}/approve", None),
        ("POST", f"/api/v1/orders/cancellations/{first('cancellation')}/reject", {"reason": "x"}),
        ("POST", f"/orders/cancellations/{first('cancellation')}", {"decision": "approve"}),
        ("POST", f"/api/v1/orders/returns/{first('return')}/approve", None),
        ("POST", f"/orders/returns/{first('return')}", {"decision": "approve"}),
    ]
    # Lists of ids in a body: Alpha's ids must be ignored or refused, never acted on.
    bulk = [
        ("POST", "/api/v1/listings/actions", {"action": "deactivate", "listing_ids": a["listing"]}),
        ("POST", "/api/v1/uploads", {"product_ids": a["product"]}),
        ("POST", f"/api/v1/templates/{bravo_template}/products", {"product_ids": a["product"]}),
        ("POST", "/products/bulk", {"action": "deactivate", "product_id": [str(i) for i in a["product"]]}),
        ("POST", "/products/bulk", {"action": "upload", "product_id": [str(i) for i in a["product"]]}),
        (
            "POST",
            "/products/bulk",
            {"action": f"assign:{a['template'][0]}", "product_id": [str(i) for i in bravo_products]},
        ),
    ]

    before = d.snapshot(d.alpha.merchant_id)
    for method, path, body in attacks + bulk:
        answer = bravo.call(method, path, body)
        missing = (
            bravo.call(method, re.sub(r"/\d+(/|$)", f"/{MISSING_ID}\\1", path, count=1), body)
            if (method, path, body) not in bulk
            else None
        )
        after = d.snapshot(d.alpha.merchant_id)
        leaked = [m for m in markers if m and m in answer.text]
        if missing is not None:
            same_as_missing = (answer.status_code, answer.headers.get("location")) == (
                missing.status_code,
                missing.headers.get("location"),
            )
            refused = answer.status_code in (403, 404) or (answer.status_code < 500 and same_as_missing)
        else:
            refused = answer.status_code < 500
        what = f"{method} {path}: {answer.status_code}"
        if missing is not None and answer.status_code not in (403, 404):
            what += f" (a missing id: {missing.status_code})"
        if leaked:
            what += f", shows {leaked}"
        if after != before:
            what += f", changed Alpha's {changed(before, after)}"
        result.check(refused and not leaked and after == before, what)
        before = after

    # Bravo's lists and pages: none of Alpha's records.
    for path, key in [
        ("/api/v1/products", "items"),
        ("/api/v1/orders", "items"),
        ("/api/v1/templates", None),
        ("/api/v1/jobs", None),
        ("/api/v1/activity", None),
    ]:
        answer = bravo.call("GET", path)
        body = answer.json() if answer.status_code == 200 else {}
        items = body.get(key, []) if isinstance(body, dict) else body
        foreign = {
            "products": set(a["product"]),
            "orders": set(a["order"]),
            "templates": set(a["template"]),
            "jobs": set(a["job"]),
            "activity": set(a["activity"]),
        }[path.rsplit("/", 1)[1]]
        ids = {item.get("id") for item in items if isinstance(item, dict)}
        leaked = [m for m in markers if m and m in answer.text]
        result.check(
            answer.status_code == 200 and not (ids & foreign) and not leaked,
            f"GET {path}: {answer.status_code}, Alpha's ids {sorted(ids & foreign)}, shows {leaked}",
        )
    newest = max(a["activity"] or [0]) + 1
    for path in [
        "/dashboard",
        "/products",
        "/orders",
        "/templates",
        "/activity",
        f"/activity?before={newest}",
        "/settings",
        f"/products?template={first('template')}",
    ]:
        answer = bravo.call("GET", path)
        leaked = [m for m in markers if m and m in answer.text]
        result.check(answer.status_code == 200 and not leaked, f"GET {path}: {answer.status_code}, shows {leaked}")


# --- 2. CSRF ----------------------------------------------------------------------------------------


def app_routes() -> list:
    """Every route of the app (FastAPI keeps an included router's routes under it)."""
    from fastapi.routing import APIRoute

    from tokbridge.config import get_settings
    from tokbridge.web.app import create_app

    def walk(routes):
        for route in routes:
            if hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)
            elif isinstance(route, APIRoute):
                yield route

    get_settings.cache_clear()
    return list(walk(create_app(get_settings()).routes))


def state_changing_routes() -> list[tuple[str, str]]:
    return [
        (method, route.path)
        for route in app_routes()
        if not route.path.startswith("/webhooks/")
        for method in sorted(route.methods - {"GET", "HEAD", "OPTIONS"})
    ]


def fill(path: str, ids: dict) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        return str(ids.get(name, MISSING_ID))

    return re.sub(r"\{(\w+)\}", value, path)


def csrf(d: Deployment, alpha: Browser, bravo: Browser) -> None:
    result = area("csrf")
    b = d.bravo.merchant_id
    ids = {
        "product_id": d.sql("SELECT min(id) FROM product WHERE merchant_id = :m", m=b)[0][0],
        "template_id": d.sql("SELECT min(id) FROM category_template WHERE merchant_id = :m", m=b)[0][0],
        "connection_id": d.sql(
            "SELECT id FROM channel_connection WHERE merchant_id = :m AND channel = 'tiktok' AND external_id = :shop",
            m=b,
            shop=d.shops[1]["id"],
        )[0][0],
        "job_id": d.sql("SELECT max(id) FROM job WHERE merchant_id = :m", m=b)[0][0],
        "code": "growth",
    }
    routes = state_changing_routes()
    anonymous = {("POST", "/login"), ("POST", "/signup")}
    variants = {"no token": None, "a wrong token": "x" * 43, "another session's token": alpha.token}
    bodies = {
        "/login": {"email": d.bravo.email, "password": d.bravo.password, "next": "/dashboard"},
        "/signup": {"business": "CSRF Ltd", "email": "csrf@probe.test", "password": "long enough password"},
    }
    before = d.snapshot(b)
    for method, path in routes:
        url = fill(path, ids)
        for label, token in variants.items():
            if (method, path) in anonymous:
                if label == "another session's token":
                    continue
                # Signed out: a tb_csrf cookie from a real form, the field missing or not matching it.
                stranger = Browser(d.app_url)
                stranger.http.get(path)
                answer = stranger.call(method, url, bodies[path], token=token)
                signed_in = "tb_session" in answer.headers.get("set-cookie", "")
                stranger.http.close()
                result.check(
                    answer.status_code == 403 and not signed_in,
                    f"{method} {url} signed out with {label}: {answer.status_code}"
                    + (", signed in" if signed_in else ""),
                )
                continue
            answer = bravo.call(method, url, bodies.get(path), token=token)
            after = d.snapshot(b)
            still_in = bravo.call("GET", "/api/v1/me").status_code == 200
            result.check(
                answer.status_code == 403 and after == before and still_in,
                f"{method} {url} with {label}: {answer.status_code}"
                + (f", changed Bravo's {changed(before, after)}" if after != before else "")
                + ("" if still_in else ", Bravo signed out"),
            )
            before = after
    # A form from another site without any cookie at all, to the sign-in and sign-up forms.
    for path in ("/login", "/signup"):
        answer = httpx.post(d.app_url + path, data={**bodies[path], "csrf_token": "x" * 43}, timeout=30)
        result.check(answer.status_code == 403, f"POST {path} without the tb_csrf cookie: {answer.status_code}")
    exists = d.sql("SELECT count(*) FROM user_account WHERE email = 'csrf@probe.test'")[0][0]
    result.check(exists == 0, f"the sign-ups refused for CSRF created {exists} account(s)")


# --- 3. open redirect -------------------------------------------------------------------------------

EVIL = "evil.example"
REDIRECT_TARGETS = [
    f"https://{EVIL}/",
    f"http://{EVIL}",
    f"//{EVIL}",
    f"///{EVIL}",
    f"////{EVIL}",
    f"/\\{EVIL}",
    f"\\\\{EVIL}",
    f"\\/{EVIL}",
    f"/\\/{EVIL}",
    f"%2F%2F{EVIL}",
    f"/%2F{EVIL}",
    f"%5C%5C{EVIL}",
    f"/%5C{EVIL}",
    f"https:{EVIL}",
    f"https:/{EVIL}",
    f"javascript:alert(document.domain)//{EVIL}",
    f"data:text/html,{EVIL}",
    f" //{EVIL}",
    f"/\t/{EVIL}",
    f"/\n/{EVIL}",
    f"http://127.0.0.1@{EVIL}",
    f"//{EVIL}%2F@127.0.0.1",
    f"/%09/{EVIL}",
    f"%0D%0ALocation:%20https://{EVIL}",
    f"\u3002{EVIL}",
    f"//{EVIL}\u3002com",
]


def stays_on_site(app_url: str, target: str | None) -> bool:
    """Where a browser would go from a Location: backslashes read as slashes, tabs and newlines dropped, as
    browsers do."""
    if target is None:
        return True
    cleaned = re.sub(r"[\t\n\r]", "", target.strip().replace("\\", "/"))
    resolved = urlsplit(urljoin(app_url + "/", cleaned))
    return resolved.scheme == "http" and resolved.netloc == urlsplit(app_url).netloc


def open_redirect(d: Deployment, bravo: Browser) -> None:
    result = area("open redirect")
    for target in REDIRECT_TARGETS:
        # Signed in: GET /login?next= redirects at once.
        answer = bravo.http.get("/login", params={"next": target})
        result.check(
            answer.status_code in (303, 302, 307) and stays_on_site(d.app_url, answer.headers.get("location")),
            f"signed-in GET /login?next={target!r}: {answer.status_code} to {answer.headers.get('location')!r}",
        )
        # Signed out: a link to the sign-in form, the form's hidden `next` posted back as a browser would.
        stranger = Browser(d.app_url)
        page = stranger.http.get("/login", params={"next": target})
        hidden = re.search(r'name="next" value="([^"]*)"', page.text)
        value = html.unescape(hidden.group(1)) if hidden else "/dashboard"
        answer = stranger.http.post(
            "/login",
            data={
                "email": d.bravo.email,
                "password": d.bravo.password,
                "next": value,
                "csrf_token": form_token(page.text),
            },
        )
        result.check(
            answer.status_code == 303 and stays_on_site(d.app_url, answer.headers.get("location")),
            f"signed-out GET /login?next={target!r}, then sign in: {answer.status_code} to "
            f"{answer.headers.get('location')!r}",
        )
        stranger.http.close()
        # A forged sign-in form posting `next` directly.
        stranger = Browser(d.app_url)
        token = form_token(stranger.http.get("/login").text)
        answer = stranger.http.post(
            "/login", data={"email": d.bravo.email, "password": d.bravo.password, "next": target, "csrf_token": token}
        )
        result.check(
            answer.status_code == 303 and stays_on_site(d.app_url, answer.headers.get("location")),
            f"POST /login next={target!r}: {answer.status_code} to {answer.headers.get('location')!r}",
        )
        stranger.http.close()
        # The product list's bulk form sends the merchant back where they were.
        answer = bravo.call("POST", "/products/bulk", {"action": "exclude", "back": target})
        result.check(
            answer.status_code < 500 and stays_on_site(d.app_url, answer.headers.get("location")),
            f"POST /products/bulk back={target!r}: {answer.status_code} to {answer.headers.get('location')!r}",
        )
    # Addresses the sign-in redirect is built from: a page asked for while signed out.
    for raw in [f"//{EVIL}/", f"/\\{EVIL}/", f"/%2F%2F{EVIL}/", f"/%5C{EVIL}"]:
        answer = raw_get(d.app_port, raw)
        location = answer.get("location")
        result.check(
            answer["status"] < 500 and stays_on_site(d.app_url, location),
            f"signed-out GET {raw!r}: {answer['status']} to {location!r}",
        )
        if location and location.startswith("/login"):
            # ...and the sign-in page it leads to must not send the merchant off-site afterwards.
            stranger = Browser(d.app_url)
            page = stranger.http.get(location)
            answer = stranger.http.post(
                "/login",
                data={
                    "email": d.bravo.email,
                    "password": d.bravo.password,
                    "csrf_token": form_token(page.text),
                    "next": re.search(r'name="next" value="([^"]*)"', page.text).group(1)
                    if 'name="next"' in page.text
                    else "/",
                },
            )
            result.check(
                stays_on_site(d.app_url, answer.headers.get("location")),
                f"sign-in after {raw!r}: to {answer.headers.get('location')!r}",
            )
            stranger.http.close()


def raw_get(port: int, target: str) -> dict:
    """A GET whose request target is sent exactly as written (a client library would normalize it)."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    headers = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in head[1:] if ":" in line}
    return {"status": int(head[0].split()[1]), **headers}


# --- 4. parallel sign-in -----------------------------------------------------------------------------


def sign_up(d: Deployment, business: str) -> Account:
    account = Account(
        business, f"{business.lower().replace(' ', '-')}-{uuid.uuid4().hex[:6]}@probe.test", _random("pw")
    )
    browser = Browser(d.app_url)
    token = form_token(browser.http.get("/signup").text)
    answer = browser.http.post(
        "/signup",
        data={"business": business, "email": account.email, "password": account.password, "csrf_token": token},
    )
    if answer.status_code != 303:
        raise SystemExit(f"sign-up of {business} failed: {answer.status_code} {answer.text[:300]}")
    browser.http.post("/logout", data={"csrf_token": browser.http.get("/api/v1/me").json()["csrf_token"]})
    browser.http.close()
    d.extra_accounts.append(account)
    return account


def parallel_sign_in(d: Deployment) -> None:
    from tokbridge.config import get_settings

    result = area("parallel sign-in")
    limit = get_settings().login_max_failures

    def wave(account: Account, passwords: list[str]) -> list:
        forms = []
        for _ in passwords:
            browser = Browser(d.app_url)
            forms.append((browser, form_token(browser.http.get("/login").text)))

        def send(index: int):
            browser, token = forms[index]
            return browser.http.post(
                "/login",
                data={"email": account.email, "password": passwords[index], "csrf_token": token, "next": "/dashboard"},
            )

        answers = all_at_once(len(passwords), send)
        for browser, _ in forms:
            browser.http.close()
        return answers

    def kinds(answers: list) -> Counter:
        tally = Counter()
        for answer in answers:
            if not isinstance(answer, httpx.Response) or answer.status_code >= 500:
                tally["error"] += 1
            elif answer.status_code == 303:
                tally["signed in"] += 1
            elif answer.status_code == 401 and "Too many failed sign-ins" in answer.text:
                tally["refused"] += 1
            elif answer.status_code == 401:
                tally["checked"] += 1
            else:
                tally["other"] += 1
        return tally

    # Nineteen wrong passwords at once, then the right one: only the limit's worth checked, then locked.
    victim = sign_up(d, "Lockout One")
    answers = wave(victim, ["wrong guess"] * 19)
    for index, answer in enumerate(answers):
        result.check(
            isinstance(answer, httpx.Response) and answer.status_code == 401,
            f"wrong password #{index + 1} of 19 at once: {status_of(answer)}",
        )
    tally = kinds(answers)
    result.check(tally["checked"] <= limit, f"19 wrong passwords at once: {tally['checked']} checked, limit {limit}")
    right = wave(victim, [victim.password])[0]
    result.check(
        isinstance(right, httpx.Response) and right.status_code == 401 and "Too many" in right.text,
        f"the right password after 19 wrong ones: {status_of(right)} (must be refused: locked)",
    )
    result.notes.append(f"19 wrong at once, then the right one: {dict(tally)}; the right one {status_of(right)}")

    # Twenty at once, the right one among them (last in the list): plain answers, at most one sign-in.
    other = sign_up(d, "Lockout Two")
    answers = wave(other, ["wrong guess"] * 19 + [other.password])
    for index, answer in enumerate(answers):
        result.check(
            isinstance(answer, httpx.Response) and answer.status_code in (303, 401),
            f"attempt #{index + 1} of 20 at once (19 wrong, the right one last): {status_of(answer)}",
        )
    tally = kinds(answers)
    result.check(tally["signed in"] <= 1, f"20 at once: {tally['signed in']} sign-ins")
    result.notes.append(f"20 at once, the right one last: {dict(tally)}")


# --- 5. odd input -------------------------------------------------------------------------------------


def odd_input(d: Deployment, bravo: Browser) -> None:
    result = area("odd input")

    def refused(method: str, url: str, body=None, lenient: bool = False) -> None:
        """Refused with a 4xx; a page form may instead send the merchant back with a notice (a 303)."""
        answer = bravo.call(method, url, body)
        good = 400 <= answer.status_code < 500
        if lenient or (method != "GET" and not url.startswith("/api/")):
            good = answer.status_code < 500
        result.check(
            good and "Traceback" not in answer.text, f"{method} {url[:120]}: {answer.status_code} {answer.text[:120]!r}"
        )

    for route in app_routes():
        if "{" not in route.path or route.path.startswith("/webhooks/"):
            continue
        for method in sorted(route.methods - {"HEAD"}):
            for big in (TOO_BIG, WAY_TOO_BIG, "-1"):
                url = re.sub(r"\{\w+\}", big, route.path)
                body = {"reason": "x", "product_ids": [1]} if method in ("POST", "PUT") else None
                refused(method, url, body)
    for query in [f"before={TOO_BIG}", f"template_id={WAY_TOO_BIG}", "q=a%00b", "vendor=a%00b", "product_type=a%00b"]:
        refused("GET", f"/api/v1/products?{query}")
    refused("GET", f"/api/v1/products?limit={WAY_TOO_BIG}", lenient=True)  # a page size: clamped to 200
    for query in [f"offset={TOO_BIG}", "q=a%00b", f"limit={TOO_BIG}"]:
        refused("GET", f"/api/v1/orders?{query}")
    for page in [
        f"/products?template={TOO_BIG}&before={WAY_TOO_BIG}",
        "/products?q=a%00b",
        "/orders?q=a%00b",
        f"/orders?page={WAY_TOO_BIG}",
        f"/activity?before={TOO_BIG}",
        f"/activity?before={WAY_TOO_BIG}",
        "/activity?before=%C2%B2",
        "/products?template=%C2%B2&before=%C2%B9",
        "/orders?page=%C2%B2",
        "/activity?status=%00",
        f"/dashboard?period={WAY_TOO_BIG}",
    ]:
        refused("GET", page, lenient=True)
    # Odd TikTok category ids: TikTok's ids are digits; anything else is the merchant's typo.
    for category in [
        "..%2F..%2Fetc",
        "1%202",
        "a%00b",
        "%C3%A9t%C3%A9",
        "9" * 300,
        "%3Cscript%3E",
        "1%3B2",
        "%25",
        "-1",
        "0x10",
        "1e5",
        "%E2%80%AE",
    ]:
        refused("GET", f"/api/v1/tiktok/categories/{category}")
    refused("GET", "/api/v1/tiktok/categories?keyword=a%00b")
    refused("GET", "/api/v1/tiktok/categories/recommend?title=a%00b")
    # Bodies: NUL in JSON and in forms, JSON nested 100,000 levels deep.
    deep = "[" * 100_000 + "]" * 100_000
    for url in ["/api/v1/templates/count", "/api/v1/templates/preview", "/api/v1/templates"]:
        answer = bravo.http.post(
            url,
            content=f'{{"match": "all", "rules": {deep}}}',
            headers={"content-type": "application/json", "X-CSRF-Token": bravo.token},
        )
        result.check(400 <= answer.status_code < 500, f"POST {url} nested 100,000 deep: {answer.status_code}")
    refused("POST", "/api/v1/templates", {"name": "a\x00b", "category": {"id": "600001", "version": "v2"}})
    refused("POST", "/orders/1/cancel", {"reason": "a\x00b"})
    refused("POST", "/settings/currency", {"currency": "\x00"})
    # The bulk product form's ticked ids and template choice, tampered with.
    for form in [
        {"action": "upload", "product_id": ["\u00b2"]},
        {"action": "upload", "product_id": [TOO_BIG]},
        {"action": "deactivate", "product_id": [WAY_TOO_BIG]},
        {"action": "assign:\u00b2", "product_id": ["1"]},
        {"action": f"assign:{TOO_BIG}", "product_id": ["1"]},
        {"action": "upload", "product_id": ["-1"]},
    ]:
        refused("POST", "/products/bulk", form)
    # Signed webhooks nested 100,000 levels deep.
    body = json.dumps({"type": 5, "tts_notification_id": "deep", "shop_id": d.shops[0]["id"], "data": None})
    raw = body.replace("null", deep).encode()
    answer = post_tiktok_webhook(d, raw)
    result.check(400 <= answer.status_code < 500, f"signed TikTok webhook nested 100,000 deep: {answer.status_code}")
    raw = (
        json.dumps({"shop_domain": SHOPIFY_SHOP, "customer": {"id": 1}, "orders_requested": None})
        .replace("null", deep)
        .encode()
    )
    answer = post_shopify_webhook(d, raw, "customers/data_request", str(uuid.uuid4()))
    result.check(400 <= answer.status_code < 500, f"signed Shopify webhook nested 100,000 deep: {answer.status_code}")


# --- 6. webhooks ----------------------------------------------------------------------------------------


def tiktok_headers(d: Deployment, raw: bytes) -> dict:
    from tokbridge.channels.tiktok.webhooks import compute_signature

    return {
        "content-type": "application/json",
        "authorization": compute_signature(d.tiktok_key, d.secrets["TIKTOK_APP_SECRET"], raw),
    }


def shopify_headers(d: Deployment, raw: bytes, topic: str, event_id: str | None, shop: str = SHOPIFY_SHOP) -> dict:
    from tokbridge_sandboxes.shopify import sign_body

    headers = {
        "content-type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-API-Version": "2026-10",
        "X-Shopify-Hmac-Sha256": sign_body(d.secrets["SHOPIFY_CLIENT_SECRET"], raw),
    }
    if event_id is not None:
        headers["X-Shopify-Event-Id"] = event_id
    return headers


def post_tiktok_webhook(d: Deployment, raw: bytes) -> httpx.Response:
    return httpx.post(f"{d.app_url}/webhooks/tiktok", content=raw, headers=tiktok_headers(d, raw), timeout=60)


def post_shopify_webhook(d: Deployment, raw: bytes, topic: str, event_id: str | None) -> httpx.Response:
    return httpx.post(
        f"{d.app_url}/webhooks/shopify", content=raw, headers=shopify_headers(d, raw, topic, event_id), timeout=60
    )


def webhooks(d: Deployment) -> None:
    result = area("webhooks")
    valid_count = 10 if d.quick else 30
    shop_id = d.shops[0]["id"]
    products = [
        row[0]
        for row in d.sql(
            "SELECT tiktok_product_id FROM tiktok_listing WHERE merchant_id = :m "
            "AND tiktok_product_id IS NOT NULL ORDER BY id",
            m=d.alpha.merchant_id,
        )
    ]
    products = products[:valid_count]
    since = d.sql("SELECT max(id) FROM job")[0][0] or 0
    # TikTok itself may notify about the same products meanwhile (a review ending): those refresh too.
    tiktok_sent_before = len(httpx.get(f"{d.tiktok_url}/sandbox/webhooks", timeout=60).json()["deliveries"])
    run = uuid.uuid4().hex[:8]

    def envelope(notification_id: str, product_id: str) -> dict:
        return {
            "type": 5,
            "tts_notification_id": notification_id,
            "shop_id": shop_id,
            "timestamp": 1700000000,
            "data": {"product_id": product_id, "status": "PRODUCT_STATUS_CHANGED"},
        }

    tiktok: list[tuple[str, bytes, bool]] = [
        (f"valid #{n}", json.dumps(envelope(f"probe-{run}-{n}", pid)).encode(), True) for n, pid in enumerate(products)
    ]
    bad_base = json.dumps(envelope(f"probe-{run}-bad", products[0])).encode()
    tiktok += [
        ("notification id of 300 characters", json.dumps(envelope("n" * 300, products[0])).encode(), False),
        ("NaN", bad_base.replace(b'"timestamp": 1700000000', b'"timestamp": NaN'), False),
        ("Infinity", bad_base.replace(b'"timestamp": 1700000000', b'"timestamp": Infinity'), False),
    ]

    def customer(n: int) -> bytes:
        return json.dumps(
            {"shop_domain": SHOPIFY_SHOP, "customer": {"id": 10_000 + n}, "orders_requested": [1001]}
        ).encode()

    shopify: list[tuple[str, bytes, dict, bool]] = [
        (
            f"valid #{n}",
            customer(n),
            shopify_headers(d, customer(n), "customers/data_request", f"probe-{run}-{n}"),
            True,
        )
        for n in range(valid_count)
    ]
    bad = customer(9999)
    shopify += [
        ("topic of 101 characters", bad, shopify_headers(d, bad, "products/" + "u" * 92, f"probe-{run}-t"), False),
        ("event id of 256 characters", bad, shopify_headers(d, bad, "customers/data_request", "e" * 256), False),
        (
            "NaN",
            bad.replace(b"1001", b"NaN"),
            shopify_headers(d, bad.replace(b"1001", b"NaN"), "customers/data_request", f"probe-{run}-nan"),
            False,
        ),
        (
            "Infinity",
            bad.replace(b"1001", b"Infinity"),
            shopify_headers(d, bad.replace(b"1001", b"Infinity"), "customers/data_request", f"probe-{run}-inf"),
            False,
        ),
    ]
    notes_before = d.sql(
        "SELECT count(*) FROM activity WHERE merchant_id = :m AND kind = 'privacy.data_request'", m=d.alpha.merchant_id
    )[0][0]

    for delivery in ("first delivery", "second delivery"):
        d.capture_redis()
        requests = [
            (f"TikTok {name}", "/webhooks/tiktok", raw, tiktok_headers(d, raw), good) for name, raw, good in tiktok
        ]
        requests += [
            (f"Shopify {name}", "/webhooks/shopify", raw, headers, good) for name, raw, headers, good in shopify
        ]
        answers = all_at_once(
            len(requests),
            lambda i: httpx.post(
                d.app_url + requests[i][1], content=requests[i][2], headers=requests[i][3], timeout=60
            ),
        )
        for (name, _path, _raw, _headers, good), answer in zip(requests, answers, strict=True):
            status = status_of(answer)
            if good:
                detail = (
                    answer.json().get("detail", "")
                    if isinstance(answer, httpx.Response) and answer.headers.get("content-type") == "application/json"
                    else ""
                )
                word = "Received" if delivery == "first delivery" else "Duplicate"
                result.check(
                    status == "200" and detail.startswith(word),
                    f"{name}, {delivery}: {status} {detail!r} (expected 200 {word})",
                )
            else:
                result.check(
                    isinstance(answer, httpx.Response) and 400 <= answer.status_code < 500,
                    f"{name}, {delivery}: {status} (expected a 4xx)",
                )

    d.capture_redis()  # the queues right after the deliveries
    recorded = d.sql("SELECT count(*) FROM inbound_event WHERE external_id LIKE :p", p=f"%probe-{run}-%")[0][0]
    expected = len(products) + valid_count
    result.check(recorded == expected, f"events recorded: {recorded}, expected {expected} (once each)")
    settled = d.settle(120)
    unprocessed = d.sql(
        "SELECT count(*) FROM inbound_event WHERE external_id LIKE :p AND processed_at IS NULL", p=f"%probe-{run}-%"
    )[0][0]
    result.check(settled and unprocessed == 0, f"events not processed after the deployment settled: {unprocessed}")
    refreshes = Counter()
    for (payload,) in d.sql("SELECT payload FROM job WHERE kind = 'listings.refresh_status' AND id > :s", s=since):
        payload = payload if isinstance(payload, dict) else json.loads(payload)
        refreshes.update(payload.get("tiktok_product_ids") or [])
    from_tiktok = Counter(
        str((sent["body"].get("data") or {}).get("product_id"))
        for sent in httpx.get(f"{d.tiktok_url}/sandbox/webhooks", timeout=60).json()["deliveries"][tiktok_sent_before:]
        if sent["type"] == 5
    )
    for pid in products:
        # Once for the probe's notification (its duplicate adds nothing), plus at most once per notification
        # TikTok sent about the product meanwhile (two close together may share one refresh).
        result.check(
            1 <= refreshes[pid] <= 1 + from_tiktok[pid],
            f"TikTok product {pid}: refreshed {refreshes[pid]} times, expected once "
            f"(+{from_tiktok[pid]} for TikTok's own notifications meanwhile)",
        )
    notes = (
        d.sql(
            "SELECT count(*) FROM activity WHERE merchant_id = :m AND kind = 'privacy.data_request'",
            m=d.alpha.merchant_id,
        )[0][0]
        - notes_before
    )
    result.check(notes == valid_count, f"Shopify data requests noted: {notes}, expected {valid_count} (once each)")

    # A signed Shopify webhook that can never be processed: accepted, then failed at once with a reason.
    raw = json.dumps({"title": "No id here", "updated_at": "2026-12-06T10:00:00Z"}).encode()
    since = d.sql("SELECT max(id) FROM job")[0][0] or 0
    answer = post_shopify_webhook(d, raw, "products/update", f"probe-{run}-noid")
    result.check(answer.status_code == 200, f"Shopify products/update without an id: {answer.status_code}")
    d.settle(60)
    jobs = d.sql("SELECT state, attempts, last_error FROM job WHERE kind = 'inbox.process' AND id > :s", s=since)
    result.check(
        len(jobs) == 1 and jobs[0][0] == "failed" and jobs[0][1] == 1,
        f"its processing: {[tuple(j) for j in jobs]} (expected failed after 1 attempt)",
    )


# --- 7. secrets -----------------------------------------------------------------------------------------


def secrets_area(d: Deployment) -> None:
    result = area("secrets")
    logs = b"".join(path.read_bytes() for name, path in d.logs.items() if not name.endswith("sandbox"))
    dump = subprocess.run(
        ["pg_dump", "--data-only", urlsplit(d.database_url)._replace(path=f"/{d.database}").geturl()],
        check=True,
        capture_output=True,
    ).stdout
    d.capture_redis()
    in_redis = bytes(d.redis_seen)
    places = {"logs": logs, "database": dump, "redis": in_redis}
    searched = ", ".join(sorted(name for name in d.logs if "sandbox" not in name))
    result.notes.append(
        f"searched {len(logs) / 1e6:.1f} MB of logs ({searched}), "
        f"{len(dump) / 1e6:.1f} MB of database dump, {len(in_redis) / 1e3:.1f} kB read from "
        f"{len(d.redis_keys)} Redis keys during the run"
    )
    # A control: the search finds what does belong there (an account's email in the database).
    control = "finds" if d.alpha.email.encode() in dump else "does NOT find (the search is blind)"
    result.notes.append(f"control: the search {control} Alpha's email in the database dump, where it belongs")
    accounts = [d.alpha, d.bravo, *d.extra_accounts]
    wanted: dict[str, list[tuple[str, str]]] = {"logs": [], "database": [], "redis": []}
    app_secrets = [(name, value) for name, value in d.secrets.items()]
    tokens = [
        ("TikTok access token", "bench_access"),
        ("TikTok refresh token", "bench_refresh"),
        ("Alpha's store token", d.alpha_store_token),
        ("Bravo's store token", d.bravo_store_token),
    ]
    tokens += [
        (f"a connection's current token ({value[:4]}...)", value)
        for value in d.live_tokens()
        if value not in {t for _, t in tokens}
    ]
    passwords = [(f"{a.business}'s password", a.password) for a in accounts]
    emails = [(f"{a.business}'s email", a.email) for a in accounts]
    for place in places:
        wanted[place] = app_secrets + tokens + passwords + (emails if place != "database" else [])
    for place, items in wanted.items():
        for label, value in items:
            found = value.encode() in places[place]
            result.check(not found, f"{label} found in the {place}")
    # Encryption keys: the key itself and its raw bytes in base64 without padding.
    key = d.secrets["ENCRYPTION_KEYS"].rstrip("=")
    for place, data in places.items():
        result.check(key.encode() not in data, f"the encryption key (unpadded) found in the {place}")


# --- 8. cookies and headers -------------------------------------------------------------------------------


def cookies_and_headers(d: Deployment, bravo: Browser) -> None:
    result = area("cookies/headers")
    port = free_port()
    https_base = "https://tokbridge.probe.example"
    d.start("app-https", ["serve", "--port", str(port), "--no-worker"], env={**d.env, "BASE_URL": https_base})
    url = f"http://127.0.0.1:{port}"
    wait_ready(f"{url}/healthz")
    with httpx.Client(base_url=url, timeout=30, follow_redirects=False) as client:
        page = client.get("/login")
        cookie = next((c for c in page.headers.get_list("set-cookie") if c.startswith("tb_csrf=")), "")
        flags = [f.strip().lower() for f in cookie.split(";")]
        result.check("secure" in flags, f"tb_csrf under an https BASE_URL: {cookie.split(';', 1)[-1]!r} (no Secure)")
        result.check("httponly" in flags, f"tb_csrf: no HttpOnly ({cookie!r})")
        result.check("samesite=strict" in flags or "samesite=lax" in flags, f"tb_csrf: no SameSite ({cookie!r})")
        token = cookie.split(";", 1)[0].split("=", 1)[1] if cookie else ""
        answer = client.post(
            "/login",
            data={"email": d.bravo.email, "password": d.bravo.password, "csrf_token": token, "next": "/dashboard"},
            headers={"cookie": f"tb_csrf={token}"},
        )
        session = next((c for c in answer.headers.get_list("set-cookie") if c.startswith("tb_session=")), "")
        flags = [f.strip().lower() for f in session.split(";")]
        result.check(
            answer.status_code == 303 and "secure" in flags and "httponly" in flags,
            f"tb_session under an https BASE_URL: {answer.status_code} {session.split(';', 1)[-1]!r}",
        )
        csp = page.headers.get("content-security-policy", "")
        result.check("http:" not in csp.replace("https:", ""), f"https deployment's CSP allows http: {csp!r}")
    d.processes.pop("app-https").terminate()

    expected = {
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": None,
        "content-security-policy": "frame-ancestors 'none'",
    }
    stranger = Browser(d.app_url)
    answers = {
        "GET /login": stranger.http.get("/login"),
        "GET /dashboard": bravo.http.get("/dashboard"),
        "GET /products": bravo.http.get("/products"),
        "GET /api/v1/me": bravo.http.get("/api/v1/me"),
        "GET a missing page": bravo.http.get(f"/products/{MISSING_ID}"),
        "GET a missing API record": bravo.http.get(f"/api/v1/products/{MISSING_ID}"),
        "GET signed out": stranger.http.get("/dashboard"),
        "POST without a token": bravo.http.post("/settings/currency", data={}),
        "a 422": bravo.call("GET", f"/api/v1/products/{TOO_BIG}"),
        "GET /api/v1/openapi.json": stranger.http.get("/api/v1/openapi.json"),
        "a 405": bravo.http.request("PATCH", "/api/v1/products"),
    }
    for label, answer in answers.items():
        for name, value in expected.items():
            got = answer.headers.get(name)
            result.check(
                got is not None and (value is None or value in got),
                f"{label} ({answer.status_code}): {name} is {got!r}",
            )
    for label in ("GET /dashboard", "GET /api/v1/me", "GET /login"):
        got = answers[label].headers.get("cache-control", "")
        result.check("no-store" in got, f"{label}: Cache-Control is {got!r}, not no-store")
    for label in ("GET /login",):
        cookie = next((c for c in answers[label].headers.get_list("set-cookie") if c.startswith("tb_csrf=")), "")
        result.check("httponly" in cookie.lower(), f"{label}: tb_csrf {cookie!r}")
    stranger.http.close()


# --- 9. faults ----------------------------------------------------------------------------------------------

FAULTS = {
    "tiktok": {
        "error_rate": 0.05,
        "throttle_rate": 0.04,
        "timeout_rate": 0.03,
        "slow_rate": 0.03,
        "timeout_seconds": 1.0,
        "slow_seconds": 0.3,
    },
    "shopify": {
        "error_rate": 0.06,
        "throttle_rate": 0.03,
        "timeout_rate": 0.02,
        "drop_answer_rate": 0.04,
        "timeout_answer_rate": 0.02,
        "timeout_seconds": 1.0,
        "retry_after": "0.5",
    },
}


def faults(d: Deployment) -> None:
    result = area("faults")
    count = 10 if d.quick else 30
    skus = [
        sku["id"]
        for product in httpx.get(f"{d.tiktok_url}/sandbox/products", timeout=60).json()["products"]
        if product["status"] == "ACTIVATE" and product.get("shop_id", d.shops[0]["id"]) == d.shops[0]["id"]
        for sku in product["skus"]
        if sum(w["quantity"] for w in sku["inventory"]) > 0
    ]
    if not skus:
        result.notes.append("no live SKU to order: skipped")
        return
    before = {
        o["source_identifier"]
        for o in httpx.get(f"{d.shopify_url}/sandbox/shops/{SHOPIFY_SHOP}/orders", timeout=60).json()["orders"]
    }
    httpx.post(f"{d.tiktok_url}/sandbox/faults", json=FAULTS["tiktok"], timeout=30).raise_for_status()
    httpx.put(f"{d.shopify_url}/sandbox/faults", json=FAULTS["shopify"], timeout=30).raise_for_status()
    placed = []
    killed = None
    try:
        for n in range(count):
            answer = httpx.post(
                f"{d.tiktok_url}/sandbox/orders",
                timeout=30,
                json={"shop_id": d.shops[0]["id"], "items": [{"sku_id": skus[n % len(skus)], "quantity": 1}]},
            )
            if answer.status_code == 200:
                placed.append(answer.json()["id"])
            threading.Event().wait(0.3)  # pacing the buyers
            if n == count // 2:
                killed = kill_a_worker_in_an_order(d)
        # Every order in the store and bound to its store order in TokBridge (a job the killed worker held
        # waits for its lease to run out first).
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            seen = store_orders(d, before)
            bound = bound_orders(d)
            d.capture_redis()
            if set(placed) <= set(seen) and all(bound.get(o) for o in placed):
                break
            threading.Event().wait(1)  # polling the sandbox and the deployment
    finally:
        httpx.delete(f"{d.tiktok_url}/sandbox/faults", timeout=30)
        httpx.delete(f"{d.shopify_url}/sandbox/faults", timeout=30)
    d.settle(60)
    seen, bound = store_orders(d, before), bound_orders(d)
    result.notes.append(f"{len(placed)} orders placed under faults {FAULTS}; {killed} killed by SIGKILL midway")
    for order in placed:
        result.check(seen[order] == 1, f"TikTok order {order}: {seen[order]} store orders, expected 1")
    extra = set(seen) - set(placed)
    result.check(not extra, f"store orders for no order placed: {sorted(extra)}")
    for order in placed:
        result.check(
            bool(bound.get(order)),
            f"TikTok order {order}: no store order in TokBridge; its jobs: {order_jobs(d, order)}",
        )


ORDER_KINDS = ("inbox.process", "orders.intake", "orders.to_store")


def kill_a_worker_in_an_order(d: Deployment) -> str:
    """SIGKILL the worker that runs an order's job (waiting a few seconds for one), else the first worker."""
    pids = {p.pid: name for name, p in d.processes.items() if name.startswith("worker") and p.poll() is None}
    deadline = time.monotonic() + 5
    pid, kind = None, None
    while pid is None and time.monotonic() < deadline:
        for worker_id, job_kind in d.sql(
            "SELECT worker_id, kind FROM job WHERE state = 'running' AND kind IN "
            "('inbox.process', 'orders.intake', 'orders.to_store')"
        ):
            if worker_id and int(worker_id.split(":")[1]) in pids:
                pid, kind = int(worker_id.split(":")[1]), job_kind
                break
        else:
            threading.Event().wait(0.02)  # polling for the moment an order's job runs
    pid = pid or d.processes["worker-1"].pid
    os.kill(pid, signal.SIGKILL)
    d.processes[pids[pid]].wait(10)
    return f"{pids[pid]} (running {kind or 'no order job'})"


def store_orders(d: Deployment, before: set) -> Counter:
    return Counter(
        o["source_identifier"]
        for o in httpx.get(f"{d.shopify_url}/sandbox/shops/{SHOPIFY_SHOP}/orders", timeout=60).json()["orders"]
        if o["source_identifier"] not in before
    )


def bound_orders(d: Deployment) -> dict:
    return {
        row[0]: row[1]
        for row in d.sql(
            "SELECT tiktok_order_id, store_order_id FROM tiktok_order WHERE merchant_id = :m", m=d.alpha.merchant_id
        )
    }


def order_jobs(d: Deployment, tiktok_order_id: str) -> list:
    """The order's jobs (for a failure's details): kind, state, attempts, last error."""
    row_id = (d.sql("SELECT id FROM tiktok_order WHERE tiktok_order_id = :t", t=tiktok_order_id) or [[0]])[0][0]
    rows = d.sql(
        "SELECT j.kind, j.state, j.attempts, left(coalesce(j.last_error, ''), 120) FROM job j "
        "WHERE j.merchant_id = :m AND (j.payload::text LIKE :t OR j.payload::text LIKE :i)",
        m=d.alpha.merchant_id,
        t=f"%{tiktok_order_id}%",
        i=f'%"order_id": {row_id}%',
    )
    return [tuple(r) for r in rows]


# --- main ---------------------------------------------------------------------------------------------------


def place_alpha_orders(d: Deployment, count: int) -> None:
    """Orders for merchant Alpha, each through to the store, and a buyer's cancellation request."""
    skus = [
        sku["id"]
        for product in httpx.get(f"{d.tiktok_url}/sandbox/products", timeout=60).json()["products"]
        if product["status"] == "ACTIVATE"
        for sku in product["skus"]
        if sum(w["quantity"] for w in sku["inventory"]) > 0
    ]
    for n in range(count):
        httpx.post(
            f"{d.tiktok_url}/sandbox/orders",
            timeout=30,
            json={
                "shop_id": d.shops[0]["id"],
                "items": [{"sku_id": skus[n % len(skus)], "quantity": 1}],
                "buyer_cancels": n == 0,
            },
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = d.sql(
            "SELECT count(*) FROM tiktok_order WHERE merchant_id = :m AND store_order_id IS NOT NULL",
            m=d.alpha.merchant_id,
        )[0][0]
        if done >= count - 1:
            break
        threading.Event().wait(0.5)  # polling the deployment
    d.settle(120)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="a PostgreSQL server (trust auth): the probe creates a database of its own there",
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--quick", action="store_true", help="a smaller catalog, fewer webhooks and orders")
    parser.add_argument("--skip-faults", action="store_true", help="leave out area 9 (faults, a killed worker)")
    parser.add_argument("--keep", action="store_true", help="keep the database and the Redis keys afterwards")
    parser.add_argument("--only", default="", help="comma-separated areas to run (default: all)")
    args = parser.parse_args()

    d = Deployment(args.postgres, args.redis, args.quick)
    try:
        d.set_up()
    except (subprocess.CalledProcessError, SystemExit, OSError) as problem:
        print(f"[probe] could not set up the deployment: {problem}")
        d.stop_all()
        return 2
    started = time.monotonic()
    try:
        place_alpha_orders(d, 4 if args.quick else 6)
        alpha = Browser(d.app_url).sign_in(d.alpha)
        bravo = Browser(d.app_url).sign_in(d.bravo)
        steps = [
            ("cross-merchant", lambda: cross_merchant(d, alpha, bravo)),
            ("csrf", lambda: csrf(d, alpha, bravo)),
            ("open redirect", lambda: open_redirect(d, bravo)),
            ("parallel sign-in", lambda: parallel_sign_in(d)),
            ("odd input", lambda: odd_input(d, bravo)),
            ("webhooks", lambda: webhooks(d)),
            ("cookies/headers", lambda: cookies_and_headers(d, bravo)),
        ]
        if not args.skip_faults:
            steps.append(("faults", lambda: faults(d)))
        steps.append(("secrets", lambda: secrets_area(d)))
        if args.only:
            steps = [(name, step) for name, step in steps if name in args.only.split(",")]
        for name, step in steps:
            step_started = time.monotonic()
            try:
                step()
                d.capture_redis()
            except Exception as exc:  # noqa: BLE001 - the probe reports what it could not do and goes on
                area(name).failures.append(f"the probe itself failed here: {type(exc).__name__}: {exc}")
            print(f"[probe] {name}: {time.monotonic() - step_started:.0f}s")
        server_errors = [
            line
            for name, path in d.logs.items()
            if not name.endswith("sandbox")
            for line in path.read_text(errors="replace").splitlines()
            if "Traceback" in line
        ]
        if server_errors:
            area("secrets").notes.append(f"{len(server_errors)} traceback(s) in the app's and workers' logs")
    finally:
        d.stop_all()
        if not args.keep:
            try:
                d.drop_database()
                d.flush_redis()
            except Exception as exc:  # noqa: BLE001
                print(f"[probe] clean-up: {exc}")
    print(f"[probe] attacks ran in {time.monotonic() - started:.0f}s")
    print_table()
    return 0


if __name__ == "__main__":
    sys.exit(main())
