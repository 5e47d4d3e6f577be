"""Onboarding use-cases: connect the merchant's store (through its plugin's connector) and a TikTok shop,
check TikTok's listing prerequisites.

No FastAPI here. Every failure a merchant can meet raises `ConnectError`, which says what happened
and what to do next; the web layer shows it as a page.

The `state` of both authorization flows is signed with the app's SECRET_KEY and names the merchant
(and, for a store, the store's kind and account): a callback is only accepted by the account that started it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tokbridge.activity import service as activity
from tokbridge.activity.models import ActivityStatus
from tokbridge.audit import service as audit
from tokbridge.catalog.models import CatalogProduct
from tokbridge.channels import registry
from tokbridge.channels.base import (
    PRIVACY_CUSTOMER_DATA,
    PRIVACY_CUSTOMER_ERASURE,
    PRIVACY_STORE_ERASURE,
    BillingPlugin,
    ConnectNotConfigured,
    ConnectRefused,
    ConnectReturn,
    ConnectStart,
    StoreBilling,
    StoreEvent,
    StorePlugin,
)

# Re-exported: the domain's callers have always found them here.
from tokbridge.channels.connections import (  # noqa: F401
    TIKTOK,
    ConnectionRepository,
    apply_grant,
    fresh_store_connection,
    lock_connection,
    store_grant,
    with_fresh_connection,
)
from tokbridge.channels.factory import tiktok_app, tiktok_auth, tiktok_client
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.shops import ShopContext, linked_store
from tokbridge.channels.tiktok.auth import InvalidState, StateSigner, authorization_url
from tokbridge.channels.tiktok.errors import InvalidTokenError, TikTokError
from tokbridge.channels.tiktok.errors import RetryableError as TikTokRetryable
from tokbridge.config import Settings
from tokbridge.db.base import utcnow
from tokbridge.db.engine import for_writing
from tokbridge.jobs.service import enqueue
from tokbridge.kit.errors import NeedsReconnect, RetryableError
from tokbridge.kit.words import plural
from tokbridge.listings import prerequisites as steps
from tokbridge.onboarding import shops as shop_links
from tokbridge.tenancy.scoping import bind_merchant, bound_merchant

log = logging.getLogger(__name__)

SUBSCRIBE_JOB = "onboarding.subscribe_webhooks"
PREREQUISITES_JOB = "onboarding.check_prerequisites"
IMPORT_JOB = "catalog.import"
TIKTOK_WEBHOOK_EVENTS = (
    "PRODUCT_STATUS_CHANGE", "PRODUCT_AUDIT_STATUS_CHANGE", "ORDER_STATUS_CHANGE", "CANCELLATION_STATUS_CHANGE",
    "RETURN_STATUS_CHANGE", "SELLER_DEAUTHORIZATION", "UPCOMING_AUTHORIZATION_EXPIRATION",
)  # fmt: skip


class ConnectError(Exception):
    """A connection could not be made. `title` and `message` say what happened, `next_step` what to do."""

    def __init__(self, title: str, message: str, next_step: str, status: int = 400):
        super().__init__(f"{title}: {message}")
        self.title = title
        self.message = message
        self.next_step = next_step
        self.status = status


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
    return [
        row
        for row in ConnectionRepository(session).for_channel(channel, active_only=False)
        if (row.data or {}).get(CONNECTED_BY) == fingerprint
    ]


def callback_url(settings: Settings, channel: str) -> str:
    return f"{settings.base_url.rstrip('/')}/connect/{channel}/callback"


def webhook_address(settings: Settings, channel: str) -> str:
    return f"{settings.base_url.rstrip('/')}/webhooks/{channel}"


def _signer(settings: Settings, max_age_seconds: int) -> StateSigner:
    return StateSigner(settings.secret_key, max_age_seconds=max_age_seconds)


def _owner_of(session: Session, channel: str, external_id: str) -> int | None:
    """The merchant an external account is connected to, whoever is asking (webhooks route by it).
    Another merchant's unfinished choice among TikTok shops (a `pending` row) holds nothing: it goes."""
    with Session(bind=session.get_bind()) as unscoped:
        row = unscoped.scalar(
            select(ChannelConnection).where(
                ChannelConnection.channel == channel, ChannelConnection.external_id == external_id
            )
        )
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


