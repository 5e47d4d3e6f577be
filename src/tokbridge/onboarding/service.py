"""Onboarding use-cases: connect a Shopify store and a TikTok shop, check TikTok's listing prerequisites.

No FastAPI here. Every failure a merchant can meet raises `ConnectError`, which says what happened
and what to do next; the web layer shows it as a page.

The `state` of both authorization flows is signed with the app's SECRET_KEY and names the merchant
(and, for Shopify, the shop): a callback is only accepted by the account that started it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tokbridge.activity import service as activity
from tokbridge.activity.models import ActivityStatus
from tokbridge.channels.connections import (
    SHOPIFY,
    TIKTOK,
    ConnectionRepository,
    apply_grant,
)
from tokbridge.channels.factory import tiktok_app, tiktok_auth, tiktok_client
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.shopify import auth as shopify_auth
from tokbridge.channels.shopify.client import ShopifyClient
from tokbridge.channels.shopify.errors import (
    AuthenticationError,
    ShopifyUnavailable,
    ShopifyValidationError,
)
from tokbridge.channels.shopify.settings import get_shopify_settings
from tokbridge.channels.tiktok.auth import InvalidState, StateSigner, authorization_url
from tokbridge.channels.tiktok.errors import InvalidTokenError, TikTokError
from tokbridge.channels.tiktok.errors import RetryableError as TikTokRetryable
from tokbridge.config import Settings
from tokbridge.db.base import utcnow
from tokbridge.db.engine import for_writing, get_engine, session_scope
from tokbridge.jobs.service import enqueue
from tokbridge.kit.words import plural
from tokbridge.listings import prerequisites as steps
from tokbridge.tenancy.scoping import bind_merchant, bound_merchant

log = logging.getLogger(__name__)

SUBSCRIBE_JOB = "onboarding.subscribe_webhooks"
PREREQUISITES_JOB = "onboarding.check_prerequisites"
IMPORT_JOB = "catalog.import"
# Refresh Shopify's expiring offline tokens (valid an hour) this long before they expire.
SHOPIFY_REFRESH_MARGIN = timedelta(minutes=5)

# What the connector listens to (issue 4): catalog and stock changes, order follow-up, uninstall, and
# its own charges (a plan approved or ended at Shopify).
# The privacy topics are configured with the app, not subscribed through the API.
SHOPIFY_WEBHOOK_TOPICS = (
    "PRODUCTS_CREATE", "PRODUCTS_UPDATE", "PRODUCTS_DELETE", "INVENTORY_LEVELS_UPDATE", "APP_UNINSTALLED",
    "ORDERS_CANCELLED", "FULFILLMENTS_CREATE", "FULFILLMENTS_UPDATE", "APP_SUBSCRIPTIONS_UPDATE",
)  # fmt: skip
TIKTOK_WEBHOOK_EVENTS = (
    "PRODUCT_STATUS_CHANGE", "PRODUCT_AUDIT_STATUS_CHANGE", "ORDER_STATUS_CHANGE", "CANCELLATION_STATUS_CHANGE",
    "RETURN_STATUS_CHANGE", "SELLER_DEAUTHORIZATION", "UPCOMING_AUTHORIZATION_EXPIRATION",
)  # fmt: skip

WEBHOOK_SUBSCRIPTION_CREATE = """
mutation Subscribe($topic: WebhookSubscriptionTopic!, $subscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $subscription) {
    webhookSubscription { id }
    userErrors { field message }
  }
}
"""


class ConnectError(Exception):
    """A connection could not be made. `title` and `message` say what happened, `next_step` what to do."""

    def __init__(self, title: str, message: str, next_step: str, status: int = 400):
        super().__init__(f"{title}: {message}")
        self.title = title
        self.message = message
        self.next_step = next_step
        self.status = status


START_AGAIN_SHOPIFY = "Start again from Connect Shopify; the approval link is good for a few minutes."
START_AGAIN_TIKTOK = "Start again from Connect TikTok Shop and approve TokBridge on TikTok's page."


# Each connection remembers a fingerprint of the authorization code that made it: a reload of the callback
# brings the spent code back, and finds the connection it already made instead of an error.
CONNECTED_BY = "connected_by_code"


def _fingerprint(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def made_by_code(session: Session, channel: str, code: str | None) -> list[ChannelConnection]:
    """The merchant's connections this authorization code already made (session bound to the merchant)."""
    if not code:
        return []
    fingerprint = _fingerprint(code)
    return [row for row in ConnectionRepository(session).for_channel(channel, active_only=False)
            if (row.data or {}).get(CONNECTED_BY) == fingerprint]


