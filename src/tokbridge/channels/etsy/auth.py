"""Etsy's OAuth 2: the authorization code grant with PKCE (S256 only), and the refresh that rotates.

1. `authorization_url` sends the merchant to Etsy's consent page with TokBridge's signed `state` and the
   S256 challenge of a verifier.
2. Etsy sends them back with `code` and `state`; the domain checks the state, `exchange_code` trades the
   code (with the same verifier) for an access token of an hour and a refresh token.
3. `refresh` renews both; the refresh token just used is spent (Etsy rotates it), so the new pair is
   stored in the transaction that holds the connection's row locked (`channels.connections`).

The verifier is never stored: it is derived from the state with the app's shared secret (HMAC), so the
callback finds it again from the state Etsy returns, and nobody without the secret can compute it from an
intercepted code and state.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from tokbridge.channels.etsy.client import EtsyClient
from tokbridge.channels.etsy.errors import AuthenticationError, Refused
from tokbridge.channels.etsy.settings import EtsySettings
from tokbridge.db.base import utcnow

# What TokBridge does with a shop and nothing more: read listings and their inventory and write stock back
# (listings_r, listings_w), find the seller's shop (shops_r: getMe, getShop), and see the shop's orders
# (transactions_r) to tell the merchant what Etsy sold.
SCOPES: tuple[str, ...] = ("listings_r", "listings_w", "shops_r", "transactions_r")
TOKEN_PATH = "/v3/public/oauth/token"
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


def code_verifier(state: str, secret: str) -> str:
    """The PKCE verifier for this `state`: 43 characters of base64url (RFC 7636's alphabet)."""
    if not secret:
        raise ValueError("no secret to derive the verifier with")
    digest = hmac.new(secret.encode(), b"etsy-pkce:" + state.encode(), hashlib.sha256).digest()
    return _b64(digest)


def code_challenge(verifier: str) -> str:
    """S256: base64url(sha256(verifier)) without padding."""
    if not _VERIFIER.match(verifier):
        raise ValueError("a PKCE verifier is 43 to 128 characters of [A-Za-z0-9-._~]")
    return _b64(hashlib.sha256(verifier.encode("ascii")).digest())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def authorization_url(etsy: EtsySettings, *, redirect_uri: str, state: str, scopes: tuple[str, ...] = SCOPES) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": etsy.keystring,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "state": state,
            "code_challenge": code_challenge(code_verifier(state, etsy.shared_secret)),
            "code_challenge_method": "S256",
        }
    )
    return f"{etsy.oauth_url}?{query}"


@dataclass(frozen=True, slots=True)
class Token:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    scopes: tuple[str, ...] = ()

    def __repr__(self) -> str:  # never print the tokens themselves
        return f"Token(expires_at={self.expires_at!r}, scopes={self.scopes!r})"


def exchange_code(client: EtsyClient, *, code: str, state: str, redirect_uri: str) -> Token:
    """Trade the callback's code for tokens, proving the verifier behind the challenge we sent."""
    etsy = client.etsy
    return _token_request(
        client,
        {
            "grant_type": "authorization_code",
            "client_id": etsy.keystring,
            "redirect_uri": redirect_uri,
            "code": code,
            "code_verifier": code_verifier(state, etsy.shared_secret),
        },
    )


def refresh(client: EtsyClient, refresh_token: str | None) -> Token:
    """A new access token and a new refresh token: the one sent is spent."""
    if not refresh_token:
        raise AuthenticationError("This Etsy connection has no refresh token; connect the shop again.")
    return _token_request(
        client, {"grant_type": "refresh_token", "client_id": client.etsy.keystring, "refresh_token": refresh_token}
    )


def _token_request(client: EtsyClient, form: dict[str, str]) -> Token:
    try:
        data = client.request("POST", TOKEN_PATH, form=form, what="the token request", prefix="")
    except Refused as exc:  # invalid_grant: a used or expired code or refresh token
        raise AuthenticationError(f"Etsy refused the token request: {exc.reasons[0]}") from None
    if not isinstance(data, dict) or not data.get("access_token"):
        raise AuthenticationError("Etsy's token answer carried no access token.")
    expires_in = data.get("expires_in")
    scope = data.get("scope")
    return Token(
        access_token=str(data["access_token"]),
        refresh_token=data.get("refresh_token"),
        expires_at=utcnow() + timedelta(seconds=int(expires_in)) if expires_in else None,
        scopes=tuple(str(scope).split()) if scope else (),
    )


def missing_scopes(granted: tuple[str, ...], needed: tuple[str, ...] = SCOPES) -> list[str]:
    """Scopes we need and lack (Etsy's `*_w` does not imply `*_r`: each is granted by name)."""
    have = set(granted)
    return [scope for scope in needed if scope not in have]
