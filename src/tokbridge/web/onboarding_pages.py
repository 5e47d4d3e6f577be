"""The new merchant's guided checklist as a page of its own (the dashboard shows it on top too)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tokbridge.channels import registry
from tokbridge.dashboard import service as dashboard_service
from tokbridge.web.dashboard_view import onboarding_steps
from tokbridge.web.deps import OptionalShopDep, ViewerDep
from tokbridge.web.rendering import templates

router = APIRouter(include_in_schema=False)


@router.get("/onboarding", response_class=HTMLResponse)
def onboarding_page(request: Request, viewer: ViewerDep, shop: OptionalShopDep) -> Response:
    data = dashboard_service.dashboard(viewer.db, shop, viewer.merchant_id)
    steps = onboarding_steps(viewer.db, viewer.merchant_id, data)
    return templates.TemplateResponse(
        request,
        "onboarding.html",
        {"viewer": viewer, "steps": steps, "data": data, "store_plugins": list(registry.plugins().values())},
    )
