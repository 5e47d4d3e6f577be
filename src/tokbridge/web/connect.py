"""Connecting accounts: the merchant's store through its plugin (`/connect/{kind}`, the kinds from the
registry, so the addresses a store already knows keep working), TikTok seller authorization (with the choice among
several shops), and "Check again" for TikTok's listing prerequisites.

Each callback commits the request's session before calling the service: the service may wait on
the store or TikTok, and a read transaction held open meanwhile would block writers on SQLite.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from tokbridge.channels import registry
from tokbridge.channels.base import StorePlugin
from tokbridge.channels.connections import TIKTOK, ConnectionRepository
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.registry import UnknownStore
from tokbridge.config import Settings
from tokbridge.db.engine import for_writing
from tokbridge.kit.errors import ChannelError
from tokbridge.kit.words import alternatives
from tokbridge.onboarding import service
from tokbridge.onboarding.service import ConnectError
from tokbridge.tenancy.service import choose_shop
from tokbridge.web.deps import OptionalShopDep, SettingsDep, Viewer, ViewerDep
from tokbridge.web.errors import channel_problem
from tokbridge.web.flash import redirect_with_notice
from tokbridge.web.pages import templates

router = APIRouter(include_in_schema=False)


def _error_page(request: Request, viewer: Viewer, error: ConnectError, retry_url: str) -> Response:
    return templates.TemplateResponse(
        request,
        "connect_error.html",
        {"viewer": viewer, "error": error, "retry_url": retry_url},
        status_code=error.status,
    )


# --- TikTok -------------------------------------------------------------------------------------


@router.get("/connect/tiktok", response_class=HTMLResponse)
def tiktok_page(request: Request, viewer: ViewerDep, settings: SettingsDep) -> Response:
    try:
        link = service.tiktok_authorization_link(settings, viewer.merchant_id)
    except ConnectError as error:
        return _error_page(request, viewer, error, "/connect/tiktok")
    return templates.TemplateResponse(request, "connect_tiktok.html", {"viewer": viewer, "authorize_url": link})


@router.get("/connect/tiktok/callback")
def tiktok_callback(
    request: Request,
    viewer: ViewerDep,
    settings: SettingsDep,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Response:
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
        return _connected_notice(outcome.connected_all or [outcome.connected])
    if outcome.connected is not None:
        return _connected(viewer, settings, outcome.connected_all or [outcome.connected])
    return _choose_page(request, viewer, outcome.choices)


def _choose_page(
    request: Request, viewer: Viewer, choices: list[ChannelConnection], error: str | None = None
) -> Response:
    return templates.TemplateResponse(
        request,
        "connect_tiktok_choose.html",
        {"viewer": viewer, "choices": choices, "error": error},
        status_code=400 if error else 200,
    )


@router.post("/connect/tiktok/choose")
async def tiktok_choose(request: Request, viewer: ViewerDep, settings: SettingsDep) -> Response:
    form = await request.form()
    wanted = [str(value) for value in form.getlist("connection_id") if str(value)]
    return await run_in_threadpool(_choose, request, viewer, settings, wanted)


def _choose(request: Request, viewer: Viewer, settings: Settings, wanted: list[str]) -> Response:
    if not wanted:
        pending = [
            row
            for row in ConnectionRepository(viewer.db).for_channel(TIKTOK, active_only=False)
            if row.status in ("pending", "active")
        ]
        if any(row.status == "pending" for row in pending):
            return _choose_page(request, viewer, pending, "Tick at least one shop to connect.")
    try:
        connections = service.choose_tiktok_shops(viewer.db, viewer.merchant_id, wanted)
        viewer.db.commit()
    except ConnectError as error:
        viewer.db.rollback()
        return _error_page(request, viewer, error, "/connect/tiktok")
    return _connected(viewer, settings, connections)


def _connected(viewer: Viewer, settings: Settings, connections: list[ChannelConnection]) -> Response:
    """The shops connected now: their prerequisites are checked, and the first becomes the shop this
    browser session works on."""
    for connection in connections:
        service.check_prerequisites_or_later(viewer.db, settings, connection)
        viewer.db.commit()
    for_writing(viewer.db)
    choose_shop(viewer.db, viewer.web_session, connections[0].id)
    viewer.db.commit()
    return _connected_notice(connections)


def _connected_notice(connections: list[ChannelConnection]) -> Response:
    names = ", ".join(c.name or c.external_id for c in connections)
    if len(connections) == 1:
        return redirect_with_notice("/dashboard", f"Your TikTok shop {names} is connected.")
    return redirect_with_notice("/dashboard", f"Your TikTok shops {names} are connected.")


# --- the merchant's store (any store plugin; the kind comes from the registry) -------------------
# Registered after TikTok's routes: `/connect/tiktok` is no store kind and must match those first.


@router.get("/connect", response_class=HTMLResponse)
def choose_store(request: Request, viewer: ViewerDep) -> Response:
    """Which store to connect, when TokBridge has several store plugins (one: straight to its form)."""
    plugins = sorted(registry.plugins().values(), key=lambda plugin: plugin.display_name)
    if len(plugins) == 1:
        return RedirectResponse(f"/connect/{plugins[0].kind}", status_code=303)
    return templates.TemplateResponse(request, "connect_choose_store.html", {"viewer": viewer, "plugins": plugins})


def _plugin_or_error(request: Request, viewer: Viewer, kind: str) -> StorePlugin | Response:
    try:
        return service.store_plugin(kind)
    except UnknownStore:
        names = alternatives([plugin.display_name for plugin in registry.plugins().values()])
        return _error_page(
            request,
            viewer,
            ConnectError(
                "TokBridge does not connect to that store",
                "There is no store of that kind to connect.",
                f"Connect your {names} store from the dashboard.",
                status=404,
            ),
            "/dashboard",
        )


def _form_page(
    request: Request, viewer: Viewer, plugin: StorePlugin, answers: Mapping[str, str], error: ConnectError | None = None
) -> Response:
    return templates.TemplateResponse(
        request,
        "connect_store.html",
        {
            "viewer": viewer,
            "plugin": plugin,
            "fields": plugin.connector.form_fields,
            "with_key": service.connects_with_key(plugin),
            "answers": {
                field.name: answers.get(field.name, "") for field in plugin.connector.form_fields if not field.secret
            },
            "error": error,
        },
        status_code=error.status if error else 200,
    )


@router.get("/connect/{kind}", response_class=HTMLResponse)
def store_form(request: Request, viewer: ViewerDep, settings: SettingsDep, kind: str) -> Response:
    """The form; also the page a store opens itself on an install from its admin (then signed)."""
    plugin = _plugin_or_error(request, viewer, kind)
    if isinstance(plugin, Response):
        return plugin
    params = dict(request.query_params)
    try:
        url = service.store_launch_redirect(settings, viewer.merchant_id, kind, params)
    except ConnectError as error:
        return _error_page(request, viewer, error, f"/connect/{kind}")
    if url is not None:
        return RedirectResponse(url, status_code=303)
    return _form_page(request, viewer, plugin, params)


@router.post("/connect/{kind}")
async def store_start(request: Request, viewer: ViewerDep, settings: SettingsDep, kind: str) -> Response:
    plugin = _plugin_or_error(request, viewer, kind)
    if isinstance(plugin, Response):
        return plugin
    form = await request.form()
    answers = {field.name: str(form.get(field.name, "")) for field in plugin.connector.form_fields}
    return await run_in_threadpool(_start, request, viewer, settings, plugin, answers)


def _start(
    request: Request, viewer: Viewer, settings: Settings, plugin: StorePlugin, answers: Mapping[str, str]
) -> Response:
    db = viewer.db
    db.commit()
    try:
        started = service.start_store_connect(db, settings, viewer.merchant_id, plugin.kind, answers)
        db.commit()
    except ConnectError as error:
        db.rollback()
        return _form_page(request, viewer, plugin, answers, error)
    except IntegrityError:  # another account connected the same store a moment ago
        db.rollback()
        return _form_page(request, viewer, plugin, answers, service.already_connected(f"{plugin.display_name} store"))
    if isinstance(started, str):
        return RedirectResponse(started, status_code=303)
    return _store_connected(plugin, started)


@router.get("/connect/{kind}/callback")
def store_callback(request: Request, viewer: ViewerDep, settings: SettingsDep, kind: str) -> Response:
    plugin = _plugin_or_error(request, viewer, kind)
    if isinstance(plugin, Response):
        return plugin
    db = viewer.db
    db.commit()
    retry = f"/connect/{kind}"
    try:
        connection = service.finish_store_connect(db, settings, viewer.merchant_id, kind, dict(request.query_params))
        db.commit()
    except ConnectError as error:
        db.rollback()
        return _error_page(request, viewer, error, retry)
    except IntegrityError:  # another account connected the same store a moment ago
        db.rollback()
        return _error_page(request, viewer, service.already_connected(f"{plugin.display_name} store"), retry)
    return _store_connected(plugin, connection)


def _store_connected(plugin: StorePlugin, connection: ChannelConnection) -> Response:
    return redirect_with_notice(
        "/dashboard",
        f"Your {plugin.display_name} store "
        f"{connection.name or connection.external_id} is connected. Its "
        "catalog import shows under Recent Activity.",
    )


# --- prerequisites --------------------------------------------------------------------------------


@router.post("/prerequisites/check")
def prerequisites_check(request: Request, viewer: ViewerDep, settings: SettingsDep, shop: OptionalShopDep) -> Response:
    """Ask TikTok again about the chosen shop's listing prerequisites."""
    db = viewer.db
    if shop is None:
        return _error_page(
            request,
            viewer,
            ConnectError(
                "No TikTok shop is connected",
                "The listing prerequisites belong to a TikTok shop.",
                "Connect your TikTok Shop first.",
                status=409,
            ),
            "/connect/tiktok",
        )
    connection = shop.shop
    db.commit()
    try:
        service.check_prerequisites(db, settings, connection)
        db.commit()
    except ChannelError as exc:
        db.rollback()
        _status, words, _headers = channel_problem(exc)
        return _error_page(
            request,
            viewer,
            ConnectError(
                "TikTok Shop did not answer",
                f"The check could not be run: {words}",
                "Wait a minute and choose Check again.",
                status=502,
            ),
            "/dashboard",
        )
    return redirect_with_notice("/dashboard", "TikTok's listing prerequisites were checked again.")
