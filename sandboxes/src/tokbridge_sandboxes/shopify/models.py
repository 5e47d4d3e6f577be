"""The store's objects. Plain dataclasses; GraphQL field names map onto their snake_case attributes."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import ids


@dataclass(slots=True)
class ProductOption:
    id: int
    name: str
    position: int
    values: list[str]

    @property
    def gid(self) -> str:
        return ids.gid("ProductOption", self.id)


@dataclass(slots=True)
class Variant:
    id: int
    product_id: int
    position: int
    title: str
    sku: str
    barcode: str | None
    price: str
    compare_at_price: str | None
    option_values: list[str]
    weight_grams: int
    tracked: bool
    inventory_item_id: int
    inventory_policy: str  # DENY | CONTINUE
    requires_shipping: bool
    taxable: bool
    created_at: float
    updated_at: float

    @property
    def gid(self) -> str:
        return ids.gid("ProductVariant", self.id)


@dataclass(slots=True)
class Image:
    id: int
    product_id: int
    position: int
    width: int
    height: int
    alt: str

    @property
    def gid(self) -> str:
        return ids.gid("MediaImage", self.id)


@dataclass(slots=True)
class Metafield:
    id: int
    namespace: str
    key: str
    type: str
    value: str

    @property
    def gid(self) -> str:
        return ids.gid("Metafield", self.id)


@dataclass(slots=True)
class Product:
    id: int
    index: int
    title: str
    handle: str
    description_html: str
    vendor: str
    product_type: str
    tags: list[str]
    status: str  # ACTIVE | DRAFT | ARCHIVED
    created_at: float
    updated_at: float
    options: list[ProductOption]
    variants: list[Variant]
    images: list[Image]
    collection_ids: list[int]
    metafields: list[Metafield]
    location_ids: list[int]  # where its inventory is stocked

    @property
    def gid(self) -> str:
        return ids.gid("Product", self.id)


@dataclass(slots=True)
class Location:
    id: int
    name: str
    city: str
    country_code: str
    zip: str
    is_active: bool = True

    @property
    def gid(self) -> str:
        return ids.gid("Location", self.id)


@dataclass(slots=True)
class Collection:
    id: int
    title: str
    handle: str
    updated_at: float

    @property
    def gid(self) -> str:
        return ids.gid("Collection", self.id)


@dataclass(slots=True)
class TaxLine:
    title: str
    rate: float | None
    amount: str


@dataclass(slots=True)
class LineItem:
    id: int
    variant_id: int | None
    product_id: int | None
    title: str
    variant_title: str | None
    sku: str | None
    quantity: int
    price: str
    tax_lines: list[TaxLine]
    requires_shipping: bool
    fulfilled_quantity: int = 0
    restocked: bool = False
    reserved: bool = False  # its units were committed at a location when the order was created
    refunded_quantity: int = 0

    @property
    def gid(self) -> str:
        return ids.gid("LineItem", self.id)


@dataclass(slots=True)
class ShippingLine:
    id: int
    title: str
    code: str | None
    source: str | None
    price: str
    tax_lines: list[TaxLine]

    @property
    def gid(self) -> str:
        return ids.gid("ShippingLine", self.id)


@dataclass(slots=True)
class FulfillmentOrderLineItem:
    id: int
    line_item_id: int
    total_quantity: int
    remaining_quantity: int

    @property
    def gid(self) -> str:
        return ids.gid("FulfillmentOrderLineItem", self.id)


@dataclass(slots=True)
class FulfillmentOrder:
    id: int
    order_id: int
    location_id: int
    status: str  # OPEN | IN_PROGRESS | CLOSED | CANCELLED
    created_at: float
    updated_at: float
    line_items: list[FulfillmentOrderLineItem]

    @property
    def gid(self) -> str:
        return ids.gid("FulfillmentOrder", self.id)


@dataclass(slots=True)
class Fulfillment:
    id: int
    order_id: int
    name: str
    status: str  # SUCCESS | CANCELLED
    location_id: int
    tracking_company: str | None
    tracking_number: str | None
    tracking_url: str | None
    created_at: float
    updated_at: float
    line_items: list[tuple[int, int]]  # (line item id, quantity)

    @property
    def gid(self) -> str:
        return ids.gid("Fulfillment", self.id)


@dataclass(slots=True)
class RefundLine:
    id: int
    line_item_id: int
    quantity: int
    restock_type: str  # NO_RESTOCK | RETURN | CANCEL | LEGACY_RESTOCK
    location_id: int | None
    price: str  # unit price of the line

    @property
    def gid(self) -> str:
        return ids.gid("RefundLineItem", self.id)


@dataclass(slots=True)
class Refund:
    id: int
    order_id: int
    note: str | None
    created_at: float
    processed_at: float
    lines: list[RefundLine]

    @property
    def gid(self) -> str:
        return ids.gid("Refund", self.id)


@dataclass(slots=True)
class Order:
    id: int
    number: int
    email: str | None
    phone: str | None
    currency: str
    source_name: str | None
    source_identifier: str | None
    source_url: str | None
    note: str | None
    tags: list[str]
    custom_attributes: list[tuple[str, str]]
    line_items: list[LineItem]
    shipping_lines: list[ShippingLine]
    tax_lines: list[TaxLine]
    discount_codes: list[str]
    total_discounts: str
    taxes_included: bool
    financial_status: str
    shipping_address: dict | None
    billing_address: dict | None
    test: bool
    created_at: float
    updated_at: float
    processed_at: float
    cancelled_at: float | None = None
    cancel_reason: str | None = None
    closed_at: float | None = None
    fulfillment_orders: list[FulfillmentOrder] = field(default_factory=list)
    fulfillments: list[Fulfillment] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    custom_name: str | None = None  # `name` given to orderCreate; else "#<number>"
    # orderCreate's presentmentCurrency (the buyer's) and the order's totals in it, from the presentmentMoney
    # of every amount; None: the buyer paid in the shop's currency.
    presentment_currency: str | None = None
    presentment_totals: dict[str, str] | None = None

    @property
    def gid(self) -> str:
        return ids.gid("Order", self.id)

    @property
    def name(self) -> str:
        return self.custom_name or f"#{self.number}"


@dataclass(slots=True)
class WebhookSubscription:
    id: int
    topic: str  # enum form, e.g. PRODUCTS_UPDATE
    uri: str
    format: str
    include_fields: list[str]
    filter: str | None
    api_version: str
    created_at: float
    updated_at: float

    @property
    def gid(self) -> str:
        return ids.gid("WebhookSubscription", self.id)


@dataclass(slots=True)
class BulkOperation:
    id: int
    query: str
    type: str  # QUERY
    status: str  # CREATED | RUNNING | COMPLETED | FAILED | CANCELING | CANCELED | EXPIRED
    created_at: float
    completed_at: float | None = None
    object_count: int = 0
    root_object_count: int = 0
    file_size: int | None = None
    error_code: str | None = None
    result_path: str | None = None
    result_token: str | None = None
    cancel_requested: bool = False
    writers: int = 1  # processes that wrote the result (see parallel.py)

    @property
    def gid(self) -> str:
        return ids.gid("BulkOperation", self.id)


@dataclass(slots=True)
class Job:
    id: str
    done: bool = False

    @property
    def gid(self) -> str:
        return ids.gid("Job", self.id)


@dataclass(slots=True)
class AppSubscription:
    """A recurring charge of the app to the shop (Shopify's AppSubscription, one recurring line item)."""

    id: int
    name: str
    status: str  # PENDING | ACTIVE | DECLINED | EXPIRED | FROZEN | CANCELLED
    amount: str  # decimal string per interval
    currency: str
    interval: str  # EVERY_30_DAYS | ANNUAL
    return_url: str
    test: bool
    trial_days: int
    line_item_id: int
    signature: str  # in the confirmation URL, so a guessed charge id cannot be approved
    created_at: float
    updated_at: float
    activated_at: float | None = None

    @property
    def gid(self) -> str:
        return ids.gid("AppSubscription", self.id)
