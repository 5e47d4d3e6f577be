"""Installing the app on a shop: request verification, authorization URL, tokens.

The authorization code grant, as Shopify documents it:
1. Shopify calls our install URL with `shop`, `timestamp`, `hmac` (`verify_hmac`, `is_fresh`).
2. We redirect to `authorization_url(...)` with a signed `state`.
3. The callback carries `code`, `state`, `hmac`: verify all three (`check_state`).
4. `exchange_code` trades the code for an offline token (expiring, with a refresh token);
   `refresh` renews it before it expires.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

import httpx

from tokbridge.channels.shopify.errors import AuthenticationError, ShopifyUnavailable
from tokbridge.channels.shopify.urls import oauth_url
from tokbridge.db import utcnow

# What the connector does with a shop, and nothing more (see source-store-apis.md 1.3):
# read the catalog and write prices back, keep stock in step, record TikTok orders, cancel them,
# and follow their fulfilment at merchant-managed locations.
SCOPES: tuple[str, ...] = (
    "read_products",
    "write_products",
    "read_inventory",
    "write_inventory",
    "read_locations",
    "read_orders",
    "write_orders",
    "read_merchant_managed_fulfillment_orders",
    "write_merchant_managed_fulfillment_orders",
)

_SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")


class InvalidShop(ValueError):
    pass


class InvalidState(ValueError):
    pass


def normalize_shop(shop: str) -> str:
    """Return the canonical `name.myshopify.com`, or raise InvalidShop.

    Only permanent `*.myshopify.com` domains are accepted: the value ends up in URLs we call
    with credentials, so anything else (custom domains, paths, ports) is refused.
    """
    candidate = (shop or "").strip().lower()
    if candidate.startswith("https://"):
        candidate = candidate[len("https://") :]
    candidate = candidate.rstrip("/")
    if len(candidate) > 255 or not _SHOP_DOMAIN.match(candidate):
        raise InvalidShop(f"not a *.myshopify.com shop domain: {shop!r}")
    return candidate


def is_valid_shop(shop: str) -> bool:
    try:
        normalize_shop(shop)
    except InvalidShop:
        return False
    return True


def signable_message(params: Mapping[str, str | list[str]]) -> str:
    """The message Shopify signs: every parameter but `hmac`/`signature`, sorted by name, form-encoded
    and joined by `&` (as Shopify's JS and Ruby libraries build it). A list parameter contributes one
    `name[]=value` pair per value, in order."""
    pairs: list[tuple[str, str]] = []
    for key in sorted(k for k in params if k not in ("hmac", "signature")):
        value = params[key]
        if isinstance(value, (list, tuple)):
            name = key if key.endswith("[]") else key + "[]"
            pairs.extend((name, str(v)) for v in value)
        else:
            pairs.append((key, str(value)))
    return urlencode(pairs)


def legacy_signable_message(params: Mapping[str, str | list[str]]) -> str:
    """The same message as Shopify's Python library builds it: raw values with only `%` and `&`
    escaped (and `=` in names), lists as `ids=["1", "2"]`. Identical to `signable_message` for
    ordinary values (hex codes, shop domains, digits); they differ only for spaces, `=`, `/`, `+`."""
    pairs = []
    for raw_key, value in params.items():
        if raw_key in ("hmac", "signature"):
            continue
        key = raw_key
        if isinstance(value, (list, tuple)):
            key = raw_key[:-2] if raw_key.endswith("[]") else raw_key
            text = "[" + ", ".join(json.dumps(str(v)) for v in value) + "]"
        else:
            text = str(value)
        key = key.replace("%", "%25").replace("&", "%26").replace("=", "%3D")
        pairs.append(f"{key}={text.replace('%', '%25').replace('&', '%26')}")
    return "&".join(sorted(pairs))


def compute_hmac(params: Mapping[str, str | list[str]], secret: str) -> str:
    return _hex_hmac(signable_message(params), secret)


def _hex_hmac(message: str, secret: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_hmac(params: Mapping[str, str | list[str]], secret: str) -> bool:
    """True when the request's `hmac` parameter was made with `secret` (constant-time compare).

    Both encodings Shopify's own libraries use are accepted (see `legacy_signable_message`): each
    is a keyed MAC over the same parameters, so accepting either forges nothing.
    """
    given = params.get("hmac")
    if isinstance(given, (list, tuple)) or not given or not secret:
        return False
    given = given.lower()
    form_ok = hmac.compare_digest(_hex_hmac(signable_message(params), secret), given)
    legacy_ok = hmac.compare_digest(_hex_hmac(legacy_signable_message(params), secret), given)
    return form_ok or legacy_ok


def is_fresh(params: Mapping[str, str | list[str]], *, max_age_seconds: int = 300, now: float | None = None) -> bool:
    """The request's `timestamp` is within `max_age_seconds` of now (either way: clocks drift)."""
    raw = params.get("timestamp")
    if not isinstance(raw, str) or not raw.isdigit():
        return False
    current = time.time() if now is None else now
    return abs(current - int(raw)) <= max_age_seconds


# --- state --------------------------------------------------------------------------------------


def make_state(shop: str, secret: str, *, ttl_seconds: int = 600, now: float | None = None) -> str:
    """An opaque `state` bound to the shop and an expiry, signed so the callback can check it.

    It needs no server-side storage; callers that also want it bound to the browser set it in a
    cookie and compare (see `check_state`'s `expected`).
    """
    expires = int((time.time() if now is None else now) + ttl_seconds)
    body = f"{secrets.token_urlsafe(12)}.{expires}.{normalize_shop(shop)}"
    return f"{_b64(body.encode())}.{_sign_state(body, secret)}"


def check_state(state: str, shop: str, secret: str, *, now: float | None = None, expected: str | None = None) -> None:
    """Raise InvalidState unless `state` is ours, unexpired, for this shop (and equals `expected`)."""
    try:
        encoded, signature = state.split(".", 1)
        body = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        _nonce, expires, state_shop = body.split(".", 2)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidState("malformed state") from exc
    if not hmac.compare_digest(_sign_state(body, secret), signature):
        raise InvalidState("state signature mismatch")
    if expected is not None and not hmac.compare_digest(expected, state):
        raise InvalidState("state does not match this browser's")
    if int(expires) < (time.time() if now is None else now):
        raise InvalidState("state expired")
    if state_shop != normalize_shop(shop):
        raise InvalidState("state was issued for another shop")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _sign_state(body: str, secret: str) -> str:
    return _b64(hmac.new(secret.encode(), b"state:" + body.encode(), hashlib.sha256).digest())


def authorization_url(
    shop: str,
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    scopes: tuple[str, ...] = SCOPES,
    base_url: str | None = None,
) -> str:
    """Where to send the merchant to approve the app; an empty `grant_options[]` asks for an offline token."""
    query = urlencode(
        {
            "client_id": client_id,
            "scope": ",".join(scopes),
            "redirect_uri": redirect_uri,
            "state": state,
            "grant_options[]": "",
        }
    )
    return f"{oauth_url(normalize_shop(shop), 'authorize', base_url)}?{query}"


# --- tokens -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OfflineToken:
    access_token: str
    scopes: tuple[str, ...]
    expires_at: datetime | None = None  # None: a non-expiring (legacy) token
    refresh_token: str | None = None
    refresh_expires_at: datetime | None = None

    def needs_refresh(self, *, now: datetime | None = None, margin_seconds: int = 300) -> bool:
        if self.expires_at is None:
            return False
        return (now or utcnow()) + timedelta(seconds=margin_seconds) >= self.expires_at

    def __repr__(self) -> str:  # never print the tokens themselves
        return f"OfflineToken(scopes={self.scopes!r}, expires_at={self.expires_at!r})"


def exchange_code(
    shop: str,
    code: str,
    *,
    client_id: str,
    client_secret: str,
    http: httpx.Client | None = None,
    base_url: str | None = None,
    timeout: float = 30.0,
) -> OfflineToken:
    """Trade the callback's `code` for an expiring offline token."""
    return _token_request(
        shop,
        {"client_id": client_id, "client_secret": client_secret, "code": code, "expiring": 1},
        http=http,
        base_url=base_url,
        timeout=timeout,
    )


def refresh(
    shop: str,
    token: OfflineToken,
    *,
    client_id: str,
    client_secret: str,
    http: httpx.Client | None = None,
    base_url: str | None = None,
    timeout: float = 30.0,
) -> OfflineToken:
    """A new access token and a new refresh token (the old refresh token is replaced: store both)."""
    if not token.refresh_token:
        raise AuthenticationError("this token cannot be refreshed; the merchant must reinstall")
    return _token_request(
        shop,
        {
            "client_id": client_id,
            "client_secret": client_secret,
            "grant_type": "refresh_token",
            "refresh_token": token.refresh_token,
        },
        http=http,
        base_url=base_url,
        timeout=timeout,
    )


def ensure_fresh(
    shop: str,
    token: OfflineToken,
    *,
    client_id: str,
    client_secret: str,
    http: httpx.Client | None = None,
    base_url: str | None = None,
    now: datetime | None = None,
) -> tuple[OfflineToken, bool]:
    """The token to call with, refreshed first when it expires within five minutes.

    Returns (token, refreshed); when refreshed, the caller stores both new tokens before using them.
    """
    if not token.needs_refresh(now=now):
        return token, False
    renewed = refresh(shop, token, client_id=client_id, client_secret=client_secret, http=http, base_url=base_url)
    return renewed, True


def _token_request(shop, body, *, http, base_url, timeout) -> OfflineToken:
    url = oauth_url(normalize_shop(shop), "access_token", base_url)
    client = http or httpx.Client()
    try:
        response = client.post(url, json=body, headers={"Accept": "application/json"}, timeout=timeout)
    except httpx.TransportError as exc:
        raise ShopifyUnavailable(f"token endpoint unreachable: {type(exc).__name__}") from None
    finally:
        if http is None:
            client.close()
    if response.status_code >= 500:
        raise ShopifyUnavailable(f"token endpoint answered {response.status_code}")
    if response.status_code != 200:
        # The body may echo what we sent; keep only Shopify's error code.
        raise AuthenticationError(f"token request refused ({response.status_code}): {_error_code(response)}")
    return parse_token(response.json())


def _error_code(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return "unreadable answer"
    if isinstance(data, dict):
        return str(data.get("error") or data.get("errors") or "unknown")[:200]
    return "unknown"


def parse_token(data: dict) -> OfflineToken:
    """An `OfflineToken` from the token endpoint's JSON answer."""
    now = utcnow()
    expires_in = data.get("expires_in")
    refresh_in = data.get("refresh_token_expires_in")
    return OfflineToken(
        access_token=data["access_token"],
        scopes=tuple(s for s in str(data.get("scope", "")).split(",") if s),
        expires_at=now + timedelta(seconds=int(expires_in)) if expires_in else None,
        refresh_token=data.get("refresh_token"),
        refresh_expires_at=now + timedelta(seconds=int(refresh_in)) if refresh_in else None,
    )


def missing_scopes(granted: tuple[str, ...], needed: tuple[str, ...] = SCOPES) -> list[str]:
    """Scopes we asked for but did not get (`write_x` implies `read_x`)."""
    have = set(granted) | {s.replace("write_", "read_", 1) for s in granted if s.startswith("write_")}
    return [s for s in needed if s not in have]
