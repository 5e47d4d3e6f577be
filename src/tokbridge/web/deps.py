"""Request-scoped dependencies: settings, database sessions, the signed-in user."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from sqlalchemy.orm import Session

from tokbridge.audit.service import Actor, act_as
from tokbridge.channels.shops import NoSuchShop, ShopContext, active_shops, shop_context, shop_contexts
from tokbridge.config import Settings, get_settings
from tokbridge.db.engine import for_writing, get_engine, session_scope, sessionmaker_for
from tokbridge.tenancy import tokens
from tokbridge.tenancy.models import ApiToken, WebSession
from tokbridge.tenancy.repository import AccountRepository
from tokbridge.tenancy.scoping import bind_merchant
from tokbridge.tenancy.service import session_for_token

SESSION_COOKIE = "tb_session"
API_PREFIX = "/api/v1/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class NotSignedIn(Exception):
    """No valid session: pages redirect to sign-in, the API answers 401."""

    detail = "Sign in first."
    headers: dict[str, str] = {}


class BadToken(NotSignedIn):
    """An `Authorization` header that names no live API token: mistyped, revoked or expired."""

    detail = "The API token is not valid: it may be mistyped, revoked or expired. Create one in Settings."
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


def bearer_request(request: Request) -> bool:
    """An API call that authenticates with a token (`Authorization`), not the session cookie: a browser
    never adds that header to a request another site makes, so it needs no CSRF token."""
    return request.url.path.startswith(API_PREFIX) and "authorization" in request.headers


def settings_dep() -> Settings:
    return get_settings()


SettingsDep = Annotated[Settings, Depends(settings_dep)]


def db_session(request: Request, settings: SettingsDep) -> Iterator[Session]:
    """One session per request; endpoints that change data commit it themselves.

    A request that may write declares it up front (SQLite then queues it behind other writers rather
    than failing it); such endpoints commit before calling TikTok or Shopify, so no lock is held then.
    """
    session = sessionmaker_for(get_engine(settings.database_url))()
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        for_writing(session)
    try:
        yield session
    finally:
        session.close()


DbDep = Annotated[Session, Depends(db_session)]


@dataclass
class Viewer:
    """The signed-in user, with a session scoped to their merchant (see tenancy.scoping)."""

    web_session: WebSession | None  # None when the request came with an API token
    email: str
    merchant_id: int
    merchant_name: str
    db: Session
    wanted_shop: str | None = None  # the request's `?shop=`, if any
    token: ApiToken | None = None  # the API token the request came with
    user_id: int | None = None

    @property
    def csrf_token(self) -> str | None:
        return self.web_session.csrf_token if self.web_session else None

    @property
    def remembered_shop(self) -> str | None:
        """The shop chosen in the header's switcher (a token has none: its calls name one, or there is one)."""
        return self.web_session.shop_connection_id if self.web_session else None

    @cached_property
    def switcher(self) -> ShopSwitcher:
        """The header's shop switcher (read once, when a page first asks)."""
        shops = shop_contexts(self.db)
        ids = {shop.shop_id for shop in shops}
        current = next((wanted for wanted in (self.wanted_shop, self.remembered_shop) if wanted in ids), None)
        if current is None and len(shops) == 1:
            current = shops[0].shop_id
        return ShopSwitcher(shops=shops, current_id=current)


@dataclass
class ShopSwitcher:
    """The merchant's active TikTok shops and the one this page works on (None: none chosen yet)."""

    shops: list[ShopContext] = field(default_factory=list)
    current_id: str | None = None

    @property
    def current(self) -> ShopContext | None:
        return next((shop for shop in self.shops if shop.shop_id == self.current_id), None)

    @property
    def others(self) -> list[ShopContext]:
        return [shop for shop in self.shops if shop.shop_id != self.current_id]


def current_viewer(request: Request, db: DbDep) -> Viewer:
    if bearer_request(request):
        return _token_viewer(request, db)
    web_session = session_for_token(db, request.cookies.get(SESSION_COOKIE))
    if web_session is None:
        raise NotSignedIn()
    accounts = AccountRepository(db)
    user = accounts.user(web_session.user_id)
    merchant = accounts.merchant(web_session.merchant_id)
    if user is None or merchant is None or not user.is_active:
        raise NotSignedIn()
    request.state.web_session = web_session
    bind_merchant(db, merchant.id)
    act_as(db, Actor.user(user.id, user.email))
    return Viewer(
        web_session=web_session,
        email=user.email,
        merchant_id=merchant.id,
        merchant_name=merchant.name,
        db=db,
        wanted_shop=request.query_params.get(SHOP_PARAM) or None,
        user_id=user.id,
    )


