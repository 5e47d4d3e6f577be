"""Connecting an Etsy shop: OAuth 2 with PKCE, the seller's shop found through getMe, the permissions in
words, the hourly refresh. `CONNECTOR` is the plugin's `StoreConnector`; the protocol is in `auth`.

Etsy's consent page names no shop before the merchant approves, so the connect form asks nothing and
the account is known only once the code is exchanged: the state is signed for "this merchant's Etsy
shop" (`PENDING_ACCOUNT`), and the grant names the shop getMe returns.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta

from tokbridge.channels.base import ConnectionGrant, ConnectNotConfigured, ConnectRefused, ConnectReturn, ConnectStart
from tokbridge.channels.etsy import auth
from tokbridge.channels.etsy.client import EtsyClient
from tokbridge.channels.etsy.errors import AuthenticationError
from tokbridge.channels.etsy.settings import EtsySettings, get_etsy_settings
from tokbridge.channels.models import ChannelConnection
from tokbridge.config import Settings
from tokbridge.db.base import utcnow

log = logging.getLogger(__name__)

# Etsy's access tokens last an hour: renew them this long before they expire.
REFRESH_MARGIN = timedelta(minutes=10)
PENDING_ACCOUNT = "shop"

SCOPE_WORDS = {
    "listings_r": "see your listings, including inactive and expired ones",
    "listings_w": "change your listings' stock",
    "shops_r": "see your shop's details",
    "transactions_r": "see your shop's orders",
}

START_AGAIN = "Start again from Connect Etsy; the approval link is good for a few minutes."


class EtsyConnector:
    required_scopes = auth.SCOPES
    form_fields = ()

    @property
    def state_max_age_seconds(self) -> int:
        return get_etsy_settings().state_ttl_seconds

    def account_of(self, answers: Mapping[str, str]) -> str:
        return PENDING_ACCOUNT

    def begin(
        self, settings: Settings, *, account: str, state: str, callback_url: str, answers: Mapping[str, str]
    ) -> ConnectStart:
        etsy = _configured()
        return ConnectStart(redirect_url=auth.authorization_url(etsy, redirect_uri=callback_url, state=state))

    def read_launch(self, settings: Settings, params: Mapping[str, str]) -> str | None:
        return None  # Etsy has no signed install link: connecting starts on TokBridge's page

    def read_return(self, settings: Settings, params: Mapping[str, str]) -> ConnectReturn:
        if params.get("error"):
            raise ConnectRefused(
                "Etsy did not give TokBridge access",
                "The approval was declined or could not be completed on Etsy.",
                START_AGAIN,
            )
        if not params.get("code") or not params.get("state"):
            raise ConnectRefused(
                "Etsy's answer is incomplete", "The page Etsy sent you back to carries no approval code.", START_AGAIN
            )
        return ConnectReturn(account=PENDING_ACCOUNT, code=params["code"], state=params["state"])

    def finish(self, settings: Settings, returned: ConnectReturn, *, callback_url: str) -> ConnectionGrant:
        etsy = _configured()
        with EtsyClient(etsy, None) as app:
            token = auth.exchange_code(app, code=returned.code, state=returned.state or "", redirect_uri=callback_url)
        with EtsyClient(etsy, token.access_token) as client:
            me = client.get("/users/me", what="the seller's account")
            shop_id = (me or {}).get("shop_id")
            if not shop_id:
                raise ConnectRefused(
                    "This Etsy account has no shop",
                    "The Etsy account that approved TokBridge does not own a shop.",
                    "Sign in to Etsy with the account that owns your shop, then start again.",
                )
            shop = client.get(f"/shops/{int(shop_id)}", what="the shop's details")
            scopes = token.scopes or granted_scopes(client, token.access_token)
        return ConnectionGrant(
            external_id=str(shop_id),
            name=str(shop.get("shop_name") or shop_id),
            access_token=token.access_token,
            scopes=list(scopes),
            refresh_token=token.refresh_token,
            access_expires_at=token.expires_at,
            data={"user_id": str(me.get("user_id") or ""), "currency": shop.get("currency_code")},
        )

    def needs_refresh(self, connection: ChannelConnection) -> bool:
        expires = connection.access_expires_at
        return expires is not None and expires - utcnow() <= REFRESH_MARGIN

    def refresh(self, settings: Settings, connection: ChannelConnection) -> ConnectionGrant:
        """New tokens; the caller holds the connection's row locked and stores them in that transaction,
        since the refresh token sent here is spent the moment Etsy answers."""
        with EtsyClient(get_etsy_settings(), None) as app:
            token = auth.refresh(app, connection.refresh_token)
        log.info("etsy token refreshed for shop %s", connection.external_id)
        return ConnectionGrant(
            external_id=connection.external_id,
            name=connection.name,
            access_token=token.access_token,
            refresh_token=token.refresh_token,
            access_expires_at=token.expires_at,
            scopes=list(token.scopes or connection.scopes or ()),
        )

    def missing_scopes(self, granted: Sequence[str]) -> list[str]:
        return [f"{SCOPE_WORDS.get(scope, scope)} ({scope})" for scope in auth.missing_scopes(tuple(granted))]

    def disconnect(self, settings: Settings, connection: ChannelConnection) -> None:
        """Etsy has no call to give a token back: the merchant removes the app from their Etsy account
        settings; TokBridge forgets the tokens itself."""

    def subscribe_events(self, settings: Settings, connection: ChannelConnection, address: str) -> list[str]:
        """Etsy's webhooks are registered in its developer portal, not through the API: nothing to call.
        Deliveries arrive once whoever runs TokBridge registered `address` there (ETSY_WEBHOOK_SECRET)."""
        return []


def granted_scopes(client: EtsyClient, access_token: str) -> tuple[str, ...]:
    """The scopes a token carries (tokenScopes); Etsy's token answer does not list them."""
    try:
        data = client.request("POST", "/scopes", form={"token": access_token}, what="the token's permissions")
    except AuthenticationError:
        return ()
    scopes = (data or {}).get("scopes")
    if isinstance(scopes, str):
        return tuple(scopes.split())
    return tuple(str(scope) for scope in scopes or ())


def _configured() -> EtsySettings:
    etsy = get_etsy_settings()
    if not etsy.keystring or not etsy.shared_secret:
        raise ConnectNotConfigured(
            "Etsy is not set up on this server",
            "ETSY_KEYSTRING and ETSY_SHARED_SECRET are not configured.",
            "Ask the person who runs TokBridge to set them.",
        )
    return etsy


CONNECTOR = EtsyConnector()
