"""The install flow: /admin/oauth/authorize and /admin/oauth/access_token.

The merchant always approves: authorize redirects straight back to the app with a signed query.
"""

from __future__ import annotations

import hmac
import json
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from .sandbox import Sandbox, host_param, sign_query
from .shops import ShopNotFound, resolve_shop

CLIENT_CREDENTIALS_LIFETIME = 86399


def oauth_error_page(kind: str, message: str) -> Response:
    # Shopify shows the merchant an HTML page for a malformed authorize request.
    return HTMLResponse(f"<html><body><h1>Oauth error {kind}: {message}</h1></body></html>", status_code=400)


async def authorize(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    query = request.query_params
    try:
        store = resolve_shop(request, sandbox, create=True, fallback=query.get("shop"))
    except ShopNotFound:
        return oauth_error_page("invalid_request", "The shop domain is invalid")
    config = sandbox.config
    client_id = query.get("client_id", "")
    if not hmac.compare_digest(client_id.encode(), config.client_id.encode()):
        return oauth_error_page("invalid_request", "The client_id is invalid or missing")
    requested = [s.strip() for s in query.get("scope", "").split(",") if s.strip()]
    unknown = [s for s in requested if s not in config.available_scopes]
    if unknown:
        return oauth_error_page("invalid_scope", f"The access scope is invalid: {', '.join(unknown)}")
    redirect_uri = query.get("redirect_uri", "")
    parts = urlsplit(redirect_uri)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return oauth_error_page("invalid_request", "The redirect_uri is missing or not an absolute http(s) URL")
    state = query.get("state", "")
    if not state:
        return oauth_error_page("invalid_request", "The state parameter is missing")
    if query.get("grant_options[]") == "per-user":
        return oauth_error_page("invalid_request", "Online (per-user) access tokens are not supported by this sandbox")
    # Without `scope`, a managed installation grants what the app's configuration declares: all of them here.
    scopes = frozenset(requested or config.available_scopes)
    params = {
        "code": sandbox.issue_code(store.domain, scopes),
        "host": host_param(store.domain),
        "shop": store.domain,
        "state": state,
        "timestamp": str(int(sandbox.clock.now())),
    }
    params["hmac"] = sign_query(params, config.client_secret)
    existing = parse_qs(parts.query)
    separator = "&" if existing else ("" if redirect_uri.endswith("?") else "?")
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode(params)}", status_code=302)


def token_error(error: str, description: str, status: int = 400) -> Response:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


async def access_token(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    config = sandbox.config
    raw = await request.body()
    try:
        if request.headers.get("content-type", "").startswith("application/json"):
            form = json.loads(raw or b"{}")
            if not isinstance(form, dict):
                raise ValueError
        else:
            form = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
    except (ValueError, UnicodeDecodeError):
        return token_error("invalid_request", "The request body could not be parsed")
    try:
        store = resolve_shop(request, sandbox, create=False, fallback=request.query_params.get("shop"))
    except ShopNotFound:
        return JSONResponse({"errors": "Not Found"}, status_code=404)
    client_id = str(form.get("client_id", ""))
    client_secret = str(form.get("client_secret", ""))
    if not (
        hmac.compare_digest(client_id.encode(), config.client_id.encode())
        and hmac.compare_digest(client_secret.encode(), config.client_secret.encode())
    ):
        return token_error(
            "invalid_client", "Client authentication failed: the client_id or client_secret is invalid", 401
        )
    grant_type = form.get("grant_type") or "authorization_code"
    if grant_type == "authorization_code":
        code = sandbox.redeem_code(store.domain, str(form.get("code", "")))
        if code is None:
            return token_error("invalid_request", "The authorization code was not found or was already used")
        expiring = str(form.get("expiring", "0")) in {"1", "true", "True"}
        grant = sandbox.issue_grant(store.domain, code.scopes, expiring=expiring)
    elif grant_type == "refresh_token":
        grant = sandbox.refresh(str(form.get("refresh_token", "")))
        if grant is None or grant.shop != store.domain:
            return token_error("invalid_grant", "The refresh token is invalid, expired or was already replaced")
    elif grant_type == "client_credentials":
        grant = sandbox.issue_grant(
            store.domain, frozenset(config.available_scopes), expiring=True, lifetime=CLIENT_CREDENTIALS_LIFETIME
        )
    else:
        return token_error("unsupported_grant_type", f"The grant type {grant_type!r} is not supported")
    body: dict = {"access_token": grant.token, "scope": ",".join(sorted(grant.scopes))}
    if grant.expires_at is not None:
        body["expires_in"] = int(grant.expires_at - sandbox.clock.now())
    if grant.refresh_token:
        body["refresh_token"] = grant.refresh_token
        body["refresh_token_expires_in"] = int(grant.refresh_expires_at - sandbox.clock.now())
    return JSONResponse(body)
