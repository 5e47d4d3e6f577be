"""Server-rendered pages: sign-in, sign-up, dashboard, activity."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from tokbridge.activity.repository import ActivityRepository
from tokbridge.dashboard import service as dashboard_service
from tokbridge.listings import service as listings
from tokbridge.listings.repository import ListingRepository
from tokbridge.tenancy import service as accounts
from tokbridge.tenancy.service import session_for_token
from tokbridge.web import csrf
from tokbridge.web.deps import SESSION_COOKIE, DbDep, SettingsDep, ViewerDep

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

PRODUCT_STATUSES = [("not_uploaded", "Not Uploaded"), ("in_progress", "In progress"), ("reviewing", "Reviewing"),
                    ("live", "Live"), ("failed", "Failed"), ("inactive", "Inactive")]
router = APIRouter(include_in_schema=False)


def _anonymous_form(request: Request, template: str, context: dict, status_code: int = 200) -> Response:
    """Render a signed-out form with a fresh double-submit CSRF token."""
    token = csrf.new_token()
    response = templates.TemplateResponse(request, template, {**context, "csrf_token": token},
                                          status_code=status_code)
    response.set_cookie(csrf.ANON_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    return response


def _signed_in(response: Response, token: str, settings) -> Response:
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=settings.secure_cookies,
                        max_age=settings.session_lifetime_hours * 3600, path="/")
    response.delete_cookie(csrf.ANON_COOKIE, path="/")
    return response


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/dashboard", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, db: DbDep, next: str = "/dashboard") -> Response:
    if session_for_token(db, request.cookies.get(SESSION_COOKIE)):
        return RedirectResponse(_safe_next(next), status_code=303)
    return _anonymous_form(request, "login.html", {"next": _safe_next(next), "error": None, "email": ""})


@router.post("/login")
def login(request: Request, db: DbDep, settings: SettingsDep, email: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/dashboard") -> Response:
    try:
        signed_in = accounts.sign_in(db, settings, email, password)
    except accounts.LoginFailed as failure:
        db.commit()  # keep the failure count
        return _anonymous_form(request, "login.html", {"next": _safe_next(next), "error": failure.message,
                                                       "email": email}, status_code=401)
    db.commit()
    return _signed_in(RedirectResponse(_safe_next(next), status_code=303), signed_in.token, settings)


@router.get("/signup", response_class=HTMLResponse)
def signup_page(request: Request) -> Response:
    return _anonymous_form(request, "signup.html", {"error": None, "email": "", "business": ""})


@router.post("/signup")
def signup(request: Request, db: DbDep, settings: SettingsDep, business: Annotated[str, Form()] = "",
           email: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "") -> Response:
    try:
        user = accounts.create_merchant_with_user(db, business, email, password)
    except accounts.AccountError as problem:
        db.rollback()
        return _anonymous_form(request, "signup.html", {"error": str(problem), "email": email, "business": business},
                               status_code=400)
    signed_in = accounts.open_session(db, settings, user)
    db.commit()
    return _signed_in(RedirectResponse("/dashboard", status_code=303), signed_in.token, settings)


@router.post("/logout")
def logout(request: Request, db: DbDep) -> Response:
    accounts.sign_out(db, request.cookies.get(SESSION_COOKIE))
    db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, viewer: ViewerDep, notice: str | None = None, error: str | None = None) -> Response:
    data = dashboard_service.dashboard(viewer.db, viewer.merchant_id)
    activities = ActivityRepository(viewer.db).recent(limit=10)
    return templates.TemplateResponse(request, "dashboard.html", {
        "viewer": viewer, "activities": activities, "data": data, "statuses": PRODUCT_STATUSES,
        "notice": notice, "error": error})


@router.post("/dashboard/upload")
def bulk_upload(viewer: ViewerDep) -> Response:
    try:
        _job, queued = listings.request_upload(viewer.db, viewer.merchant_id)
    except listings.ListingRefused as refused:
        viewer.db.rollback()
        return _back_to_dashboard(error=refused.message)
    viewer.db.commit()
    return _back_to_dashboard(notice=f"{queued} products are on their way to TikTok. Progress shows under Recent Activity.")


@router.post("/dashboard/sync")
def sync_shop_status(viewer: ViewerDep) -> Response:
    try:
        listings.request_status_sync(viewer.db, viewer.merchant_id)
    except listings.ListingRefused as refused:
        return _back_to_dashboard(error=refused.message)
    viewer.db.commit()
    return _back_to_dashboard(notice="Reading every product of your shop from TikTok. Progress shows under Recent Activity.")


def _back_to_dashboard(**message: str) -> RedirectResponse:
    return RedirectResponse(f"/dashboard?{urlencode(message)}", status_code=303)


@router.get("/products", response_class=HTMLResponse)
def products_page(request: Request, viewer: ViewerDep, status: str | None = None, q: str | None = None,
                  before: int | None = None) -> Response:
    status = status if status in dict(PRODUCT_STATUSES) else None
    connection = listings.tiktok_connection(viewer.db)
    rows = ListingRepository(viewer.db).product_rows(connection.id if connection else None, status=status,
                                                     search=q or None, before_id=before, limit=50)
    return templates.TemplateResponse(request, "products.html", {
        "viewer": viewer, "rows": rows, "status": status, "q": q or "", "statuses": PRODUCT_STATUSES,
        "older": rows[-1].id if len(rows) == 50 else None})


@router.get("/activity", response_class=HTMLResponse)
def activity_page(request: Request, viewer: ViewerDep, status: str | None = None,
                  before: int | None = None) -> Response:
    status = status if status in {"ongoing", "succeeded", "failed", "info"} else None
    activities = ActivityRepository(viewer.db).recent(limit=50, status=status, before_id=before)
    return templates.TemplateResponse(request, "activity.html", {
        "viewer": viewer, "activities": activities, "status": status,
        "older": activities[-1].id if len(activities) == 50 else None,
    })


def _safe_next(target: str) -> str:
    """Only local paths: an open redirect after sign-in would help phishing."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/dashboard"
    return target
