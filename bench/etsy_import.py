"""Import a 10,000-listing Etsy catalog through the plugin, at Etsy's default limits, and time it.

    python bench/etsy_import.py                          # 10,000 listings, 10 requests/s, 10,000 a day
    python bench/etsy_import.py --listings 2000
    python bench/etsy_import.py --postgres postgresql://postgres@127.0.0.1:5432/test

The Etsy sandbox runs in a subprocess (`tokbridge sandbox etsy`), so the peak memory printed is the
importer's alone. The store is connected as a merchant connects it (the connect service, the sandbox's
consent page, PKCE), then the catalog import job itself runs in this process (`catalog.import`: the
plugin's `read_catalog` pages, checkpoints and the catalog importer), exactly as a worker runs it.

What it prints: listings imported, wall time, the requests the import made (counted by the sandbox),
requests per second against Etsy's per-second limit, the share of the day's quota the import used, and
peak memory. Etsy's 10,000 requests a day are per app: what one import takes from the day is what is
left for every other merchant's stock updates and polls.

Figures on a 2-CPU machine shared with other work (10,000 listings, 7,958 of them active, 37,885 variants):
SQLite 39.6 s, 217 requests (5.5 a second: 0.55 of the limit; 2.2% of the day), 162 MB peak;
PostgreSQL 41.1 s, 219 requests (5.3 a second: 0.53; 2.2%), 169 MB. Two requests per 100 listings (a
page of listings with their images, then their inventories in one batch): the import stays under Etsy's
10 a second on its own, bound by reading, mapping and writing rather than by the limiter.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import httpx
from benchkit import bench_merchant, free_port, import_job_of, import_job_until_done, own_database, wait_ready

KEYSTRING, SHARED_SECRET = "benchkeystring1234567890", "benchsharedsecret"
PER_SECOND, PER_DAY = 10, 10_000


def sandbox_env(listings: int, per_second: int, per_day: int) -> dict[str, str]:
    return {
        "ETSY_SANDBOX_KEYSTRING": KEYSTRING,
        "ETSY_SANDBOX_SHARED_SECRET": SHARED_SECRET,
        "ETSY_SANDBOX_CATALOG_SIZE": str(listings),
        "ETSY_SANDBOX_RATE_LIMIT_PER_SECOND": str(per_second),
        "ETSY_SANDBOX_RATE_LIMIT_PER_DAY": str(per_day),
    }


def quota_used(etsy_url: str) -> int:
    """Requests the sandbox counted against the app's day (its control API, which is not counted)."""
    state = httpx.get(f"{etsy_url}/sandbox/state", timeout=30).json()
    return int(state["quota"]["used_today"])


def consent(redirect_url: str) -> str:
    """The seller's Allow on the sandbox's consent page; returns where Etsy sends them back."""
    with httpx.Client(timeout=60, follow_redirects=False) as browser:
        page = browser.get(redirect_url)
        page.raise_for_status()
        form = re.search(r'<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>', page.text, re.DOTALL)
        fields = {
            unescape(name): unescape(value)
            for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(2))
        }
        button = re.search(r'<button[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(2))
        if button:
            fields[button.group(1)] = button.group(2)
        answer = browser.post(urljoin(redirect_url, unescape(form.group(1))), data=fields)
    assert answer.status_code in (302, 303), answer.text[:300]
    return answer.headers["location"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listings", type=int, default=10_000)
    parser.add_argument("--per-second", type=int, default=PER_SECOND, help="Etsy's requests per second")
    parser.add_argument("--per-day", type=int, default=PER_DAY, help="Etsy's requests per day")
    parser.add_argument("--postgres", metavar="URL", help="import into this PostgreSQL database instead of SQLite")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tokbridge-etsy-bench-"))
    port = free_port()
    etsy_url = f"http://127.0.0.1:{port}"
    try:
        with own_database(workdir, args.postgres, "etsy") as env:
            os.environ.update(
                {
                    **env,
                    "ETSY_KEYSTRING": KEYSTRING,
                    "ETSY_SHARED_SECRET": SHARED_SECRET,
                    "ETSY_API_BASE_URL": etsy_url,
                    "ETSY_OAUTH_URL": f"{etsy_url}/oauth/connect",
                }
            )
            os.environ.pop("REDIS_URL", None)
            sandbox = subprocess.Popen(
                [sys.executable, "-m", "tokbridge.cli", "sandbox", "etsy", "--port", str(port)],
                env={
                    **os.environ,
                    **sandbox_env(args.listings, args.per_second, args.per_day),
                    "ETSY_SANDBOX_REDIRECT_URIS": '["http://127.0.0.1:9/connect/etsy/callback"]',
                },
            )
            try:
                wait_ready(f"{etsy_url}/sandbox/state", timeout=300)
                run(args, etsy_url, workdir)
            finally:
                sandbox.terminate()
                sandbox.wait(10)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(args, etsy_url: str, workdir: Path) -> None:
    from tokbridge.catalog.repository import CatalogRepository
    from tokbridge.db.engine import session_scope
    from tokbridge.onboarding import service as onboarding
    from tokbridge.tenancy.scoping import bind_merchant

    settings, engine, merchant_id = bench_merchant("Bench Crafts", "bench@etsy.test")
    kind = "etsy"

    # Connect as a merchant does: the connect service, the consent page, back with the code.
    with session_scope(engine) as session:
        redirect = onboarding.start_store_connect(bind_merchant(session, merchant_id), settings, merchant_id, kind, {})
    back = httpx.URL(consent(redirect))
    with session_scope(engine) as session:
        connection = onboarding.finish_store_connect(
            bind_merchant(session, merchant_id), settings, merchant_id, kind, dict(back.params)
        )
        connection_id = connection.id
    job_id = import_job_of(engine, merchant_id)

    requests_before = quota_used(etsy_url)
    wall = import_job_until_done(settings, engine, job_id)
    requests = quota_used(etsy_url) - requests_before

    with engine.connect() as conn:
        counts = CatalogRepository(conn, merchant_id, kind).counts()
        by_status = CatalogRepository(conn, merchant_id, kind).status_counts()
    truth = httpx.get(f"{etsy_url}/sandbox/state", timeout=30).json()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    backend = "PostgreSQL" if args.postgres else "SQLite"
    per_second = requests / wall if wall else 0.0
    print(f"backend                {backend}  ({os.cpu_count()} CPUs)  connection {connection_id}")
    print(f"listings in the shop   {truth['listings']:8,}   by state {truth['listings_by_state']}")
    print(f"rows written           {counts}")
    print(f"listings imported      {counts.get('products', 0):8,}   by state {by_status}")
    print(f"wall time              {wall:8.2f} s   (the import job, from its first request to its last write)")
    print(f"requests made          {requests:8,}   (counted by the sandbox)")
    print(
        f"requests per second    {per_second:8.2f}   of {args.per_second} allowed: ratio {per_second / args.per_second:.2f}"
    )
    print(f"day's quota used       {requests:8,} / {args.per_day:,} = {requests / args.per_day:.1%}")
    print(f"listings per request   {counts.get('products', 0) / max(requests, 1):8.1f}")
    print(f"peak memory (importer) {peak_mb:8.0f} MB")
    print(f"load average           {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
