"""The shop's true state, in memory. Every read and write holds `SandboxState.lock`."""

from __future__ import annotations

import hashlib
import random
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from . import catalog_seed
from .clock import SandboxClock, Timers
from .config import SandboxConfig

ALL_SCOPES = (
    "seller.authorization.info",  # Shop Authorized Information
    "seller.product.basic",  # Product Basic
    "seller.product.write",  # Product Modify
    "seller.product.delete",  # Product Delete & Recover
    "seller.order.info",  # Order Information
    "seller.fulfillment.basic",  # Fulfillment Basic
    "seller.logistics",  # Logistics Basic
    "seller.return_refund.basic",  # Return & Refund Basic
)

# Event types the sandbox sends (their numbers are in webhooks.EVENT_TYPES).
WEBHOOK_EVENT_NAMES = (
    "ORDER_STATUS_CHANGE",
    "PRODUCT_STATUS_CHANGE",
    "SELLER_DEAUTHORIZATION",
    "UPCOMING_AUTHORIZATION_EXPIRATION",
    "CANCELLATION_STATUS_CHANGE",
    "RETURN_STATUS_CHANGE",
    "PRODUCT_AUDIT_STATUS_CHANGE",
)

PREREQUISITE_ITEMS = (
    "SHOP_STATUS",
    "SHOP_TAX",
    "PICKUP_WAREHOUSE",
    "RETURN_WAREHOUSE",
    "DELIVERY_OPTION",
    "SHIPPING_TEMPLATE",
    "PRODUCT_QUANTITY_LIMIT",
    "EXTENDED_PRODUCER_RESPONSIBILITY",
    "BANk_ACCOUNT",
    "CONTACT_INFO",
)
PREREQUISITE_REASONS = {
    "SHOP_STATUS": "Your shop is not active. Complete the shop verification on TikTok Shop Seller Center first.",
    "SHOP_TAX": "Couldn't publish this product as you haven't submitted the tax information for your shop.",
    "PICKUP_WAREHOUSE": "Couldn't publish this product as you haven't set the pickup warehouse for your shop. "
    "Add the pickup warehouse information on TikTok Shop Seller Center first and try again.",
    "RETURN_WAREHOUSE": "Couldn't publish this product as you haven't set the return warehouse for your shop. "
    "Add the return warehouse information on TikTok Shop Seller Center first and try again.",
    "DELIVERY_OPTION": "Couldn't publish this product as you haven't selected a default delivery option.",
    "SHIPPING_TEMPLATE": "Couldn't publish this product as your shop has no shipping template.",
    "PRODUCT_QUANTITY_LIMIT": "Your shop has reached its product listing limit.",
    "EXTENDED_PRODUCER_RESPONSIBILITY": "Add the EPR registration number for your shop first.",
    "BANk_ACCOUNT": "Link a bank account to your shop first.",
    "CONTACT_INFO": "Add the contact information of your shop first.",
}


@dataclass
class DeliveryOption:
    id: str
    name: str
    type: str
    description: str
    provider_ids: list[str]


@dataclass
class Warehouse:
    id: str
    entity_id: str
    name: str
    type: str  # SALES_WAREHOUSE | RETURN_WAREHOUSE
    is_default: bool
    address: dict[str, Any]
    effect_status: str = "ENABLED"
    delivery_options: list[DeliveryOption] = field(default_factory=list)


@dataclass
class Subscription:
    event_type: str
    address: str
    create_time: int
    update_time: int


@dataclass
class Shop:
    id: str
    cipher: str
    name: str
    region: str
    code: str
    warehouses: list[Warehouse]
    seller_type: str = "LOCAL"
    failing_checks: set[str] = field(default_factory=set)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    daily_listing_limit: int = 100
    listings_by_day: dict[int, int] = field(default_factory=dict)
    rate_limit_per_second: float | None = None

    @property
    def currency(self) -> str:
        return catalog_seed.CURRENCY_BY_REGION.get(self.region, "USD")

    @property
    def category_version(self) -> str:
        return catalog_seed.category_version_for(self.region)

    def warehouse(self, warehouse_id: str) -> Warehouse | None:
        return next((w for w in self.warehouses if w.id == warehouse_id), None)


@dataclass
class Seller:
    open_id: str
    name: str
    base_region: str
    shop_ids: list[str]


@dataclass
class Token:
    access_token: str
    refresh_token: str
    open_id: str
    scopes: tuple[str, ...]
    access_expires: int
    refresh_expires: int
    revoked: bool = False


@dataclass
class AuthCode:
    code: str
    open_id: str
    scopes: tuple[str, ...]
    expires: int
    used: bool = False


@dataclass
class Image:
    uri: str
    url: str
    width: int
    height: int
    use_case: str
    format: str


