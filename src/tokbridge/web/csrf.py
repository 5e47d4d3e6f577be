"""CSRF protection for every state-changing request from a browser.

Signed-in: the session's synchronizer token, sent as the `csrf_token` form field or the
`X-CSRF-Token` header. Signed-out forms (sign-in, sign-up): a double-submit token in the `tb_csrf`
cookie. Webhooks are exempt: they are authenticated by their HMAC signature instead; so are API calls that
carry an `Authorization` header, authenticated by their API token alone.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request

from tokbridge.tenancy.service import session_for_token
from tokbridge.web.deps import SESSION_COOKIE, bearer_request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
EXEMPT_PREFIXES = ("/webhooks/",)
ANON_COOKIE = "tb_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"


def new_token() -> str:
    return secrets.token_urlsafe(32)


async def csrf_protect(request: Request) -> None:
    if request.method in SAFE_METHODS or request.url.path.startswith(EXEMPT_PREFIXES) or bearer_request(request):
        return  # an API call with a token is authenticated by that header alone (web/deps.py)
    given = request.headers.get(HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        given = (await request.form()).get(FIELD)
    expected = await _expected_token(request)
    if not given or not expected or not hmac.compare_digest(str(given), expected):
        raise HTTPException(
            status_code=403,
            detail="The form has expired or did not come from this site. Reload the page and try again.",
        )


async def _expected_token(request: Request) -> str | None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        from starlette.concurrency import run_in_threadpool

        web_session = await run_in_threadpool(_lookup, request, token)
        if web_session is not None:
            return web_session
    return request.cookies.get(ANON_COOKIE)


def _lookup(request: Request, token: str) -> str | None:
    from tokbridge.config import get_settings
    from tokbridge.db.engine import get_engine, sessionmaker_for

    with sessionmaker_for(get_engine(get_settings().database_url))() as db:
        web_session = session_for_token(db, token)
        return web_session.csrf_token if web_session else None
