"""The web app served over real HTTP, both sandboxes beside it, and a signed-in merchant's browser.

`start_world(...)` wires everything the way a deployment against the sandboxes is configured
(BASE_URL, SHOPIFY_*, TIKTOK_*), so the sandboxes' redirects and webhooks reach the app for real.
Jobs are run in the test's thread with `run_jobs(...)`, limited to the kinds under test.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.conftest import create_account
from tests.support.live_server import free_port, serve
from tests.support.waiting import wait_for
from tokbridge.channels.factory import tiktok_app
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.shopify.settings import get_shopify_settings
from tokbridge.db.engine import get_engine, session_scope
from tokbridge.jobs.models import Job, JobState
from tokbridge.jobs.runner import run_job
from tokbridge_sandboxes import shopify as shopify_sandbox
from tokbridge_sandboxes import tiktok as tiktok_sandbox

SHOP = "onboarding-test.myshopify.com"
SHOPIFY_ID, SHOPIFY_SECRET = "onboarding-client-id", "onboarding-client-secret"
TIKTOK_KEY, TIKTOK_SECRET, SERVICE_ID = "onboarding_app_key", "onboarding_app_secret", "7431458374265161478"
PASSWORD = "correct horse battery"
OUR_JOBS = (
    "catalog.import",
    "catalog.reconcile_all",
    "catalog.reconcile",
    "inbox.process",
    "onboarding.subscribe_webhooks",
    "onboarding.check_prerequisites",
)


@dataclass
class Browser:
    """A merchant's browser on the live app: cookies kept, redirects not followed."""

    http: httpx.Client
    merchant_id: int

    def csrf(self, path: str = "/dashboard") -> str:
        page = self.http.get(path)
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


@dataclass
class World:
    base_url: str
    settings: Any
    shopify_url: str
    tiktok_url: str
    shopify: Any  # the Shopify Sandbox object (read-only here)
    tiktok: Any
    browsers: list[Browser] = field(default_factory=list)

    @property
    def engine(self):
        return get_engine(self.settings.database_url)

    def control(self, base: str, method: str, path: str, **kwargs) -> Any:
        with httpx.Client(base_url=base, timeout=15) as http:
            response = http.request(method, path.replace("{shop}", SHOP), **kwargs)
        assert response.status_code < 400, response.text
        return response.json() if response.content else None

    def shopify_control(self, method: str, path: str, **kwargs) -> Any:
        return self.control(self.shopify_url, method, path, **kwargs)

    def tiktok_control(self, method: str, path: str, **kwargs) -> Any:
        return self.control(self.tiktok_url, method, path, **kwargs)

    def declare_app_webhooks(self) -> None:
        """The app-level webhook address (shopify.app.toml): every topic, the privacy ones included."""
        self.shopify_control("PUT", "/sandbox/webhooks", json={"app_webhook_uri": f"{self.base_url}/webhooks/shopify"})

    def browser(self, business: str = "Acme", email: str | None = None) -> Browser:
        email = email or f"owner{len(self.browsers)}@example.com"
        merchant_id = create_account(self.settings, business, email, PASSWORD)
        http = httpx.Client(base_url=self.base_url, timeout=30, follow_redirects=False)
        page = http.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        signed_in = http.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": token, "next": "/dashboard"}
        )
        assert signed_in.status_code == 303, signed_in.text
        browser = Browser(http, merchant_id)
        self.browsers.append(browser)
        return browser

    # --- the two flows, as a merchant clicks through them -------------------------------------

    def approve_on_shopify(self, browser: Browser, shop: str = SHOP, edit_authorize_url=None) -> httpx.Response:
        """Connect Shopify up to Shopify's redirect back; returns that redirect's target, unvisited."""
        start = browser.http.post(
            "/connect/shopify", data={"shop": shop, "csrf_token": browser.csrf("/connect/shopify")}
        )
        assert start.status_code == 303, start.text
        authorize = start.headers["location"]
        if edit_authorize_url:
            authorize = edit_authorize_url(authorize)
        approval = httpx.get(authorize, timeout=15, follow_redirects=False)
        assert approval.status_code == 302, approval.text
        return approval.headers["location"]

    def connect_shopify(self, browser: Browser, shop: str = SHOP) -> httpx.Response:
        callback = self.approve_on_shopify(browser, shop)
        return browser.http.get(callback)

    def authorize_on_tiktok(self, browser: Browser, decision: str = "allow") -> str:
        page = browser.http.get("/connect/tiktok")
        assert page.status_code == 200, page.text
        link = html.unescape(re.search(r'href="([^"]+)" data-testid="tiktok-authorize"', page.text).group(1))
        consent = httpx.post(link, data={"decision": decision}, timeout=15, follow_redirects=False)
        assert consent.status_code == 302, consent.text
        return consent.headers["location"]

    def connect_tiktok(self, browser: Browser) -> httpx.Response:
        return browser.http.get(self.authorize_on_tiktok(browser))

    # --- database and jobs --------------------------------------------------------------------

    def connections(self, channel: str | None = None) -> list[ChannelConnection]:
        with session_scope(self.engine) as session:
            query = select(ChannelConnection).order_by(ChannelConnection.created_at)
            if channel:
                query = query.where(ChannelConnection.channel == channel)
            return list(session.scalars(query))

    def jobs(self, kind: str | None = None) -> list[Job]:
        with session_scope(self.engine) as session:
            query = select(Job).order_by(Job.id)
            if kind:
                query = query.where(Job.kind == kind)
            return list(session.scalars(query))

    def run_jobs(self, kinds: tuple[str, ...] = OUR_JOBS, limit: int = 500) -> list[Job]:
        """Run the queued jobs of these kinds, in order, until none is due; returns them."""
        ran = []
        for _ in range(limit):
            with session_scope(self.engine) as session:
                job = session.scalar(
                    select(Job)
                    .where(Job.state == JobState.QUEUED, Job.kind.in_(kinds), Job.next_run_at <= _now())
                    .order_by(Job.id)
                    .limit(1)
                )
            if job is None:
                return ran
            run_job(self.settings, job.id)
            ran.append(job)
        raise AssertionError("jobs kept coming")

    def settle(self, kinds: tuple[str, ...] = OUR_JOBS, timeout: float = 60.0) -> None:
        """Run jobs of these kinds until none is queued, waiting (bounded) for those scheduled
        a little later, e.g. an import waiting for Shopify's bulk export."""

        def idle() -> bool:
            self.run_jobs(kinds)
            return not any(
                job.state in (JobState.QUEUED, JobState.RUNNING) and job.kind in kinds for job in self.jobs()
            )

        wait_for(idle, timeout=timeout, interval=0.2, what=f"jobs {kinds} to finish")