@dataclass
class Sku:
    id: str
    body: dict[str, Any]  # the SKU as last accepted (price, inventory, seller_sku, external ids...)
    sales_attributes: list[dict[str, Any]]  # resolved: id, name, value_id, value_name, sku_img?
    status: str = "NORMAL"


@dataclass
class ProductVersion:
    body: dict[str, Any]  # top-level product fields except skus
    skus: list[Sku]


@dataclass
class Product:
    id: str
    shop_id: str
    live: ProductVersion
    status: str  # DRAFT | PENDING | FAILED | ACTIVATE | SELLER_DEACTIVATED | PLATFORM_DEACTIVATED | FREEZE | DELETED
    create_time: int
    update_time: int
    audit_status: str = "NONE"
    audit_failed_reasons: list[dict[str, Any]] = field(default_factory=list)
    under_review: ProductVersion | None = None  # an edit of a live product waiting for its audit
    review_id: int = 0  # bumps on each submission, so a stale review timer does nothing
    forced_outcome: dict[str, Any] | None = None
    status_before_delete: str | None = None
    ever_approved: bool = False

    @property
    def title(self) -> str:
        return self.live.body.get("title", "")


@dataclass
class LineItem:
    id: str
    sku_id: str
    product_id: str
    product_name: str
    sku_name: str
    seller_sku: str
    sale_price: str
    currency: str
    package_id: str | None = None
    package_status: str = "TO_FULFILL"
    cancel_user: str | None = None
    cancel_reason: str | None = None
    display_status: str = "UNPAID"


@dataclass
class Order:
    id: str
    shop_id: str
    buyer_user_id: str
    status: str
    create_time: int
    update_time: int
    line_items: list[LineItem]
    warehouse_id: str
    delivery_option: DeliveryOption
    recipient: dict[str, Any]
    currency: str
    paid_time: int | None = None
    rts_time: int | None = None
    collection_time: int | None = None
    delivery_time: int | None = None
    cancel_time: int | None = None
    cancel_reason: str | None = None
    cancellation_initiator: str | None = None
    is_buyer_request_cancel: bool = False
    request_cancel_time: int | None = None
    tracking_number: str | None = None
    shipping_provider_id: str | None = None
    package_ids: list[str] = field(default_factory=list)
    shipping_info_updates: int = 0
    will_return: bool = False  # the buyer asks for a return after delivery


@dataclass
class Package:
    id: str
    order_id: str
    shop_id: str
    line_item_ids: list[str]
    status: str  # PROCESSING | FULFILLING | COMPLETED | CANCELLED
    create_time: int
    update_time: int
    tracking_number: str | None = None
    shipping_provider_id: str | None = None
    shipped_time: int | None = None
    tracking_updated: bool = False  # package tracking can be corrected once


@dataclass
class Cancellation:
    id: str
    order_id: str
    shop_id: str
    cancel_type: str  # CANCEL (by seller) | BUYER_CANCEL
    role: str
    status: str
    reason: str
    reason_text: str
    line_item_ids: list[str]
    create_time: int
    update_time: int


@dataclass
class ReturnRecord:
    id: str
    order_id: str
    shop_id: str
    return_type: str
    status: str
    reason: str
    reason_text: str
    line_item_ids: list[str]
    create_time: int
    update_time: int
    role: str = "BUYER"


