"""Plans: compare them and change plan. The change is approved at once (as in the sandbox); Shopify's
billing confirmation (appSubscriptionCreate) is not wired yet, see billing.service.change_plan."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tokbridge.billing import service as billing
from tokbridge.billing.plans import available_plans, plan_by_code
from tokbridge.listings import service as listings
from tokbridge.web.deps import ViewerDep
from tokbridge.web.rendering import templates

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


@router.get("/plans", response_class=HTMLResponse)
def plans_page(request: Request, viewer: ViewerDep, notice: str | None = None, error: str | None = None) -> Response:
    usage = listings.product_usage(viewer.db, viewer.merchant_id)
    return templates.TemplateResponse(request, "plans.html", {
        "viewer": viewer, "plans": available_plans(), "usage": usage, "notice": notice, "error": error})


@router.post("/plans/{code}")
def choose_plan(viewer: ViewerDep, code: str) -> Response:
    plan = plan_by_code(code)
    if plan is None:
        log.info("plan change refused: unknown plan %r", code[:40])
        return _back(error="There is no such plan; choose one of the plans below.")
    try:
        chosen = billing.change_plan_checked(viewer.db, viewer.merchant_id, plan,
                                            listings.product_usage(viewer.db, viewer.merchant_id))
    except billing.PlanLimitReached as refused:
        viewer.db.rollback()
        return _back(error=str(refused))
    viewer.db.commit()
    return _back(notice=f"You are on the {chosen.name} plan now.")


def _back(**message: str) -> RedirectResponse:
    return RedirectResponse(f"/plans?{urlencode(message)}", status_code=303)
