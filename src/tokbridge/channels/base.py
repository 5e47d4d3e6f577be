"""The store side of the connector: the port every source store plugin implements, and the neutral
records it speaks.

A plugin is one folder, `tokbridge.channels.<store>/`, whose `plugin` module exposes `PLUGIN`, a
`StorePlugin`: what it can do (`Capabilities`), how a merchant connects (`StoreConnector`), the store's API
for one connection (`SourceStore`), and how its webhooks become neutral `StoreEvent`s (`StoreEvents`).
`channels.registry` finds the plugins; the domain asks it for the merchant's store and reads the declared
capabilities instead of asking which store it is. Nothing outside the plugin's folder names its store.

Records are plain slotted dataclasses rather than pydantic models: a catalog import builds
millions of them, and they carry data already validated by the store's API.
Money and weights are decimal strings (never floats); ids are strings.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from tokbridge.kit.errors import PermanentError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from tokbridge.channels.models import ChannelConnection
    from tokbridge.config import Settings


@dataclass(slots=True)
class InventoryLevel:
    location_external_id: str
    available: int


@dataclass(slots=True)
class ProductOption:
    name: str
    position: int
    values: list[str]
    external_id: str | None = None


@dataclass(slots=True)
class ProductImage:
    external_id: str
    url: str
    position: int
    alt_text: str | None = None


@dataclass(slots=True)
class ProductVariant:
    external_id: str
    title: str
    position: int
    price: str  # decimal string, e.g. "19.90"
    sku: str | None = None
    barcode: str | None = None
    compare_at_price: str | None = None
    # {"Size": "M", "Colour": "Blue"}, in the product's option order.
    option_values: dict[str, str] = field(default_factory=dict)
    weight_grams: str | None = None  # decimal string, e.g. "250" or "226.796"
    inventory_item_external_id: str | None = None
    inventory_tracked: bool = True
    inventory_levels: list[InventoryLevel] = field(default_factory=list)


@dataclass(slots=True)
class Product:
    external_id: str
    title: str
    # "active", "draft", "archived", or a state a store keeps beside them ("inactive", "sold_out",
    # "expired"): only "active" products are listed on TikTok; the others are imported and shown in words.
    status: str
    description_html: str = ""
    vendor: str | None = None
    product_type: str | None = None
    handle: str | None = None
    tags: list[str] = field(default_factory=list)
    updated_at: datetime | None = None
    options: list[ProductOption] = field(default_factory=list)
    images: list[ProductImage] = field(default_factory=list)
    variants: list[ProductVariant] = field(default_factory=list)


@dataclass(slots=True)
class VariantOf:
    """A variant read on its own in a catalog stream (its product came earlier)."""

    product_external_id: str
    variant: ProductVariant


@dataclass(slots=True)
class ImageOf:
    product_external_id: str
    image: ProductImage


@dataclass(slots=True)
class LevelOf:
    variant_external_id: str
    level: InventoryLevel


# A catalog stream: each product first (with its options; variants and images may be empty), its
# children after it. Children of different products may interleave (a store's export files do).
CatalogItem = Product | VariantOf | ImageOf | LevelOf


@dataclass(frozen=True, slots=True)
class CatalogCheckpoint:
    """A point in a catalog stream: everything before it has been yielded. `state` is the plugin's own
    (JSON-serialisable, opaque to the domain); `read_catalog(state)` resumes right after it.

    A checkpoint may fall between a product and its later children. After resuming, such a child still
    names its product; an image's `position` then counts from the checkpoint (the plugin's counting
    starts again), so the importer places it after that product's images already written (order and
    uniqueness hold; a gap left by a non-image medium just before the checkpoint may close).
    Checkpoints come often enough to bound what a reader buffers between two of them."""

    state: dict


@dataclass(frozen=True, slots=True)
class CatalogPending:
    """The store is still preparing the catalog: ask again in `retry_after` seconds with `checkpoint`.
    Waiting is not a failure: the job re-queues itself without sleeping and without using an attempt."""

    checkpoint: dict
    retry_after: float
    waiting_for: str  # in words, for the job's log and progress: "the store preparing its catalog export"


@dataclass(slots=True)
class CatalogStream:
    """The catalog, ready to read: items with checkpoints between them (the reader saves the latest
    checkpoint once everything before it is written). `total` is the product count, when known."""

    items: Iterator[CatalogItem | CatalogCheckpoint]
    total: int | None = None


@dataclass(slots=True)
class ProductPage:
    """One page of "products changed since a point"; pass `next_cursor` back for the next one."""

    products: list[Product]
    next_cursor: str | None

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None


# --- orders -------------------------------------------------------------------------------------


@dataclass(slots=True)
class TaxLine:
    title: str
    amount: str
    rate: str | None = None  # decimal fraction, e.g. "0.2"


@dataclass(slots=True)
class OrderLine:
    variant_external_id: str | None  # None: a custom line item (title required), for an unlinked SKU
    quantity: int
    unit_price: str
    title: str | None = None
    sku: str | None = None
    tax_lines: list[TaxLine] = field(default_factory=list)


@dataclass(slots=True)
class ShippingLine:
    title: str
    price: str
    code: str | None = None
    tax_lines: list[TaxLine] = field(default_factory=list)


@dataclass(slots=True)
class Address:
    first_name: str | None = None
    last_name: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province_code: str | None = None
    zip: str | None = None
    country_code: str | None = None
    phone: str | None = None


@dataclass(slots=True)
class NewOrder:
    """An order taken on a sales channel (TikTok Shop), to be recorded in the store."""

    source_name: str  # e.g. "tiktok"
    source_order_id: str  # the channel's order id: the idempotency anchor
    currency: str
    lines: list[OrderLine]
    email: str | None = None
    shipping_address: Address | None = None
    shipping_lines: list[ShippingLine] = field(default_factory=list)
    tax_lines: list[TaxLine] = field(default_factory=list)
    taxes_included: bool = False
    # Total discount granted by the seller, carried as one fixed-amount discount.
    discount_amount: str | None = None
    discount_title: str | None = None
    paid: bool = True  # the buyer paid the channel
    processed_at: datetime | None = None
    note: str | None = None
    tags: list[str] = field(default_factory=list)
    # The same order in the buyer's currency, when it is not `currency` (the store's): its lines, shipping
    # lines and tax lines match this order's one for one. Sent only to a plugin that declares
    # `capabilities.presentment_currency`, which records both; the others get this order's amounts alone.
    presentment: NewOrder | None = None
    # The store order state to create it in (`StoreOrderState.external_id`), for a plugin that declares
    # `capabilities.order_states`: the merchant's mapping of a new TikTok order. None: the store's own
    # state for a paid order.
    state_external_id: str | None = None


@dataclass(slots=True)
class CreatedOrder:
    external_id: str
    name: str
    # The store order's currency and total as the store reports them (None: the plugin cannot say).
    currency: str | None = None
    total: str | None = None


@dataclass(slots=True)
class FulfilmentLine:
    line_item_external_id: str
    quantity: int
    sku: str | None = None
    variant_external_id: str | None = None


@dataclass(slots=True)
class Fulfilment:
    external_id: str
    status: str  # e.g. "SUCCESS", "CANCELLED"
    tracking_company: str | None = None
    tracking_numbers: list[str] = field(default_factory=list)
    tracking_urls: list[str] = field(default_factory=list)
    lines: list[FulfilmentLine] = field(default_factory=list)
    created_at: datetime | None = None


@dataclass(slots=True)
class FulfilmentOrderLine:
    external_id: str
    line_item_external_id: str
    remaining_quantity: int
    total_quantity: int


@dataclass(slots=True)
class FulfilmentOrder:
    external_id: str
    status: str  # OPEN, IN_PROGRESS, CLOSED, CANCELLED, ...
    location_external_id: str | None
    lines: list[FulfilmentOrderLine] = field(default_factory=list)


@dataclass(slots=True)
class RefundItem:
    """Units of one store product refunded on the channel: found on the store order by variant, else SKU."""

    quantity: int
    variant_external_id: str | None = None
    sku: str | None = None


# Why the store says an order was cancelled, in neutral terms (the plugin maps its own reasons).
CANCELLED_BY_BUYER = "buyer"
CANCELLED_OTHERWISE = "other"

# What a store order state is for, where the store says (`StoreOrderState.meaning`).
STATE_PAID = "paid"  # paid, awaiting preparation: where a new TikTok order goes by default
STATE_PROCESSING = "processing"
STATE_SHIPPED = "shipped"
STATE_DELIVERED = "delivered"
STATE_CANCELLED = "cancelled"
STATE_REFUNDED = "refunded"
STATE_PAYMENT_ERROR = "payment_error"  # the store judged the payment wrong: never a state to create in


@dataclass(frozen=True, slots=True)
class StoreOrderState:
    """One state of the store's own order status list (a store whose orders carry a state the merchant
    configures: `capabilities.order_states`), for the merchant to map TikTok's statuses to."""

    external_id: str
    name: str  # in the store's back office language, as the merchant knows it
    meaning: str | None = None  # one of STATE_* when the store says what the state is for


