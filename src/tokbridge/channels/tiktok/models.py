"""Typed requests and responses for the parts of the TikTok Shop API the connector uses.

Field names are TikTok's own. Ids are strings (TikTok's do not fit in a double); money amounts are
strings as TikTok sends them. Responses keep unknown fields (`extra="allow"`), so a field TikTok
adds later is not lost; requests drop `None` fields when serialised.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class TikTokModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    @field_validator("*", mode="before")
    @classmethod
    def _ids_as_strings(cls, value: Any, info) -> Any:
        # Some webhook and legacy payloads send ids as JSON numbers; keep every id a string.
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and info.field_name
            and (info.field_name == "id" or info.field_name.endswith("_id"))
        ):
            return str(value)
        return value


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="allow")

    def to_body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


# --- shared pieces --------------------------------------------------------------------------


class ImageRef(TikTokModel):
    uri: str


class Price(TikTokModel):
    amount: str | None = None
    currency: str
    sale_price: str | None = None


class ListPrice(TikTokModel):
    amount: str
    currency: str


class ExternalListPrice(TikTokModel):
    source: str = "SHOPIFY_COMPARE_AT_PRICE"
    amount: str
    currency: str


class WarehouseStock(TikTokModel):
    warehouse_id: str | None = None
    quantity: int
    backorder_quantity: int | None = None
    handling_time: int | None = None


class IdentifierCode(TikTokModel):
    code: str | None = None
    type: str | None = None  # GTIN, EAN, UPC, ISBN, JAN


class SalesAttribute(TikTokModel):
    id: str | None = None
    name: str | None = None
    value_id: str | None = None
    value_name: str | None = None
    sku_img: ImageRef | None = None
    supplementary_sku_images: list[ImageRef] | None = None


class AttributeValueRef(TikTokModel):
    id: str | None = None
    name: str | None = None


class ProductAttribute(TikTokModel):
    id: str
    name: str | None = None
    values: list[AttributeValueRef]


class PackageWeight(TikTokModel):
    value: str
    unit: str  # KILOGRAM, POUND (US), GRAM (BR/JP/MX)


class PackageDimensions(TikTokModel):
    length: str
    width: str
    height: str
    unit: str  # CENTIMETER, INCH (US)


class Certification(TikTokModel):
    id: str
    images: list[ImageRef] | None = None
    files: list[dict[str, str]] | None = None
    expiration_date: int | None = None


# --- products: requests -----------------------------------------------------------------------


class SkuInput(RequestModel):
    id: str | None = None  # Edit Product only: an existing SKU (kept); without it a new SKU is created
    sales_attributes: list[SalesAttribute] | None = None
    inventory: list[WarehouseStock]
    seller_sku: str | None = None
    price: Price
    external_sku_id: str | None = None
    identifier_code: IdentifierCode | None = None
    list_price: ListPrice | None = None
    external_list_prices: list[ExternalListPrice] | None = None


class ProductInput(RequestModel):
    """Body of create, edit and check-listing: a whole product."""

    title: str
    description: str
    category_id: str
    main_images: list[ImageRef]
    skus: list[SkuInput]
    package_weight: PackageWeight
    brand_id: str | None = None
    category_version: str | None = None  # "v2" for US shops
    product_attributes: list[ProductAttribute] | None = None
    package_dimensions: PackageDimensions | None = None
    certifications: list[Certification] | None = None
    size_chart: dict[str, Any] | None = None
    video: dict[str, str] | None = None
    is_cod_allowed: bool | None = None
    external_product_id: str | None = None
    delivery_option_ids: list[str] | None = None
    save_mode: str | None = None  # AS_DRAFT or LISTING
    shipping_template_id: str | None = None
    # Create only: TikTok returns the first result again for a repeated key (≤128 chars, a UUID).
    idempotency_key: str | None = Field(default=None, max_length=128)


class RecommendCategoryInput(RequestModel):
    product_title: str
    description: str | None = None
    images: list[ImageRef] | None = None
    category_version: str | None = None


class InventoryUpdate(RequestModel):
    id: str  # SKU id
    inventory: list[WarehouseStock]


class PriceUpdate(RequestModel):
    id: str  # SKU id
    price: Price
    list_price: ListPrice | None = None
    external_list_prices: list[ExternalListPrice] | None = None


class ProductSearch(RequestModel):
    status: str | None = None  # ALL, DRAFT, PENDING, FAILED, ACTIVATE, SELLER_DEACTIVATED, ...
    seller_skus: list[str] | None = None
    create_time_ge: int | None = None
    create_time_le: int | None = None
    update_time_ge: int | None = None
    update_time_le: int | None = None
    category_version: str | None = None
    audit_status: list[str] | None = None
    sku_ids: list[str] | None = None


# --- products: responses ----------------------------------------------------------------------


class Category(TikTokModel):
    id: str
    parent_id: str = "0"
    local_name: str = ""
    is_leaf: bool = False
    permission_statuses: list[str] = []


class CategoryRules(TikTokModel):
    product_certifications: list[dict[str, Any]] = []
    size_chart: dict[str, Any] | None = None
    cod: dict[str, Any] | None = None
    package_dimension: dict[str, Any] | None = None
    epr: dict[str, Any] | None = None


class AttributeValue(TikTokModel):
    id: str
    name: str = ""


class Attribute(TikTokModel):
    id: str
    name: str = ""
    type: str = ""  # SALES_PROPERTY or PRODUCT_PROPERTY
    # TikTok spells it "is_requried"; accept the correct spelling too.
    is_required: bool = Field(default=False, alias="is_requried")
    values: list[AttributeValue] = []
    is_customizable: bool = False
    is_multiple_selection: bool = False

    @field_validator("is_required", mode="before")
    @classmethod
    def _none_is_false(cls, value: Any) -> bool:
        return bool(value)


class Brand(TikTokModel):
    id: str
    name: str = ""
    authorized_status: str | None = None
    brand_status: str | None = None
    is_t1_brand: bool | None = None


class BrandPage(TikTokModel):
    brands: list[Brand] = []
    total_count: int | None = None
    next_page_token: str = ""


class RecommendedCategory(TikTokModel):
    leaf_category_id: str = ""
    categories: list[dict[str, Any]] = []


class PrerequisiteCheck(TikTokModel):
    check_item: str
    is_failed: bool
    fail_reasons: list[str] = []


class ReasonCode(TikTokModel):
    code: int | None = None
    message: str = ""


class ListingCheck(TikTokModel):
    check_result: str = ""  # PASS or FAILED
    fail_reasons: list[ReasonCode] = []

    @property
    def passed(self) -> bool:
        return self.check_result == "PASS"


class UploadedImage(TikTokModel):
    uri: str
    url: str = ""
    width: int | None = None
    height: int | None = None
    use_case: str | None = None


class SkuRef(TikTokModel):
    id: str
    seller_sku: str | None = None
    external_sku_id: str | None = None
    sales_attributes: list[dict[str, Any]] = []


class ProductWriteResult(TikTokModel):
    """What create, edit and partial edit return."""

    product_id: str
    skus: list[SkuRef] = []
    warnings: list[dict[str, Any]] = []
    audit: dict[str, Any] | None = None


class Audit(TikTokModel):
    status: str | None = None
    pre_approved_reasons: list[str] = []


class SkuSummary(TikTokModel):
    """A SKU as Search Products lists it: no sales attributes or external id there."""

    id: str
    seller_sku: str | None = None
    price: dict[str, Any] | None = None
    inventory: list[WarehouseStock] = []
    status_info: dict[str, Any] | None = None


class Sku(SkuSummary):
    """A SKU as Get Product shows it."""

    external_sku_id: str | None = None
    sales_attributes: list[dict[str, Any]] = []


class ProductBase(TikTokModel):
    """What Search Products and Get Product both say about a product."""

    id: str
    title: str = ""
    status: str = ""
    audit: Audit | None = None
    create_time: int | None = None
    update_time: int | None = None


class ProductSummary(ProductBase):
    """A product as Search Products lists it (Get Product has the whole of it)."""

    skus: list[SkuSummary] = []

    @property
    def audit_failed_reasons(self) -> list[dict[str, Any]]:
        """Search answers carry no review reasons (Get Product has them)."""
        return []


class Product(ProductBase):
    product_status: str | None = None
    skus: list[Sku] = []
    audit_failed_reasons: list[dict[str, Any]] = []
    external_product_id: str | None = None


class ProductPage(TikTokModel):
    products: list[ProductSummary] = []
    total_count: int | None = None
    next_page_token: str = ""


class ItemError(TikTokModel):
    """One failed item of a batch call; `item_id` is the product or SKU it is about."""

    code: int | None = None
    message: str = ""
    detail: dict[str, Any] = {}

    @property
    def item_id(self) -> str | None:
        for key in ("product_id", "sku_id", "id"):
            if self.detail.get(key) is not None:
                return str(self.detail[key])
        return None


class BatchResult(TikTokModel):
    """Per-item errors of a batch call (TikTok still answers code 0 when some items fail)."""

    errors: list[ItemError] = []

    def failed_ids(self) -> set[str]:
        return {error.item_id for error in self.errors if error.item_id}


# --- logistics --------------------------------------------------------------------------------


class Warehouse(TikTokModel):
    id: str
    name: str = ""
    effect_status: str | None = None
    type: str | None = None  # SALES_WAREHOUSE or RETURN_WAREHOUSE
    sub_type: str | None = None
    is_default: bool | None = None
    address: dict[str, Any] | None = None


class DeliveryOption(TikTokModel):
    id: str
    name: str = ""
    type: str | None = None
    description: str | None = None


class ShippingProvider(TikTokModel):
    id: str
    name: str = ""


# --- orders and fulfillment -------------------------------------------------------------------


class LineItem(TikTokModel):
    """One unit: TikTok has no quantity field, two of a SKU are two line items."""

    id: str
    sku_id: str | None = None
    product_id: str | None = None
    product_name: str | None = None
    sku_name: str | None = None
    seller_sku: str | None = None
    sale_price: str | None = None
    original_price: str | None = None
    currency: str | None = None
    display_status: str | None = None
    package_id: str | None = None
    package_status: str | None = None
    tracking_number: str | None = None
    cancel_user: str | None = None
    cancel_reason: str | None = None


class Order(TikTokModel):
    id: str
    status: str = ""
    create_time: int | None = None
    update_time: int | None = None
    paid_time: int | None = None
    is_on_hold_order: bool | None = None
    shipping_type: str | None = None
    fulfillment_type: str | None = None
    delivery_option_id: str | None = None
    warehouse_id: str | None = None
    buyer_email: str | None = None
    buyer_message: str | None = None
    recipient_address: dict[str, Any] | None = None
    payment: dict[str, Any] | None = None
    line_items: list[LineItem] = []
    packages: list[dict[str, Any]] = []
    cancel_reason: str | None = None
    cancellation_initiator: str | None = None
    tracking_number: str | None = None


class OrderSearch(RequestModel):
    order_status: str | None = None
    create_time_ge: int | None = None
    create_time_lt: int | None = None
    update_time_ge: int | None = None
    update_time_lt: int | None = None
    shipping_type: str | None = None
    buyer_user_id: str | None = None
    is_buyer_request_cancel: bool | None = None
    warehouse_ids: list[str] | None = None


class OrderPage(TikTokModel):
    orders: list[Order] = []
    total_count: int | None = None
    next_page_token: str = ""


class ShippedPackage(TikTokModel):
    order_id: str | None = None
    order_line_item_ids: list[str] = []
    package_id: str | None = None
    warning: dict[str, Any] | None = None


class Package(TikTokModel):
    package_id: str
    package_status: str | None = None
    shipping_type: str | None = None
    tracking_number: str | None = None
    shipping_provider_id: str | None = None
    shipping_provider_name: str | None = None
    order_line_item_ids: list[str] = []
    orders: list[dict[str, Any]] = []
    handover_method: str | None = None
    update_time: int | None = None


# --- returns and cancellations ----------------------------------------------------------------


class CancelSku(RequestModel):
    sku_id: str
    quantity: int


class CancelOrderInput(RequestModel):
    order_id: str
    cancel_reason: str  # the reason's name, e.g. "seller_cancel_reason_out_of_stock"
    skus: list[CancelSku] | None = None
    order_line_item_ids: list[str] | None = None


class CancelResult(TikTokModel):
    cancel_id: str
    cancel_status: str = ""


class Cancellation(TikTokModel):
    cancel_id: str
    order_id: str = ""
    cancel_type: str | None = None
    cancel_status: str | None = None
    role: str | None = None
    cancel_reason: str | None = None
    cancel_reason_text: str | None = None
    create_time: int | None = None
    update_time: int | None = None
    cancel_line_items: list[dict[str, Any]] = []


class CancellationSearch(RequestModel):
    cancel_ids: list[str] | None = None
    order_ids: list[str] | None = None
    cancel_types: list[str] | None = None
    cancel_status: list[str] | None = None
    create_time_ge: int | None = None
    create_time_lt: int | None = None
    update_time_ge: int | None = None
    update_time_lt: int | None = None
    locale: str | None = None


class CancellationPage(TikTokModel):
    cancellations: list[Cancellation] = []
    total_count: int | None = None
    next_page_token: str = ""


class ReturnOrder(TikTokModel):
    return_id: str
    order_id: str = ""
    return_type: str | None = None
    return_status: str | None = None
    role: str | None = None
    return_reason: str | None = None
    return_reason_text: str | None = None
    return_line_items: list[dict[str, Any]] = []
    seller_next_action_response: list[dict[str, Any]] = []
    refund_amount: dict[str, Any] | None = None
    create_time: int | None = None
    update_time: int | None = None


class ReturnSearch(RequestModel):
    return_ids: list[str] | None = None
    order_ids: list[str] | None = None
    return_types: list[str] | None = None
    return_status: list[str] | None = None
    create_time_ge: int | None = None
    create_time_lt: int | None = None
    update_time_ge: int | None = None
    update_time_lt: int | None = None
    locale: str | None = None


class ReturnPage(TikTokModel):
    return_orders: list[ReturnOrder] = []
    total_count: int | None = None
    next_page_token: str = ""


# --- shop webhooks and authorization ----------------------------------------------------------


class ShopWebhook(TikTokModel):
    event_type: str
    address: str = ""
    create_time: int | None = None
    update_time: int | None = None


class ShopWebhooks(TikTokModel):
    webhooks: list[ShopWebhook] = []
    total_count: int | None = None


class AuthorizedShop(TikTokModel):
    id: str
    name: str = ""
    region: str = ""
    seller_type: str | None = None
    cipher: str
    code: str | None = None


class TokenGrant(TikTokModel):
    """Token get/refresh answer. `*_expire_in` are absolute Unix timestamps, not durations."""

    access_token: str = Field(repr=False)
    access_token_expire_in: int
    refresh_token: str = Field(repr=False)
    refresh_token_expire_in: int
    open_id: str | None = None
    seller_name: str | None = None
    seller_base_region: str | None = None
    user_type: int | None = None
    granted_scopes: list[str] = []