def callback_url(settings: Settings, channel: str) -> str:
    return f"{settings.base_url.rstrip('/')}/connect/{channel}/callback"


def webhook_address(settings: Settings, channel: str) -> str:
    return f"{settings.base_url.rstrip('/')}/webhooks/{channel}"


def _signer(settings: Settings, max_age_seconds: int) -> StateSigner:
    return StateSigner(settings.secret_key, max_age_seconds=max_age_seconds)


def lock_connection(session: Session, connection_id: str) -> ChannelConnection | None:
    """The connection, freshly read inside a transaction that first wrote its row: the row lock on
    PostgreSQL, the write lock on SQLite (where a transaction that reads first, then writes, fails at
    once if another connection wrote meanwhile). Use it before changing `data` or `status`."""
    session.execute(update(ChannelConnection).where(ChannelConnection.id == connection_id)
                    .values(updated_at=utcnow()).execution_options(synchronize_session=False))
    return session.scalar(select(ChannelConnection).where(ChannelConnection.id == connection_id)
                          .execution_options(populate_existing=True))


def _owner_of(session: Session, channel: str, external_id: str) -> int | None:
    """The merchant an external account is connected to, whoever is asking (webhooks route by it).
    Another merchant's unfinished choice among TikTok shops (a `pending` row) holds nothing: it goes."""
    with Session(bind=session.get_bind()) as unscoped:
        row = unscoped.scalar(select(ChannelConnection).where(
            ChannelConnection.channel == channel, ChannelConnection.external_id == external_id))
        if row is None:
            return None
        if row.status == "pending" and row.merchant_id != bound_merchant(session):
            unscoped.delete(row)
            unscoped.commit()
            return None
        return row.merchant_id


def already_connected(channel_label: str) -> ConnectError:
    return ConnectError(
        f"This {channel_label} is connected to another TokBridge account",
        "One store or shop can only be connected to one account, so that its orders and webhooks go to one place.",
        "Sign in with the account that connected it and disconnect it there, or contact support.",
        status=409,
    )


# --- Shopify ------------------------------------------------------------------------------------


def shopify_authorization_url(settings: Settings, merchant_id: int, shop_input: str) -> str:
    """Where to send the merchant to approve the app on their store."""
    shopify = get_shopify_settings()
    if not shopify.client_id or not shopify.client_secret:
        raise ConnectError("Shopify is not set up on this server",
                           "SHOPIFY_CLIENT_ID and SHOPIFY_CLIENT_SECRET are not configured.",
                           "Ask the person who runs TokBridge to set them.", status=503)
    try:
        shop = shopify_auth.normalize_shop(shop_input)
    except shopify_auth.InvalidShop:
        raise ConnectError("That is not a Shopify store address",
                           f"{shop_input!r} is not a store's permanent address.",
                           "Enter the address ending in .myshopify.com, e.g. my-store.myshopify.com "
                           "(Shopify admin > Settings > Domains).") from None
    state = _signer(settings, shopify.state_ttl_seconds).issue(f"shopify:{merchant_id}:{shop}")
    return shopify_auth.authorization_url(shop, client_id=shopify.client_id, redirect_uri=callback_url(settings, SHOPIFY),
                                          state=state, base_url=settings.shopify_api_base_url)


