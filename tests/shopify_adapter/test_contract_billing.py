"""The billing adapter against the sandbox over HTTP: create, approve on the confirmation page, read
again, replace, cancel; userErrors as ShopifyValidationError; test charges unless told otherwise."""

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tokbridge.channels.shopify.billing import ShopifyBilling
from tokbridge.channels.shopify.errors import ShopifyValidationError

RETURN_URL = "https://tokbridge.example/plans/confirm"


def approve(url: str) -> str:
    """Open the confirmation URL as the merchant (the sandbox approves at once); the charge id it returns."""
    back = httpx.get(url, follow_redirects=False, timeout=10)
    assert back.status_code == 303, back.text
    return parse_qs(urlsplit(back.headers["location"]).query)["charge_id"][0]


def test_subscribe_approve_replace_and_cancel(live_shop):
    billing = ShopifyBilling(live_shop().client())
    starter = billing.create_subscription(
        name="TokBridge Starter", amount=Decimal("19.99"), currency="USD", return_url=RETURN_URL
    )
    assert starter.status == "PENDING" and starter.test and starter.confirmation_url
    assert billing.subscription(starter.charge_id).status == "PENDING"
    assert billing.active_subscriptions() == []

    assert approve(starter.confirmation_url) == starter.charge_id
    active = billing.subscription(starter.charge_id)
    assert active.is_active and active.current_period_end is not None
    assert [s.charge_id for s in billing.active_subscriptions()] == [starter.charge_id]

    growth = billing.create_subscription(
        name="TokBridge Growth", amount=Decimal("49.99"), currency="USD", return_url=RETURN_URL
    )
    approve(growth.confirmation_url)
    assert [(s.name, s.status) for s in billing.active_subscriptions()] == [("TokBridge Growth", "ACTIVE")]
    assert billing.subscription(starter.charge_id).status == "CANCELLED"

    assert billing.cancel(growth.charge_id).status == "CANCELLED"
    assert billing.active_subscriptions() == []
    assert billing.subscription("1") is None  # no such charge at this shop


def test_refused_requests_and_production_charges(live_shop):
    shop = live_shop()
    with pytest.raises(ShopifyValidationError) as refused:
        ShopifyBilling(shop.client()).create_subscription(
            name="TokBridge Growth", amount=Decimal("49.99"), currency="USD", return_url="/plans/confirm"
        )
    assert refused.value.user_errors[0].field == ["returnUrl"]

    real = ShopifyBilling(shop.client(), test=False).create_subscription(
        name="TokBridge Growth", amount=Decimal("49.9"), currency="USD", return_url=RETURN_URL
    )
    assert real.test is False
    listed = shop.control("GET", "/sandbox/shops/{shop}/app-subscriptions").json()["app_subscriptions"]
    assert [(s["price"], s["test"]) for s in listed] == [("49.90", False)]
