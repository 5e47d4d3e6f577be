"""The ASGI application."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from tokbridge.config import Settings, get_settings
from tokbridge.db.engine import get_engine
from tokbridge.jobs import queue
from tokbridge.kit.errors import ChannelError
from tokbridge.web import (
    activity_pages,
    audit_pages,
    connect,
    metrics,
    onboarding_pages,
    order_pages,
    overview_pages,
    pages,
    plan_pages,
    settings_pages,
    shop_pages,
    template_pages,
    token_pages,
    webhooks,
)
from tokbridge.web.api import audit as audit_api
from tokbridge.web.api import orders as orders_api
from tokbridge.web.api import products as products_api
from tokbridge.web.api import templates as templates_api
from tokbridge.web.api import v1
from tokbridge.web.csrf import csrf_protect
from tokbridge.web.deps import NotSignedIn, ShopNeeded, frame_viewer
from tokbridge.web.errors import channel_problem
from tokbridge.web.flash import forget_read_flash, redirect_with_error
from tokbridge.web.guards import RefuseNulInBodies
from tokbridge.web.openapi import describe_real_answers

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: https:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'",
}
# Served over plain http (a laptop, the demo), TokBridge also shows the store's http images (the sandbox
# store serves its images so); over https only https images, as a browser would refuse the others anyway.
PLAIN_HTTP_CSP = SECURITY_HEADERS["Content-Security-Policy"].replace(
    "img-src 'self' data: https:", "img-src 'self' data: https: http:"
)


STATIC = Path(__file__).parent / "static"
NOT_FOUND = "There is no such page. It may have moved, or the link is mistyped."


def create_app(settings: Settings | None = None, embedded_worker: bool = False) -> FastAPI:
    """`embedded_worker=True` runs the job consumer inside this process (the single-machine default)."""
    settings = settings or get_settings()
    settings.require_secrets()

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        worker = None
        if embedded_worker:
            from tokbridge.jobs.worker import Worker

            worker = Worker(settings)
            worker.start()
        try:
            yield
        finally:
            if worker:
                worker.stop()

    app = FastAPI(
        title="TokBridge",
        version="0.1.0",
        summary="Sell your store's catalog on TikTok Shop.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
        dependencies=[Depends(csrf_protect)],
    )
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.include_router(v1.router)
    app.include_router(products_api.router)
    app.include_router(orders_api.router)
    app.include_router(audit_api.router)
    app.include_router(templates_api.router)
    app.include_router(order_pages.router)
    app.include_router(pages.router)
    app.include_router(template_pages.router)
    app.include_router(activity_pages.router)
    app.include_router(audit_pages.router)
    app.include_router(overview_pages.router)
    app.include_router(settings_pages.router)
    app.include_router(token_pages.router)
    app.include_router(shop_pages.router)
    app.include_router(plan_pages.router)
    app.include_router(onboarding_pages.router)
    app.include_router(connect.router)
    app.include_router(metrics.router)
    describe_real_answers(app)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return FileResponse(
            STATIC / "favicon.svg", media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
        )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> Response:
        checks = {}
        try:
            with get_engine(settings.database_url).connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001
            log.warning("readiness: database unreachable: %s", exc)
            checks["database"] = "unreachable"
        try:
            queue.ping(settings)
            checks["queue"] = "ok"
        except Exception as exc:  # noqa: BLE001
            log.warning("readiness: queue unreachable: %s", exc)
            checks["queue"] = "unreachable"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
        )

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=401, headers=exc.headers)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={target}", status_code=303)

    @app.exception_handler(ShopNeeded)
    async def shop_needed(request: Request, exc: ShopNeeded) -> Response:
        """The route works on one shop and none can be named: the API says why; a page is sent where the
        merchant connects or chooses one (and comes back), or told in plain words that the shop is unknown."""
        status, words, page = SHOP_NEEDED[exc.reason]
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": words}, status_code=status)
        if exc.reason == "choose":
            back = request.url.path if request.method == "GET" else request.headers.get("referer", "")
            back = urlsplit(back).path if back else ""
            target = f"/shops?next={quote(back)}" if back.startswith("/") and not back.startswith("//") else "/shops"
            return redirect_with_error(target, PAGE_WORDS["choose"])
        if request.method != "GET" or page is None:
            return await _error_page(request, status, PAGE_WORDS.get(exc.reason, words))
        return RedirectResponse(page, status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            # Starlette names only the first route that matched the path, not every route of that address.
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(_allowed_methods(app, request))}
        if (
            request.url.path.startswith(("/api/", "/webhooks/", "/metrics"))
            or request.method != "GET"
            and exc.status_code != 403
        ):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return await _error_page(request, exc.status_code, exc.detail)

    @app.exception_handler(ChannelError)
    async def channel_error(request: Request, exc: Exception) -> Response:
        # A platform's refusal or outage during a request the page did not handle itself: a clear answer
        # and one log line, never a traceback.
        status, detail, headers = channel_problem(exc)
        log.warning("%s %s: %s answered %s", request.method, request.url.path, type(exc).__name__, exc)
        return await http_error(request, StarletteHTTPException(status, detail, headers))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        log.info("rejected malformed request to %s: %s", request.url.path, exc.errors()[:3])
        if request.method == "GET" and not request.url.path.startswith("/api/"):
            # A page address that does not fit its route (/products/abc) names no page at all.
            return await _error_page(request, 404, None)
        return JSONResponse({"detail": "The request is malformed.", "errors": _plain(exc.errors())}, status_code=422)

    headers = (
        SECURITY_HEADERS if settings.secure_cookies else {**SECURITY_HEADERS, "Content-Security-Policy": PLAIN_HTTP_CSP}
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        forget_read_flash(request, response)
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        if request.url.path.startswith(
            ("/api/", "/dashboard", "/activity", "/login", "/signup", "/settings", "/plans")
        ):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.add_middleware(RefuseNulInBodies)
    # Outermost: webhooks are answered before any other middleware runs.
    app.add_middleware(webhooks.WebhookIntake, settings=settings)
    return app


# ShopNeeded.reason -> (status, plain words, the page a browser is sent to instead; None: an error page)
SHOP_NEEDED = {
    "none": (409, "Connect a TikTok shop first.", "/connect/tiktok"),
    "choose": (409, "Several TikTok shops are connected: choose one in the header, or name it with ?shop=.", "/shops"),
    "unknown": (404, "That TikTok shop is not one of your connected shops.", None),
}
# What a page says instead, where the API's words name a parameter.
PAGE_WORDS = {
    "choose": "Several TikTok shops are connected: choose the one to work on, then try again.",
    "none": "Connect a TikTok shop first.",
}


async def _error_page(request: Request, status: int, detail: str | None) -> Response:
    """An error as a page of the app, with its navigation when someone is signed in."""
    if status == 404 and detail in (None, "Not Found"):  # Starlette's own words for an unknown address
        detail = NOT_FOUND
    viewer = await run_in_threadpool(frame_viewer, request)
    return pages.templates.TemplateResponse(
        request, "error.html", {"status": status, "detail": detail, "viewer": viewer}, status_code=status
    )


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    allowed = []
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in app.routes):
            allowed.append(method)
    return allowed


def _plain(errors: list) -> list:
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in errors]