def shopify_install_redirect(settings: Settings, merchant_id: int, params: dict[str, str]) -> str:
    """Shopify opened our App URL (an install from the Shopify admin or App Store), signed: check the
    request, then continue as if the merchant had typed the shop's address."""
    shopify = get_shopify_settings()
    if not any(shopify_auth.verify_hmac(params, secret) for secret in shopify.secrets):
        raise ConnectError("Shopify's request could not be verified",
                           "The link that opened TokBridge does not carry Shopify's signature.", START_AGAIN_SHOPIFY)
    if not shopify_auth.is_fresh(params, max_age_seconds=shopify.hmac_max_age_seconds):
        raise ConnectError("The install link has expired", "Shopify's request is too old to be accepted.",
                           "Open TokBridge again from your Shopify admin.")
    return shopify_authorization_url(settings, merchant_id, params.get("shop", ""))


def finish_shopify_connect(session: Session, settings: Settings, merchant_id: int,
                           params: dict[str, str]) -> ChannelConnection:
    """Verify Shopify's redirect, exchange the code, store the connection and start the import.
    `session` is bound to the merchant; the caller commits."""
    shopify = get_shopify_settings()
    if not any(shopify_auth.verify_hmac(params, secret) for secret in shopify.secrets):
        raise ConnectError("Shopify's answer could not be verified",
                           "The signature of the page Shopify sent you back to does not match.", START_AGAIN_SHOPIFY)
    already = [row for row in made_by_code(session, SHOPIFY, params.get("code")) if row.status == "active"]
    if already:  # the merchant reloaded the page Shopify sent them back to
        return already[0]
    if not shopify_auth.is_fresh(params, max_age_seconds=shopify.hmac_max_age_seconds):
        raise ConnectError("The approval has expired", "Shopify's answer is too old to be accepted.",
                           START_AGAIN_SHOPIFY)
    try:
        shop = shopify_auth.normalize_shop(params.get("shop", ""))
        subject = _signer(settings, shopify.state_ttl_seconds).verify(params.get("state"))
    except (shopify_auth.InvalidShop, InvalidState):
        subject, shop = None, params.get("shop", "")
    if subject != f"shopify:{merchant_id}:{shop}":
        raise ConnectError("This approval does not belong to this session",
                           "It was started by another account, for another store, or too long ago.",
                           START_AGAIN_SHOPIFY)
    owner = _owner_of(session, SHOPIFY, shop)
    if owner is not None and owner != merchant_id:
        raise already_connected("Shopify store")
    try:
        token = shopify_auth.exchange_code(shop, params.get("code", ""), client_id=shopify.client_id,
                                           client_secret=shopify.client_secret, base_url=settings.shopify_api_base_url,
                                           timeout=shopify.request_timeout_seconds)
    except AuthenticationError:
        raise ConnectError("Shopify refused the approval code", "The code was already used or has expired.",
                           START_AGAIN_SHOPIFY) from None
    except ShopifyUnavailable:
        raise ConnectError("Shopify did not answer", "Shopify could not be reached to finish the connection.",
                           "Wait a minute and start again from Connect Shopify.", status=502) from None
    missing = shopify_auth.missing_scopes(token.scopes)
    if missing:
        raise ConnectError("Some permissions were not granted",
                           f"TokBridge needs these permissions on your store: {', '.join(missing)}.",
                           "Start again from Connect Shopify and approve every permission TokBridge asks for.")
    session.commit()
    for_writing(session)  # SQLite: take the write lock now rather than fail when upgrading a read
    connection = ConnectionRepository(session).by_external_id(SHOPIFY, shop)
    if connection is None:
        connection = ChannelConnection(merchant_id=merchant_id, channel=SHOPIFY, external_id=shop, name=shop, data={})
        session.add(connection)
    _store_shopify_token(connection, token)
    connection.data = {**(connection.data or {}), CONNECTED_BY: _fingerprint(params.get("code", ""))}
    connection.status = "active"
    session.flush()
    activity.record(session, merchant_id, "onboarding.connected", f"Shopify store {shop} connected",
                    "Your catalog is being imported; its progress shows here.", status=ActivityStatus.SUCCEEDED)
    enqueue(session, SUBSCRIBE_JOB, merchant_id=merchant_id, payload={"connection_id": connection.id},
            identity_key=f"{SUBSCRIBE_JOB}:{connection.id}")
    enqueue(session, IMPORT_JOB, merchant_id=merchant_id, payload={"connection_id": connection.id},
            identity_key=f"{IMPORT_JOB}:{connection.id}")
    return connection


