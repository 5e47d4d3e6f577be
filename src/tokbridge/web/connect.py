"""Connecting accounts: the Shopify install, TikTok seller authorization (with the choice among
several shops), and "Check again" for TikTok's listing prerequisites.

Each callback commits the request's session before calling the service: the service may wait on
Shopify or TikTok, and a read transaction held open meanwhile would block writers on SQLite.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError

from tokbridge.channels.connections import TIKTOK, ConnectionRepository
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.tiktok.errors import TikTokError
from tokbridge.config import Settings
from tokbridge.onboarding import service
from tokbridge.onboarding.service import ConnectError
from tokbridge.web.deps import SettingsDep, Viewer, ViewerDep
from tokbridge.web.flash import redirect_with_notice
from tokbridge.web.pages import templates

router = APIRouter(include_in_schema=False)


def _error_page(request: Request, viewer: Viewer, error: ConnectError, retry_url: str) -> Response:
    return templates.TemplateResponse(request, "connect_error.html",
                                      {"viewer": viewer, "error": error, "retry_url": retry_url},
                                      status_code=error.status)


# --- Shopify ------------------------------------------------------------------------------------


@router.get("/connect/shopify", response_class=HTMLResponse)
def shopify_form(request: Request, viewer: ViewerDep, settings: SettingsDep, shop: str = "") -> Response:
    """The form; also the App URL Shopify opens on an install from the admin (then signed: `hmac`)."""
    if "hmac" in request.query_params:
        try:
            url = service.shopify_install_redirect(settings, viewer.merchant_id, dict(request.query_params))
        except ConnectError as error:
            return _error_page(request, viewer, error, "/connect/shopify")
        return RedirectResponse(url, status_code=303)
    return templates.TemplateResponse(request, "connect_shopify.html", {"viewer": viewer, "shop": shop, "error": None})


@router.post("/connect/shopify")
def shopify_start(request: Request, viewer: ViewerDep, settings: SettingsDep,
                  shop: Annotated[str, Form()] = "") -> Response:
    try:
        url = service.shopify_authorization_url(settings, viewer.merchant_id, shop)
    except ConnectError as error:
        return templates.TemplateResponse(request, "connect_shopify.html",
                                          {"viewer": viewer, "shop": shop, "error": error}, status_code=error.status)
    return RedirectResponse(url, status_code=303)


@router.get("/connect/shopify/callback")
def shopify_callback(request: Request, viewer: ViewerDep, settings: SettingsDep) -> Response:
    db = viewer.db
    db.commit()
    try:
        connection = service.finish_shopify_connect(db, settings, viewer.merchant_id, dict(request.query_params))
        db.commit()
    except ConnectError as error:
        db.rollback()
        return _error_page(request, viewer, error, "/connect/shopify")
    except IntegrityError:  # another account connected the same store a moment ago
        db.rollback()
        return _error_page(request, viewer, service.already_connected("Shopify store"), "/connect/shopify")
    return redirect_with_notice("/dashboard", f"Your Shopify store {connection.name or connection.external_id} is "
                                              "connected. Its catalog import shows under Recent Activity.")


# --- TikTok -------------------------------------------------------------------------------------


@router.get("/connect/tiktok", response_class=HTMLResponse)
def tiktok_page(request: Request, viewer: ViewerDep, settings: SettingsDep) -> Response:
    try:
        link = service.tiktok_authorization_link(settings, viewer.merchant_id)
    except ConnectError as error:
        return _error_page(request, viewer, error, "/connect/tiktok")
    return templates.TemplateResponse(request, "connect_tiktok.html", {"viewer": viewer, "authorize_url": link})


@router.get("/connect/tiktok/callback")
def tiktok_callback(request: Request, viewer: ViewerDep, settings: SettingsDep, code: str | None = None,
                    state: str | None = None, error: str | None = None) -> Response:
    db = viewer.db
    db.commit()
    try:
        outcome = service.finish_tiktok_connect(db, settings, viewer.merchant_id, code=code, state=state, error=error)
        db.commit()
    except ConnectError as failure:
        db.rollback()
        return _error_page(request, viewer, failure, "/connect/tiktok")
    except IntegrityError:
        db.rollback()
        return _error_page(request, viewer, service.already_connected("TikTok shop"), "/connect/tiktok")
    if outcome.reloaded:
        return _connected_notice(outcome.connected)
    if outcome.connected is not None:
        return _connected(viewer, settings, outcome.connected)
    return templates.TemplateResponse(request, "connect_tiktok_choose.html",
                                      {"viewer": viewer, "choices": outcome.choices})


@router.post("/connect/tiktok/choose")
def tiktok_choose(request: Request, viewer: ViewerDep, settings: SettingsDep,
                  connection_id: Annotated[str, Form()] = "") -> Response:
    try:
        connection = service.choose_tiktok_shop(viewer.db, viewer.merchant_id, connection_id)
        viewer.db.commit()
    except ConnectError as error:
        viewer.db.rollback()
        return _error_page(request, viewer, error, "/connect/tiktok")
    return _connected(viewer, settings, connection)


def _connected(viewer: Viewer, settings: Settings, connection: ChannelConnection) -> Response:
    service.check_prerequisites_or_later(viewer.db, settings, connection)
    viewer.db.commit()
    return _connected_notice(connection)


def _connected_notice(connection: ChannelConnection) -> Response:
    return redirect_with_notice("/dashboard", f"Your TikTok shop {connection.name or connection.external_id} is "
                                              "connected.")


# --- prerequisites --------------------------------------------------------------------------------


@router.post("/prerequisites/check")
def prerequisites_check(request: Request, viewer: ViewerDep, settings: SettingsDep) -> Response:
    db = viewer.db
    connection = ConnectionRepository(db).first(TIKTOK)
    if connection is None:
        return _error_page(request, viewer, ConnectError(
            "No TikTok shop is connected", "The listing prerequisites belong to a TikTok shop.",
            "Connect your TikTok Shop first.", status=409), "/connect/tiktok")
    db.commit()
    try:
        service.check_prerequisites(db, settings, connection)
        db.commit()
    except TikTokError as exc:
        db.rollback()
        return _error_page(request, viewer, ConnectError(
            "TikTok Shop did not answer", f"The check could not be run ({exc.message}).",
            "Wait a minute and choose Check again.", status=502), "/dashboard")
    return redirect_with_notice("/dashboard", "TikTok's listing prerequisites were checked again.")