class SandboxState:
    """Everything TikTok would know about the app, its sellers and their shops."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.clock = SandboxClock()
        self.timers = Timers()
        self.rng = random.Random(config.seed)
        self._next_id = 1729592969712207008 + config.seed * 1000
        self.sellers: dict[str, Seller] = {}
        self.shops: dict[str, Shop] = {}
        self.tokens_by_access: dict[str, Token] = {}
        self.tokens_by_refresh: dict[str, Token] = {}
        self.auth_codes: dict[str, AuthCode] = {}
        self.images: dict[str, Image] = {}
        self.products: dict[str, Product] = {}
        self.idempotency: dict[tuple[str, str], dict[str, Any]] = {}
        # Ids generated for custom attribute names and values, stable across products.
        self.custom_ids: dict[tuple[str, str], str] = {}
        self.orders: dict[str, Order] = {}
        self.packages: dict[str, Package] = {}
        self.cancellations: dict[str, Cancellation] = {}
        self.returns: dict[str, ReturnRecord] = {}
        self.providers = dict(catalog_seed.SHIPPING_PROVIDERS)
        self.bootstrap: Token | None = None
        # Set by the webhooks module; called with (shop, type, data) to queue a notification.
        self.emit = lambda shop, event_type, data: None
        self._seed()

    # -- ids ------------------------------------------------------------------------------------
    def new_id(self) -> str:
        """A 19-digit id, as TikTok's: too large for a double, always sent as a string."""
        self._next_id += self.rng.randint(1, 97)
        return str(self._next_id)

    def new_secret(self, prefix: str = "TTP_") -> str:
        return prefix + secrets.token_urlsafe(32)

    # -- seed -----------------------------------------------------------------------------------
    def _seed(self) -> None:
        cfg = self.config
        open_id = "7010736057180325637"
        seller = Seller(open_id, "TokBridge Demo Seller", cfg.shop_regions[0], [])
        self.sellers[open_id] = seller
        for index, region in enumerate(cfg.shop_regions):
            shop = self._seed_shop(region, index)
            if cfg.webhook_url:
                for event_type in WEBHOOK_EVENT_NAMES:
                    shop.subscriptions[event_type] = Subscription(event_type, cfg.webhook_url, 0, 0)
            self.shops[shop.id] = shop
            seller.shop_ids.append(shop.id)
        if cfg.bootstrap_token:
            self.bootstrap = self.issue_token(
                open_id, ALL_SCOPES, cfg.bootstrap_access_token, cfg.bootstrap_refresh_token
            )

    def _seed_shop(self, region: str, index: int) -> Shop:
        region = region.upper()
        shop_id = str(7494049642642441621 + index)
        options = [
            DeliveryOption(
                self.new_id(),
                "Standard Shipping",
                "STANDARD",
                "Delivered in 3-5 business days",
                [p for p, _ in catalog_seed.SHIPPING_PROVIDERS],
            ),
            # The seller ships with their own carrier account: every carrier TikTok knows is offered.
            DeliveryOption(
                self.new_id(),
                "Shipped by seller",
                "SEND_BY_SELLER",
                "Seller ships with own carrier",
                [p for p, _ in catalog_seed.SHIPPING_PROVIDERS],
            ),
        ]
        address = {
            "region": region,
            "state": "California",
            "city": "San Jose",
            "postal_code": "95110",
            "full_address": "1199 Coleman Ave, San Jose, CA 95110",
            "region_code": region,
            "contact_person": "Lee Chen",
            "first_name": "Lee",
            "last_name": "Chen",
            "first_name_local_script": "",
            "last_name_local_script": "",
            "phone_number": "(+1)213-***-1234",
            "address_line1": "1199 Coleman Ave",
            "address_line2": "Dock 4",
            "address_line3": "",
            "address_line4": "",
            "distict": "",
            "town": "",
            # TikTok's spelling: the warehouse address documents `distict`.
            "geolocation": {"latitude": "37.3541", "longitude": "-121.9552"},
        }
        warehouses = [
            Warehouse(
                self.new_id(),
                self.new_id(),
                f"{region} Main Warehouse",
                "SALES_WAREHOUSE",
                True,
                address,
                delivery_options=options,
            ),
            Warehouse(
                self.new_id(),
                self.new_id(),
                f"{region} Overflow Warehouse",
                "SALES_WAREHOUSE",
                False,
                address,
                delivery_options=options[:1],
            ),
            Warehouse(self.new_id(), self.new_id(), f"{region} Returns", "RETURN_WAREHOUSE", True, address),
        ]
        return Shop(
            id=shop_id,
            # Derived from the seed, so a demo's configuration can name the shop's cipher.
            cipher="GCP_" + hashlib.sha256(f"{self.config.seed}:{shop_id}".encode()).hexdigest()[:28],
            name=f"TokBridge Demo {region}",
            region=region,
            code=f"{region}LCTB{index:04d}",
            warehouses=warehouses,
            daily_listing_limit=self.config.daily_listing_limit,
            failing_checks=set(self.config.failing_checks),
        )

    # -- auth -------------------------------------------------------------------------------------
    def issue_token(
        self, open_id: str, scopes: tuple[str, ...], access_token: str | None = None, refresh_token: str | None = None
    ) -> Token:
        now = self.clock.now_int()
        token = Token(
            access_token=access_token or self.new_secret(),
            refresh_token=refresh_token or self.new_secret(),
            open_id=open_id,
            scopes=tuple(scopes),
            access_expires=now + self.config.access_token_lifetime_seconds,
            refresh_expires=now + self.config.refresh_token_lifetime_seconds,
        )
        self.tokens_by_access[token.access_token] = token
        self.tokens_by_refresh[token.refresh_token] = token
        return token

    def shop_by_cipher(self, cipher: str) -> Shop | None:
        return next((s for s in self.shops.values() if s.cipher == cipher), None)

    def shops_of(self, token: Token) -> list[Shop]:
        seller = self.sellers.get(token.open_id)
        return [self.shops[i] for i in seller.shop_ids] if seller else []

    # -- time -------------------------------------------------------------------------------------
    def tick(self) -> int:
        """Apply every transition that is due on the sandbox clock."""
        with self.lock:
            return self.timers.run_due(self.clock.now())

    def after(self, delay: float, action, start: float | None = None) -> None:
        """Run `action(due_time)` `delay` sandbox-seconds after `start` (default: now)."""
        base = self.clock.now() if start is None else start
        self.timers.at(base + delay, action)
