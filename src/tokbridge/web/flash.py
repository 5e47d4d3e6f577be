"""One-time messages after a page action ("flashes").

A page action redirects with `redirect_with_notice(url, message)` or `redirect_with_error(url, message)`;
the message travels in a short-lived cookie signed with the app's SECRET_KEY, and the next page shows it
once: its handler passes `**read_flash(request)` (`notice` and `error`) to its template, and the app
forgets the cookie in that answer. A message never travels in the URL: a link with `?error=…` would let
anyone show their own words as if TokBridge said them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from tokbridge.config import get_settings

FLASH_COOKIE = "tb_flash"
KINDS = ("notice", "error")
MAX_MESSAGE_CHARS = 600  # a cookie holds about 4 KB; app messages are a sentence or two
LIFETIME_SECONDS = 300  # long enough for the redirect, short enough not to reappear days later


def redirect_with_notice(url: str, message: str) -> RedirectResponse:
    """Back to `url`, which shows `message` once as a notice."""
    return _redirect(url, "notice", message)


def redirect_with_error(url: str, message: str, link: str | None = None) -> RedirectResponse:
    """Back to `url`, which shows `message` once as an error; `link`, a path of this app, is where to fix it."""
    return _redirect(
        url, "error", message, link if link and link.startswith("/") and not link.startswith("//") else None
    )


def read_flash(request: Request) -> dict[str, str | None]:
    """`{"notice": …, "error": …, "flash_link": …}` for the page being rendered; the cookie is dropped by its
    answer."""
    found: dict[str, str | None] = {kind: None for kind in KINDS} | {"flash_link": None}
    raw = request.cookies.get(FLASH_COOKIE)
    if raw is None:
        return found
    request.state.flash_read = True
    try:
        kind, message, link = _unsigned(raw)
    except ValueError:
        return found
    if kind in KINDS:
        found[kind] = message
        found["flash_link"] = link
    return found


def forget_read_flash(request: Request, response: Response) -> None:
    """Called for every answer: the flash a page showed is not shown again."""
    if getattr(request.state, "flash_read", False):
        response.delete_cookie(FLASH_COOKIE, path="/")


def _redirect(url: str, kind: str, message: str, link: str | None = None) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        FLASH_COOKIE,
        _signed(kind, message[:MAX_MESSAGE_CHARS], link),
        max_age=LIFETIME_SECONDS,
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookies,
        path="/",
    )
    return response


def _signed(kind: str, message: str, link: str | None) -> str:
    payload = base64.urlsafe_b64encode(json.dumps([kind, message, link]).encode()).decode().rstrip("=")
    return f"{payload}.{_signature(payload)}"


def _unsigned(raw: str) -> tuple[str, str, str | None]:
    payload, _, signature = raw.partition(".")
    if not signature or not hmac.compare_digest(signature, _signature(payload)):
        raise ValueError("flash cookie not signed by this app")
    try:
        kind, message, link = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, TypeError) as exc:
        raise ValueError("flash cookie unreadable") from exc
    return str(kind), str(message), str(link) if link else None


def _signature(payload: str) -> str:
    key = hashlib.sha256(b"tokbridge flash\0" + get_settings().secret_key.encode()).digest()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
