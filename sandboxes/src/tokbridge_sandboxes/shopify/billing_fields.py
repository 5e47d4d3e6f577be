"""Billing API fields: appSubscriptionCreate, appSubscriptionCancel, currentAppInstallation (see billing.py)."""

from __future__ import annotations

from . import billing, ids
from .pagination import list_source
from .resolving import by_id, page, parse_id
from .store import ShopStore, StoreError


def resolve_app_subscription_create(_root, info, name, lineItems, returnUrl, test=None, trialDays=None):
    store: ShopStore = info.context.store
    errors = billing.request_errors(name, lineItems, returnUrl, trialDays)
    if errors:
        return {"appSubscription": None, "confirmationUrl": None, "userErrors": errors}
    pricing = lineItems[0]["plan"]["appRecurringPricingDetails"]
    subscription = billing.create(store, name, pricing, returnUrl, bool(test), trialDays or 0)
    return {
        "appSubscription": subscription,
        "userErrors": [],
        "confirmationUrl": billing.confirmation_url(info.context.base_url, store, subscription),
    }


def resolve_app_subscription_cancel(_root, info, id, prorate=False):
    try:
        subscription = billing.cancel(info.context.store, parse_id(id, "AppSubscription"))
    except StoreError as exc:
        return {"appSubscription": None, "userErrors": [{"field": exc.field, "message": str(exc)}]}
    return {"appSubscription": subscription, "userErrors": []}


def resolve_current_app_installation(_root, info):
    # One app, so one installation per shop.
    return {"id": ids.gid("AppInstallation", info.context.store.id)}


APP_INSTALLATION_FIELDS = {
    "activeSubscriptions": lambda _installation, info: billing.active(info.context.store),
    "allSubscriptions": lambda _installation, info, **args: page(
        list_source(billing.all_of(info.context.store), by_id), args
    ),
}


def line_items(subscription, _info) -> list[dict]:
    pricing = {
        "interval": subscription.interval,
        "price": {"amount": subscription.amount, "currencyCode": subscription.currency},
    }
    return [{"id": ids.gid("AppSubscriptionLineItem", subscription.line_item_id), "plan": {"pricingDetails": pricing}}]


APP_SUBSCRIPTION_FIELDS = {
    "lineItems": line_items,
    "currentPeriodEnd": lambda subscription, info: billing.current_period_end(info.context.store, subscription),
}
