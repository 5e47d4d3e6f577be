"""`tokbridge init` + `tokbridge demo` on an empty folder: the printed login opens the dashboard."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import httpx
import pytest

from tests.support.live_server import free_port
from tests.support.waiting import wait_for
from tokbridge_sandboxes import SANDBOXES

CONFIG_VARS = ("DATABASE_URL", "REDIS_URL", "DATA_DIR", "SECRET_KEY", "ENCRYPTION_KEYS", "JOB_MODULES")


@pytest.mark.slow
def test_demo_serves_sign_in_and_the_dashboard(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    subprocess.run(
        [sys.executable, "-m", "tokbridge.cli", "init"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    # Every port is free and chosen here: a demo already running on this machine (8000, 8101, 8102...)
    # must not make this test fail.
    port = free_port()
    sandbox_ports = {name: free_port() for name in SANDBOXES}
    log = tmp_path / "demo.log"
    with open(log, "w") as out:
        demo = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tokbridge.cli",
                "demo",
                "--port",
                str(port),
                *(
                    arg
                    for name, sandbox_port in sandbox_ports.items()
                    for arg in ("--sandbox-port", f"{name}={sandbox_port}")
                ),
            ],
            cwd=tmp_path,
            env={**env, "COLUMNS": "300"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:

        def ready():
            try:
                return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
            except httpx.TransportError:
                assert demo.poll() is None, log.read_text()
                return False

        wait_for(ready, timeout=60, what="the demo to serve")
        printed = log.read_text()
        assert base in printed
        assert all(f"127.0.0.1:{sandbox_port}" in printed for sandbox_port in sandbox_ports.values()), printed
        email, password = re.search(r"Sign in with (\S+) / (\S+)", printed).groups()

        with httpx.Client(base_url=base, follow_redirects=True, timeout=10) as browser:
            page = browser.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            dashboard = browser.post("/login", data={"email": email, "password": password, "csrf_token": token})
        assert dashboard.url.path == "/dashboard" and "Recent Activity" in dashboard.text
        assert (tmp_path / "var" / "tokbridge.db").exists() and (tmp_path / "var" / "queue.db").exists()
    finally:
        demo.terminate()
        demo.wait(15)


def test_the_demo_merchants_plan_fits_the_demo_catalog(app_settings):
    """The demo story reaches a live product without a plan upgrade: the whole demo catalog fits the plan."""
    from tokbridge.billing import service as billing
    from tokbridge.db.engine import get_engine, session_scope
    from tokbridge.demo import ensure_demo_merchant
    from tokbridge.tenancy.repository import AccountRepository
    from tokbridge_sandboxes import demo as world

    catalog_size = world.catalog_size()
    assert ensure_demo_merchant(app_settings, catalog_size)
    with session_scope(get_engine(app_settings.database_url)) as session:
        merchant_id = AccountRepository(session).first_user().merchant_id
        usage = billing.usage(billing.subscription_for(session, merchant_id), products_used=0, orders_used=0)
    assert usage.products_left >= catalog_size
    assert not ensure_demo_merchant(app_settings, catalog_size)  # a second start keeps the merchant as it is


def test_the_demo_seller_has_a_us_and_a_uk_shop_on_the_consent_page(monkeypatch):
    """`make demo` offers a second shop: TikTok's consent lists both, and the merchant connects one or both."""
    from starlette.testclient import TestClient

    from tokbridge_sandboxes import create_app
    from tokbridge_sandboxes import demo as world

    for name, value in world.environment("http://127.0.0.1:8000").items():
        monkeypatch.setenv(name, value)
    with TestClient(create_app("tiktok")) as sandbox:
        page = sandbox.get("/open/authorize", params={"service_id": "7431458374265161478", "state": "s"})
        shops = sandbox.get("/sandbox/state").json()["shops"]
    assert page.status_code == 200
    assert sorted(shop["region"] for shop in shops) == ["GB", "US"]
    for shop in shops:
        assert f"{shop['name']} ({shop['region']})" in page.text


def test_the_demo_etsy_shop_is_connected_from_its_consent_page(monkeypatch):
    """`make demo` runs an Etsy shop beside the Shopify store: the connector's Etsy app is the sandbox's,
    the consent page sends the seller back to the demo's callback, and the shop holds the demo catalog."""
    from starlette.testclient import TestClient

    from tokbridge.channels.etsy.settings import get_etsy_settings
    from tokbridge_sandboxes import SANDBOXES, create_app
    from tokbridge_sandboxes import demo as world
    from tokbridge_sandboxes.etsy import s256

    assert "etsy" in SANDBOXES
    base = "http://127.0.0.1:8000"
    for name, value in world.environment(base).items():
        monkeypatch.setenv(name, value)
    get_etsy_settings.cache_clear()
    try:
        etsy = get_etsy_settings()
        with TestClient(create_app("etsy")) as sandbox:
            listings = sandbox.get("/sandbox/state").json()["listings"]
            page = sandbox.get(
                "/oauth/connect",
                params={
                    "response_type": "code",
                    "client_id": etsy.keystring,
                    "redirect_uri": f"{base}/connect/etsy/callback",
                    "scope": "listings_r listings_w shops_r transactions_r",
                    "state": "s",
                    "code_challenge": s256("a verifier of the demo, long enough for PKCE"),
                    "code_challenge_method": "S256",
                },
            )
        assert page.status_code == 200, page.text
        assert "Allow" in page.text
        assert listings == world.DEMO_ETSY_CATALOG_SIZE
        assert etsy.api_base_url == f"http://127.0.0.1:{SANDBOXES['etsy'][1]}"
        assert etsy.webhook_secret == world.environment(base)["ETSY_SANDBOX_WEBHOOK_SECRET"]
    finally:
        get_etsy_settings.cache_clear()


def test_the_demo_prestashop_shop_is_connected_with_the_printed_key(monkeypatch):
    """`make demo` runs a PrestaShop shop too: its sandbox creates the Webservice key the demo prints, and the
    connector (http:// allowed for it) connects with that key and the shop's address, every permission there."""
    from tokbridge.channels import registry
    from tokbridge.channels.base import ConnectReturn
    from tokbridge.channels.prestashop.settings import get_prestashop_settings
    from tokbridge.config import get_settings
    from tokbridge_sandboxes import create_app
    from tokbridge_sandboxes import demo as world
    from tokbridge_sandboxes.serving import serve_in_thread

    for name, value in world.environment("http://127.0.0.1:8000").items():
        monkeypatch.setenv(name, value)
    get_prestashop_settings.cache_clear()
    try:
        connector = registry.plugin("prestashop").connector
        with serve_in_thread(create_app("prestashop"), free_port(), "127.0.0.1") as url:
            answers = {
                connector.form_fields[0].name: url,
                next(f.name for f in connector.form_fields if f.secret): world.DEMO_PRESTASHOP_KEY,
            }
            grant = connector.finish(
                get_settings(),
                ConnectReturn(account=connector.account_of(answers), code="", answers=answers),
                callback_url="",
            )
            products = httpx.get(f"{url}/sandbox/products", timeout=30).json()["products"]
        assert connector.missing_scopes(grant.scopes) == []
        assert grant.access_token == world.DEMO_PRESTASHOP_KEY and grant.external_id == url
        assert len(products) == world.DEMO_PRESTASHOP_CATALOG_SIZE
    finally:
        get_prestashop_settings.cache_clear()
