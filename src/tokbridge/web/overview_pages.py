"""The overview: every TikTok shop of the merchant side by side (products, orders, sales in each shop's
currency) and the plan's usage across them. The same figures as `GET /api/v1/overview`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tokbridge.web.api.orders import overview_data
from tokbridge.web.dashboard_view import PRODUCT_STATUSES, SALES_PERIODS
from tokbridge.web.deps import ViewerDep
from tokbridge.web.flash import read_flash
from tokbridge.web.rendering import templates

router = APIRouter(include_in_schema=False)


@router.get("/overview", response_class=HTMLResponse)
def overview_page(request: Request, viewer: ViewerDep, period: int = 30) -> Response:
    period = period if period in SALES_PERIODS else 30
    return templates.TemplateResponse(
        request,
        "overview.html",
        {
            "viewer": viewer,
            "overview": overview_data(viewer, period),
            "statuses": PRODUCT_STATUSES,
            "periods": SALES_PERIODS,
            "period": period,
            **read_flash(request),
        },
    )