@dataclass(slots=True)
class OrderFulfilments:
    """What happened to an order after it was recorded: the store's plan for shipping it (`fulfilment_orders`,
    Shopify's term kept because only diagnostics read it) and the actual shipments (`fulfilments`)."""

    order_external_id: str
    cancelled: bool
    fulfilment_orders: list[FulfilmentOrder]
    fulfilments: list[Fulfilment]
    cancel_reason: str | None = None  # CANCELLED_BY_BUYER or CANCELLED_OTHERWISE, when cancelled
    updated_at: datetime | None = None


@dataclass(slots=True)
class OrderPage:
    """One page of "orders changed since a point" (shipped, tracking changed, cancelled): the polling
    baseline that works without webhooks. Pass `next_cursor` back for the next page."""

    orders: list[OrderFulfilments]
    next_cursor: str | None


@dataclass(slots=True)
class InventoryQuantity:
    inventory_item_external_id: str
    location_external_id: str
    quantity: int
    # Compare-and-swap: the quantity we believe the store has now; None opts out.
    change_from_quantity: int | None = None


# Why stock changes (`adjust_inventory`'s `reason`), in neutral words a plugin maps to its store's own.
STOCK_RESTOCK = "restock"  # units came back: a return, a cancelled order
STOCK_CORRECTION = "correction"  # anything else, e.g. a sale recorded outside the store