# --- the merchant's store (any store plugin) -----------------------------------------------------


def store_plugin(kind: str) -> StorePlugin:
    """The plugin of a store kind; `registry.UnknownStore` when no installed plugin declares it."""
    return registry.plugin(kind)


def store_label(connection: ChannelConnection) -> str:
    """How the merchant calls a connected account: "<store name> store", "TikTok shop"."""
    if connection.channel in registry.store_kinds():
        return f"{registry.plugin_of(connection).display_name} store"
    return "TikTok shop"


def start_again(plugin: StorePlugin) -> str:
    if connects_with_key(plugin):
        return "Check the details and fill in the form again."
    return f"Start again from Connect {plugin.display_name}; the approval link is good for a few minutes."


def connects_with_key(plugin: StorePlugin) -> bool:
    """Whether the connect form's answers are the credentials themselves (an address and an API key typed on
    TokBridge's form), rather than the start of an approval on the store's own pages."""
    return any(field.secret for field in plugin.connector.form_fields)


def _refused(plugin: StorePlugin, refused: ConnectRefused) -> ConnectError:
    status = 503 if isinstance(refused, ConnectNotConfigured) else 400
    return ConnectError(refused.title, refused.message, refused.next_step or start_again(plugin), status=status)


def _store_state_subject(kind: str, merchant_id: int, account: str) -> str:
    return f"{kind}:{merchant_id}:{account}"


def store_authorization_url(settings: Settings, merchant_id: int, kind: str, answers: Mapping[str, str]) -> str:
    """Where to send the merchant to approve TokBridge on their store, from the connect form's answers.
    For a store whose form carries the credentials, see `start_store_connect`."""
    plugin, account, state, start = _begin(settings, merchant_id, kind, answers)
    if start.redirect_url is None:
        raise ConnectError(
            f"{plugin.display_name} has no approval page",
            "This store connects with the details typed on TokBridge's form.",
            f"Fill in the form on Connect {plugin.display_name}.",
        )
    return start.redirect_url


def start_store_connect(
    session: Session, settings: Settings, merchant_id: int, kind: str, answers: Mapping[str, str]
) -> str | ChannelConnection:
    """The connect form was sent: where to send the merchant to approve TokBridge (OAuth), or, for a
    store whose form carries the credentials (an address and an API key), the connection made at once.
    `session` is bound to the merchant; the caller commits."""
    plugin, account, state, start = _begin(settings, merchant_id, kind, answers)
    if start.redirect_url is not None:
        return start.redirect_url
    returned = ConnectReturn(account=account, code="", state=state, answers=dict(answers))
    return _finish(session, settings, merchant_id, plugin, returned)


def _begin(
    settings: Settings, merchant_id: int, kind: str, answers: Mapping[str, str]
) -> tuple[StorePlugin, str, str, ConnectStart]:
    plugin = store_plugin(kind)
    connector = plugin.connector
    try:
        account = connector.account_of(answers)
        state = _signer(settings, connector.state_max_age_seconds).issue(
            _store_state_subject(kind, merchant_id, account)
        )
        start = connector.begin(
            settings, account=account, state=state, callback_url=callback_url(settings, kind), answers=answers
        )
    except ConnectRefused as refused:
        raise _refused(plugin, refused) from None
    return plugin, account, state, start


def store_launch_redirect(settings: Settings, merchant_id: int, kind: str, params: Mapping[str, str]) -> str | None:
    """The store opened TokBridge's connect page itself (an install from its admin or app store), signed:
    check the request, then continue as if the merchant had typed the account's address. None when the
    request is an ordinary visit of the connect page."""
    plugin = store_plugin(kind)
    try:
        account = plugin.connector.read_launch(settings, params)
    except ConnectRefused as refused:
        raise _refused(plugin, refused) from None
    if account is None:
        return None
    return store_authorization_url(settings, merchant_id, kind, _answers_for(plugin, account))


