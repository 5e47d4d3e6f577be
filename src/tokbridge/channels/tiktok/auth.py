"""Seller authorization: the consent link and its `state`, tokens, and keeping them fresh.

Flow: `authorization_url(state_signer.issue(merchant_id))` sends the seller to TikTok; TikTok
redirects back with `code` and `state`; `state_signer.verify(state)` gives the merchant back (or
refuses a forged/expired state); `AuthClient.get_token(code)` returns a `TokenGrant`;
`AuthClient.authorized_shops(token)` lists the shops and their `cipher`; the grant is saved per
shop in a `TokenStore`. From then on `TokenManager` hands out access tokens, refreshing one shop
at a time before they expire.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.parse import urlencode

import httpx

from tokbridge.channels.tiktok.errors import InvalidTokenError, RetryableError, error_from_response
from tokbridge.channels.tiktok.models import AuthorizedShop, TokenGrant
from tokbridge.channels.tiktok.settings import TikTokAppSettings
from tokbridge.channels.tiktok.transport import PLATFORM, Endpoint, SignedTransport, decode_envelope, logger
from tokbridge.channels.tiktok.webhooks import (
    SELLER_DEAUTHORIZATION,
    UPCOMING_AUTHORIZATION_EXPIRATION,
    UpcomingAuthorizationExpiration,
    WebhookEvent,
)
from tokbridge.kit import metrics

GET_AUTHORIZED_SHOPS = Endpoint("GET", "/authorization/202309/shops", shop_scoped=False)
TOKEN_GET_PATH = "/api/v2/token/get"
TOKEN_REFRESH_PATH = "/api/v2/token/refresh"


# --- the authorization link and its state -------------------------------------------------------


class InvalidState(Exception):
    """The `state` on TikTok's redirect was not issued by us, was altered, or is too old."""


class StateSigner:
    """A `state` that proves the redirect belongs to a login we started: subject, expiry and a
    nonce, HMAC-signed with the app's secret key. No server-side storage needed."""

    def __init__(self, secret_key: str, *, max_age_seconds: int = 1800, clock: Callable[[], float] = time.time):
        if not secret_key:
            raise ValueError("a secret key is needed to sign the authorization state")
        self._key = hashlib.sha256(b"tokbridge.tiktok.state:" + secret_key.encode()).digest()
        self.max_age_seconds = max_age_seconds
        self.clock = clock

    def issue(self, subject: str) -> str:
        payload = json.dumps(
            {"sub": subject, "exp": int(self.clock()) + self.max_age_seconds, "nonce": secrets.token_urlsafe(8)},
            separators=(",", ":"),
        ).encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def verify(self, state: str | None) -> str:
        """The subject the state was issued for; raises InvalidState otherwise."""
        # TikTok asks that leading and trailing spaces be trimmed when encoding the state.
        payload_part, _, mac_part = (state or "").strip().partition(".")
        try:
            payload = _unb64(payload_part)
            given_mac = _unb64(mac_part)
        except ValueError:
            raise InvalidState("malformed state") from None
        if not hmac.compare_digest(self._mac(payload), given_mac):
            raise InvalidState("state signature does not match")
        claims = json.loads(payload)
        if claims.get("exp", 0) < self.clock():
            raise InvalidState("state has expired")
        return str(claims["sub"])

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text:
        raise ValueError("empty")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("bad base64") from exc


def authorization_url(app: TikTokAppSettings, state: str) -> str:
    """The seller consent link (Partner Center's link for the market, with our `state`)."""
    return f"{app.authorize_url}?{urlencode({'service_id': app.service_id, 'state': state.strip()})}"


# --- token endpoints --------------------------------------------------------------------------


class AuthClient:
    """Token get/refresh on the auth host (unsigned, secret in the query as TikTok requires) and the
    signed Get Authorized Shops call on the API host."""

    def __init__(self, app: TikTokAppSettings, auth_base_url: str, transport: SignedTransport):
        self.app = app
        self.auth_base_url = auth_base_url.rstrip("/")
        self.transport = transport

    def get_token(self, auth_code: str) -> TokenGrant:
        return self._token(TOKEN_GET_PATH, {"auth_code": auth_code, "grant_type": "authorized_code"})

    def refresh_token(self, refresh_token: str) -> TokenGrant:
        return self._token(TOKEN_REFRESH_PATH, {"refresh_token": refresh_token, "grant_type": "refresh_token"})

    def _token(self, path: str, params: dict[str, str]) -> TokenGrant:
        query = {"app_key": self.app.app_key, "app_secret": self.app.app_secret.get_secret_value(), **params}
        endpoint = f"GET {path}"
        try:
            response = self.transport.http.get(self.auth_base_url + path, params=query)
        except httpx.TimeoutException as exc:
            metrics.platform_call(PLATFORM, endpoint, metrics.TIMEOUT)
            raise RetryableError(f"timeout calling {path}") from exc
        except httpx.TransportError as exc:
            metrics.platform_call(PLATFORM, endpoint, metrics.UNREACHABLE)
            raise RetryableError(f"connection error calling {path}: {type(exc).__name__}") from exc
        envelope = decode_envelope(response)
        code = envelope.get("code") if envelope else None
        answered = response.status_code == 200 and envelope is not None and code == 0
        metrics.platform_call(
            PLATFORM, endpoint, metrics.OK if answered else metrics.outcome_of_status(max(response.status_code, 400))
        )
        logger.info(
            "tiktok GET %s -> %s code=%s request_id=%s",
            path,
            response.status_code,
            code,
            envelope.get("request_id") if envelope else None,
        )
        if response.status_code == 200 and envelope is not None and code == 0:
            return TokenGrant.model_validate(envelope.get("data") or {})
        # 36004001 (refresh token expired) and 36004005 (unknown code) map to InvalidTokenError.
        raise error_from_response(
            response.status_code, envelope, retry_after_header=response.headers.get("retry-after")
        )

    def authorized_shops(self, access_token: str) -> list[AuthorizedShop]:
        data = self.transport.call(GET_AUTHORIZED_SHOPS, access_token=access_token)
        return [AuthorizedShop.model_validate(item) for item in data.get("shops", [])]


