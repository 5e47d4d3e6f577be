"""Plans: compare them and change plan. With a connected store that bills TokBridge's plans (its plugin's
`capabilities.billing`) a paid plan goes through the store's billing: the merchant approves the charge on
the store's confirmation page and comes back to `/plans/confirm`, where the plan changes once the store
says the charge is active. Without such a store (and for the free plan) the change is immediate. The
rules live in `billing.service`."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tokbridge.billing import service as billing
from tokbridge.billing.plans import available_plans, plan_by_code
from tokbridge.channels import registry
from tokbridge.channels.base import StoreBilling
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.shops import active_shops, shop_contexts
from tokbridge.config import Settings
from tokbridge.dashboard import service as dashboard_service
from tokbridge.kit.errors import ChannelError, NeedsReconnect, RefusedWithFix
from tokbridge.kit.words import alternatives
from tokbridge.onboarding import service as onboarding
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
    usage = dashboard_service.plan_usage(db, viewer.merchant_id)
    try:
        change = billing.request_plan_change(
            db, viewer.merchant_id, plan, usage, store_billing(settings, db), return_url=confirm_url(settings)
        )
    except billing.PlanLimitReached as refused:
        db.rollback()
        return redirect_with_error("/plans", str(refused))
    except ChannelError as failure:
        db.rollback()
        log.warning("plan change to %s not started: %s", plan.code, failure)
        return redirect_with_error("/plans", _store_problem(failure, f"The change to the {plan.name} plan"))
    db.commit()
    if change.confirmation_url:
        return RedirectResponse(change.confirmation_url, status_code=303)
    return redirect_with_notice("/plans", f"You are on the {change.plan.name} plan now.")


@router.get("/plans/confirm")
def confirm_plan(request: Request, viewer: ViewerDep, settings: SettingsDep, charge_id: str = "") -> Response:
    """The store's return URL after the merchant approved or declined the charge."""
    db = viewer.db
    try:
        outcome = billing.confirm_plan_change(db, viewer.merchant_id, charge_id, store_billing(settings, db))
    except ChannelError as failure:
        db.rollback()
        log.warning("plan confirmation for charge %r not checked: %s", charge_id[:40], failure)
        # The same address again retries, so the page stays on it.
        return _page(
            request,
            viewer,
            status_code=502,
            error=_store_problem(failure, "Your approval", then="Reload this page in a minute to try again."),
        )
    db.commit()
    if outcome.approved:
        return redirect_with_notice("/plans", outcome.message)
    return redirect_with_error("/plans", outcome.message)


def confirm_url(settings: Settings) -> str:
    """Where the store sends the merchant back after the charge's confirmation page."""
    return f"{settings.base_url.rstrip('/')}/plans/confirm"


def store_billing(settings: Settings, db: Session) -> StoreBilling | None:
    """The billing of the merchant's connected store where it bills the plan, or None. With one, commits
    what the session read: a token refresh and the calls after it must not wait behind this request's lock."""
    connection = billing_store(db)
    if connection is None or not registry.plugin_of(connection).capabilities.billing:
        return None
    db.commit()
    return onboarding.store_billing(settings, connection)


def billing_store(db: Session):
    """The store that bills the merchant's plan (one plan for every shop): the first of the stores linked to
    the merchant's TikTok shops that bills plans, else the first linked one, else a store connected before
    any shop; None without a store."""
    linked = list({shop.store.id: shop.store for shop in shop_contexts(db) if shop.store is not None}.values())
    for store in linked:
        if registry.plugin_of(store).capabilities.billing:
            return store
    if linked:
        return linked[0]
    return db.scalar(
        select(ChannelConnection)
        .where(ChannelConnection.channel.in_(sorted(registry.store_kinds())), ChannelConnection.status == "active")
        .order_by(ChannelConnection.created_at, ChannelConnection.id)
        .limit(1)
    )


def _store_problem(failure: ChannelError, what: str, then: str = "Try again in a minute.") -> str:
    platform = failure.platform
    if isinstance(failure, NeedsReconnect):
        return (
            f"{what} could not go through {platform}: it refused TokBridge's access. Reconnect your "
            f"{failure.account} in Settings."
        )
    if isinstance(failure, RefusedWithFix):
        return f"{what} was refused by {platform}: {'; '.join(failure.reasons)}."
    return f"{what} could not go through: {platform} did not answer. {then}"


def _billing_platform(db: Session) -> str | None:
    """The name of the store that bills the merchant's plans, for the page's words: their connected store
    where it bills, else (no store yet) the stores that would; None when no store bills them."""
    connection = billing_store(db)
    if connection is not None:
        plugin = registry.plugin_of(connection)
        return plugin.display_name if plugin.capabilities.billing else None
    return alternatives([p.display_name for p in registry.plugins().values() if p.capabilities.billing]) or None


def _page(request: Request, viewer: Viewer, status_code: int = 200, **messages: str | None) -> Response:
    usage = dashboard_service.plan_usage(viewer.db, viewer.merchant_id)
    pending = billing.pending_plan(billing.subscription_for(viewer.db, viewer.merchant_id))
    return templates.TemplateResponse(
        request,
        "plans.html",
        {
            "viewer": viewer,
            "plans": available_plans(),
            "usage": usage,
            "pending": pending,
            "shop_count": len(active_shops(viewer.db)),
            "billed_by": _billing_platform(viewer.db),
            **messages,
        },
        status_code=status_code,
    )
