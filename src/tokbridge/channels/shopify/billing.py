"""Shopify's Billing API for TokBridge's own plans: recurring app subscriptions the merchant approves.

`create_subscription` answers the subscription (PENDING) with the `confirmation_url` to send the
merchant to; Shopify sends them back to the return URL with `charge_id=<id>`. What that return
claims is read again from Shopify (`subscription`), never taken from the query string. An approved
subscription replaces the shop's active one at Shopify; `cancel` ends one (a move to a free plan).
Charges are test charges unless the caller says production billing (SHOPIFY_BILLING_TEST=false).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tokbridge.channels.base import StoreCharge
from tokbridge.channels.shopify import mapping, queries
from tokbridge.channels.shopify.client import ShopifyClient
from tokbridge.channels.shopify.store import gid

# Shopify's app subscriptions are neutral store charges; the name stays for readers of Shopify's docs.
AppSubscription = StoreCharge


class ShopifyBilling:
    """The plugin's `StoreBilling`."""

    platform = "Shopify"
    period = timedelta(days=30)  # the interval TokBridge's charges ask for (EVERY_30_DAYS)

    def __init__(self, client: ShopifyClient, *, test: bool = True):
        self.client = client
        self.test = test

    def create_subscription(
        self,
        *,
        name: str,
        amount: Decimal,
        currency: str,
        return_url: str,
        interval: str = "EVERY_30_DAYS",
        trial_days: int = 0,
    ) -> AppSubscription:
        """A PENDING subscription and where the merchant approves it. Not repeated on a timeout:
        a second one would wait for approval too (Shopify lets the unanswered one expire)."""
        pricing = {
            "price": {"amount": str(amount.quantize(Decimal("0.01"))), "currencyCode": currency},
            "interval": interval,
        }
        payload = self.client.mutate(
            queries.APP_SUBSCRIPTION_CREATE,
            {
                "name": name,
                "lineItems": [{"plan": {"appRecurringPricingDetails": pricing}}],
                "returnUrl": return_url,
                "test": self.test,
                "trialDays": trial_days,
            },
            "appSubscriptionCreate",
        )
        return _subscription(payload["appSubscription"], payload.get("confirmationUrl"))

    def subscription(self, charge_id: str) -> AppSubscription | None:
        """The subscription as Shopify has it now; None when this shop has no such charge."""
        node = self.client.query(queries.APP_SUBSCRIPTION, {"id": gid("AppSubscription", charge_id)})["node"]
        return _subscription(node) if node else None

    def active_subscriptions(self) -> list[AppSubscription]:
        installation = self.client.query(queries.ACTIVE_SUBSCRIPTIONS)["currentAppInstallation"]
        return [_subscription(node) for node in installation["activeSubscriptions"]]

    def cancel(self, charge_id: str) -> AppSubscription:
        payload = self.client.mutate(
            queries.APP_SUBSCRIPTION_CANCEL, {"id": gid("AppSubscription", charge_id)}, "appSubscriptionCancel"
        )
        return _subscription(payload["appSubscription"])


def _subscription(node: dict, confirmation_url: str | None = None) -> AppSubscription:
    return AppSubscription(
        charge_id=node["id"].rsplit("/", 1)[-1],
        name=node["name"],
        status=node["status"],
        test=bool(node.get("test")),
        current_period_end=mapping.parse_time(node.get("currentPeriodEnd")),
        confirmation_url=confirmation_url,
    )
