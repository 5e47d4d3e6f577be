"""App subscriptions (Shopify's Billing API): what the shop pays the app, and the merchant's say.

A subscription starts PENDING, with a confirmation page (`charges.py`). Approving it makes it ACTIVE
and cancels the shop's other active one (Shopify replaces it); declining makes it DECLINED; one left
PENDING for two days is EXPIRED (checked whenever subscriptions are read, against the sandbox clock).
The app may cancel one (CANCELLED), and an uninstall cancels them all. Every status change sends
`app_subscriptions/update`. Only recurring pricing is imitated, not usage pricing.
"""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .clock import iso
from .models import AppSubscription
from .store import ShopStore, StoreError, money

APPROVAL_WINDOW_SECONDS = 2 * 24 * 3600
INTERVAL_DAYS = {"EVERY_30_DAYS": 30, "ANNUAL": 365}
DAY = 24 * 3600
TOPIC = "app_subscriptions/update"
CANCELLABLE = {"PENDING", "ACTIVE", "FROZEN"}


def request_errors(name: str, line_items: list[dict], return_url: str, trial_days: int | None) -> list[dict]:
    """`userErrors` for an appSubscriptionCreate that Shopify would refuse; empty when it is fine."""
    errors: list[dict] = []
    if not name.strip():
        errors.append({"field": ["name"], "message": "Name can't be blank"})
    elif len(name) > 255:
        errors.append({"field": ["name"], "message": "Name is too long (maximum is 255 characters)"})
    if not line_items:
        errors.append({"field": ["lineItems"], "message": "Line items can't be blank"})
    recurring = [(n, item["plan"].get("appRecurringPricingDetails")) for n, item in enumerate(line_items)]
    for position, details in recurring:
        if details is None:
            errors.append(
                {"field": ["lineItems", str(position), "plan"], "message": "The plan needs appRecurringPricingDetails"}
            )
            continue
        field = ["lineItems", str(position), "plan", "appRecurringPricingDetails", "price", "amount"]
        amount = parse_amount(details["price"]["amount"])
        if amount is None:
            errors.append({"field": field, "message": "Price is not a number"})
        elif amount < 0:
            errors.append({"field": field, "message": "Price must be greater than or equal to 0"})
    if len([d for _, d in recurring if d is not None]) > 1:
        errors.append(
            {"field": ["lineItems"], "message": "Only one pricing plan can be defined for each available type"}
        )
    parts = urlsplit(return_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        errors.append({"field": ["returnUrl"], "message": "Return url must be an absolute http or https URL"})
    if trial_days is not None and trial_days < 0:
        errors.append({"field": ["trialDays"], "message": "Trial days must be greater than or equal to 0"})
    return errors


def parse_amount(value) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def create(store: ShopStore, name: str, pricing: dict, return_url: str, test: bool, trial_days: int) -> AppSubscription:
    """A PENDING subscription from a request `request_errors` accepted (`pricing`: its recurring details)."""
    now = store.clock.now()
    subscription = AppSubscription(
        id=store.new_id(),
        name=name,
        status="PENDING",
        amount=money(pricing["price"]["amount"]),
        currency=pricing["price"]["currencyCode"],
        interval=pricing.get("interval") or "EVERY_30_DAYS",
        return_url=return_url,
        test=test,
        trial_days=trial_days,
        line_item_id=store.new_id(),
        signature=secrets.token_hex(16),
        created_at=now,
        updated_at=now,
    )
    with store.lock:
        store.app_subscriptions[subscription.id] = subscription
    return subscription


def confirmation_url(base_url: str, store: ShopStore, subscription: AppSubscription) -> str:
    """Where the merchant approves or declines: the shop's admin, here the sandbox (see charges.py)."""
    return (
        f"{base_url}/shops/{store.domain}/admin/charges/{subscription.id}/confirm_recurring_application_charge"
        f"?{urlencode({'signature': subscription.signature})}"
    )


def return_url_with_charge(subscription: AppSubscription) -> str:
    """The app's returnUrl with `charge_id` added, as Shopify sends the merchant back."""
    parts = urlsplit(subscription.return_url)
    query = parse_qsl(parts.query, keep_blank_values=True) + [("charge_id", str(subscription.id))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def find(store: ShopStore, subscription_id: int | None) -> AppSubscription | None:
    expire_stale(store)
    return store.app_subscriptions.get(subscription_id) if subscription_id is not None else None


def all_of(store: ShopStore) -> list[AppSubscription]:
    expire_stale(store)
    with store.lock:
        return sorted(store.app_subscriptions.values(), key=lambda s: s.id)


def active(store: ShopStore) -> list[AppSubscription]:
    return [s for s in all_of(store) if s.status == "ACTIVE"]


def approve(store: ShopStore, subscription: AppSubscription) -> None:
    with store.lock:
        _require_pending(store, subscription)
        for other in store.app_subscriptions.values():
            if other is not subscription and other.status in {"ACTIVE", "FROZEN"}:
                _set_status(store, other, "CANCELLED")
        subscription.activated_at = store.clock.now()
        _set_status(store, subscription, "ACTIVE")


def decline(store: ShopStore, subscription: AppSubscription) -> None:
    with store.lock:
        _require_pending(store, subscription)
        _set_status(store, subscription, "DECLINED")


def cancel(store: ShopStore, subscription_id: int | None) -> AppSubscription:
    with store.lock:
        subscription = find(store, subscription_id)
        if subscription is None:
            raise StoreError("Couldn't find the app subscription", "NOT_FOUND", ["id"])
        if subscription.status not in CANCELLABLE:
            raise StoreError(f"Cannot cancel an app subscription that is {subscription.status.lower()}", None, ["id"])
        _set_status(store, subscription, "CANCELLED")
        return subscription


def cancel_all(store: ShopStore) -> None:
    """What an uninstall does to the app's charges."""
    with store.lock:
        for subscription in all_of(store):
            if subscription.status in CANCELLABLE:
                _set_status(store, subscription, "CANCELLED")


def expire_stale(store: ShopStore) -> None:
    deadline = store.clock.now() - APPROVAL_WINDOW_SECONDS
    with store.lock:
        for subscription in list(store.app_subscriptions.values()):
            if subscription.status == "PENDING" and subscription.created_at <= deadline:
                _set_status(store, subscription, "EXPIRED")


def current_period_end(store: ShopStore, subscription: AppSubscription) -> float | None:
    """End of the billing period under way; billing starts when the trial ends, so until then its end.
    None unless the subscription is active, as at Shopify."""
    if subscription.status != "ACTIVE" or subscription.activated_at is None:
        return None
    billing_starts = subscription.activated_at + subscription.trial_days * DAY
    now = store.clock.now()
    if now < billing_starts:
        return billing_starts
    period = INTERVAL_DAYS[subscription.interval] * DAY
    return billing_starts + ((now - billing_starts) // period + 1) * period


def state(store: ShopStore, subscription: AppSubscription) -> dict:
    """The control API's view: everything, including what only the merchant's admin shows."""
    period_end = current_period_end(store, subscription)
    return {
        "id": subscription.id,
        "admin_graphql_api_id": subscription.gid,
        "name": subscription.name,
        "status": subscription.status,
        "price": subscription.amount,
        "currency": subscription.currency,
        "interval": subscription.interval,
        "test": subscription.test,
        "trial_days": subscription.trial_days,
        "return_url": subscription.return_url,
        "created_at": iso(subscription.created_at),
        "updated_at": iso(subscription.updated_at),
        "current_period_end": iso(period_end) if period_end is not None else None,
    }


def _require_pending(store: ShopStore, subscription: AppSubscription) -> None:
    expire_stale(store)
    if subscription.status != "PENDING":
        raise StoreError(f"The app subscription is {subscription.status.lower()}, no longer pending", None, ["id"])


def _set_status(store: ShopStore, subscription: AppSubscription, status: str) -> None:
    subscription.status = status
    subscription.updated_at = store.clock.now()
    store.emit(
        store.domain,
        TOPIC,
        {
            "app_subscription": {
                "admin_graphql_api_id": subscription.gid,
                "name": subscription.name,
                "status": status,
                "admin_graphql_api_shop_id": f"gid://shopify/Shop/{store.id}",
                "created_at": iso(subscription.created_at),
                "updated_at": iso(subscription.updated_at),
                "currency": subscription.currency,
                "capped_amount": None,
            }
        },
    )
