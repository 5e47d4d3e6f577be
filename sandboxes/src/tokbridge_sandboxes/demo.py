"""The demo's world: which sandboxes run, how the connector is pointed at them, and who acts in them.

`tokbridge demo` asks this module for the whole world, so that the connector's own demo code names no
platform: the store's domain, the environment that aims the connector at the sandboxes, the clerk who
fulfils orders in the store's admin. Values already in the environment win over these.

Three stores run side by side: a Shopify store, an Etsy shop (its own seeded catalog, connected from the
connect page through the Etsy sandbox's consent page) and a PrestaShop shop (connected with its address and
a Webservice key the sandbox creates at start, printed with the demo's login). The merchant connects any.
"""

from __future__ import annotations

import json
import os
from contextlib import ExitStack

from tokbridge_sandboxes import SANDBOXES, create_app
from tokbridge_sandboxes.demo_clerk import DemoClerk, PrestaShopClerk
from tokbridge_sandboxes.serving import serve_in_thread

DEMO_SHOP = "tokbridge-demo.myshopify.com"
DEMO_CATALOG_SIZE = 300
DEMO_SHOP_REGIONS = ("US", "GB")
DEMO_ETSY_CATALOG_SIZE = 150
# The Etsy app TokBridge is registered as in the Etsy sandbox (keystring and shared secret), and the
# Standard Webhooks endpoint secret both sides share.
DEMO_ETSY_KEYSTRING, DEMO_ETSY_SHARED_SECRET = "demoetsykeystring000001", "demo-etsy-shared-secret"
DEMO_ETSY_WEBHOOK_SECRET = "whsec_ZGVtby1ldHN5LXdlYmhvb2stc2lnbmluZy1rZXk="
DEMO_PRESTASHOP_CATALOG_SIZE = 120
# The Webservice key the PrestaShop sandbox creates at start, with every permission: what a merchant would
# generate in the back office (Advanced Parameters > Webservice) and paste into TokBridge's connect form.
DEMO_PRESTASHOP_KEY = "DEMOPRESTASHOPWEBSERVICEKEY00001"


def default_ports() -> dict[str, int]:
    return {name: port for name, (_module, port) in SANDBOXES.items()}


def environment(base_url: str, host: str = "127.0.0.1", ports: dict[str, int] | None = None) -> dict[str, str]:
    """Settings for the connector and the sandboxes: the connector as configured for production, but aimed
    at the sandboxes, and sandboxes whose reviews, orders and webhooks are fast enough to watch."""
    ports = {**default_ports(), **(ports or {})}
    tiktok, shopify = f"http://{host}:{ports['tiktok']}", f"http://{host}:{ports['shopify']}"
    etsy = f"http://{host}:{ports['etsy']}"
    return {
        "BASE_URL": base_url,
        "TIKTOK_API_BASE_URL": tiktok,
        "TIKTOK_AUTH_BASE_URL": tiktok,
        "TIKTOK_APP_KEY": "demo_app_key",
        "TIKTOK_APP_SECRET": "demo_app_secret",
        "TIKTOK_SERVICE_ID": "7431458374265161478",
        "TIKTOK_AUTHORIZE_URL": f"{tiktok}/open/authorize",
        "TIKTOK_SELLER_CENTER_URL": f"{tiktok}/seller",
        "SHOPIFY_API_BASE_URL": shopify + "/shops/{shop}",
        "SHOPIFY_CLIENT_ID": "demo-client-id",
        "SHOPIFY_CLIENT_SECRET": "demo-client-secret",
        "TIKTOK_SANDBOX_APP_KEY": "demo_app_key",
        "TIKTOK_SANDBOX_APP_SECRET": "demo_app_secret",
        "TIKTOK_SANDBOX_SERVICE_ID": "7431458374265161478",
        "TIKTOK_SANDBOX_REDIRECT_URL": f"{base_url}/connect/tiktok/callback",
        "TIKTOK_SANDBOX_REVIEW_DELAY_SECONDS": "45",
        "TIKTOK_SANDBOX_REVIEW_REJECTION_RATE": "0.1",
        "TIKTOK_SANDBOX_BOOTSTRAP_TOKEN": "false",
        # The seller has a US and a UK shop: the consent covers both, the merchant connects one or both.
        "TIKTOK_SANDBOX_SHOP_REGIONS": json.dumps(list(DEMO_SHOP_REGIONS)),
        # One prerequisite left to fix, in the sandbox's Seller Center, before the first upload.
        "TIKTOK_SANDBOX_FAILING_CHECKS": '["RETURN_WAREHOUSE"]',
        # Simulated buyers order live products (one every two minutes or so); orders leave ON_HOLD after 30 s,
        # are delivered 5 minutes after shipping and complete 10 minutes later; a few are cancelled or returned.
        "TIKTOK_SANDBOX_ORDERS_PER_HOUR": "30",
        "TIKTOK_SANDBOX_ON_HOLD_SECONDS": "30",
        "TIKTOK_SANDBOX_IN_TRANSIT_TO_DELIVERED_SECONDS": "300",
        "TIKTOK_SANDBOX_DELIVERED_TO_COMPLETED_SECONDS": "600",
        "TIKTOK_SANDBOX_BUYER_CANCEL_RATE": "0.05",
        "TIKTOK_SANDBOX_RETURN_RATE": "0.05",
        "SHOPIFY_SANDBOX_CLIENT_ID": "demo-client-id",
        "SHOPIFY_SANDBOX_CLIENT_SECRET": "demo-client-secret",
        "SHOPIFY_SANDBOX_CATALOG_SIZE": str(DEMO_CATALOG_SIZE),
        "SHOPIFY_SANDBOX_DEFAULT_SHOP": DEMO_SHOP,
        # Etsy: the connector's app credentials and addresses, and the sandbox's matching app and shop. The
        # seller approves on the sandbox's consent page; changes made through its control API arrive signed.
        "ETSY_KEYSTRING": DEMO_ETSY_KEYSTRING,
        "ETSY_SHARED_SECRET": DEMO_ETSY_SHARED_SECRET,
        "ETSY_API_BASE_URL": etsy,
        "ETSY_OAUTH_URL": f"{etsy}/oauth/connect",
        "ETSY_WEBHOOK_SECRET": DEMO_ETSY_WEBHOOK_SECRET,
        "ETSY_SANDBOX_KEYSTRING": DEMO_ETSY_KEYSTRING,
        "ETSY_SANDBOX_SHARED_SECRET": DEMO_ETSY_SHARED_SECRET,
        "ETSY_SANDBOX_REDIRECT_URIS": json.dumps([f"{base_url}/connect/etsy/callback"]),
        "ETSY_SANDBOX_BOOTSTRAP_TOKEN": "false",
        "ETSY_SANDBOX_CATALOG_SIZE": str(DEMO_ETSY_CATALOG_SIZE),
        "ETSY_SANDBOX_WEBHOOK_URL": f"{base_url}/webhooks/etsy",
        "ETSY_SANDBOX_WEBHOOK_SECRET": DEMO_ETSY_WEBHOOK_SECRET,
        # PrestaShop: a self-hosted shop reached over plain http:// on this machine (production refuses http://
        # unless told), its catalog and the bootstrap key the merchant types into the connect form.
        "PRESTASHOP_ALLOW_HTTP": "true",
        "PRESTASHOP_SANDBOX_CATALOG_SIZE": str(DEMO_PRESTASHOP_CATALOG_SIZE),
        # In dollars, as the demo's Shopify store: the US shop lists it without a rate to set first.
        "PRESTASHOP_SANDBOX_CURRENCY": "USD",
        "PRESTASHOP_SANDBOX_BOOTSTRAP_KEY": DEMO_PRESTASHOP_KEY,
    }