@dataclass(slots=True)
class InventoryChange:
    """A relative change of available stock (a restock), for when the store stays the source of truth."""

    inventory_item_external_id: str
    location_external_id: str
    delta: int


@runtime_checkable
class SourceStore(Protocol):
    """What the connector needs from a merchant's store."""

    channel: str  # "shopify", later "etsy", "prestashop"

    def close(self) -> None:
        """Release what the adapter holds (its HTTP connections)."""
        ...

    def shop_details(self) -> dict[str, str]:
        """The store's `name`, `domain` and `currency` (the three-letter code its prices are in)."""
        ...

    # --- catalog ---------------------------------------------------------------------------------
    # Read in three ways: the whole catalog as a resumable stream (the full import), the products
    # changed since a time (the scheduled reconciliation: polling works without webhooks), and one
    # product (a webhook said it changed). Records are neutral: weights in grams, prices as decimal
    # strings in the store's currency (`shop_details()["currency"]`), no placeholder options (a store's
    # stand-in option for products without variants is the plugin's to drop).

    def read_catalog(self, checkpoint: dict | None = None) -> CatalogPending | CatalogStream:
        """The next step of a full catalog read from `checkpoint` (None: from the start).

        `CatalogPending` while the store prepares the catalog (ask again later with its checkpoint);
        then a `CatalogStream` whose `CatalogCheckpoint`s the caller saves as it writes, so that a read
        killed midway resumes after the last saved one instead of starting again. A store without an
        export reads page by page and checkpoints its cursor. Raises `PermanentError` when the store
        failed to prepare the catalog."""
        ...

    def products_changed_since(self, since: datetime, cursor: str | None = None) -> ProductPage:
        """Products updated after `since`, complete (all variants and stock), one page at a time."""
        ...

    def product(self, external_id: str) -> Product | None:
        """One product as the store has it now, complete; None when it no longer exists."""
        ...

    def create_order(self, order: NewOrder) -> CreatedOrder: ...

    def order_fulfilments(self, order_external_id: str) -> OrderFulfilments: ...

    def orders_changed_since(
        self, since: datetime | None, cursor: str | None = None, *, source_name: str | None = None
    ) -> OrderPage:
        """Orders in the store that changed after `since` (every one when None), oldest change first, one
        page at a time; only those recorded from the sales channel `source_name` when given (NewOrder's).
        How fulfilments and cancellations are found when no webhook says so."""
        ...

    def cancel_order(
        self,
        order_external_id: str,
        *,
        reason: str = CANCELLED_OTHERWISE,
        restock: bool = True,
        state_external_id: str | None = None,
    ) -> None:
        """Cancel a store order; `reason` CANCELLED_BY_BUYER or CANCELLED_OTHERWISE; `restock` puts its units back.
        `state_external_id`: where `capabilities.order_states`, the state the merchant mapped cancellations
        to (None: the store's own cancelled state); ignored by other stores."""
        ...

    def refund_order(
        self, order_external_id: str, items: Sequence[RefundItem], *, note: str, idempotency_key: str
    ) -> str: ...

    def locations(self) -> list[dict]:
        """The store's stock locations, each {"id": external id, "name", "isActive"}: where stock levels are
        kept (`InventoryLevel.location_external_id`), for the merchant to map to TikTok warehouses."""
        ...

    def set_inventory(self, quantities: Sequence[InventoryQuantity], *, idempotency_key: str) -> None:
        """Set available quantities.

        Where `capabilities.compare_and_set_stock`, a quantity whose `change_from_quantity` is set is
        written only if the store still has that quantity (else `RefusedWithFix`: read again, decide
        again). Where `capabilities.idempotent_stock`, repeating a call with the same `idempotency_key`
        (a job retried after a lost answer) changes nothing twice.

        Fallback for stores without them, which the plugin implements and the caller relies on: without
        compare-and-set the plugin reads the current quantity, compares it with `change_from_quantity`
        and writes only when they match (a sale in the store between the read and the write can still
        be overwritten: the window is one API round trip, and the next reconciliation reads the store
        again); without idempotency keys, setting an absolute quantity is repeatable as is, so a retry
        writes the same number again. A caller that must not lose a concurrent sale asks for
        `change_from_quantity` only where the capability says it is enforced."""
        ...

    def adjust_inventory(self, changes: Sequence[InventoryChange], *, reason: str, idempotency_key: str) -> None: ...


