"""The auth server (auth.tiktok-shops.com): the seller's authorize page, token get and refresh;
and the Open API's Get Authorized Shops.

Token endpoints take `app_key`/`app_secret` in the query and are not signed. Expiry fields are
absolute unix timestamps on the sandbox clock.
"""

from __future__ import annotations

import html
import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .errors import envelope
from .routing import AUTH_INFO, Call, endpoint
from .state import ALL_SCOPES, Token

if TYPE_CHECKING:
    from .app import Sandbox

# Codes seen from the auth server (EcomPHP PR #15) and the common 36009004 for bad credentials.
AUTH_RECORD_NOT_FOUND = (36004005, "can not find related auth record")
REFRESH_TOKEN_EXPIRED = (36004001, "rt has expired")
INVALID_GRANT_TYPE = (36009004, "Invalid parameter. grant_type is invalid.")
BAD_APP_CREDENTIALS = (36009004, "Invalid credentials. Invalid app_key query parameter.")


def token_data(sandbox: Sandbox, token: Token) -> dict:
    seller = sandbox.state.sellers[token.open_id]
    return {
        "access_token": token.access_token,
        "access_token_expire_in": token.access_expires,
        "refresh_token": token.refresh_token,
        "refresh_token_expire_in": token.refresh_expires,
        "open_id": token.open_id,
        "seller_name": seller.name,
        "seller_base_region": seller.base_region,
        "user_type": 0,
        "granted_scopes": list(token.scopes),
    }


def _app_credentials_ok(sandbox: Sandbox, request: Request) -> bool:
    cfg = sandbox.state.config
    return secrets.compare_digest(request.query_params.get("app_key", ""), cfg.app_key) and secrets.compare_digest(
        request.query_params.get("app_secret", ""), cfg.app_secret
    )


def make_auth_handlers(sandbox: Sandbox):
    state = sandbox.state

    async def token_get(request: Request) -> Response:
        if not _app_credentials_ok(sandbox, request):
            return envelope(None, *BAD_APP_CREDENTIALS, http_status=401)
        if request.query_params.get("grant_type") != "authorized_code":
            return envelope(None, *INVALID_GRANT_TYPE, http_status=400)
        code = request.query_params.get("auth_code", "")
        with state.lock:
            record = state.auth_codes.get(code)
            if record is None or record.used or record.expires <= state.clock.now():
                return envelope(None, *AUTH_RECORD_NOT_FOUND, http_status=400)
            record.used = True
            token = state.issue_token(record.open_id, record.scopes)
            return envelope(token_data(sandbox, token), message="success")

    async def token_refresh(request: Request) -> Response:
        if not _app_credentials_ok(sandbox, request):
            return envelope(None, *BAD_APP_CREDENTIALS, http_status=401)
        if request.query_params.get("grant_type") != "refresh_token":
            return envelope(None, *INVALID_GRANT_TYPE, http_status=400)
        given = request.query_params.get("refresh_token", "")
        with state.lock:
            old = state.tokens_by_refresh.get(given)
            if old is None or old.revoked:
                return envelope(None, *AUTH_RECORD_NOT_FOUND, http_status=400)
            if old.refresh_expires <= state.clock.now():
                return envelope(None, *REFRESH_TOKEN_EXPIRED, http_status=400)
            # A new pair replaces the old one; the refresh token keeps the authorization's end date.
            old.revoked = True
            token = state.issue_token(old.open_id, old.scopes)
            token.refresh_expires = old.refresh_expires
            return envelope(token_data(sandbox, token), message="success")

    async def authorize(request: Request) -> Response:
        """The seller's consent page; POST (the Authorize button) redirects back with a code."""
        cfg = state.config
        params = request.query_params
        known_app = params.get("app_key", cfg.app_key) == cfg.app_key
        if not known_app or params.get("service_id", cfg.service_id) != cfg.service_id:
            return HTMLResponse("<h1>Unknown app</h1>", status_code=400)
        app_state = params.get("state", "").strip()
        if request.method == "GET":
            with state.lock:
                seller = next(iter(state.sellers.values()))
                shops = [(state.shops[shop_id].name, state.shops[shop_id].region) for shop_id in seller.shop_ids]
            return HTMLResponse(_consent_page(request.url.path, dict(params), shops))
        form = await request.form()
        if form.get("decision") == "deny":
            return RedirectResponse(
                _with_query(cfg.redirect_url, {"code": "null", "error": "auth_denied", "state": app_state}),
                status_code=302,
            )
        with state.lock:
            open_id = next(iter(state.sellers))
            code = issue_auth_code(sandbox, open_id)
        query = {"code": code}
        if app_state:
            query["state"] = app_state
        return RedirectResponse(_with_query(cfg.redirect_url, query), status_code=302)

    return token_get, token_refresh, authorize


def issue_auth_code(sandbox: Sandbox, open_id: str, scopes: tuple[str, ...] = ALL_SCOPES) -> str:
    from .state import AuthCode

    state = sandbox.state
    code = secrets.token_urlsafe(16)
    state.auth_codes[code] = AuthCode(
        code, open_id, tuple(scopes), state.clock.now_int() + state.config.auth_code_lifetime_seconds
    )
    return code


def _with_query(url: str, query: dict[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(query)


def _consent_page(path: str, params: dict[str, str], shops: list[tuple[str, str]] = ()) -> str:
    action = html.escape(path + ("?" + urlencode(params) if params else ""))
    listed = "".join(f"<li>{html.escape(name)} ({html.escape(region)})</li>" for name, region in shops)
    return f"""<!doctype html><html><head><title>Authorize app - TikTok Shop sandbox</title></head>
<body><h1>Authorize TokBridge</h1>
<p>The app asks to manage products, orders, fulfillment and returns of your shops:</p>
<ul class="shops">{listed}</ul>
<form method="post" action="{action}">
<button name="decision" value="allow" type="submit">Authorize</button>
<button name="decision" value="deny" type="submit">Cancel</button>
</form></body></html>"""


@endpoint("GET", "/authorization/202309/shops", scopes=AUTH_INFO, shop="forbidden")
def authorized_shops(call: Call) -> dict:
    return {
        "shops": [
            {
                "id": s.id,
                "name": s.name,
                "region": s.region,
                "seller_type": s.seller_type,
                "cipher": s.cipher,
                "code": s.code,
            }
            for s in call.state.shops_of(call.token)
        ]
    }