def catalog_size() -> int:
    """How many products the demo stores hold together (the demo merchant's plan must have room for them:
    the merchant may connect both)."""
    return (
        int(os.environ.get("SHOPIFY_SANDBOX_CATALOG_SIZE") or DEMO_CATALOG_SIZE)
        + int(os.environ.get("ETSY_SANDBOX_CATALOG_SIZE") or DEMO_ETSY_CATALOG_SIZE)
        + int(os.environ.get("PRESTASHOP_SANDBOX_CATALOG_SIZE") or DEMO_PRESTASHOP_CATALOG_SIZE)
    )


def start(stack: ExitStack, host: str = "127.0.0.1", ports: dict[str, int] | None = None) -> str:
    """Serve every sandbox in this process (stopped with `stack`) and start the clerk; returns what to tell
    the person running the demo."""
    ports = {**default_ports(), **(ports or {})}
    urls = {name: stack.enter_context(serve_in_thread(create_app(name), ports[name], host)) for name in SANDBOXES}
    # Nobody sits in the sandboxes' store admins: the clerks ship store orders a while after they arrive.
    fulfil_after = float(os.environ.get("DEMO_FULFIL_AFTER_SECONDS", "90"))
    for clerk in (
        DemoClerk(urls["shopify"], DEMO_SHOP, fulfil_after_seconds=fulfil_after),
        PrestaShopClerk(urls["prestashop"], fulfil_after_seconds=fulfil_after),
    ):
        if clerk.fulfil_after.total_seconds() > 0:
            clerk.start()
            stack.callback(clerk.stop)
    regions = " and ".join(
        os.environ.get("TIKTOK_SANDBOX_SHOP_REGIONS")
        and json.loads(os.environ["TIKTOK_SANDBOX_SHOP_REGIONS"])
        or DEMO_SHOP_REGIONS
    )
    key = os.environ.get("PRESTASHOP_SANDBOX_BOOTSTRAP_KEY") or DEMO_PRESTASHOP_KEY
    return "\n".join(
        (
            "Sandboxes (connect any of the stores from the dashboard's Connect store):",
            f"  TikTok Shop  {urls['tiktok']}  the seller's shops: {regions}",
            f"  Shopify      {urls['shopify']}  Connect Shopify with the store [bold]{DEMO_SHOP}[/bold]",
            f"  Etsy         {urls['etsy']}  Connect Etsy, then Allow on its consent page",
            f"  PrestaShop   {urls['prestashop']}  Connect PrestaShop with the shop address "
            f"[bold]{urls['prestashop']}[/bold] and the Webservice key [bold]{key}[/bold]",
        )
    )