class OrderStateStore(Protocol):
    """What a `SourceStore` also offers where its plugin declares `capabilities.order_states`."""

    def order_states(self) -> list[StoreOrderState]:
        """The store's order states, for the merchant's mapping."""
        ...

    def set_order_state(self, order_external_id: str, state_external_id: str) -> None:
        """Move a store order to a state (TikTok says it was delivered, say); nothing when it is in it already."""
        ...


# --- capabilities ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a store can do, declared by its plugin; the domain branches on these, never on the store's name."""

    # The store pushes changes by webhook. Polling always runs; webhooks only make changes arrive sooner.
    webhooks: bool = False
    # The store accepts orders from outside (TikTok's orders are created there). If not, TokBridge keeps
    # the order itself and adjusts the store's stock.
    creates_orders: bool = False
    # The store bills the merchant for TokBridge's plan (app subscriptions).
    billing: bool = False
    # `set_inventory` honours `InventoryQuantity.change_from_quantity` (compare-and-set). Without it the
    # plugin reads, then writes, and documents the window in between.
    compare_and_set_stock: bool = False
    # Stock writes accept an idempotency key, so a repeated call after a lost answer changes nothing.
    idempotent_stock: bool = False
    # `create_order` records an order in a buyer's currency beside the store's own (`NewOrder.presentment`):
    # the store order shows what the buyer paid. Without it an order sold in another currency reaches the
    # store converted at the shop's rate, and its note says so.
    presentment_currency: bool = False
    # The store's orders carry a state from the store's own list: its store is also an `OrderStateStore`.
    # The merchant maps TikTok's statuses to those states (new order, delivered, cancelled) in the shop's
    # order settings; `create_order`, `set_order_state` and `cancel_order` use the mapped states. Without
    # it the store has no such list and the domain leaves states to the store.
    order_states: bool = False