def _answers_for(plugin: StorePlugin, account: str) -> dict[str, str]:
    """The connect form's answers naming `account` (its first field is the account's address)."""
    fields = plugin.connector.form_fields
    return {fields[0].name: account} if fields else {}


def finish_store_connect(
    session: Session, settings: Settings, merchant_id: int, kind: str, params: Mapping[str, str]
) -> ChannelConnection:
    """Check the store's redirect back, exchange its code, store the connection (its tokens encrypted) and
    start the import. `session` is bound to the merchant; the caller commits."""
    plugin = store_plugin(kind)
    try:
        returned = plugin.connector.read_return(settings, params)
    except ConnectRefused as refused:
        raise _refused(plugin, refused) from None
    already = [row for row in made_by_code(session, kind, returned.code) if row.status == "active"]
    if already:  # the merchant reloaded the page the store sent them back to
        return already[0]
    return _finish(session, settings, merchant_id, plugin, returned)


def _finish(
    session: Session, settings: Settings, merchant_id: int, plugin: StorePlugin, returned: ConnectReturn
) -> ChannelConnection:
    """The checks the domain owns (age, TokBridge's state, who owns the account), then the connector's
    exchange, the permissions, and the connection stored with its first jobs."""
    kind, connector, again = plugin.kind, plugin.connector, start_again(plugin)
    if returned.expired:
        raise ConnectError(
            "The approval has expired", f"{plugin.display_name}'s answer is too old to be accepted.", again
        )
    try:
        subject = _signer(settings, connector.state_max_age_seconds).verify(returned.state)
    except InvalidState:
        subject = None
    if subject != _store_state_subject(kind, merchant_id, returned.account):
        raise ConnectError(
            "This approval does not belong to this session",
            "It was started by another account, for another store, or too long ago.",
            again,
        )
    owner = _owner_of(session, kind, returned.account)
    if owner is not None and owner != merchant_id:
        raise already_connected(f"{plugin.display_name} store")
    try:
        grant = connector.finish(settings, returned, callback_url=callback_url(settings, kind))
    except ConnectRefused as refused:
        raise _refused(plugin, refused) from None
    except NeedsReconnect:
        if returned.answers:  # the form's own credentials
            raise ConnectError(
                f"{plugin.display_name} refused these details",
                f"{plugin.display_name} did not accept the address or key as typed.",
                f"Check them in {plugin.display_name} and fill in the form again.",
            ) from None
        raise ConnectError(
            f"{plugin.display_name} refused the approval code", "The code was already used or has expired.", again
        ) from None
    except RetryableError:
        raise ConnectError(
            f"{plugin.display_name} did not answer",
            f"{plugin.display_name} could not be reached to finish the connection.",
            f"Wait a minute and start again from Connect {plugin.display_name}.",
            status=502,
        ) from None
    missing = connector.missing_scopes(grant.scopes)
    if missing and connects_with_key(plugin):
        raise ConnectError(
            "The key lacks some permissions",
            f"TokBridge needs these permissions on your store: {'; '.join(missing)}. Nothing was saved.",
            f"Give the key these permissions in your {plugin.display_name} back office, then fill in the form again.",
        )
    if missing:
        raise ConnectError(
            "Some permissions were not granted",
            f"TokBridge needs these permissions on your store: {'; '.join(missing)}.",
            f"Start again from Connect {plugin.display_name} and approve every permission TokBridge asks for.",
        )
    session.commit()
    for_writing(session)  # SQLite: take the write lock now rather than fail when upgrading a read
    connection = ConnectionRepository(session).by_external_id(kind, grant.external_id)
    if connection is None:
        connection = ChannelConnection(
            merchant_id=merchant_id, channel=kind, external_id=grant.external_id, name=grant.name, data={}
        )
        session.add(connection)
    store_grant(connection, grant)
    connection.data = {**(connection.data or {}), **grant.data}
    if returned.code:
        connection.data = {**connection.data, CONNECTED_BY: _fingerprint(returned.code)}
    connection.status = "active"
    session.flush()
    shop_links.link_unlinked_shops(session)  # the merchant's only store: the shops list its catalog
    _audit_connection(session, connection, "connection.connected", f"{plugin.display_name} store", "connected")
    activity.record(
        session,
        merchant_id,
        "onboarding.connected",
        f"{plugin.display_name} store {connection.name or connection.external_id} connected",
        "Your catalog is being imported; its progress shows here.",
        status=ActivityStatus.SUCCEEDED,
        connection_id=connection.id,
    )
    enqueue(
        session,
        SUBSCRIBE_JOB,
        merchant_id=merchant_id,
        payload={"connection_id": connection.id},
        identity_key=f"{SUBSCRIBE_JOB}:{connection.id}",
    )
    enqueue(
        session,
        IMPORT_JOB,
        merchant_id=merchant_id,
        payload={"connection_id": connection.id},
        identity_key=f"{IMPORT_JOB}:{connection.id}",
    )
    return connection


