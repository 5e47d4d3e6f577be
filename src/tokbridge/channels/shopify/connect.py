"""Connecting a Shopify store: the install (OAuth with an expiring offline token), its refresh, the
permissions TokBridge needs in words, and the webhook subscriptions. `CONNECTOR` is the plugin's
`StoreConnector`; the protocol itself (HMAC, tokens) lives in `auth`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta

from tokbridge.channels.base import (
    ConnectField,
    ConnectionGrant,
    ConnectNotConfigured,
    ConnectRefused,
    ConnectReturn,
    ConnectStart,
)
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.shopify import auth
from tokbridge.channels.shopify.errors import ShopifyValidationError
from tokbridge.channels.shopify.settings import get_shopify_settings
from tokbridge.config import Settings
from tokbridge.db.base import utcnow

log = logging.getLogger(__name__)

# Shopify's expiring offline tokens are valid an hour: renew them this long before they expire.
REFRESH_MARGIN = timedelta(minutes=5)

# What the connector listens to (issue 4): catalog and stock changes, order follow-up, uninstall, and
# its own charges (a plan approved or ended at Shopify).
# The privacy topics are configured with the app, not subscribed through the API.
WEBHOOK_TOPICS = (
    "PRODUCTS_CREATE", "PRODUCTS_UPDATE", "PRODUCTS_DELETE", "INVENTORY_LEVELS_UPDATE", "APP_UNINSTALLED",
    "ORDERS_CANCELLED", "FULFILLMENTS_CREATE", "FULFILLMENTS_UPDATE", "APP_SUBSCRIPTIONS_UPDATE",
)  # fmt: skip

WEBHOOK_SUBSCRIPTION_CREATE = """
mutation Subscribe($topic: WebhookSubscriptionTopic!, $subscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $subscription) {
    webhookSubscription { id }
    userErrors { field message }
  }
}
"""

# Each scope as the merchant reads it on Shopify's approval page, followed by its name there.
SCOPE_WORDS = {
    "read_products": "see your products",
    "write_products": "change your products",
    "read_inventory": "see your stock",
    "write_inventory": "change your stock",
    "read_locations": "see your locations",
    "read_orders": "see your orders",
    "write_orders": "create and cancel orders",
    "read_merchant_managed_fulfillment_orders": "see the fulfilment of your orders",
    "write_merchant_managed_fulfillment_orders": "fulfil and cancel your orders' fulfilments",
}

START_AGAIN = "Start again from Connect Shopify; the approval link is good for a few minutes."


class ShopifyConnector:
    required_scopes = auth.SCOPES
    form_fields = (
        ConnectField(
            "shop",
            "Store address",
            placeholder="my-store.myshopify.com",
            help="Shopify admin > Settings > Domains: the address ending in .myshopify.com.",
        ),
    )

    @property
    def state_max_age_seconds(self) -> int:
        return get_shopify_settings().state_ttl_seconds

    def account_of(self, answers: Mapping[str, str]) -> str:
        shop_input = answers.get("shop", "")
        try:
            return auth.normalize_shop(shop_input)
        except auth.InvalidShop:
            raise ConnectRefused(
                "That is not a Shopify store address",
                f"{shop_input!r} is not a store's permanent address.",
                "Enter the address ending in .myshopify.com, e.g. my-store.myshopify.com "
                "(Shopify admin > Settings > Domains).",
            ) from None

    def begin(
        self, settings: Settings, *, account: str, state: str, callback_url: str, answers: Mapping[str, str]
    ) -> ConnectStart:
        shopify = _configured()
        return ConnectStart(
            redirect_url=auth.authorization_url(
                account,
                client_id=shopify.client_id,
                redirect_uri=callback_url,
                state=state,
                base_url=get_shopify_settings().api_base_url,
            )
        )

    def read_launch(self, settings: Settings, params: Mapping[str, str]) -> str | None:
        """Shopify opened our App URL (an install from the Shopify admin or App Store), signed."""
        if "hmac" not in params:
            return None
        shopify = get_shopify_settings()
        if not any(auth.verify_hmac(params, secret) for secret in shopify.secrets):
            raise ConnectRefused(
                "Shopify's request could not be verified",
                "The link that opened TokBridge does not carry Shopify's signature.",
                START_AGAIN,
            )
        if not auth.is_fresh(params, max_age_seconds=shopify.hmac_max_age_seconds):
            raise ConnectRefused(
                "The install link has expired",
                "Shopify's request is too old to be accepted.",
                "Open TokBridge again from your Shopify admin.",
            )
        return self.account_of(params)

    def read_return(self, settings: Settings, params: Mapping[str, str]) -> ConnectReturn:
        shopify = get_shopify_settings()
        if not any(auth.verify_hmac(params, secret) for secret in shopify.secrets):
            raise ConnectRefused(
                "Shopify's answer could not be verified",
                "The signature of the page Shopify sent you back to does not match.",
                START_AGAIN,
            )
        shop = params.get("shop", "")
        try:
            shop = auth.normalize_shop(shop)
        except auth.InvalidShop:
            pass  # signed by Shopify yet no shop of ours: the state, made for a real shop, will not match
        return ConnectReturn(
            account=shop,
            code=params.get("code", ""),
            state=params.get("state"),
            expired=not auth.is_fresh(params, max_age_seconds=shopify.hmac_max_age_seconds),
        )

    def finish(self, settings: Settings, returned: ConnectReturn, *, callback_url: str) -> ConnectionGrant:
        shopify = _configured()
        token = auth.exchange_code(
            returned.account,
            returned.code,
            client_id=shopify.client_id,
            client_secret=shopify.client_secret,
            base_url=get_shopify_settings().api_base_url,
            timeout=shopify.request_timeout_seconds,
        )
        return _grant(returned.account, token)

    def needs_refresh(self, connection: ChannelConnection) -> bool:
        expires = connection.access_expires_at
        return expires is not None and expires - utcnow() <= REFRESH_MARGIN

    def refresh(self, settings: Settings, connection: ChannelConnection) -> ConnectionGrant:
        shopify = get_shopify_settings()
        current = auth.OfflineToken(
            access_token=connection.access_token or "",
            scopes=tuple(connection.scopes or ()),
            expires_at=connection.access_expires_at,
            refresh_token=connection.refresh_token,
            refresh_expires_at=connection.refresh_expires_at,
        )
        token = auth.refresh(
            connection.external_id,
            current,
            client_id=shopify.client_id,
            client_secret=shopify.client_secret,
            base_url=get_shopify_settings().api_base_url,
            timeout=shopify.request_timeout_seconds,
        )
        log.info("shopify token refreshed for %s", connection.external_id)
        return _grant(connection.external_id, token, name=connection.name)

    def missing_scopes(self, granted: Sequence[str]) -> list[str]:
        return [f"{SCOPE_WORDS.get(scope, scope)} ({scope})" for scope in auth.missing_scopes(tuple(granted))]

    def disconnect(self, settings: Settings, connection: ChannelConnection) -> None:
        """Nothing to call: Shopify takes an offline token back only when the merchant uninstalls the
        app from their admin (then `app/uninstalled` arrives); TokBridge forgets the token itself."""

    def subscribe_events(self, settings: Settings, connection: ChannelConnection, address: str) -> list[str]:
        """Subscribe every topic to `address`; topics already subscribed are left as they are."""
        from tokbridge.channels.shopify.plugin import PLUGIN

        with PLUGIN.client(settings, connection) as client:
            for topic in WEBHOOK_TOPICS:
                try:
                    client.mutate(
                        WEBHOOK_SUBSCRIPTION_CREATE,
                        {"topic": topic, "subscription": {"uri": address, "format": "JSON"}},
                        "webhookSubscriptionCreate",
                    )
                except ShopifyValidationError as exc:
                    if not any("already been taken" in e.message for e in exc.user_errors):
                        raise
        return list(WEBHOOK_TOPICS)


def _configured():
    shopify = get_shopify_settings()
    if not shopify.client_id or not shopify.client_secret:
        raise ConnectNotConfigured(
            "Shopify is not set up on this server",
            "SHOPIFY_CLIENT_ID and SHOPIFY_CLIENT_SECRET are not configured.",
            "Ask the person who runs TokBridge to set them.",
        )
    return shopify


def _grant(shop: str, token: auth.OfflineToken, name: str | None = None) -> ConnectionGrant:
    return ConnectionGrant(
        external_id=shop,
        name=name or shop,
        access_token=token.access_token,
        scopes=list(token.scopes),
        refresh_token=token.refresh_token,
        access_expires_at=token.expires_at,
        refresh_expires_at=token.refresh_expires_at,
    )


CONNECTOR = ShopifyConnector()