def subscribe_shopify_webhooks(settings: Settings, client: ShopifyClient) -> list[str]:
    """Subscribe the store's webhooks to our address; topics already subscribed are left as they are."""
    address = webhook_address(settings, SHOPIFY)
    for topic in SHOPIFY_WEBHOOK_TOPICS:
        try:
            client.mutate(WEBHOOK_SUBSCRIPTION_CREATE, {"topic": topic, "subscription": {"uri": address, "format": "JSON"}},
                          "webhookSubscriptionCreate")
        except ShopifyValidationError as exc:
            if not any("already been taken" in e.message for e in exc.user_errors):
                raise
    return list(SHOPIFY_WEBHOOK_TOPICS)


def _store_shopify_token(connection: ChannelConnection, token: shopify_auth.OfflineToken) -> None:
    connection.access_token = token.access_token
    connection.refresh_token = token.refresh_token
    connection.access_expires_at = token.expires_at
    connection.refresh_expires_at = token.refresh_expires_at
    connection.scopes = list(token.scopes)


def fresh_shopify_connection(settings: Settings, connection: ChannelConnection, *,
                             rejected_token: str | None = None) -> ChannelConnection:
    """The connection with an access token that is not about to expire: Shopify's expiring offline
    tokens are refreshed (and stored) shortly before they expire, or when Shopify refused
    `rejected_token`. Raises Shopify's AuthenticationError when the refresh token no longer works."""

    def needs_refresh(row: ChannelConnection) -> bool:
        if rejected_token is not None:
            return row.access_token == rejected_token  # otherwise someone has refreshed it already
        return row.access_expires_at is not None and row.access_expires_at - utcnow() <= SHOPIFY_REFRESH_MARGIN

    if not needs_refresh(connection):
        return connection
    shopify = get_shopify_settings()
    with session_scope(get_engine(settings.database_url)) as session:
        # The row stays locked for the one refresh call: two workers must not both spend the refresh
        # token, since Shopify invalidates the old one when the new pair is used.
        row = lock_connection(bind_merchant(session, connection.merchant_id), connection.id)
        if row is None or not needs_refresh(row):
            return row or connection
        current = shopify_auth.OfflineToken(access_token=row.access_token or "", scopes=tuple(row.scopes or ()),
                                            expires_at=row.access_expires_at, refresh_token=row.refresh_token,
                                            refresh_expires_at=row.refresh_expires_at)
        token = shopify_auth.refresh(row.external_id, current, client_id=shopify.client_id,
                                     client_secret=shopify.client_secret, base_url=settings.shopify_api_base_url,
                                     timeout=shopify.request_timeout_seconds)
        _store_shopify_token(row, token)
        log.info("shopify token refreshed for %s", row.external_id)
        return row


# --- TikTok -------------------------------------------------------------------------------------


def tiktok_authorization_link(settings: Settings, merchant_id: int) -> str:
    app = tiktok_app()
    if not app.app_key or not app.service_id:
        raise ConnectError("TikTok Shop is not set up on this server",
                           "TIKTOK_APP_KEY, TIKTOK_APP_SECRET and TIKTOK_SERVICE_ID are not configured.",
                           "Ask the person who runs TokBridge to set them.", status=503)
    return authorization_url(app, _signer(settings, app.state_max_age_seconds).issue(f"tiktok:{merchant_id}"))


@dataclass
class TikTokAuthorization:
    """The outcome of TikTok's redirect: one shop connected, or several to choose from."""

    connected: ChannelConnection | None = None
    choices: list[ChannelConnection] = field(default_factory=list)
    reloaded: bool = False  # the same redirect again: `connected` was connected by its first visit