def subscribe_store_events(settings: Settings, connection: ChannelConnection) -> list[str]:
    """Point the store's webhooks at TokBridge where the store has them; polling covers the others."""
    plugin = registry.plugin_of(connection)
    if not plugin.capabilities.webhooks:
        return []
    address = webhook_address(settings, connection.channel)
    return with_fresh_connection(
        settings, connection, lambda fresh: plugin.connector.subscribe_events(settings, fresh, address)
    )


def store_billing(settings: Settings, connection: ChannelConnection | None) -> StoreBilling | None:
    """The store's billing for the merchant's plan, where the store bills it (`capabilities.billing`);
    None without a store connection or when the store does not bill. May renew the credentials first."""
    if connection is None:
        return None
    plugin = registry.plugin_of(connection)
    if not plugin.capabilities.billing or not isinstance(plugin, BillingPlugin):
        return None
    return plugin.billing(settings, fresh_store_connection(settings, connection))


def forget_credentials(connection: ChannelConnection) -> None:
    """Mark a (locked) connection disconnected and forget its tokens; its listings and orders stay."""
    connection.status = "disconnected"
    connection.access_token = None
    connection.refresh_token = None


def disconnect_account(session: Session, settings: Settings, connection_id: str) -> ChannelConnection | None:
    """The merchant stops using an account here: the store gets its access back where it allows that,
    the tokens are forgotten, Recent Activity says so. None when it is gone. The caller commits."""
    connection = ConnectionRepository(session).get(connection_id)
    if connection is None:
        return None
    if connection.channel in registry.store_kinds() and connection.status == "active":
        session.commit()  # hold no lock while the store answers
        registry.plugin_of(connection).connector.disconnect(settings, connection)
    connection = lock_connection(session, connection_id)
    if connection is None:
        return None
    forget_credentials(connection)
    _audit_connection(session, connection, "connection.disconnected", store_label(connection), "disconnected")
    activity.record(
        session,
        connection.merchant_id,
        "onboarding.disconnected",
        f"{store_label(connection)} {connection.name or connection.external_id} disconnected",
        status="info",
        message="Connect it again from Settings to resume syncing.",
        connection_id=connection.id,
    )
    return connection


def _audit_connection(session: Session, connection: ChannelConnection, kind: str, what: str, verb: str) -> None:
    """Connections in the audit trail: which account, never its credentials."""
    account = {"account": connection.name or connection.external_id, "status": connection.status}
    connected = kind == "connection.connected"
    audit.record(
        session,
        None,
        kind,
        ("connection", connection.id),
        None if connected else account,
        account if connected else None,
        summary=f"{what} {connection.name or connection.external_id} {verb}",
        connection_id=connection.id,
        merchant_id=connection.merchant_id,
    )


# What the store's own notifications do (their plugin's events translate them; the router calls these).


