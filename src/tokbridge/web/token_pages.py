"""Settings → API tokens: a user's personal tokens for the JSON API (tenancy/tokens.py). A new token is
shown once, on the answer to the form that created it (never kept in a cookie or a link); the list
shows each token's access, expiry and last use, and revokes it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tokbridge.db.base import utcnow
from tokbridge.tenancy import tokens
from tokbridge.tenancy.repository import AccountRepository
from tokbridge.tenancy.service import AccountError
from tokbridge.web.deps import SettingsDep, ViewerDep
from tokbridge.web.flash import read_flash, redirect_with_error, redirect_with_notice
from tokbridge.web.params import RowId
from tokbridge.web.rendering import templates

router = APIRouter(include_in_schema=False)
PAGE = "/settings/tokens"
EXPIRY_LABELS = [
    ("7", "In 7 days"),
    ("30", "In 30 days"),
    ("90", "In 90 days"),
    ("365", "In a year"),
    ("never", "Never"),
]


@router.get(PAGE, response_class=HTMLResponse)
def tokens_page(request: Request, viewer: ViewerDep) -> Response:
    return _page(request, viewer, **read_flash(request))


@router.post(PAGE, response_class=HTMLResponse)
async def create(request: Request, viewer: ViewerDep, settings: SettingsDep) -> Response:
    form = await request.form()
    expiry = str(form.get("expires", ""))
    user = AccountRepository(viewer.db).user(viewer.user_id)
    try:
        if expiry not in tokens.EXPIRY_CHOICES:
            raise AccountError("Choose when the token expires.")
        created = tokens.create_token(
            viewer.db,
            user,
            str(form.get("name", "")),
            read_only=form.get("access") != "read_write",
            expires_in_days=tokens.EXPIRY_CHOICES[expiry],
        )
    except AccountError as problem:
        viewer.db.rollback()
        return redirect_with_error(PAGE, str(problem))
    viewer.db.commit()
    # Shown here once: the answer is not stored (Cache-Control: no-store on /settings) and not redirected.
    return _page(request, viewer, created=created, api_url=f"{settings.base_url.rstrip('/')}/api/v1")


@router.post(PAGE + "/{token_id}/revoke")
def revoke(token_id: RowId, viewer: ViewerDep) -> Response:
    row = tokens.revoke(viewer.db, viewer.user_id, token_id)
    if row is None:
        return redirect_with_error(PAGE, "You have no such token.")
    viewer.db.commit()
    return redirect_with_notice(PAGE, f"Token “{row.name}” revoked: calls with it are refused from now on.")


def _page(request: Request, viewer, **context) -> Response:
    rows = tokens.tokens_of(viewer.db, viewer.user_id)
    now = utcnow()
    return templates.TemplateResponse(
        request,
        "api_tokens.html",
        {
            "viewer": viewer,
            "tokens": [(row, tokens.state(row, now)) for row in rows],
            "expiry_choices": EXPIRY_LABELS,
            **context,
        },
    )
