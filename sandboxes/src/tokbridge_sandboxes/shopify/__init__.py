"""A local Shopify: the Admin GraphQL API (the part TokBridge uses), OAuth, bulk operations, webhooks,
and app billing (app subscriptions with the merchant's confirmation page).

Run it alone with `tokbridge sandbox shopify --port 8102`, or in tests with
`serve(create_app(SandboxConfig(...)))`. The app's state is `app.state.sandbox` (a `Sandbox`).

Which shop a request is for -- the sandbox serves every shop on one host and port:
  1. a path prefix `/shops/<shop>.myshopify.com/admin/...` wins; point the adapter's
     `shopify_api_base_url` at `http://127.0.0.1:8102/shops/{shop}` and it works per shop;
  2. else the `Host` header, when it is `<shop>.myshopify.com`;
  3. else an `X-Shopify-Shop-Domain` request header;
  4. else (OAuth only) the `shop` query parameter; else `SHOPIFY_SANDBOX_DEFAULT_SHOP`.
Admin API calls to a shop that does not exist answer 404; OAuth creates the shop on install.

What is faithful: paths, `X-Shopify-Access-Token` and its 401 body, Shopify's type, field and
argument names, `userErrors` with codes, `extensions.cost` with a leaky bucket and HTTP-200
`THROTTLED` answers, `MAX_COST_EXCEEDED`, bulk JSONL with `__parentId`, webhook headers and HMAC.
OAuth redirects are signed over the sorted, form-encoded query without `hmac` (hex HMAC-SHA256).
From API version 2026-04, `inventorySetQuantities` and `inventoryAdjustQuantities` require
`@idempotent(key:)` (a repeated key replays the first answer; reused with other arguments it is
refused), and `inventorySetQuantities` a `changeFromQuantity` (possibly null) on every quantity.
The schema is the pinned version's (2026-10): every type, field, argument and enum value in
`schema_sdl.py` is Shopify's own, with the same wrapping (tests/shopify_adapter/test_published_schema.py).

Billing (`billing.py`, `charges.py`): `appSubscriptionCreate` answers a `confirmationUrl` on the
sandbox; opening it approves at once and sends the merchant to `returnUrl?charge_id=<id>` (setting
`billing_auto_approve`, on by default; off, the page has Approve and Decline). An approved subscription
replaces the shop's active one; `currentAppInstallation.activeSubscriptions`, `node(id:)` and
`appSubscriptionCancel` read and end them; status changes send `app_subscriptions/update`.

Bulk queries follow Shopify's limits: one top-level connection, at most five connections,
nested at most two deep (products > variants > inventoryLevels is refused; ask for
`inventoryItem { inventoryLevel(locationId:) }` per location instead).

The control API lives under `/sandbox/...` (see `control.py`); bulk results under `/sandbox-bulk/`,
product images under `/cdn/shop/files/`.
"""

from .app import create_app
from .config import SandboxConfig
from .sandbox import Sandbox, sign_query
from .webhooks import sign_body

__all__ = ["Sandbox", "SandboxConfig", "create_app", "sign_body", "sign_query"]