def on_store_disconnected(session: Session, connection: ChannelConnection) -> None:
    """The store took TokBridge's access back (the app was uninstalled): stop using the connection.
    The caller commits."""
    plugin = registry.plugin_of(connection)
    row = lock_connection(bind_merchant(session, connection.merchant_id), connection.id)
    if row is None:
        return
    forget_credentials(row)
    _audit_connection(
        session,
        row,
        "connection.disconnected",
        f"{plugin.display_name} store",
        "disconnected (the app was uninstalled from the store)",
    )
    activity.record(
        session,
        connection.merchant_id,
        "onboarding.disconnected",
        f"{plugin.display_name} store {connection.name or connection.external_id} disconnected",
        f"TokBridge was uninstalled from the store: its catalog no longer updates. Connect "
        f"{plugin.display_name} again to resume.",
        status=ActivityStatus.FAILED,
    )


def on_privacy_request(session: Session, connection: ChannelConnection, event: StoreEvent) -> None:
    """A privacy request the store forwards (`PRIVACY_REQUEST`, `event.data["request"]` one of
    `PRIVACY_CUSTOMER_DATA`, `PRIVACY_CUSTOMER_ERASURE`, `PRIVACY_STORE_ERASURE`; `customer_id` and
    `orders` when about a customer). TokBridge keeps no customer data from the store, so a customer's
    request is recorded (only ids: the record must not spread contact details); the store's erasure
    deletes its catalog and its connection. The caller commits."""
    bind_merchant(session, connection.merchant_id)
    name = registry.plugin_of(connection).display_name
    request = event.data.get("request")
    ids = {
        "customer_id": str(event.data.get("customer_id") or ""),
        "order_ids": [str(o) for o in event.data.get("orders") or []],
    }
    if request == PRIVACY_CUSTOMER_DATA:
        activity.record(
            session,
            connection.merchant_id,
            "privacy.data_request",
            f"Customer data request from {name}",
            "A customer asked for their data. TokBridge keeps no customer data from your store, so "
            "there is nothing to send.",
            details=ids,
        )
    elif request == PRIVACY_CUSTOMER_ERASURE:
        activity.record(
            session,
            connection.merchant_id,
            "privacy.customer_redact",
            f"Customer data erasure request from {name}",
            "A customer's data must be erased. TokBridge keeps no customer data from your store; nothing to erase.",
            details=ids,
        )
    elif request == PRIVACY_STORE_ERASURE:
        session.execute(
            delete(CatalogProduct)
            .where(CatalogProduct.channel == connection.channel)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            delete(ChannelConnection)
            .where(ChannelConnection.id == connection.id)
            .execution_options(synchronize_session=False)
        )
        activity.record(
            session,
            connection.merchant_id,
            "privacy.shop_redact",
            f"Data of {name} store {connection.external_id} deleted",
            f"{name} asked for the store's data to be erased after the app was uninstalled: its "
            "catalog and connection were deleted.",
        )
    else:
        log.warning("privacy request of unknown kind %r from %s ignored", request, connection.channel)


# --- TikTok -------------------------------------------------------------------------------------


def tiktok_authorization_link(settings: Settings, merchant_id: int) -> str:
    app = tiktok_app()
    if not app.app_key or not app.service_id:
        raise ConnectError(
            "TikTok Shop is not set up on this server",
            "TIKTOK_APP_KEY, TIKTOK_APP_SECRET and TIKTOK_SERVICE_ID are not configured.",
            "Ask the person who runs TokBridge to set them.",
            status=503,
        )
    return authorization_url(app, _signer(settings, app.state_max_age_seconds).issue(f"tiktok:{merchant_id}"))


@dataclass
class TikTokAuthorization:
    """The outcome of TikTok's redirect: the shops connected now, or several to choose from."""

    connected: ChannelConnection | None = None  # the first shop connected (the one the session switches to)
    choices: list[ChannelConnection] = field(default_factory=list)
    reloaded: bool = False  # the same redirect again: `connected` was connected by its first visit
    connected_all: list[ChannelConnection] = field(default_factory=list)