# --- connecting --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConnectField:
    """One field of the form a merchant fills to start connecting (a shop address, an API key)."""

    name: str  # the form parameter; `begin` receives it under this name
    label: str
    placeholder: str = ""
    help: str = ""
    secret: bool = False  # typed as a password (an API key)
    # The form requires the first field (the account, `account_of`) and secret ones; any other only where
    # this says so (most are choices with a default, such as a multistore's shop or a language).
    required: bool = False


@dataclass(slots=True)
class ConnectStart:
    """How connecting goes on once the form is filled: a page of the store to send the merchant to
    (OAuth, `redirect_url`), or None there when the form's answers are the credentials already (an
    address and an API key): then `finish` follows at once with those answers."""

    redirect_url: str | None = None


@dataclass(slots=True)
class ConnectReturn:
    """What the store sent the merchant back with, once its signature is checked (`read_return`).

    `account` is the store's own id for the account (a shop domain), `code` the one-time proof to exchange
    (TokBridge fingerprints it so that a reload of the same return finds the connection it made), `state`
    TokBridge's own signed state, returned untouched. `expired`: the store's answer is older than it may be."""

    account: str
    code: str
    state: str | None = None
    expired: bool = False
    answers: dict[str, str] = field(default_factory=dict)  # the connect form's values, when it carries credentials


@dataclass(slots=True)
class ConnectionGrant:
    """What finishing a connection yields; the caller stores it (the tokens encrypted) as a connection."""

    external_id: str  # the store's own id for the account: a shop domain, a shop id, an address
    name: str
    access_token: str
    scopes: list[str] = field(default_factory=list)
    refresh_token: str | None = None
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    data: dict = field(default_factory=dict)


class ConnectRefused(PermanentError):
    """Connecting cannot go on: `title` and `message` say what happened in plain words, `next_step` what
    to do (None: start again from the store's connect page)."""

    def __init__(self, title: str, message: str, next_step: str | None = None):
        super().__init__(f"{title}: {message}")
        self.title = title
        self.message = message
        self.next_step = next_step


class ConnectNotConfigured(ConnectRefused):
    """This server has no app credentials for the store: only whoever runs TokBridge can fix it."""


# --- events --------------------------------------------------------------------------------------

PRODUCT_CHANGED = "product_changed"
PRODUCT_DELETED = "product_deleted"
STOCK_CHANGED = "stock_changed"
ORDER_FULFILLED = "order_fulfilled"
ORDER_CANCELLED = "order_cancelled"
DISCONNECTED = "disconnected"
CHARGE_CHANGED = "charge_changed"
PRIVACY_REQUEST = "privacy_request"
# What each kind is about (`subject_external_id`) and carries (`data`):
#   PRODUCT_CHANGED   the product; {"updated_at": an aware datetime or None} (a late copy is recognised)
#   PRODUCT_DELETED   the product
#   STOCK_CHANGED     the inventory item
#   ORDER_FULFILLED   the store order; {"fulfilment_id": the shipment, when known}
#   ORDER_CANCELLED   the store order; {"reason": CANCELLED_BY_BUYER or CANCELLED_OTHERWISE}
#   DISCONNECTED      the connection itself (None): the merchant removed the app from the store
#   CHARGE_CHANGED    the store's charge id for TokBridge's plan
#   PRIVACY_REQUEST   None; {"request": one of the PRIVACY_* below, "customer_id", "orders": [ids]}
PRIVACY_CUSTOMER_DATA = "customer_data"  # a customer asked for their data
PRIVACY_CUSTOMER_ERASURE = "customer_erasure"  # a customer's data must be erased
PRIVACY_STORE_ERASURE = "store_erasure"  # after an uninstall: everything of the store must go


