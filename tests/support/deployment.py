"""TokBridge as a merchant meets it: the web app with its embedded worker served over HTTP on a free port,
both sandboxes beside it, and a browser-like client signed in nowhere yet. For the end-to-end tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import httpx

from tests.support.live_server import free_port, serve
from tests.support.world import point_connector_at_sandboxes
from tokbridge.config import get_settings
from tokbridge.web.app import create_app
from tokbridge_sandboxes.shopify import SandboxConfig as StoreConfig
from tokbridge_sandboxes.shopify import create_app as store_sandbox
from tokbridge_sandboxes.tiktok import SandboxConfig as TikTokConfig
from tokbridge_sandboxes.tiktok import create_app as tiktok_sandbox

APP_KEY, APP_SECRET = "e2e_key", "e2e_secret"
CLIENT_ID, CLIENT_SECRET = "e2e-client", "e2e-secret"


@dataclass
class Deployment:
    browser: httpx.Client
    tiktok: object  # the TikTok sandbox itself, for its clock and state
    tiktok_url: str
    store_url: str


@contextmanager
def live_deployment(app_settings, monkeypatch, request, *, store_domain: str, catalog_size: int,
                    **tiktok_options) -> Iterator[Deployment]:
    """`tiktok_options`: the TikTok sandbox's settings for this test (review delay, regions, seed...)."""
    app_port = free_port()
    base = f"http://127.0.0.1:{app_port}"
    with ExitStack() as stack:
        tiktok = tiktok_sandbox(TikTokConfig(app_key=APP_KEY, app_secret=APP_SECRET, bootstrap_token=False,
                                             redirect_url=f"{base}/connect/tiktok/callback", tick_seconds=0.05,
                                             **tiktok_options))
        tiktok_url = stack.enter_context(serve(tiktok))
        store = store_sandbox(StoreConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, catalog_size=catalog_size,
                                          default_shop=store_domain))
        store_url = stack.enter_context(serve(store))
        point_connector_at_sandboxes(stack, monkeypatch, request, app_settings.database_url, base=base,
                                     tiktok_url=tiktok_url, shopify_url=store_url,
                                     tiktok_app=(APP_KEY, APP_SECRET), shopify_app=(CLIENT_ID, CLIENT_SECRET))
        stack.enter_context(serve(create_app(get_settings(), embedded_worker=True), port=app_port))
        browser = stack.enter_context(httpx.Client(base_url=base, follow_redirects=True, timeout=60))
        yield Deployment(browser, tiktok.state.sandbox, tiktok_url, store_url)


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def store_catalog(store_url: str, domain: str) -> list[dict]:
    """Every product of the store sandbox, page by page (its control API lists 50 at a time)."""
    products: list[dict] = []
    while page := httpx.get(f"{store_url}/sandbox/shops/{domain}/products", params={"offset": len(products)},
                            timeout=60).json()["products"]:
        products += page
    return products
