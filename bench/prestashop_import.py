"""Import a 10,000-product PrestaShop catalog through the plugin, from the sandbox's Webservice, and time it.

    python bench/prestashop_import.py                      # 10,000 products, SQLite
    python bench/prestashop_import.py --products 2000
    python bench/prestashop_import.py --database-url postgresql://postgres@127.0.0.1:5432/test

The PrestaShop sandbox runs in a subprocess (`tokbridge sandbox prestashop`), so the peak memory printed is
the importer's alone. The store is connected as a merchant connects it (the connect service with the shop's
address and a Webservice key, the key's permissions checked first), then the catalog import job itself runs
in this process (`catalog.import`: the plugin's `read_catalog` pages, checkpoints and the catalog
importer), exactly as a worker runs it.

What it prints: products imported, wall time, the Webservice requests the import made (counted by the
sandbox: `GET /sandbox/requests`), requests per product and peak memory. PrestaShop has no rate limit of
its own: a self-hosted shop is as fast as its server, so what matters is how few requests an import takes
(each one is a PHP request on the merchant's server).

Figures: see the report of the change that added this script (README's bench table).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from benchkit import free_port, wait_ready

# A Webservice key with every permission, created by the sandbox at start (32 characters, as PrestaShop's).
BENCH_KEY = "BENCHPRESTASHOPWEBSERVICEKEY0001"


def webservice_requests(prestashop_url: str) -> list[dict]:
    """The Webservice requests the sandbox received (its control API, which is not counted)."""
    return httpx.get(f"{prestashop_url}/sandbox/requests", timeout=120).json()["requests"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--database-url", metavar="URL",
                        help="import into this PostgreSQL database (a schema of its own) instead of SQLite")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tokbridge-prestashop-bench-"))
    port = free_port()
    prestashop_url = f"http://127.0.0.1:{port}"
    from cryptography.fernet import Fernet

    env = {
        "DATABASE_URL": args.database_url or f"sqlite:///{workdir}/bench.db", "DATA_DIR": str(workdir / "var"),
        "SECRET_KEY": "bench-secret", "ENCRYPTION_KEYS": Fernet.generate_key().decode(), "LOG_LEVEL": "WARNING",
        "BASE_URL": "http://127.0.0.1:9", "PRESTASHOP_ALLOW_HTTP": "true",
    }
    schema = None
    if args.database_url:  # a schema of its own, dropped afterwards: the bench never touches existing tables
        schema = f"tokbridge_prestashop_bench_{os.getpid()}"
        with admin_connection(args.database_url) as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        separator = "&" if "?" in args.database_url else "?"
        env["DATABASE_URL"] = f"{args.database_url}{separator}options=-csearch_path%3D{schema}"
    os.environ.update(env)
    os.environ.pop("REDIS_URL", None)
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "tokbridge.cli", "sandbox", "prestashop", "--port", str(port)],
        env={**os.environ, "PRESTASHOP_SANDBOX_CATALOG_SIZE": str(args.products),
             "PRESTASHOP_SANDBOX_BOOTSTRAP_KEY": BENCH_KEY})
    try:
        wait_ready(f"{prestashop_url}/sandbox/products", timeout=600)
        run(args, prestashop_url)
    finally:
        sandbox.terminate()
        sandbox.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)
        if schema:
            with admin_connection(args.database_url) as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def admin_connection(url: str) -> Iterator:
    """A connection to the PostgreSQL server itself, for the bench's own schema."""
    from tokbridge.db.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def connect_answers(kind: str, prestashop_url: str) -> dict[str, str]:
    """The connect form filled as a merchant fills it: the shop's address, then the key in the secret field."""
    from tokbridge.channels import registry

    fields = registry.plugin(kind).connector.form_fields
    return {field.name: BENCH_KEY if field.secret else prestashop_url for field in fields}


def run(args, prestashop_url: str) -> None:
    from sqlalchemy import select

    from tokbridge.catalog.repository import CatalogRepository
    from tokbridge.catalog.tasks import IMPORT_JOB
    from tokbridge.config import get_settings
    from tokbridge.db.engine import get_engine, session_scope
    from tokbridge.db.migrate import upgrade
    from tokbridge.jobs.models import Job
    from tokbridge.jobs.runner import run_job
    from tokbridge.onboarding import service as onboarding
    from tokbridge.tenancy.scoping import bind_merchant
    from tokbridge.tenancy.service import create_merchant_with_user

    get_settings.cache_clear()
    settings = get_settings()
    engine = get_engine(settings.database_url)
    upgrade(engine)
    kind = "prestashop"
    with session_scope(engine) as session:
        user = create_merchant_with_user(session, "Bench Boutique", "bench@prestashop.test", "a long password")
        session.flush()
        merchant_id = user.merchant_id

    # Connect as a merchant does: the connect form's address and key (no store page to approve on).
    with session_scope(engine) as session:
        connection = onboarding.start_store_connect(bind_merchant(session, merchant_id), settings, merchant_id, kind,
                                                    connect_answers(kind, prestashop_url))
        connection_id = connection.id
    with session_scope(engine) as session:
        job_id = session.scalar(select(Job.id).where(Job.kind == IMPORT_JOB, Job.merchant_id == merchant_id))
    assert job_id is not None, "connecting the store did not start the catalog import"

    httpx.delete(f"{prestashop_url}/sandbox/requests", timeout=60).raise_for_status()
    started = time.perf_counter()
    state = None
    while state not in ("succeeded", "failed", "cancelled"):
        run_job(settings, job_id)  # re-queued on a passing error: run it again, as a worker would
        with session_scope(engine) as session:
            job = session.get(Job, job_id)
            state, error = job.state, job.last_error
    wall = time.perf_counter() - started
    if state != "succeeded":
        raise SystemExit(f"the import job ended {state}: {error}")
    requests = webservice_requests(prestashop_url)
    by_resource: dict[str, int] = {}
    for request in requests:
        resource_name = request["path"].removeprefix("/api/").split("/")[0] or "(root)"
        by_resource[resource_name] = by_resource.get(resource_name, 0) + 1

    with engine.connect() as conn:
        counts = CatalogRepository(conn, merchant_id, kind).counts()
        by_status = CatalogRepository(conn, merchant_id, kind).status_counts()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    backend = "PostgreSQL" if args.database_url else "SQLite"
    products = counts.get("products", 0)
    print(f"backend                {backend}  ({os.cpu_count()} CPUs)  connection {connection_id}")
    print(f"products in the shop   {args.products:8,}")
    print(f"rows written           {counts}")
    print(f"products imported      {products:8,}   by status {by_status}")
    print(f"wall time              {wall:8.2f} s   (the import job, from its first request to its last write)")
    print(f"products per second    {products / wall if wall else 0.0:8.1f}")
    print(f"requests made          {len(requests):8,}   (counted by the sandbox)  by resource {by_resource}")
    print(f"requests per product   {len(requests) / max(products, 1):8.3f}")
    print(f"peak memory (importer) {peak_mb:8.0f} MB")
    print(f"load average           {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