@dataclass(slots=True)
class StoreEvent:
    """A webhook translated into what happened, in the store's neutral terms.

    `subject_external_id` is the product, variant, order or charge it is about (None for the whole
    connection); `data` carries what the handler needs and the webhook already gave (possibly nothing:
    thin payloads make the handler fetch the record)."""

    kind: str  # one of the constants above
    subject_external_id: str | None = None
    data: dict = field(default_factory=dict)


# --- the plugin ----------------------------------------------------------------------------------


class StoreConnector(Protocol):
    """Connecting a merchant's store: begin, finish, refresh, disconnect, the permissions it needs, and
    (where `capabilities.webhooks`) subscribing the store's webhooks.

    The domain signs `state` itself (it names the merchant and the account), fingerprints the code against
    reloads and decides who may own an account; the connector speaks the store's protocol. Failures a
    merchant can act on are `ConnectRefused` (plain words); a store that does not answer raises
    `RetryableError`, a refused code or refresh token `NeedsReconnect`."""

    required_scopes: tuple[str, ...]
    # What the connect page asks before `begin` (Shopify: the shop's address); may be empty.
    form_fields: tuple[ConnectField, ...]
    # How long the merchant may take on the store's pages: TokBridge's signed state lasts this long.
    state_max_age_seconds: int

    def account_of(self, answers: Mapping[str, str]) -> str:
        """The account the form's answers name, normalised (the shop's permanent domain); raises
        `ConnectRefused` when they name none. The domain signs its state for that account."""
        ...

    def begin(
        self, settings: Settings, *, account: str, state: str, callback_url: str, answers: Mapping[str, str]
    ) -> ConnectStart:
        """How to go on for `account`: where to send the merchant, carrying TokBridge's `state` and
        coming back to `callback_url`. Raises `ConnectNotConfigured` when this server has no app for it."""
        ...

    def read_launch(self, settings: Settings, params: Mapping[str, str]) -> str | None:
        """The account a signed launch from the store names (an install started in the store's admin,
        opening the connect page with its signature); None when `params` is no such launch. Raises
        `ConnectRefused` when the signature does not match or the launch is too old."""
        ...

    def read_return(self, settings: Settings, params: Mapping[str, str]) -> ConnectReturn:
        """Check the signature of what the store sent the merchant back with, and read it. Raises
        `ConnectRefused` when it cannot be trusted (nothing else is checked yet: the domain checks
        the state, the age and the owner, then calls `finish`). For a store whose form carries the
        credentials (`begin` gave no redirect), the domain builds the `ConnectReturn` from the answers."""
        ...

    def finish(self, settings: Settings, returned: ConnectReturn, *, callback_url: str) -> ConnectionGrant:
        """Exchange the checked return for credentials. `NeedsReconnect` when the store refuses the code."""
        ...

    def needs_refresh(self, connection: ChannelConnection) -> bool:
        """The connection's access expires soon enough that it should be renewed before use."""
        ...

    def refresh(self, settings: Settings, connection: ChannelConnection) -> ConnectionGrant:
        """New credentials for the connection (the caller holds its row locked and stores them).
        `NeedsReconnect` when the store no longer renews them."""
        ...

    def missing_scopes(self, granted: Sequence[str]) -> list[str]:
        """The required permissions `granted` lacks, each in words for the merchant; empty when none."""
        ...

    def disconnect(self, settings: Settings, connection: ChannelConnection) -> None:
        """Give the access back to the store where it allows that (best effort, never raises)."""
        ...

    def subscribe_events(self, settings: Settings, connection: ChannelConnection, address: str) -> list[str]:
        """Point the store's webhooks at `address` (repeatable: existing subscriptions stay); the topics.
        Only called when the plugin's `capabilities.webhooks`."""
        ...


class InvalidDelivery(ValueError):
    """A signed webhook whose envelope (headers, body) is not the store's: answered 400."""


