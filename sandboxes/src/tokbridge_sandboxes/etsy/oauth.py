"""Etsy's OAuth 2.0 with PKCE: the consent page at /oauth/connect and the token endpoint.

GET /oauth/connect?response_type=code&client_id&redirect_uri&scope&state&code_challenge
&code_challenge_method=S256 shows a consent page (Allow / Deny posting back to the same path), or
redirects at once when `auto_approve` is set. Allow sends the seller to `redirect_uri?code=&state=`,
Deny to `redirect_uri?error=access_denied&error_description=...&state=`.

POST /v3/public/oauth/token (form or JSON):
  grant_type=authorization_code, client_id, redirect_uri, code, code_verifier
  grant_type=refresh_token, client_id, refresh_token
answers {access_token: "<user_id>.<random>", token_type: "Bearer", expires_in: 3600, refresh_token}.
Refresh tokens rotate: each use returns a new one and the old one is revoked.
"""

from __future__ import annotations

import hmac
import html
import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from .config import ALL_SCOPES
from .sandbox import Sandbox, s256

VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
CHALLENGE = re.compile(r"^[A-Za-z0-9\-_]{43}$")
CONNECT_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def error_page(message: str) -> Response:
    # Etsy shows the seller an HTML page when the authorization request itself is malformed.
    return HTMLResponse(
        f"<!doctype html><html><body><h1>Etsy</h1><p>An error occurred: {html.escape(message)}</p></body></html>",
        status_code=400,
    )


def _redirect(redirect_uri: str, params: dict) -> Response:
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode(params)}", status_code=302)


def _check_connect(sandbox: Sandbox, query) -> tuple[str | None, frozenset[str]]:
    config = sandbox.config
    if query.get("response_type") != "code":
        return "response_type must be code", frozenset()
    if not hmac.compare_digest(query.get("client_id", "").encode(), config.keystring.encode()):
        return "The client_id is invalid", frozenset()
    redirect_uri = query.get("redirect_uri", "")
    parts = urlsplit(redirect_uri)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return "redirect_uri must be an absolute URL", frozenset()
    if config.redirect_uris and redirect_uri not in config.redirect_uris:
        return "The redirect_uri does not match a callback URL registered for this application", frozenset()
    scopes = [s for s in re.split(r"[ +]", query.get("scope", "")) if s]
    if not scopes:
        return "scope is required", frozenset()
    unknown = [s for s in scopes if s not in ALL_SCOPES]
    if unknown:
        return f"Invalid scope: {' '.join(unknown)}", frozenset()
    if not query.get("state"):
        return "state is required", frozenset()
    if query.get("code_challenge_method") != "S256":
        return "code_challenge_method must be S256", frozenset()
    if not CHALLENGE.match(query.get("code_challenge", "")):
        return "code_challenge must be the base64url SHA-256 of the code_verifier (43 characters)", frozenset()
    return None, frozenset(scopes)


async def connect(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    if request.method == "POST":
        form = await request.form()
        query = {name: str(form.get(name, "")) for name in CONNECT_FIELDS}
        decision = str(form.get("decision", ""))
    else:
        query = {name: request.query_params.get(name, "") for name in CONNECT_FIELDS}
        decision = "allow" if sandbox.config.auto_approve else ""
    problem, scopes = _check_connect(sandbox, query)
    if problem:
        return error_page(problem)
    if decision == "allow":
        code = sandbox.issue_code(scopes, query["redirect_uri"], query["code_challenge"])
        return _redirect(query["redirect_uri"], {"code": code, "state": query["state"]})
    if decision == "deny":
        return _redirect(
            query["redirect_uri"],
            {"error": "access_denied", "error_description": "The user denied the request", "state": query["state"]},
        )
    hidden = "".join(f'<input type="hidden" name="{n}" value="{html.escape(v, quote=True)}">' for n, v in query.items())
    items = "".join(f"<li>{html.escape(s)}</li>" for s in sorted(scopes))
    page = (
        "<!doctype html><html><head><title>Etsy - Grant access</title></head><body>"
        f"<h1>Grant access to your Etsy account</h1><p>Shop: {html.escape(sandbox.config.shop_name)}</p>"
        f"<p>The application asks to:</p><ul>{items}</ul>"
        f'<form method="post" action="/oauth/connect">{hidden}'
        '<button type="submit" name="decision" value="allow">Allow Access</button> '
        '<button type="submit" name="decision" value="deny">Deny</button></form></body></html>'
    )
    return HTMLResponse(page)


def token_error(error: str, description: str, status: int = 400) -> Response:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


async def token(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    config = sandbox.config
    raw = await request.body()
    try:
        if request.headers.get("content-type", "").startswith("application/json"):
            form = json.loads(raw or b"{}")
            if not isinstance(form, dict):
                raise ValueError
            form = {k: str(v) for k, v in form.items()}
        else:
            form = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
    except (ValueError, UnicodeDecodeError):
        return token_error("invalid_request", "The request body could not be parsed")
    grant_type = form.get("grant_type", "")
    if grant_type not in {"authorization_code", "refresh_token"}:
        return token_error("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
    client_id = form.get("client_id", "")
    if not client_id:
        return token_error("invalid_request", "client_id is required")
    if not hmac.compare_digest(client_id.encode(), config.keystring.encode()):
        return token_error("invalid_client", "Invalid API key", 401)
    if grant_type == "refresh_token":
        refresh_token = form.get("refresh_token", "")
        if not refresh_token:
            return token_error("invalid_request", "refresh_token is required")
        grant, reason = sandbox.rotate(refresh_token)
        if grant is None:
            return token_error("invalid_grant", reason)
    else:
        for name in ("code", "redirect_uri", "code_verifier"):
            if not form.get(name):
                return token_error("invalid_request", f"{name} is required")
        verifier = form["code_verifier"]
        with sandbox.lock:
            code = sandbox.codes.pop(form["code"], None)
        if code is None:
            return token_error("invalid_grant", "code is invalid or has already been used")
        if sandbox.clock.now() >= code.expires_at:
            return token_error("invalid_grant", "code has expired")
        if form["redirect_uri"] != code.redirect_uri:
            return token_error("invalid_grant", "redirect_uri does not match the one used to request the code")
        if not VERIFIER.match(verifier) or not hmac.compare_digest(s256(verifier), code.code_challenge):
            return token_error("invalid_grant", "code_verifier is invalid")
        grant = sandbox.issue_grant(code.scopes, user_id=code.user_id)
    return JSONResponse(
        {
            "access_token": grant.access_token,
            "token_type": "Bearer",
            "expires_in": config.access_token_ttl_seconds,
            "refresh_token": grant.refresh_token,
        }
    )
