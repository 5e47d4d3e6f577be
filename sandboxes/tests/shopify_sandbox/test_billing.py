"""App subscriptions over HTTP: appSubscriptionCreate and its userErrors, the confirmation page (approve at once
by default, or Approve/Decline), replacement of the active subscription, cancel, expiry, the signed
app_subscriptions/update webhook and the control API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from urllib.parse import parse_qs, urlsplit

import httpx

from .conftest import SHOP

RETURN_URL = "https://tokbridge.example/plans/confirm?from=shopify"
CREATE = """mutation($name: String!, $lineItems: [AppSubscriptionLineItemInput!]!, $returnUrl: URL!, $test: Boolean,
                     $trialDays: Int) {
  appSubscriptionCreate(name: $name, lineItems: $lineItems, returnUrl: $returnUrl, test: $test, trialDays: $trialDays) {
    appSubscription { id name status test trialDays returnUrl }
    confirmationUrl
    userErrors { field message }
  }
}"""
SUBSCRIPTION = """query($id: ID!) {
  node(id: $id) {
    ... on AppSubscription {
      id name status test currentPeriodEnd
      lineItems {
        plan { pricingDetails { __typename ... on AppRecurringPricing { interval price { amount currencyCode } } } }
      }
    }
  }
}"""
ACTIVE = "{ currentAppInstallation { id activeSubscriptions { id name status } } }"
CANCEL = """mutation($id: ID!) {
  appSubscriptionCancel(id: $id) { appSubscription { id status } userErrors { field message } }
}"""


def plan(amount="49.99", currency="USD", interval="EVERY_30_DAYS") -> list[dict]:
    return [
        {
            "plan": {
                "appRecurringPricingDetails": {
                    "price": {"amount": amount, "currencyCode": currency},
                    "interval": interval,
                }
            }
        }
    ]


def create(live, name="TokBridge Growth", line_items=None, return_url=RETURN_URL, test=True, trial_days=None) -> dict:
    variables = {
        "name": name,
        "lineItems": line_items or plan(),
        "returnUrl": return_url,
        "test": test,
        "trialDays": trial_days,
    }
    return live.graphql(CREATE, variables)["data"]["appSubscriptionCreate"]


def subscription(live, gid: str) -> dict | None:
    return live.graphql(SUBSCRIPTION, {"id": gid})["data"]["node"]


def active(live) -> list[dict]:
    return live.graphql(ACTIVE)["data"]["currentAppInstallation"]["activeSubscriptions"]


def open_page(url: str, **kwargs) -> httpx.Response:
    return httpx.request(kwargs.pop("method", "GET"), url, follow_redirects=False, timeout=10, **kwargs)


def test_approving_activates_and_replaces_the_active_subscription(live_sandbox, receiver):
    live = live_sandbox()
    live.graphql(
        """mutation($uri: String!) { webhookSubscriptionCreate(topic: APP_SUBSCRIPTIONS_UPDATE,
                    webhookSubscription: {uri: $uri}) { userErrors { message } } }""",
        {"uri": receiver.url},
    )
    starter = create(live, "TokBridge Starter", plan("19.99"))
    assert starter["userErrors"] == []
    assert starter["appSubscription"]["status"] == "PENDING" and starter["appSubscription"]["test"] is True
    assert active(live) == []

    # Opening the confirmation URL approves at once (billing_auto_approve) and goes back to the app.
    back = open_page(starter["confirmationUrl"])
    assert back.status_code == 303
    number = starter["appSubscription"]["id"].rsplit("/", 1)[1]
    location = urlsplit(back.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "https://tokbridge.example/plans/confirm"
    assert parse_qs(location.query) == {"from": ["shopify"], "charge_id": [number]}
    read = subscription(live, starter["appSubscription"]["id"])
    assert read["status"] == "ACTIVE" and read["currentPeriodEnd"]
    assert read["lineItems"][0]["plan"]["pricingDetails"] == {
        "__typename": "AppRecurringPricing",
        "interval": "EVERY_30_DAYS",
        "price": {"amount": "19.99", "currencyCode": "USD"},
    }

    # A second plan replaces the first once approved.
    growth = create(live)
    assert [s["name"] for s in active(live)] == ["TokBridge Starter"]  # pending changes nothing yet
    open_page(growth["confirmationUrl"])
    assert [(s["name"], s["status"]) for s in active(live)] == [("TokBridge Growth", "ACTIVE")]
    assert subscription(live, starter["appSubscription"]["id"])["status"] == "CANCELLED"
    # Opened again (a reload), the page sends the merchant back without changing anything.
    growth_number = growth["appSubscription"]["id"].rsplit("/", 1)[1]
    assert open_page(growth["confirmationUrl"]).headers["location"].endswith(f"charge_id={growth_number}")

    # Every status change went out as app_subscriptions/update, signed like the other topics.
    received = receiver.wait_for(lambda got: len(got) >= 3)
    changes = [json.loads(r["body"])["app_subscription"] for r in received]
    assert [(c["name"], c["status"]) for c in changes] == [
        ("TokBridge Starter", "ACTIVE"),
        ("TokBridge Starter", "CANCELLED"),
        ("TokBridge Growth", "ACTIVE"),
    ]
    assert changes[0]["admin_graphql_api_id"] == starter["appSubscription"]["id"]
    first = received[0]
    assert first["headers"]["x-shopify-topic"] == "app_subscriptions/update"
    signature = base64.b64encode(hmac.new(b"sandbox-client-secret", first["body"], hashlib.sha256).digest()).decode()
    assert first["headers"]["x-shopify-hmac-sha256"] == signature

    listed = httpx.get(f"{live.base_url}/sandbox/shops/{SHOP}/app-subscriptions").json()["app_subscriptions"]
    assert [(s["name"], s["status"], s["price"]) for s in listed] == [
        ("TokBridge Starter", "CANCELLED", "19.99"),
        ("TokBridge Growth", "ACTIVE", "49.99"),
    ]


def test_the_merchant_declines_on_the_confirmation_page(live_sandbox):
    live = live_sandbox(billing_auto_approve=False)
    created = create(live, trial_days=7)
    url = created["confirmationUrl"]
    shown = open_page(url)
    assert shown.status_code == 200
    assert "TokBridge Growth: 49.99 USD every 30 days" in shown.text and "Free for 7 days" in shown.text
    assert "Approve" in shown.text and "Decline" in shown.text
    signature = re.search(r'name="signature" value="([^"]+)"', shown.text).group(1)

    # Without the URL's signature, a charge id is not enough to answer for the merchant.
    forged = open_page(url.split("?")[0], method="POST", data={"decision": "approve", "signature": "guessed"})
    assert forged.status_code == 404
    assert subscription(live, created["appSubscription"]["id"])["status"] == "PENDING"

    declined = open_page(url.split("?")[0], method="POST", data={"decision": "decline", "signature": signature})
    assert declined.status_code == 303 and "charge_id=" in declined.headers["location"]
    assert subscription(live, created["appSubscription"]["id"])["status"] == "DECLINED"
    assert active(live) == []
    # Approving after declining changes nothing.
    open_page(url.split("?")[0], method="POST", data={"decision": "approve", "signature": signature})
    assert subscription(live, created["appSubscription"]["id"])["status"] == "DECLINED"


def test_requests_shopify_refuses_get_user_errors_and_create_nothing(live_sandbox):
    live = live_sandbox()
    cases = [
        ({"name": "  "}, ["name"], "Name can't be blank"),
        (
            {"line_items": plan("-1")},
            ["lineItems", "0", "plan", "appRecurringPricingDetails", "price", "amount"],
            "Price must be greater than or equal to 0",
        ),
        ({"return_url": "/plans/confirm"}, ["returnUrl"], "Return url must be an absolute http or https URL"),
        ({"return_url": "ftp://example.com/x"}, ["returnUrl"], "Return url must be an absolute http or https URL"),
        ({"trial_days": -1}, ["trialDays"], "Trial days must be greater than or equal to 0"),
        (
            {"line_items": plan() + plan("9.99")},
            ["lineItems"],
            "Only one pricing plan can be defined for each available type",
        ),
        ({"line_items": [{"plan": {}}]}, ["lineItems", "0", "plan"], "The plan needs appRecurringPricingDetails"),
    ]
    for arguments, field, message in cases:
        refused = create(live, **arguments)
        assert refused["appSubscription"] is None and refused["confirmationUrl"] is None, arguments
        assert {"field": field, "message": message} in refused["userErrors"], refused["userErrors"]
    empty = live.graphql(CREATE, {"name": "x", "lineItems": [], "returnUrl": RETURN_URL})
    empty = empty["data"]["appSubscriptionCreate"]
    assert empty["userErrors"] == [{"field": ["lineItems"], "message": "Line items can't be blank"}]
    # GraphQL itself refuses what does not fit the schema (an unknown currency), as Shopify does.
    assert "errors" in live.graphql(CREATE, {"name": "x", "lineItems": plan(currency="XYZ"), "returnUrl": RETURN_URL})
    assert httpx.get(f"{live.base_url}/sandbox/shops/{SHOP}/app-subscriptions").json() == {"app_subscriptions": []}


def test_cancel_expiry_and_uninstall(live_sandbox):
    live = live_sandbox()
    kept = create(live)
    open_page(kept["confirmationUrl"])
    gid = kept["appSubscription"]["id"]
    cancelled = live.graphql(CANCEL, {"id": gid})["data"]["appSubscriptionCancel"]
    assert cancelled == {"appSubscription": {"id": gid, "status": "CANCELLED"}, "userErrors": []}
    assert active(live) == [] and subscription(live, gid)["currentPeriodEnd"] is None
    again = live.graphql(CANCEL, {"id": gid})["data"]["appSubscriptionCancel"]
    assert again["appSubscription"] is None and "cancelled" in again["userErrors"][0]["message"]
    unknown = live.graphql(CANCEL, {"id": "gid://shopify/AppSubscription/1"})["data"]["appSubscriptionCancel"]
    assert unknown["userErrors"] == [{"field": ["id"], "message": "Couldn't find the app subscription"}]

    # A charge left unanswered for two days expires; its page then says so.
    waiting = create(live)
    httpx.post(f"{live.base_url}/sandbox/clock", json={"seconds": 2 * 24 * 3600 + 1})
    assert subscription(live, waiting["appSubscription"]["id"])["status"] == "EXPIRED"
    assert open_page(waiting["confirmationUrl"]).status_code == 410

    # Uninstalling the app cancels its charges.
    paying = create(live)
    open_page(paying["confirmationUrl"])
    assert httpx.post(f"{live.base_url}/sandbox/shops/{SHOP}/uninstall").status_code == 200
    listed = httpx.get(f"{live.base_url}/sandbox/shops/{SHOP}/app-subscriptions").json()["app_subscriptions"]
    assert [s["status"] for s in listed] == ["CANCELLED", "EXPIRED", "CANCELLED"]