def finish_tiktok_connect(
    session: Session,
    settings: Settings,
    merchant_id: int,
    *,
    code: str | None,
    state: str | None,
    error: str | None = None,
) -> TikTokAuthorization:
    """Exchange TikTok's code, list the authorized shops; connect the only one, or keep the ones not
    connected yet as `pending` rows (their grant encrypted) until the merchant chooses which to connect
    (shops already connected stay connected: a second authorization adds shops). The caller commits."""
    if error or not code or code == "null":
        raise ConnectError(
            "TikTok Shop was not authorized", "The authorization was cancelled on TikTok's page.", START_AGAIN_TIKTOK
        )
    earlier = made_by_code(session, TIKTOK, code)
    if earlier:  # the merchant reloaded the page TikTok sent them back to
        if any(row.status == "pending" for row in earlier) and len(earlier) > 1:
            return TikTokAuthorization(choices=earlier)
        active = [row for row in earlier if row.status == "active"]
        if active:
            return TikTokAuthorization(connected=active[0], reloaded=True, connected_all=active)
    app = tiktok_app()
    try:
        subject = _signer(settings, app.state_max_age_seconds).verify(state)
    except InvalidState:
        subject = None
    if subject != f"tiktok:{merchant_id}":
        raise ConnectError(
            "This authorization does not belong to this session",
            "It was started by another account or too long ago.",
            START_AGAIN_TIKTOK,
        )
    auth = tiktok_auth(settings)
    try:
        grant = auth.get_token(code)
        shops = auth.authorized_shops(grant.access_token)
    except InvalidTokenError:
        raise ConnectError(
            "TikTok refused the authorization code", "The code was already used or has expired.", START_AGAIN_TIKTOK
        ) from None
    except TikTokRetryable:
        raise ConnectError(
            "TikTok Shop did not answer",
            "TikTok could not be reached to finish the connection.",
            "Wait a minute and start again from Connect TikTok Shop.",
            status=502,
        ) from None
    if not shops:
        raise ConnectError(
            "No shop was authorized",
            "TikTok did not list any shop for this authorization.",
            "Make sure you sign in to TikTok with the seller account that owns the shop.",
        )
    available = [s for s in shops if _owner_of(session, TIKTOK, s.id) in (None, merchant_id)]
    if not available:
        raise already_connected("TikTok shop")
    session.commit()
    for_writing(session)
    repository = ConnectionRepository(session)
    rows, new = [], []
    for shop in available:
        row = repository.by_external_id(TIKTOK, shop.id)
        if row is None:
            row = ChannelConnection(merchant_id=merchant_id, channel=TIKTOK, external_id=shop.id, status="pending")
            session.add(row)
        was_active = row.status == "active"
        apply_grant(row, grant)  # the seller's grant covers each of its shops
        row.name, row.region = shop.name, shop.region
        row.data = {
            **(row.data or {}),
            "cipher": shop.cipher,
            "region": shop.region,
            "name": shop.name,
            CONNECTED_BY: _fingerprint(code),
        }
        if len(available) > 1 and not was_active:
            row.status = "pending"  # not used until chosen; DatabaseTokenStore ignores it
        if not was_active:
            new.append(row)
        rows.append(row)
    session.flush()
    if len(rows) == 1 or not new:  # one shop, or only shops already connected (their tokens renewed)
        for row in new:
            _tiktok_connected(session, row)
        return TikTokAuthorization(connected=rows[0], reloaded=not new, connected_all=rows)
    return TikTokAuthorization(choices=rows)


def choose_tiktok_shops(session: Session, merchant_id: int, connection_ids: Collection[str]) -> list[ChannelConnection]:
    """The merchant ticked some of the authorized shops: connect them, forget the other pending ones.
    Shops already connected stay connected. Returns the shops connected now."""
    session.commit()
    for_writing(session)
    repository = ConnectionRepository(session)
    wanted = list(dict.fromkeys(connection_ids))
    found = [repository.get(connection_id) for connection_id in wanted]
    chosen = [row for row in found if row is not None and row.channel == TIKTOK and row.status in ("pending", "active")]
    if not wanted or len(chosen) != len(wanted):
        raise ConnectError(
            "That shop is not waiting to be connected",
            "The choice has expired or the shop was connected in the meantime.",
            START_AGAIN_TIKTOK,
        )
    newly = [row for row in chosen if row.status == "pending"]
    for row in newly:
        row.status = "active"
    chosen_ids = {row.id for row in chosen}
    for row in repository.for_channel(TIKTOK, active_only=False):
        if row.status == "pending" and row.id not in chosen_ids:
            session.delete(row)
    session.flush()
    for row in newly:
        _tiktok_connected(session, row)
    return newly or chosen