@dataclass(slots=True)
class WebhookDelivery:
    """A verified webhook's envelope: which account it is for, what about, and what it carried.

    `account` is the connection's `external_id`; `key` the store's id for the event (the same across its
    retries), or None to deduplicate on a digest of the body; `payload` the body as the store sent it,
    kept in the inbox and translated when processed."""

    account: str
    topic: str
    key: str | None
    payload: dict


class StoreEvents(Protocol):
    """A store's webhooks: checked and opened at intake (no database, no API call), translated into
    neutral events when processed. Webhooks only speed things up: polling finds the same changes."""

    def verify(self, settings: Settings, headers: Mapping[str, str], body: bytes) -> bool:
        """True when the request is signed by the store for this app (constant-time comparison, with the
        plugin's own secret)."""
        ...

    def open(self, headers: Mapping[str, str], body: bytes) -> WebhookDelivery:
        """The envelope of a verified request; raises `InvalidDelivery` (plain words) when malformed."""
        ...

    def translate(self, topic: str, payload: dict) -> list[StoreEvent]:
        """What a verified webhook means; [] for topics TokBridge does not act on. Raises
        `PermanentError` with a readable reason for a payload that can never be processed."""
        ...


@runtime_checkable
class StorePlugin(Protocol):
    """One source store: its identity, what it can do, and the parts of the port it implements."""

    kind: str  # the connection kind stored in `channel_connection.channel`; also the webhook path segment
    display_name: str  # how merchants call it
    capabilities: Capabilities
    connector: StoreConnector
    events: StoreEvents | None  # None: the store has no webhooks, polling does all the work

    def store(self, settings: Settings, engine: Engine, connection: ChannelConnection) -> SourceStore:
        """The store's API for one connection (fresh credentials: the plugin refreshes them if needed)."""
        ...

    def order_admin_url(self, connection: ChannelConnection, order_external_id: str) -> str | None:
        """Where the merchant sees a store order in the store's own admin; None when it has no such page."""
        ...

    def image_headers(self, connection: ChannelConnection, url: str) -> dict[str, str]:
        """Headers a download of one of this store's image URLs (`ProductImage.url`) needs: the store's
        credentials where it serves its images only to them, {} where they are public. Only for `url`s on
        the store's own address (the plugin checks): the credentials never go anywhere else."""
        ...


# --- billing -------------------------------------------------------------------------------------

# Charge statuses, as `StoreCharge.status` reports them.
CHARGE_PENDING, CHARGE_ACTIVE, CHARGE_DECLINED = "PENDING", "ACTIVE", "DECLINED"


@dataclass(frozen=True, slots=True)
class StoreCharge:
    """One recurring charge for TokBridge's plan, as the store reports it now."""

    charge_id: str  # opaque; the id the store's return URL carries back
    name: str
    status: str  # PENDING, ACTIVE, DECLINED, EXPIRED, FROZEN, CANCELLED
    test: bool = False
    current_period_end: datetime | None = None  # while active: when the store bills next
    confirmation_url: str | None = None  # only right after creation: where the merchant approves it

    @property
    def is_active(self) -> bool:
        return self.status == CHARGE_ACTIVE


class StoreBilling(Protocol):
    """The store's recurring charges for TokBridge, for a plugin whose `capabilities.billing`: the
    merchant approves a charge on the store's page and the store bills them for the plan."""

    platform: str  # the store's name for the merchant ("Shopify")
    period: timedelta  # how often the store bills a charge

    def create_subscription(self, *, name: str, amount: Decimal, currency: str, return_url: str) -> StoreCharge: ...

    def subscription(self, charge_id: str) -> StoreCharge | None:
        """The charge as the store has it now; None when this account has no such charge."""
        ...

    def active_subscriptions(self) -> list[StoreCharge]: ...

    def cancel(self, charge_id: str) -> StoreCharge: ...


@runtime_checkable
class BillingPlugin(Protocol):
    """A `StorePlugin` whose `capabilities.billing` also offers its billing for one connection."""

    def billing(self, settings: Settings, connection: ChannelConnection) -> StoreBilling: ...
