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

Figures on a 2-CPU machine shared with other work (load average 9 to 13), 2,000 products (1,624 active,
4,361 variants, 5,039 images): SQLite 156 s, PostgreSQL 84 s; 177 requests either way (0.088 a product:
per page of 50, the products, their combinations, stock rows and catalog specific prices, plus ten
requests for the shop's taxes, options and settings); peak memory 162 MB (SQLite), 168 MB (PostgreSQL).
At 10,000 products the run is bound by the sandbox, not the importer: its `filter[id_product]=[a|b|...]`
reads of combinations and stock rows take 3 to 6 s each at that size (each rule parsed again for every
row it scans), about 2 products a second, with the importer's own CPU time under a tenth of the wall time.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
from benchkit import bench_merchant, free_port, import_job_of, import_job_until_done, own_database, wait_ready

# A Webservice key with every permission, created by the sandbox at start (32 characters, as PrestaShop's).
BENCH_KEY = "BENCHPRESTASHOPWEBSERVICEKEY0001"


def webservice_requests(prestashop_url: str) -> list[dict]:
    """The Webservice requests the sandbox received (its control API, which is not counted)."""
    return httpx.get(f"{prestashop_url}/sandbox/requests", timeout=120).json()["requests"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="import into this PostgreSQL database (a schema of its own) instead of SQLite",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tokbridge-prestashop-bench-"))
    port = free_port()
    prestashop_url = f"http://127.0.0.1:{port}"
    try:
        with own_database(workdir, args.database_url, "prestashop") as env:
            os.environ.update({**env, "PRESTASHOP_ALLOW_HTTP": "true"})
            os.environ.pop("REDIS_URL", None)
            sandbox = subprocess.Popen(
                [sys.executable, "-m", "tokbridge.cli", "sandbox", "prestashop", "--port", str(port)],
                env={
                    **os.environ,
                    "PRESTASHOP_SANDBOX_CATALOG_SIZE": str(args.products),
                    "PRESTASHOP_SANDBOX_BOOTSTRAP_KEY": BENCH_KEY,
                },
            )
            try:
                # Any answer of the Webservice will do (a 401 without a key): the control API's product list
                # is no cheap question for a catalog this size.
                wait_ready(f"{prestashop_url}/api/", timeout=600)
                run(args, prestashop_url)
            finally:
                sandbox.terminate()
                try:
                    sandbox.wait(10)
                except subprocess.TimeoutExpired:  # still answering a long request
                    sandbox.kill()
                    sandbox.wait(10)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def connect_answers(kind: str, prestashop_url: str) -> dict[str, str]:
    """The connect form filled as a merchant fills it: the shop's address, the key in the secret field, the
    optional choices left empty."""
    from tokbridge.channels import registry

    fields = registry.plugin(kind).connector.form_fields
    return {
        field.name: BENCH_KEY if field.secret else prestashop_url if index == 0 else ""
        for index, field in enumerate(fields)
    }


def run(args, prestashop_url: str) -> None:
    from tokbridge.catalog.repository import CatalogRepository
    from tokbridge.db.engine import session_scope
    from tokbridge.onboarding import service as onboarding
    from tokbridge.tenancy.scoping import bind_merchant

    settings, engine, merchant_id = bench_merchant("Bench Boutique", "bench@prestashop.test")
    kind = "prestashop"

    # Connect as a merchant does: the connect form's address and key (no store page to approve on).
    with session_scope(engine) as session:
        connection = onboarding.start_store_connect(
            bind_merchant(session, merchant_id), settings, merchant_id, kind, connect_answers(kind, prestashop_url)
        )
        connection_id = connection.id
    job_id = import_job_of(engine, merchant_id)

    httpx.delete(f"{prestashop_url}/sandbox/requests", timeout=60).raise_for_status()
    wall = import_job_until_done(settings, engine, job_id)
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