# --- storing and refreshing tokens --------------------------------------------------------------


class TokenStore(Protocol):
    """Where a shop's tokens live. The database implementation keeps them encrypted and makes
    `lock` a row lock or a Redis lock, so one refresh runs at a time per shop across workers."""

    def load(self, shop_id: str) -> TokenGrant | None: ...

    def save(self, shop_id: str, grant: TokenGrant) -> None: ...

    def forget(self, shop_id: str) -> None: ...

    def lock(self, shop_id: str) -> AbstractContextManager[None]: ...


class InMemoryTokenStore:
    def __init__(self) -> None:
        self._grants: dict[str, TokenGrant] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def load(self, shop_id: str) -> TokenGrant | None:
        return self._grants.get(shop_id)

    def save(self, shop_id: str, grant: TokenGrant) -> None:
        self._grants[shop_id] = grant

    def forget(self, shop_id: str) -> None:
        self._grants.pop(shop_id, None)

    @contextmanager
    def lock(self, shop_id: str) -> Iterator[None]:
        with self._guard:
            shop_lock = self._locks.setdefault(shop_id, threading.Lock())
        with shop_lock:
            yield


class NotAuthorized(InvalidTokenError):
    """No usable tokens for this shop: the seller must authorise the app (again)."""


class TokenManager:
    """Hands out a shop's access token, refreshing it `refresh_margin` before it expires.

    Refreshes take the store's per-shop lock and re-read the store inside it, so when several
    workers notice at once, one refreshes and the others pick up its result.
    """

    def __init__(
        self,
        auth: AuthClient,
        store: TokenStore,
        *,
        refresh_margin_seconds: int = 24 * 3600,
        clock: Callable[[], float] = time.time,
    ):
        self.auth = auth
        self.store = store
        self.refresh_margin_seconds = refresh_margin_seconds
        self.clock = clock
        self.refresh_count = 0  # refreshes actually sent to TikTok by this manager

    def access_token(self, shop_id: str) -> str:
        grant = self._load(shop_id)
        if self._needs_refresh(grant):
            grant = self._refresh_locked(shop_id, lambda current: self._needs_refresh(current))
        return grant.access_token

    def refresh(self, shop_id: str, rejected_token: str) -> str:
        """TikTok said `rejected_token` has expired: refresh, unless someone already replaced it."""
        return self._refresh_locked(
            shop_id, lambda current: hmac.compare_digest(current.access_token, rejected_token)
        ).access_token

    def settled_token(self, shop_id: str) -> str:
        """The stored token once a refresh in progress (by any worker) has finished: taking the
        shop's lock waits the few milliseconds a refresh takes, it does not wait on TikTok's limit."""
        with self.store.lock(shop_id):
            return self._load(shop_id).access_token

    def _needs_refresh(self, grant: TokenGrant) -> bool:
        return grant.access_token_expire_in - self.clock() <= self.refresh_margin_seconds

    def _load(self, shop_id: str) -> TokenGrant:
        grant = self.store.load(shop_id)
        if grant is None:
            raise NotAuthorized(f"shop {shop_id} has not authorised the app")
        return grant

    def _refresh_locked(self, shop_id: str, still_needed: Callable[[TokenGrant], bool]) -> TokenGrant:
        with self.store.lock(shop_id):
            current = self._load(shop_id)
            if not still_needed(current):
                return current
            if current.refresh_token_expire_in <= self.clock():
                raise NotAuthorized(f"shop {shop_id}: the refresh token has expired; the seller must authorise again")
            grant = self.auth.refresh_token(current.refresh_token)
            self.refresh_count += 1
            self.store.save(shop_id, grant)
            logger.info("tiktok token refreshed for shop %s, valid until %s", shop_id, grant.access_token_expire_in)
            return grant


# --- authorization webhooks (types 6 and 7) ------------------------------------------------------


@dataclass(frozen=True)
class AuthorizationNotice:
    """What the connector should tell the merchant after an authorization webhook."""

    shop_id: str
    kind: Literal["deauthorized", "expiring"]
    expires_at: int | None = None  # for "expiring": when the authorization ends (Unix time)


def handle_authorization_event(event: WebhookEvent, store: TokenStore) -> AuthorizationNotice | None:
    """Type 6: the seller removed the app, so its tokens are forgotten (TikTok has revoked them).
    Type 7: the authorization ends soon (sent 30 days before, then daily); the seller must
    authorise again. Other types: None."""
    if event.shop_id is None or event.type not in (SELLER_DEAUTHORIZATION, UPCOMING_AUTHORIZATION_EXPIRATION):
        return None
    if event.type == SELLER_DEAUTHORIZATION:
        with store.lock(event.shop_id):
            store.forget(event.shop_id)
        logger.info("tiktok shop %s deauthorized the app", event.shop_id)
        return AuthorizationNotice(event.shop_id, "deauthorized")
    payload = event.payload
    assert isinstance(payload, UpcomingAuthorizationExpiration)
    return AuthorizationNotice(event.shop_id, "expiring", payload.expires_at)
