"""examples/retry_failed_products.py against a live deployment: TokBridge served over HTTP with its
embedded worker and both sandboxes. A merchant uploads T-shirts, TikTok's review refuses some; the script,
run as its own process with an API token from Settings, lists the Failed products and sends them again,
and TikTok has them under review once more. With a read-only token it is refused and sends nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.deployment import csrf, live_deployment, sign_up_and_connect, template_body
from tests.support.waiting import wait_for

SHOP = "retry-store.myshopify.com"
SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "retry_failed_products.py"


@pytest.fixture
def deployment(app_settings, monkeypatch, request):
    with live_deployment(
        app_settings,
        monkeypatch,
        request,
        store_domain=SHOP,
        catalog_size=40,
        review_delay_seconds=60,
        review_rejection_rate=0.5,
        seed=11,
    ) as live:
        yield live


def run_script(base_url: str, token: str, *args: str) -> subprocess.CompletedProcess:
    """The example as a merchant runs it: its own process, the token in the environment."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TOKBRIDGE_")}
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--url", base_url, *args],
        capture_output=True,
        text=True,
        env={**env, "TOKBRIDGE_TOKEN": token},
        timeout=300,
    )


def new_token(browser: httpx.Client, access: str) -> str:
    page = browser.get("/settings/tokens")
    created = browser.post(
        "/settings/tokens",
        data={"csrf_token": csrf(page.text), "name": f"retry ({access})", "access": access, "expires": "7"},
    )
    return re.search(r'data-testid="token-value">(tbk_[^<]+)<', created.text).group(1)


def refused_in_review(tiktok_url: str) -> set[str]:
    return {
        p["id"]
        for p in httpx.get(f"{tiktok_url}/sandbox/products", timeout=60).json()["products"]
        if p["status"] == "FAILED"
    }


@pytest.mark.slow
def test_the_example_retries_failed_products_with_a_token(deployment):
    browser, base = deployment.browser, deployment.base_url
    sign_up_and_connect(browser, business="Retry Tees", email="owner@retry.test", store_domain=SHOP)
    wait_for(
        lambda: browser.get("/api/v1/dashboard").json()["products"]["not_uploaded"] > 0,
        timeout=120,
        what="the catalog import",
    )
    warehouse = next(
        w["id"]
        for w in httpx.get(f"{deployment.tiktok_url}/sandbox/state").json()["shops"][0]["warehouses"]
        if w["type"] == "SALES_WAREHOUSE"
    )
    template = browser.post("/api/v1/templates", json=template_body("T-shirts", "T-Shirts", "9601302", warehouse))
    assert template.status_code == 201, template.text
    upload = browser.post("/api/v1/uploads", json={})
    assert upload.status_code == 202, upload.text
    wait_for(
        lambda: browser.get(f"/api/v1/jobs/{upload.json()['job_id']}").json()["state"] == "succeeded",
        timeout=300,
        what="the bulk upload",
    )
    httpx.post(f"{deployment.tiktok_url}/sandbox/clock/advance", json={"seconds": 120}, timeout=60)
    wait_for(
        lambda: (
            (counts := browser.get("/api/v1/dashboard").json()["products"])["reviewing"] == 0 and counts["failed"] > 0
        ),
        timeout=120,
        what="TikTok's review to come back",
    )
    rejected = refused_in_review(deployment.tiktok_url)
    failed = browser.get("/api/v1/products", params={"status": "failed", "limit": 200}).json()["items"]
    assert rejected and rejected <= {p["tiktok_product_id"] for p in failed}

    # A read-only token may list them, not send them.
    read_only = run_script(base, new_token(browser, "read_only"))
    assert read_only.returncode == 2, read_only.stdout + read_only.stderr
    assert f"{len(failed)} failed product(s)" in read_only.stdout and "read-only" in read_only.stderr
    assert len(browser.get("/api/v1/products", params={"status": "failed", "limit": 200}).json()["items"]) == len(
        failed
    )

    listed = run_script(base, new_token(browser, "read_write"), "--dry-run")
    assert listed.returncode == 0 and all(f"#{p['id']} " in listed.stdout for p in failed)

    retried = run_script(base, new_token(browser, "read_write"), "--wait", "--timeout", "240")
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert "Upload succeeded" in retried.stdout
    statuses = {
        p["tiktok_product_id"]: p["status"]
        for p in browser.get("/api/v1/products", params={"limit": 200}).json()["items"]
        if p["tiktok_product_id"]
    }
    assert {statuses[product] for product in rejected} == {"reviewing"}  # sent again, under review again
    assert refused_in_review(deployment.tiktok_url) == set()

    wrong = run_script(base, "tbk_not-a-real-token")
    assert wrong.returncode == 2 and "token was refused" in wrong.stderr