def _now():
    from tokbridge.db.base import utcnow

    return utcnow()


@pytest.fixture
def start_world(request, database_url, monkeypatch, tmp_path) -> Iterator:
    """Call with `shopify={...}` / `tiktok={...}` sandbox settings; everything stops after the test."""
    with ExitStack() as stack:

        def start(shopify: dict | None = None, tiktok: dict | None = None, catalog: int = 12) -> World:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            shop_app = shopify_sandbox.create_app(
                shopify_sandbox.SandboxConfig(
                    **{
                        "client_id": SHOPIFY_ID,
                        "client_secret": SHOPIFY_SECRET,
                        "catalog_size": 0,
                        "webhook_retry_seconds": 0.0,
                        **(shopify or {}),
                    }
                )
            )
            shop_url = stack.enter_context(serve(shop_app))
            tiktok_asgi = tiktok_sandbox.create_app(
                tiktok_sandbox.SandboxConfig(
                    **{
                        "app_key": TIKTOK_KEY,
                        "app_secret": TIKTOK_SECRET,
                        "service_id": SERVICE_ID,
                        "redirect_url": f"{base}/connect/tiktok/callback",
                        "bootstrap_token": False,
                        "tick_seconds": 0.05,
                        "seed": 11,
                        **(tiktok or {}),
                    }
                )
            )
            tiktok_url = stack.enter_context(serve(tiktok_asgi))
            for name, value in {
                "BASE_URL": base,
                "SHOPIFY_CLIENT_ID": SHOPIFY_ID,
                "SHOPIFY_CLIENT_SECRET": SHOPIFY_SECRET,
                "SHOPIFY_API_BASE_URL": shop_url + "/shops/{shop}",
                "TIKTOK_APP_KEY": TIKTOK_KEY,
                "TIKTOK_APP_SECRET": TIKTOK_SECRET,
                "TIKTOK_SERVICE_ID": SERVICE_ID,
                "TIKTOK_AUTHORIZE_URL": f"{tiktok_url}/open/authorize",
                "TIKTOK_API_BASE_URL": tiktok_url,
                "TIKTOK_AUTH_BASE_URL": tiktok_url,
            }.items():
                monkeypatch.setenv(name, value)
            tiktok_app.cache_clear()
            get_shopify_settings.cache_clear()
            stack.callback(tiktok_app.cache_clear)
            stack.callback(get_shopify_settings.cache_clear)
            settings = request.getfixturevalue("app_settings")
            from tokbridge.web.app import create_app

            stack.enter_context(serve(create_app(settings), port=port))
            world = World(base, settings, shop_url, tiktok_url, shop_app.state.sandbox, tiktok_asgi.state.sandbox)
            stack.callback(lambda: [b.http.close() for b in world.browsers])
            if catalog:
                world.shopify_control("POST", "/sandbox/shops", json={"shop": SHOP, "count": catalog})
            return world

        yield start
