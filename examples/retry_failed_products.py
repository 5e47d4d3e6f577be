#!/usr/bin/env python3
"""List the products that failed to reach TikTok and send them again, through TokBridge's JSON API.

    export TOKBRIDGE_TOKEN=tbk_...            # Settings -> API tokens, "Read and write"
    python examples/retry_failed_products.py --url https://tokbridge.example.com
    python examples/retry_failed_products.py --url ... --dry-run        # only list them
    python examples/retry_failed_products.py --url ... --shop <id> --wait

The token is read from the environment, not the command line, so that it stays out of the shell's
history and the process list. Only the standard library is used: copy this file anywhere.

What it calls: GET /api/v1/products?status=failed (page by page), then POST /api/v1/uploads with those
products' ids (picking products sends them again even when unchanged since TikTok refused them), and with
--wait, GET /api/v1/jobs/{id} until the upload is done. Exit status: 0 done (or nothing to retry), 1 the
upload failed, 2 TokBridge refused the request.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

PAGE_SIZE = 200
FINISHED = ("succeeded", "failed", "cancelled")


class Refused(Exception):
    """TokBridge answered with an error; the message is its own words."""


class Api:
    def __init__(self, base_url: str, token: str, shop: str | None = None, timeout: float = 60.0):
        self.base_url = base_url.rstrip("/") + "/api/v1"
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.shop = shop
        self.timeout = timeout

    def call(self, method: str, path: str, query: dict | None = None, body: dict | None = None) -> dict:
        query = {key: value for key, value in {**(query or {}), "shop": self.shop}.items() if value is not None}
        url = self.base_url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = json.dumps(body).encode() if body is not None else None
        headers = {**self.headers, **({"Content-Type": "application/json"} if data is not None else {})}
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise Refused(_words(error)) from None
        except urllib.error.URLError as error:
            raise Refused(f"TokBridge could not be reached at {self.base_url}: {error.reason}") from None


def _words(error: urllib.error.HTTPError) -> str:
    try:
        detail = json.loads(error.read()).get("detail")
    except (ValueError, AttributeError):
        detail = None
    if error.code == 401:
        return f"The token was refused ({detail or 'not valid'}). Check TOKBRIDGE_TOKEN."
    if error.code == 403:
        return detail or "The token may not make changes: create a read-and-write token in Settings."
    return f"TokBridge answered {error.code}: {detail or error.reason}"


def failed_products(api: Api) -> list[dict]:
    """Every Failed product of the shop, newest first, page by page."""
    products, before = [], None
    while True:
        page = api.call("GET", "/products", {"status": "failed", "limit": PAGE_SIZE, "before": before})
        products += page["items"]
        before = page.get("next_before")
        if before is None:
            return products


def wait_for_job(api: Api, job_id: int, timeout: float, pause: float = 2.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = api.call("GET", f"/jobs/{job_id}")
        if job["state"] in FINISHED or time.monotonic() > deadline:
            return job
        time.sleep(pause)  # a polling script's pace: nothing else to do meanwhile


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--url",
        default=os.environ.get("TOKBRIDGE_URL", "http://127.0.0.1:8000"),
        help="where TokBridge is served (default: $TOKBRIDGE_URL or http://127.0.0.1:8000)",
    )
    parser.add_argument("--shop", help="the TikTok shop's id (GET /api/v1/shops), when you have several")
    parser.add_argument("--dry-run", action="store_true", help="list the failed products, send nothing")
    parser.add_argument("--wait", action="store_true", help="wait until the upload has finished")
    parser.add_argument("--timeout", type=float, default=1800, help="longest wait with --wait, in seconds")
    args = parser.parse_args(argv)
    token = os.environ.get("TOKBRIDGE_TOKEN", "").strip()
    if not token:
        print("Set TOKBRIDGE_TOKEN to an API token (TokBridge: Settings -> API tokens).", file=sys.stderr)
        return 2
    api = Api(args.url, token, args.shop)
    try:
        products = failed_products(api)
        if not products:
            print("No failed products: nothing to retry.")
            return 0
        print(f"{len(products)} failed product(s):")
        for product in products:
            print(f"  #{product['id']} {product['title']}: {product.get('last_error') or 'no reason given'}")
        if args.dry_run:
            return 0
        accepted = api.call("POST", "/uploads", body={"product_ids": [product["id"] for product in products]})
        print(f"{accepted['message']} (job {accepted['job_id']})")
        if not args.wait:
            return 0
        job = wait_for_job(api, accepted["job_id"], args.timeout)
    except Refused as refused:
        print(refused, file=sys.stderr)
        return 2
    print(
        f"Upload {job['state']}: {job['progress_done']} of {job['progress_total'] or '?'} done."
        + (f" {job['last_error']}" if job.get("last_error") else "")
    )
    return 0 if job["state"] == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
