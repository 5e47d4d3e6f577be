"""Plans: compare them and change plan. With a connected Shopify store a paid plan goes through
Shopify's billing: the merchant approves the charge on Shopify's confirmation page and comes back to
`/plans/confirm`, where the plan changes once Shopify says the charge is active. Without a store (and
for the free plan) the change is immediate. The rules live in `billing.service`."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tokbridge.billing import service as billing
from tokbridge.billing.plans import available_plans, plan_by_code
from tokbridge.channels import factory
from tokbridge.channels.connections import SHOPIFY, ConnectionRepository
from tokbridge.channels.shopify.billing import ShopifyBilling
from tokbridge.channels.shopify.errors import AuthenticationError, ShopifyError, ShopifyValidationError
from tokbridge.config import Settings
from tokbridge.listings import service as listings
from tokbridge.onboarding.service import fresh_shopify_connection
from tokbridge.web.deps import SettingsDep, Viewer, ViewerDep
from tokbridge.web.flash import read_flash, redirect_with_error, redirect_with_notice
from tokbridge.web.rendering import templates

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


@router.get("/plans", response_class=HTMLResponse)
def plans_page(request: Request, viewer: ViewerDep) -> Response:
    return _page(request, viewer, **read_flash(request))


@router.post("/plans/{code}")
def choose_plan(viewer: ViewerDep, settings: SettingsDep, code: str) -> Response:
    plan = plan_by_code(code)
    if plan is None:
        log.info("plan change refused: unknown plan %r", code[:40])
        return redirect_with_error("/plans", "There is no such plan; choose one of the plans below.")
    db = viewer.db
    usage = listings.product_usage(db, viewer.merchant_id)
    try:
        change = billing.request_plan_change(db, viewer.merchant_id, plan, usage, store_billing(settings, db),
                                             return_url=confirm_url(settings))
    except billing.PlanLimitReached as refused:
        db.rollback()
        return redirect_with_error("/plans", str(refused))
    except ShopifyError as failure:
        db.rollback()
        log.warning("plan change to %s not started: %s", plan.code, failure)
        return redirect_with_error("/plans", _shopify_problem(failure, f"The change to the {plan.name} plan"))
    db.commit()
    if change.confirmation_url:
        return RedirectResponse(change.confirmation_url, status_code=303)
    return redirect_with_notice("/plans", f"You are on the {change.plan.name} plan now.")


@router.get("/plans/confirm")
def confirm_plan(request: Request, viewer: ViewerDep, settings: SettingsDep, charge_id: str = "") -> Response:
    """Shopify's return URL after the merchant approved or declined the charge."""
    db = viewer.db
    try:
        outcome = billing.confirm_plan_change(db, viewer.merchant_id, charge_id, store_billing(settings, db))
    except ShopifyError as failure:
        db.rollback()
        log.warning("plan confirmation for charge %r not checked: %s", charge_id[:40], failure)
        # The same address again retries, so the page stays on it.
        return _page(request, viewer, status_code=502, error=_shopify_problem(
            failure, "Your approval", then="Reload this page in a minute to try again."))
    db.commit()
    if outcome.approved:
        return redirect_with_notice("/plans", outcome.message)
    return redirect_with_error("/plans", outcome.message)


def confirm_url(settings: Settings) -> str:
    """Where Shopify sends the merchant back after the charge's confirmation page."""
    return f"{settings.base_url.rstrip('/')}/plans/confirm"


def store_billing(settings: Settings, db: Session) -> ShopifyBilling | None:
    """Shopify's billing for the merchant's connected store, or None without one. With one, commits what
    the session read: a token refresh and the calls after it must not wait behind this request's lock."""
    connection = ConnectionRepository(db).first(SHOPIFY)
    if connection is None:
        return None
    db.commit()
    return factory.shopify_billing(settings, fresh_shopify_connection(settings, connection))


def _shopify_problem(failure: ShopifyError, what: str, then: str = "Try again in a minute.") -> str:
    if isinstance(failure, AuthenticationError):
        return f"{what} could not go through Shopify: it refused TokBridge's access. Reconnect your store in Settings."
    if isinstance(failure, ShopifyValidationError):
        return f"{what} was refused by Shopify: {'; '.join(e.message for e in failure.user_errors)}."
    return f"{what} could not go through: Shopify did not answer. {then}"


def _page(request: Request, viewer: Viewer, status_code: int = 200, **messages: str | None) -> Response:
    usage = listings.product_usage(viewer.db, viewer.merchant_id)
    pending = billing.pending_plan(billing.subscription_for(viewer.db, viewer.merchant_id))
    return templates.TemplateResponse(request, "plans.html", {
        "viewer": viewer, "plans": available_plans(), "usage": usage, "pending": pending, **messages},
        status_code=status_code)