def finish_tiktok_connect(session: Session, settings: Settings, merchant_id: int, *, code: str | None,
                          state: str | None, error: str | None = None) -> TikTokAuthorization:
    """Exchange TikTok's code, list the authorized shops; connect the only one, or keep several as
    `pending` rows (their grant encrypted) until the merchant chooses. The caller commits."""
    if error or not code or code == "null":
        raise ConnectError("TikTok Shop was not authorized", "The authorization was cancelled on TikTok's page.",
                           START_AGAIN_TIKTOK)
    earlier = made_by_code(session, TIKTOK, code)
    if earlier:  # the merchant reloaded the page TikTok sent them back to
        active = [row for row in earlier if row.status == "active"]
        if active:
            return TikTokAuthorization(connected=active[0], reloaded=True)
        if len(earlier) > 1:
            return TikTokAuthorization(choices=earlier)
    app = tiktok_app()
    try:
        subject = _signer(settings, app.state_max_age_seconds).verify(state)
    except InvalidState:
        subject = None
    if subject != f"tiktok:{merchant_id}":
        raise ConnectError("This authorization does not belong to this session",
                           "It was started by another account or too long ago.", START_AGAIN_TIKTOK)
    auth = tiktok_auth(settings)
    try:
        grant = auth.get_token(code)
        shops = auth.authorized_shops(grant.access_token)
    except InvalidTokenError:
        raise ConnectError("TikTok refused the authorization code", "The code was already used or has expired.",
                           START_AGAIN_TIKTOK) from None
    except TikTokRetryable:
        raise ConnectError("TikTok Shop did not answer", "TikTok could not be reached to finish the connection.",
                           "Wait a minute and start again from Connect TikTok Shop.", status=502) from None
    if not shops:
        raise ConnectError("No shop was authorized", "TikTok did not list any shop for this authorization.",
                           "Make sure you sign in to TikTok with the seller account that owns the shop.")
    available = [s for s in shops if _owner_of(session, TIKTOK, s.id) in (None, merchant_id)]
    if not available:
        raise already_connected("TikTok shop")
    session.commit()
    for_writing(session)
    repository = ConnectionRepository(session)
    rows = []
    for shop in available:
        row = repository.by_external_id(TIKTOK, shop.id)
        if row is None:
            row = ChannelConnection(merchant_id=merchant_id, channel=TIKTOK, external_id=shop.id, status="pending")
            session.add(row)
        was_active = row.status == "active"
        apply_grant(row, grant)  # the seller's grant covers each of its shops
        row.name, row.region = shop.name, shop.region
        row.data = {**(row.data or {}), "cipher": shop.cipher, "region": shop.region, "name": shop.name,
                    CONNECTED_BY: _fingerprint(code)}
        if len(available) > 1 and not was_active:
            row.status = "pending"  # not used until chosen; DatabaseTokenStore ignores it
        rows.append(row)
    session.flush()
    if len(rows) == 1:
        _tiktok_connected(session, rows[0])
        return TikTokAuthorization(connected=rows[0])
    return TikTokAuthorization(choices=rows)


def choose_tiktok_shop(session: Session, merchant_id: int, connection_id: str) -> ChannelConnection:
    """The merchant picked one of several authorized shops: connect it, forget the other pending ones."""
    session.commit()
    for_writing(session)
    repository = ConnectionRepository(session)
    chosen = repository.get(connection_id)
    if chosen is None or chosen.channel != TIKTOK or chosen.status not in ("pending", "active"):
        raise ConnectError("That shop is not waiting to be connected",
                           "The choice has expired or the shop was connected in the meantime.", START_AGAIN_TIKTOK)
    chosen.status = "active"
    for row in repository.for_channel(TIKTOK, active_only=False):
        if row.status == "pending" and row.id != chosen.id:
            session.delete(row)
    session.flush()
    _tiktok_connected(session, chosen)
    return chosen