def _token_viewer(request: Request, db: Session) -> Viewer:
    """The token's user, bound to their merchant as a signed-in browser is. Only the header counts: a
    request with a bad token is refused, whatever cookie it also carries."""
    scheme, _, given = request.headers["authorization"].strip().partition(" ")
    token = tokens.live_token(db, given.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        raise BadToken()
    accounts = AccountRepository(db)
    user = accounts.user(token.user_id)
    merchant = accounts.merchant(token.merchant_id)
    if user is None or merchant is None or not user.is_active or user.merchant_id != merchant.id:
        raise BadToken()
    if token.read_only and request.method not in SAFE_METHODS:
        raise HTTPException(403, "This API token is read-only. Create a read-write token in Settings to make changes.")
    if tokens.needs_marking(token):
        if request.method in SAFE_METHODS:  # this request's session only reads: a short write of its own
            with session_scope(get_engine(get_settings().database_url)) as own:
                tokens.mark_used(for_writing(own), token.id)
        else:  # this session holds the write lock already (SQLite); saved with the call's own commit
            tokens.mark_used(db, token.id)
    bind_merchant(db, merchant.id)
    act_as(db, Actor.user(user.id, user.email))  # the audit trail names the token's user, as for a session
    return Viewer(
        web_session=None,
        email=user.email,
        merchant_id=merchant.id,
        merchant_name=merchant.name,
        db=db,
        wanted_shop=request.query_params.get(SHOP_PARAM) or None,
        token=token,
        user_id=user.id,
    )


ViewerDep = Annotated[Viewer, Depends(current_viewer)]

# A request names the TikTok shop it works on with `?shop=<connection id>` (scripts, links that must not
# depend on the switcher); otherwise it is the shop chosen in the header's switcher, kept in the session.
SHOP_PARAM = "shop"


class ShopNeeded(Exception):
    """The route works on one TikTok shop and none can be named: `reason` is "none" (no shop connected),
    "choose" (several, none chosen) or "unknown" (the id names none of the merchant's active shops)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def optional_shop(
    viewer: ViewerDep,
    shop: Annotated[
        str | None,
        Query(
            description="The TikTok shop (its id in GET /api/v1/shops) this call works on; by default the one "
            "chosen with POST /api/v1/shops/current, or the only one"
        ),
    ] = None,
) -> ShopContext | None:
    """The shop this request works on, or None when the merchant has no TikTok shop yet."""
    wanted = shop
    if wanted:
        try:
            return shop_context(viewer.db, wanted)
        except NoSuchShop:
            raise ShopNeeded("unknown") from None
    remembered = viewer.remembered_shop
    if remembered:
        try:
            return shop_context(viewer.db, remembered)
        except NoSuchShop:
            pass  # disconnected since it was chosen
    shops = active_shops(viewer.db)
    if len(shops) == 1:
        return shop_context(viewer.db, shops[0].id)
    if shops:
        raise ShopNeeded("choose")
    return None


def required_shop(shop: Annotated[ShopContext | None, Depends(optional_shop)]) -> ShopContext:
    if shop is None:
        raise ShopNeeded("none")
    return shop


OptionalShopDep = Annotated[ShopContext | None, Depends(optional_shop)]
ShopDep = Annotated[ShopContext, Depends(required_shop)]


@dataclass
class FrameViewer:
    """What the page frame (base.html: navigation, account menu) needs of the signed-in user, for pages
    rendered outside a route, such as a 404."""

    merchant_name: str
    csrf_token: str
    switcher: ShopSwitcher = field(default_factory=ShopSwitcher)


def frame_viewer(request: Request) -> FrameViewer | None:
    """The signed-in user for an error page, or None: opens its own short session (no route ran)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with sessionmaker_for(get_engine(get_settings().database_url))() as db:
        web_session = session_for_token(db, token)
        merchant = AccountRepository(db).merchant(web_session.merchant_id) if web_session else None
        if merchant is None:
            return None
        return FrameViewer(merchant_name=merchant.name, csrf_token=web_session.csrf_token)