def choose_tiktok_shop(session: Session, merchant_id: int, connection_id: str) -> ChannelConnection:
    """The merchant picked one of several authorized shops (see `choose_tiktok_shops`)."""
    return choose_tiktok_shops(session, merchant_id, [connection_id])[0]


def _tiktok_connected(session: Session, connection: ChannelConnection) -> None:
    """A shop became active: it adopts the configuration made before any shop, lists the merchant's only
    store, and its webhooks are subscribed."""
    shop_links.link_unlinked_shops(session)
    shop_links.adopt_unattached(
        session, ShopContext(connection.merchant_id, connection, linked_store(session, connection))
    )
    _audit_connection(session, connection, "connection.connected", "TikTok shop", "connected")
    activity.record(
        session,
        connection.merchant_id,
        "onboarding.connected",
        f"TikTok shop {connection.name or connection.external_id} connected",
        "TokBridge is checking the shop's listing prerequisites.",
        status=ActivityStatus.SUCCEEDED,
        connection_id=connection.id,
    )
    enqueue(
        session,
        SUBSCRIBE_JOB,
        merchant_id=connection.merchant_id,
        payload={"connection_id": connection.id},
        identity_key=f"{SUBSCRIBE_JOB}:{connection.id}",
    )


def subscribe_tiktok_webhooks(
    settings: Settings,
    engine,
    connection: ChannelConnection,
    *,
    done: Collection[str] = (),
    on_subscribed: Callable[[str], None] = lambda event: None,
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
    client = tiktok_client(settings, session.get_bind().engine, connection)
    checks = [check.model_dump(mode="json") for check in client.check_listing_prerequisites()]
    checked_at = utcnow()
    session.commit()  # end any read transaction: the write below starts a fresh one, lock first
    locked = lock_connection(session, connection.id)
    if locked is None:  # disconnected and deleted meanwhile
        return checks
    connection = locked
    # A new dict, so the JSON column sees the change.
    connection.data = {
        **(connection.data or {}),
        "prerequisites": {"checks": checks, "checked_at": checked_at.isoformat()},
    }
    blocking = steps.blocking_message(checks)
    failing = [s.title for s in steps.steps_from_checks(checks) if not s.complete]
    if blocking is None:
        activity.record(
            session,
            connection.merchant_id,
            "onboarding.prerequisites",
            "TikTok Shop is ready for listings",
            "Every listing prerequisite is complete.",
            status=ActivityStatus.SUCCEEDED,
            details={"checked_at": checked_at.isoformat()},
            connection_id=connection.id,
        )
    else:
        activity.record(
            session,
            connection.merchant_id,
            "onboarding.prerequisites",
            f"TikTok Shop needs {plural(len(failing), 'step')} before listing",
            blocking,
            status=ActivityStatus.FAILED,
            details={"checked_at": checked_at.isoformat(), "failing_steps": failing},
            connection_id=connection.id,
        )
    return checks


def check_prerequisites_or_later(session: Session, settings: Settings, connection: ChannelConnection) -> bool:
    """Check now; when TikTok cannot answer, queue the check instead. True when checked now."""
    try:
        check_prerequisites(session, settings, connection)
        return True
    except TikTokError as exc:
        log.warning("prerequisites check for tiktok shop %s failed (%s); queued for later", connection.external_id, exc)
        enqueue(
            session,
            PREREQUISITES_JOB,
            merchant_id=connection.merchant_id,
            payload={"connection_id": connection.id},
            identity_key=f"{PREREQUISITES_JOB}:{connection.id}",
        )
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
