"""The confirmation page of an app subscription, where the merchant approves or declines the charge
(Shopify shows it in the shop's admin; `confirmationUrl` of appSubscriptionCreate points here).

With `billing_auto_approve` (the default, as in the demo) opening the page approves at once; otherwise
it shows the charge with Approve and Decline buttons. Either answer sends the merchant back to the
app's `returnUrl` with `charge_id`. The URL carries the subscription's signature: a guessed charge id
finds nothing.
"""

from __future__ import annotations

import hmac
from html import escape
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from . import billing
from .models import AppSubscription
from .sandbox import Sandbox
from .shops import ShopNotFound, resolve_shop
from .store import StoreError

INTERVALS = {"EVERY_30_DAYS": "every 30 days", "ANNUAL": "every year"}


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>",
        status_code=status,
    )


async def confirm_charge(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    form = parse_qs((await request.body()).decode(errors="replace")) if request.method == "POST" else {}
    signature = (form.get("signature") or [request.query_params.get("signature", "")])[0]
    try:
        store = resolve_shop(request, sandbox, create=False)
    except ShopNotFound:
        store = None
    charge_id = request.path_params["charge_id"]
    subscription = billing.find(store, int(charge_id)) if store is not None and charge_id.isdigit() else None
    if subscription is None or not hmac.compare_digest(subscription.signature.encode(), signature.encode()):
        return page("Charge not found", "<p>This charge does not exist, or the link is incomplete.</p>", 404)
    if subscription.status in {"ACTIVE", "DECLINED"}:  # answered already: back to the app, as a reload would
        return RedirectResponse(billing.return_url_with_charge(subscription), status_code=303)
    if subscription.status != "PENDING":
        return page(
            "Charge no longer available",
            f"<p>This charge is {escape(subscription.status.lower())}. Go back to the app to choose again.</p>",
            410,
        )
    decision = (form.get("decision") or [""])[0]
    if request.method == "GET" and sandbox.config.billing_auto_approve:
        decision = "approve"
    if decision not in {"approve", "decline"}:
        return approval_page(subscription, signature)
    try:
        (billing.approve if decision == "approve" else billing.decline)(store, subscription)
    except StoreError:
        pass  # answered meanwhile (another tab): the app reads the outcome when the merchant is back
    return RedirectResponse(billing.return_url_with_charge(subscription), status_code=303)


def approval_page(subscription: AppSubscription, signature: str) -> HTMLResponse:
    trial = f"<p>Free for {subscription.trial_days} days first.</p>" if subscription.trial_days else ""
    test = "<p><strong>Test charge</strong>: nothing will be billed.</p>" if subscription.test else ""
    buttons = "".join(
        f'<button type="submit" name="decision" value="{value}">{label}</button> '
        for value, label in (("approve", "Approve"), ("decline", "Decline"))
    )
    return page(
        "Approve subscription",
        (
            f'<p data-testid="charge">{escape(subscription.name)}: {escape(subscription.amount)} '
            f"{escape(subscription.currency)} {INTERVALS.get(subscription.interval, '')}</p>{trial}{test}"
            f'<form method="post"><input type="hidden" name="signature" value="{escape(signature)}">'
            f"{buttons}</form>"
        ),
    )
