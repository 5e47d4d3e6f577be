"""Import a 100,000-product Shopify catalog by bulk operation into a fresh database, and time it.

    python bench/shopify_import.py                      # SQLite, 100,000 products
    python bench/shopify_import.py --products 20000
    python bench/shopify_import.py --postgres postgresql://postgres@127.0.0.1:5432/test

The Shopify sandbox runs in a subprocess, so the peak memory printed is the importer's alone.
Wall time covers the whole import as a merchant would wait for it: locations read, bulk operation
started, polled until Shopify (the sandbox) has written the file, the JSONL streamed over HTTP,
and every product, variant, option, image and stock level written to the database.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from benchkit import free_port
from sqlalchemy import Engine, text

from tokbridge.catalog.importer import CatalogImporter
from tokbridge.catalog.repository import CatalogRepository
from tokbridge.channels.shopify import bulk
from tokbridge.channels.shopify.client import ShopifyClient
from tokbridge.channels.shopify.store import ShopifyStore
from tokbridge.db.engine import make_engine, session_scope
from tokbridge.db.migrate import upgrade
from tokbridge.tenancy.models import Merchant

SHOP = "tokbridge-demo.myshopify.com"
TOKEN = "shpat_bench"

SANDBOX = """
import sys, uvicorn
from tokbridge_sandboxes.shopify import SandboxConfig, create_app
app = create_app(SandboxConfig(catalog_size=int(sys.argv[1]), preinstalled_token=sys.argv[2]))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), log_level="warning")
"""


def start_sandbox(products: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SANDBOX, str(products), TOKEN, str(port)])
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the sandbox exited before it was ready")
        try:
            httpx.get(base + "/sandbox/state", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the sandbox did not start within 120 s")


@contextmanager
def fresh_database(postgres_url: str | None, workdir: Path) -> Iterator[tuple[Engine, int]]:
    """A migrated, empty database with one merchant: a SQLite file, or a PostgreSQL schema of its
    own (dropped afterwards, so the bench never touches existing tables)."""
    schema = f"tokbridge_bench_{os.getpid()}"
    admin = None
    if postgres_url:
        admin = make_engine(postgres_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in postgres_url else "?"
        engine = make_engine(f"{postgres_url}{separator}options=-csearch_path%3D{schema}")
    else:
        engine = make_engine(f"sqlite:///{workdir / 'bench.db'}")
    try:
        upgrade(engine)
        with session_scope(engine) as session:
            merchant = Merchant(name="Bench merchant")
            session.add(merchant)
            session.flush()
            merchant_id = merchant.id
        yield engine, merchant_id
    finally:
        engine.dispose()
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def _process_tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process plus its waited-for children (the sandbox's bulk workers), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return (utime + stime + cutime + cstime) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--postgres", metavar="URL", help="import into this PostgreSQL database instead of SQLite")
    args = parser.parse_args()

    sandbox, base = start_sandbox(args.products)
    try:
        with (
            tempfile.TemporaryDirectory() as workdir,
            fresh_database(args.postgres, Path(workdir)) as (engine, merchant_id),
        ):
            client = ShopifyClient(SHOP, TOKEN, base_url=base + "/shops/{shop}", wait_when_throttled=True, timeout=60)
            store = ShopifyStore(client, download_timeout=600)

            sandbox_cpu_before = _process_tree_cpu_seconds(sandbox.pid)
            started = time.perf_counter()
            operation = store.start_catalog_export()
            finished = bulk.wait(client, operation.id, timeout=3600, poll_interval=0.2, max_poll_interval=1.0)
            exported = time.perf_counter()
            export_cpu = _process_tree_cpu_seconds(sandbox.pid) - sandbox_cpu_before
            cpu_before = _cpu_seconds()
            result = CatalogImporter(engine, merchant_id, "shopify").run(store.read_catalog_export(finished), full=True)
            done = time.perf_counter()
            cpu_used = _cpu_seconds() - cpu_before

            with engine.connect() as conn:
                counts = CatalogRepository(conn, merchant_id, "shopify").counts()
    finally:
        sandbox.terminate()
        sandbox.wait(10)

    wall = done - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"backend                {backend}  ({os.cpu_count()} CPUs)")
    print(f"rows written           {counts}")
    print(f"orphans skipped        {result.orphans}")
    print(f"bulk export (sandbox)  {exported - started:8.2f} s   ({finished.object_count:,} objects)")
    print(f"export CPU time        {export_cpu:8.2f} s   (the sandbox and its bulk workers)")
    print(f"stream + write         {done - exported:8.2f} s")
    print(f"wall time              {wall:8.2f} s")
    print(f"products per second    {result.products / wall:8.0f}   end to end")
    print(f"                       {result.products / (done - exported):8.0f}   importer alone (stream + write)")
    print(f"importer CPU time      {cpu_used:8.2f} s   (stream + write; wall time above also shows other load)")
    cpus = len(os.sched_getaffinity(0))
    floor = (export_cpu + cpu_used) / cpus
    print(
        f"CPU-bound floor        {floor:8.2f} s   (export + importer CPU over {cpus} cores: "
        f"at most {result.products / floor:,.0f} products/s here, even fully overlapped)"
    )
    print(f"peak memory (importer) {peak_mb:8.0f} MB")
    print(f"load average           {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
