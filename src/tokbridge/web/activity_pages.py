"""The activity log: the merchant's full history with filters, and before/after for price and stock."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tokbridge.activity.repository import ActivityRepository
from tokbridge.db.base import utcnow
from tokbridge.web.dashboard_view import shop_names
from tokbridge.web.deps import ViewerDep
from tokbridge.web.params import DayRange, int_or_none
from tokbridge.web.rendering import templates

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
STATUSES = [("ongoing", "In progress"), ("succeeded", "Done"), ("failed", "Failed"), ("info", "Info")]
# The first part of the activity kinds the modules record.
KINDS = [
    ("onboarding", "Connections"),
    ("catalog", "Store catalog"),
    ("templates", "Templates"),
    ("listings", "Uploads and sync"),
    ("orders", "Orders"),
    ("billing", "Plan"),
    ("privacy", "Privacy"),
]


@router.get("/activity", response_class=HTMLResponse)
def activity_page(
    request: Request,
    viewer: ViewerDep,
    status: str | None = None,
    kind: str | None = None,
    since: str | None = None,
    until: str | None = None,
    before: str | None = None,
) -> Response:
    status = status if status in dict(STATUSES) else None
    kind = kind if kind in dict(KINDS) else None
    days = DayRange.read(since, until)
    problems = days.problems
    activities = ActivityRepository(viewer.db).history(
        limit=PAGE_SIZE, status=status, kind=kind, since=days.since, until=days.until, before_id=int_or_none(before)
    )
    query = {k: v for k, v in {"status": status, "kind": kind, **days.query()}.items() if v}
    return templates.TemplateResponse(
        request,
        "activity.html",
        {
            "viewer": viewer,
            "activities": activities,
            "shop_names": shop_names(viewer.db),
            "filters": query,
            "statuses": STATUSES,
            "kinds": KINDS,
            "problems": problems,
            "today": utcnow().date().isoformat(),
            "next_page": f"/activity?{urlencode({**query, 'before': activities[-1].id})}"
            if len(activities) == PAGE_SIZE
            else None,
            "first_page": f"/activity?{urlencode(query)}" if before else None,
        },
    )
