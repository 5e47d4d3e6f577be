"""The store side of the connector: the `SourceStore` protocol and the neutral records it speaks.

Shopify comes first; Etsy and PrestaShop adapters will implement the same protocol, so nothing
outside `tokbridge.channels.<store>` needs to know which store a merchant uses.

Records are plain slotted dataclasses rather than pydantic models: a catalog import builds
millions of them, and they carry data already validated by the store's API.
Money and weights are decimal strings (never floats); ids are strings.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable


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
    weight: str | None = None  # decimal string in `weight_unit`
    weight_unit: str | None = None  # GRAMS, KILOGRAMS, OUNCES, POUNDS
    inventory_item_external_id: str | None = None
    inventory_tracked: bool = True
    inventory_levels: list[InventoryLevel] = field(default_factory=list)


@dataclass(slots=True)
class Product:
    external_id: str
    title: str
    status: str  # "active", "draft", "archived"
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
# children after it. Children of different products may interleave, as in Shopify's bulk files.
CatalogItem = Product | VariantOf | ImageOf | LevelOf


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


@dataclass(slots=True)
class CreatedOrder:
    external_id: str
    name: str


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


@dataclass(slots=True)
class OrderFulfilments:
    """What happened to an order after it was recorded: fulfilment orders and actual shipments."""

    order_external_id: str
    cancelled: bool
    fulfilment_orders: list[FulfilmentOrder]
    fulfilments: list[Fulfilment]


@dataclass(slots=True)
class InventoryQuantity:
    inventory_item_external_id: str
    location_external_id: str
    quantity: int
    # Compare-and-swap: the quantity we believe the store has now; None opts out.
    change_from_quantity: int | None = None


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

    def shop_details(self) -> dict[str, str]:
        """The store's `name`, `domain` and `currency` (the three-letter code its prices are in)."""
        ...

    def iter_catalog(self) -> Iterator[CatalogItem]:
        """Every product with its variants, options, images and inventory, streamed (see CatalogItem)."""
        ...

    def products_changed_since(self, since: datetime, cursor: str | None = None) -> ProductPage:
        """Products updated after `since`, one page at a time."""
        ...

    def create_order(self, order: NewOrder) -> CreatedOrder: ...

    def order_fulfilments(self, order_external_id: str) -> OrderFulfilments: ...

    def cancel_order(self, order_external_id: str, *, reason: str = "OTHER", restock: bool = True) -> None: ...

    def refund_order(self, order_external_id: str, items: Sequence[RefundItem], *, note: str,
                     idempotency_key: str) -> str: ...

    def set_inventory(self, quantities: Sequence[InventoryQuantity], *, idempotency_key: str) -> None: ...

    def adjust_inventory(self, changes: Sequence[InventoryChange], *, reason: str, idempotency_key: str) -> None: ...