def _tiktok_connected(session: Session, connection: ChannelConnection) -> None:
    activity.record(session, connection.merchant_id, "onboarding.connected",
                    f"TikTok shop {connection.name or connection.external_id} connected",
                    "TokBridge is checking the shop's listing prerequisites.", status=ActivityStatus.SUCCEEDED)
    enqueue(session, SUBSCRIBE_JOB, merchant_id=connection.merchant_id, payload={"connection_id": connection.id},
            identity_key=f"{SUBSCRIBE_JOB}:{connection.id}")


def subscribe_tiktok_webhooks(settings: Settings, engine, connection: ChannelConnection, *,
                              done: Collection[str] = (), on_subscribed: Callable[[str], None] = lambda event: None,
                              ) -> list[str]:
    """Subscribe the shop to each event not in `done`, reporting each one, so a job stopped by the
    rate limit resumes where it stopped instead of starting over (and being stopped again)."""
    address = webhook_address(settings, TIKTOK)
    client = tiktok_client(settings, engine, connection)
    for event_type in TIKTOK_WEBHOOK_EVENTS:
        if event_type in done:
            continue
        client.update_shop_webhook(event_type, address)  # a PUT: repeating it changes nothing
        on_subscribed(event_type)
    return list(TIKTOK_WEBHOOK_EVENTS)


# --- listing prerequisites ------------------------------------------------------------------------


def check_prerequisites(session: Session, settings: Settings, connection: ChannelConnection) -> list[dict]:
    """Ask TikTok whether the shop may list products; keep the raw results and the time on the
    connection (`data["prerequisites"]`) and say the outcome in Recent Activity. The caller commits.
    The connection's tokens must already be committed (the token store reads them on its own)."""
    client = tiktok_client(settings, session.get_bind(), connection)
    checks = [check.model_dump(mode="json") for check in client.check_listing_prerequisites()]
    checked_at = utcnow()
    session.commit()  # end any read transaction: the write below starts a fresh one, lock first
    connection = lock_connection(session, connection.id)
    if connection is None:  # disconnected and deleted meanwhile
        return checks
    # A new dict, so the JSON column sees the change.
    connection.data = {**(connection.data or {}), "prerequisites": {"checks": checks, "checked_at": checked_at.isoformat()}}
    blocking = steps.blocking_message(checks)
    failing = [s.title for s in steps.steps_from_checks(checks) if not s.complete]
    if blocking is None:
        activity.record(session, connection.merchant_id, "onboarding.prerequisites",
                        "TikTok Shop is ready for listings", "Every listing prerequisite is complete.",
                        status=ActivityStatus.SUCCEEDED, details={"checked_at": checked_at.isoformat()})
    else:
        activity.record(session, connection.merchant_id, "onboarding.prerequisites",
                        f"TikTok Shop needs {plural(len(failing), 'step')} before listing", blocking,
                        status=ActivityStatus.FAILED,
                        details={"checked_at": checked_at.isoformat(), "failing_steps": failing})
    return checks


def check_prerequisites_or_later(session: Session, settings: Settings, connection: ChannelConnection) -> bool:
    """Check now; when TikTok cannot answer, queue the check instead. True when checked now."""
    try:
        check_prerequisites(session, settings, connection)
        return True
    except TikTokError as exc:
        log.warning("prerequisites check for tiktok shop %s failed (%s); queued for later", connection.external_id, exc)
        enqueue(session, PREREQUISITES_JOB, merchant_id=connection.merchant_id,
                payload={"connection_id": connection.id}, identity_key=f"{PREREQUISITES_JOB}:{connection.id}")
        return False


def prerequisite_checks(connection: ChannelConnection | None) -> list[dict] | None:
    """TikTok's stored check results for the dashboard (`listings.prerequisites.summary(...)`); None
    when never checked."""
    if connection is None:
        return None
    stored: dict[str, Any] = (connection.data or {}).get("prerequisites") or {}
    return stored.get("checks")


def prerequisites_checked_at(connection: ChannelConnection | None) -> datetime | None:
    stored = ((connection.data or {}).get("prerequisites") or {}) if connection else {}
    return datetime.fromisoformat(stored["checked_at"]) if stored.get("checked_at") else None
