"""`TikTokClient`: the TikTok Shop Open API calls the connector makes, for one shop.

    client = TikTokClient(transport, shop_id="7494...", shop_cipher="GCP_...", tokens=token_manager)
    product = client.create_product(ProductInput(...))

Paths and versions are the ones in TikTok's reference. Every call goes through `SignedTransport`
(limiter, signature, timeout, error mapping). An expired access token (105002) is refreshed once
through `tokens` and the call repeated; any other error reaches the caller as a `TikTokError`.
Batch calls with TikTok's item limits (20 products, 50 orders) are split into chunks here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from tokbridge.channels.tiktok import models as m
from tokbridge.channels.tiktok.errors import AuthorizationError, TokenExpiredError
from tokbridge.channels.tiktok.transport import Endpoint, QueryValue, SignedTransport

PRODUCT_BATCH_LIMIT = 20
ORDER_DETAIL_LIMIT = 50
MAX_PAGE_SIZE = 100


class AccessTokens(Protocol):
    """Where the client gets a shop's access token; `auth.TokenManager` implements it."""

    def access_token(self, shop_id: str) -> str: ...

    def refresh(self, shop_id: str, rejected_token: str) -> str: ...

    def settled_token(self, shop_id: str) -> str: ...


# One place for every path: the method names below read like TikTok's docs.
GET_CATEGORIES = Endpoint("GET", "/product/202309/categories")
GET_CATEGORY_RULES = Endpoint("GET", "/product/202309/categories/{category_id}/rules")
GET_ATTRIBUTES = Endpoint("GET", "/product/202309/categories/{category_id}/attributes")
GET_BRANDS = Endpoint("GET", "/product/202309/brands")
RECOMMEND_CATEGORY = Endpoint("POST", "/product/202309/categories/recommend")
CHECK_PREREQUISITES = Endpoint("GET", "/product/202312/prerequisites")
CHECK_LISTING = Endpoint("POST", "/product/202309/products/listing_check")
UPLOAD_IMAGE = Endpoint("POST", "/product/202309/images/upload", shop_scoped=False)
CREATE_PRODUCT = Endpoint("POST", "/product/202309/products")
EDIT_PRODUCT = Endpoint("PUT", "/product/202509/products/{product_id}")
PARTIAL_EDIT_PRODUCT = Endpoint("POST", "/product/202509/products/{product_id}/partial_edit")
GET_PRODUCT = Endpoint("GET", "/product/202309/products/{product_id}")
SEARCH_PRODUCTS = Endpoint("POST", "/product/202502/products/search")
ACTIVATE_PRODUCTS = Endpoint("POST", "/product/202309/products/activate")
DEACTIVATE_PRODUCTS = Endpoint("POST", "/product/202309/products/deactivate")
DELETE_PRODUCTS = Endpoint("DELETE", "/product/202309/products")
RECOVER_PRODUCTS = Endpoint("POST", "/product/202309/products/recover")
UPDATE_INVENTORY = Endpoint("POST", "/product/202309/products/{product_id}/inventory/update")
UPDATE_PRICE = Endpoint("POST", "/product/202309/products/{product_id}/prices/update")
GET_WAREHOUSES = Endpoint("GET", "/logistics/202309/warehouses")
GET_DELIVERY_OPTIONS = Endpoint("GET", "/logistics/202309/warehouses/{warehouse_id}/delivery_options")
GET_SHIPPING_PROVIDERS = Endpoint("GET", "/logistics/202309/delivery_options/{delivery_option_id}/shipping_providers")
SEARCH_ORDERS = Endpoint("POST", "/order/202309/orders/search")
GET_ORDERS = Endpoint("GET", "/order/202507/orders")
MARK_PACKAGE_SHIPPED = Endpoint("POST", "/fulfillment/202309/orders/{order_id}/packages")
SHIP_PACKAGE = Endpoint("POST", "/fulfillment/202309/packages/{package_id}/ship")
GET_PACKAGE = Endpoint("GET", "/fulfillment/202309/packages/{package_id}")
UPDATE_ORDER_SHIPPING_INFO = Endpoint("POST", "/fulfillment/202309/orders/{order_id}/shipping_info/update")
UPDATE_PACKAGE_SHIPPING_INFO = Endpoint("POST", "/fulfillment/202309/packages/{package_id}/shipping_info/update")
CANCEL_ORDER = Endpoint("POST", "/return_refund/202309/cancellations")
SEARCH_CANCELLATIONS = Endpoint("POST", "/return_refund/202309/cancellations/search")
APPROVE_CANCELLATION = Endpoint("POST", "/return_refund/202309/cancellations/{cancel_id}/approve")
REJECT_CANCELLATION = Endpoint("POST", "/return_refund/202309/cancellations/{cancel_id}/reject")
SEARCH_RETURNS = Endpoint("POST", "/return_refund/202309/returns/search")
GET_REJECT_REASONS = Endpoint("GET", "/return_refund/202309/reject_reasons")
APPROVE_RETURN = Endpoint("POST", "/return_refund/202309/returns/{return_id}/approve")
REJECT_RETURN = Endpoint("POST", "/return_refund/202309/returns/{return_id}/reject")
GET_SHOP_WEBHOOKS = Endpoint("GET", "/event/202309/webhooks")
UPDATE_SHOP_WEBHOOK = Endpoint("PUT", "/event/202309/webhooks")
DELETE_SHOP_WEBHOOK = Endpoint("DELETE", "/event/202309/webhooks")

PageT = TypeVar("PageT")
T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


class TikTokClient:
    def __init__(self, transport: SignedTransport, *, shop_id: str, shop_cipher: str, tokens: AccessTokens):
        self.transport = transport
        self.shop_id = shop_id
        self.shop_cipher = shop_cipher
        self.tokens = tokens

    # --- plumbing -----------------------------------------------------------------------------

    def _call(
        self,
        endpoint: Endpoint,
        *,
        path_params: Mapping[str, str] | None = None,
        query: Mapping[str, QueryValue] | None = None,
        body: Mapping[str, Any] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        form: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        token = self.tokens.access_token(self.shop_id)

        def send(access_token: str) -> dict[str, Any]:
            return self.transport.call(
                endpoint,
                access_token=access_token,
                shop_id=self.shop_id,
                shop_cipher=self.shop_cipher if endpoint.shop_scoped else None,
                path_params=path_params,
                query=query,
                body=body,
                files=files,
                form=form,
            )

        try:
            return send(token)
        except TokenExpiredError:
            # Another worker may have refreshed already; `refresh` sorts that out. Once only:
            # a second 105002 means something else is wrong and goes to the caller.
            return send(self.tokens.refresh(self.shop_id, token))
        except AuthorizationError:
            # Another worker refreshed while this request was in flight and TikTok has already
            # retired the token we sent: repeat once with the current one.
            current = self.tokens.settled_token(self.shop_id)
            if current == token:
                raise
            return send(current)

    def _pages(self, fetch: Callable[[str], Any], items: Callable[[Any], list[T]]) -> Iterator[T]:
        """Follow `next_page_token` until TikTok returns an empty one."""
        token = ""
        while True:
            page = fetch(token)
            yield from items(page)
            token = page.next_page_token
            if not token:
                return

    def _batch(self, endpoint: Endpoint, product_ids: Sequence[str], **extra: Any) -> m.BatchResult:
        errors: list[m.ItemError] = []
        for chunk in chunks(list(product_ids), PRODUCT_BATCH_LIMIT):
            data = self._call(endpoint, body={"product_ids": chunk, **extra})
            errors.extend(m.BatchResult.model_validate(data).errors)
        return m.BatchResult(errors=errors)

    # --- catalogue reference data ----------------------------------------------------------------

    def get_categories(
        self, *, category_version: str | None = None, locale: str | None = None, keyword: str | None = None
    ) -> list[m.Category]:
        """`category_version="v2"` is required for US shops (the 7-level tree)."""
        data = self._call(
            GET_CATEGORIES, query={"category_version": category_version, "locale": locale, "keyword": keyword}
        )
        return [m.Category.model_validate(item) for item in data.get("categories", [])]

    def get_category_rules(
        self, category_id: str, *, category_version: str | None = None, locale: str | None = None
    ) -> m.CategoryRules:
        data = self._call(
            GET_CATEGORY_RULES,
            path_params={"category_id": category_id},
            query={"category_version": category_version, "locale": locale},
        )
        return m.CategoryRules.model_validate(data)

    def get_attributes(
        self, category_id: str, *, category_version: str | None = None, locale: str | None = None
    ) -> list[m.Attribute]:
        data = self._call(
            GET_ATTRIBUTES,
            path_params={"category_id": category_id},
            query={"category_version": category_version, "locale": locale},
        )
        return [m.Attribute.model_validate(item) for item in data.get("attributes", [])]

    def get_brands(
        self,
        *,
        page_size: int = MAX_PAGE_SIZE,
        page_token: str = "",
        category_id: str | None = None,
        brand_name: str | None = None,
        is_authorized: bool | None = None,
        category_version: str | None = None,
    ) -> m.BrandPage:
        query = {
            "page_size": page_size,
            "page_token": page_token or None,
            "category_id": category_id,
            "brand_name": brand_name,
            "category_version": category_version,
            # The docs spell this flag 1 (authorized brands only) or 0 (all brands).
            "is_authorized": None if is_authorized is None else int(is_authorized),
        }
        return m.BrandPage.model_validate(self._call(GET_BRANDS, query=query))

    def iter_brands(self, **filters: Any) -> Iterator[m.Brand]:
        return self._pages(lambda token: self.get_brands(page_token=token, **filters), lambda page: page.brands)

    def recommend_category(self, request: m.RecommendCategoryInput) -> m.RecommendedCategory:
        return m.RecommendedCategory.model_validate(self._call(RECOMMEND_CATEGORY, body=request.to_body()))

    def check_listing_prerequisites(self) -> list[m.PrerequisiteCheck]:
        data = self._call(CHECK_PREREQUISITES)
        return [m.PrerequisiteCheck.model_validate(item) for item in data.get("check_results", [])]

    # --- products --------------------------------------------------------------------------------

    def check_product_listing(self, product: m.ProductInput) -> m.ListingCheck:
        body = product.to_body()
        # Not part of the dry run's body: it checks against the shop's own category tree.
        for key in ("idempotency_key", "category_version"):
            body.pop(key, None)
        return m.ListingCheck.model_validate(self._call(CHECK_LISTING, body=body))

    def upload_product_image(
        self,
        content: bytes,
        *,
        filename: str = "image.jpg",
        content_type: str = "image/jpeg",
        use_case: str = "MAIN_IMAGE",
    ) -> m.UploadedImage:
        data = self._call(UPLOAD_IMAGE, files={"data": (filename, content, content_type)}, form={"use_case": use_case})
        return m.UploadedImage.model_validate(data)

    def create_product(self, product: m.ProductInput) -> m.ProductWriteResult:
        """Pass `idempotency_key` (a UUID kept with the job) so a retried create cannot list twice."""
        return m.ProductWriteResult.model_validate(self._call(CREATE_PRODUCT, body=product.to_body()))

    def edit_product(
        self, product_id: str, product: m.ProductInput, *, keep_sku_fields: Sequence[str] = ()
    ) -> m.ProductWriteResult:
        """Full replacement: every field left out is cleared (price and inventory excepted), and existing
        SKUs left out are deleted. `keep_sku_fields` ("price", "inventory") are left out of the SKUs that
        have an id, so TikTok keeps their current values."""
        body = product.to_body()
        body.pop("idempotency_key", None)
        for sku in body.get("skus", []):
            if sku.get("id"):
                for name in keep_sku_fields:
                    sku.pop(name, None)
        data = self._call(EDIT_PRODUCT, path_params={"product_id": product_id}, body=body)
        return m.ProductWriteResult.model_validate(data)

    def partial_edit_product(self, product_id: str, changes: Mapping[str, Any]) -> m.ProductWriteResult:
        """Only the top-level fields given change; nested objects must be sent whole."""
        body = {key: value for key, value in _jsonable(changes).items() if value is not None}
        data = self._call(PARTIAL_EDIT_PRODUCT, path_params={"product_id": product_id}, body=body)
        return m.ProductWriteResult.model_validate(data)

    def get_product(self, product_id: str, *, return_under_review_version: bool | None = None) -> m.Product:
        data = self._call(
            GET_PRODUCT,
            path_params={"product_id": product_id},
            query={"return_under_review_version": return_under_review_version},
        )
        return m.Product.model_validate(data)

    def search_products(
        self, search: m.ProductSearch | None = None, *, page_size: int = MAX_PAGE_SIZE, page_token: str = ""
    ) -> m.ProductPage:
        body = (search or m.ProductSearch()).to_body()
        data = self._call(SEARCH_PRODUCTS, query={"page_size": page_size, "page_token": page_token or None}, body=body)
        return m.ProductPage.model_validate(data)

    def iter_products(
        self, search: m.ProductSearch | None = None, *, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[m.ProductSummary]:
        return self._pages(
            lambda token: self.search_products(search, page_size=page_size, page_token=token),
            lambda page: page.products,
        )

    def activate_products(self, product_ids: Sequence[str]) -> m.BatchResult:
        return self._batch(ACTIVATE_PRODUCTS, product_ids)

    def deactivate_products(self, product_ids: Sequence[str]) -> m.BatchResult:
        return self._batch(DEACTIVATE_PRODUCTS, product_ids)

    def delete_products(self, product_ids: Sequence[str]) -> m.BatchResult:
        return self._batch(DELETE_PRODUCTS, product_ids)

    def recover_products(self, product_ids: Sequence[str]) -> m.BatchResult:
        return self._batch(RECOVER_PRODUCTS, product_ids)

    def update_inventory(self, product_id: str, skus: Sequence[m.InventoryUpdate]) -> m.BatchResult:
        """Each SKU must list all of its warehouses."""
        data = self._call(
            UPDATE_INVENTORY, path_params={"product_id": product_id}, body={"skus": [sku.to_body() for sku in skus]}
        )
        return m.BatchResult.model_validate(data)

    def update_price(self, product_id: str, skus: Sequence[m.PriceUpdate]) -> None:
        self._call(UPDATE_PRICE, path_params={"product_id": product_id}, body={"skus": [sku.to_body() for sku in skus]})

    # --- logistics -------------------------------------------------------------------------------

    def get_warehouses(self) -> list[m.Warehouse]:
        return [m.Warehouse.model_validate(item) for item in self._call(GET_WAREHOUSES).get("warehouses", [])]

    def get_delivery_options(self, warehouse_id: str, *, scope: str | None = None) -> list[m.DeliveryOption]:
        data = self._call(GET_DELIVERY_OPTIONS, path_params={"warehouse_id": warehouse_id}, query={"scope": scope})
        return [m.DeliveryOption.model_validate(item) for item in data.get("delivery_options", [])]

    def get_shipping_providers(self, delivery_option_id: str) -> list[m.ShippingProvider]:
        data = self._call(GET_SHIPPING_PROVIDERS, path_params={"delivery_option_id": delivery_option_id})
        return [m.ShippingProvider.model_validate(item) for item in data.get("shipping_providers", [])]

    # --- orders ----------------------------------------------------------------------------------

    def search_orders(
        self,
        search: m.OrderSearch | None = None,
        *,
        page_size: int = MAX_PAGE_SIZE,
        page_token: str = "",
        sort_field: str | None = None,
        sort_order: str | None = None,
    ) -> m.OrderPage:
        query = {
            "page_size": page_size,
            "page_token": page_token or None,
            "sort_field": sort_field,
            "sort_order": sort_order,
        }
        data = self._call(SEARCH_ORDERS, query=query, body=(search or m.OrderSearch()).to_body())
        return m.OrderPage.model_validate(data)

    def iter_orders(
        self, search: m.OrderSearch | None = None, *, page_size: int = MAX_PAGE_SIZE, **sort: str
    ) -> Iterator[m.Order]:
        return self._pages(
            lambda token: self.search_orders(search, page_size=page_size, page_token=token, **sort),
            lambda page: page.orders,
        )

    def get_orders(self, order_ids: Sequence[str]) -> list[m.Order]:
        """Order details, any number of ids (TikTok takes 50 per call)."""
        orders: list[m.Order] = []
        for chunk in chunks(list(order_ids), ORDER_DETAIL_LIMIT):
            data = self._call(GET_ORDERS, query={"ids": chunk})
            orders.extend(m.Order.model_validate(item) for item in data.get("orders", []))
        return orders

    # --- fulfillment -----------------------------------------------------------------------------

    def mark_package_shipped(
        self,
        order_id: str,
        *,
        tracking_number: str,
        shipping_provider_id: str,
        order_line_item_ids: Sequence[str] | None = None,
    ) -> m.ShippedPackage:
        """Seller shipping (US, EU, UK, JP); line item ids ship part of an order as its own package."""
        body: dict[str, Any] = {"tracking_number": tracking_number, "shipping_provider_id": shipping_provider_id}
        if order_line_item_ids:
            body["order_line_item_ids"] = list(order_line_item_ids)
        data = self._call(MARK_PACKAGE_SHIPPED, path_params={"order_id": order_id}, body=body)
        return m.ShippedPackage.model_validate(data)

    def ship_package(
        self,
        package_id: str,
        *,
        tracking_number: str | None = None,
        shipping_provider_id: str | None = None,
        handover_method: str | None = None,
        pickup_slot: Mapping[str, int] | None = None,
    ) -> None:
        """SEA/LATAM: `self_shipment` for seller shipping, or a handover method for TikTok shipping."""
        body: dict[str, Any] = {}
        if tracking_number is not None:
            body["self_shipment"] = {"tracking_number": tracking_number, "shipping_provider_id": shipping_provider_id}
        if handover_method is not None:
            body["handover_method"] = handover_method
        if pickup_slot is not None:
            body["pickup_slot"] = dict(pickup_slot)
        self._call(SHIP_PACKAGE, path_params={"package_id": package_id}, body=body)

    def get_package(self, package_id: str) -> m.Package:
        return m.Package.model_validate(self._call(GET_PACKAGE, path_params={"package_id": package_id}))

    def update_order_shipping_info(self, order_id: str, *, tracking_number: str, shipping_provider_id: str) -> None:
        """Fix a wrong tracking number (seller shipping, within 72 hours of shipping)."""
        body = {"tracking_number": tracking_number, "shipping_provider_id": shipping_provider_id}
        self._call(UPDATE_ORDER_SHIPPING_INFO, path_params={"order_id": order_id}, body=body)

    def update_package_shipping_info(self, package_id: str, *, tracking_number: str, shipping_provider_id: str) -> None:
        body = {"tracking_number": tracking_number, "shipping_provider_id": shipping_provider_id}
        self._call(UPDATE_PACKAGE_SHIPPING_INFO, path_params={"package_id": package_id}, body=body)

    # --- cancellations and returns ---------------------------------------------------------------

    def cancel_order(self, request: m.CancelOrderInput) -> m.CancelResult:
        return m.CancelResult.model_validate(self._call(CANCEL_ORDER, body=request.to_body()))

    def search_cancellations(
        self, search: m.CancellationSearch | None = None, *, page_size: int = 50, page_token: str = ""
    ) -> m.CancellationPage:
        query = {"page_size": page_size, "page_token": page_token or None}
        data = self._call(SEARCH_CANCELLATIONS, query=query, body=(search or m.CancellationSearch()).to_body())
        return m.CancellationPage.model_validate(data)

    def iter_cancellations(
        self, search: m.CancellationSearch | None = None, *, page_size: int = 50
    ) -> Iterator[m.Cancellation]:
        return self._pages(
            lambda token: self.search_cancellations(search, page_size=page_size, page_token=token),
            lambda page: page.cancellations,
        )

    def approve_cancellation(self, cancel_id: str, *, idempotency_key: str | None = None) -> None:
        self._call(
            APPROVE_CANCELLATION, path_params={"cancel_id": cancel_id}, query={"idempotency_key": idempotency_key}
        )

    def reject_cancellation(
        self, cancel_id: str, *, reject_reason: str, comment: str | None = None, idempotency_key: str | None = None
    ) -> None:
        body: dict[str, Any] = {"reject_reason": reject_reason}
        if comment:
            body["comment"] = comment
        self._call(
            REJECT_CANCELLATION,
            path_params={"cancel_id": cancel_id},
            query={"idempotency_key": idempotency_key},
            body=body,
        )

    def search_returns(
        self, search: m.ReturnSearch | None = None, *, page_size: int = 50, page_token: str = ""
    ) -> m.ReturnPage:
        query = {"page_size": page_size, "page_token": page_token or None}
        data = self._call(SEARCH_RETURNS, query=query, body=(search or m.ReturnSearch()).to_body())
        return m.ReturnPage.model_validate(data)

    def iter_returns(self, search: m.ReturnSearch | None = None, *, page_size: int = 50) -> Iterator[m.ReturnOrder]:
        return self._pages(
            lambda token: self.search_returns(search, page_size=page_size, page_token=token),
            lambda page: page.return_orders,
        )

    def get_reject_reasons(self, return_or_cancel_id: str, *, locale: str | None = None) -> list[tuple[str, str]]:
        """(name, text) of the reasons TikTok accepts to reject this return or cancellation now."""
        data = self._call(GET_REJECT_REASONS, query={"return_or_cancel_id": return_or_cancel_id, "locale": locale})
        return [(r.get("name", ""), r.get("text", "")) for r in data.get("reasons") or []]

    def approve_return(
        self, return_id: str, *, decision: str, buyer_keep_item: bool | None = None, idempotency_key: str | None = None
    ) -> None:
        """decision: APPROVE_RETURN, APPROVE_REFUND or APPROVE_RECEIVED_PACKAGE (what TikTok waits for)."""
        body: dict[str, Any] = {"decision": decision}
        if buyer_keep_item is not None:
            body["buyer_keep_item"] = buyer_keep_item
        self._call(
            APPROVE_RETURN, path_params={"return_id": return_id}, query={"idempotency_key": idempotency_key}, body=body
        )

    def reject_return(
        self,
        return_id: str,
        *,
        decision: str,
        reject_reason: str,
        comment: str | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        """decision: REJECT_RETURN, REJECT_REFUND or REJECT_RECEIVED_PACKAGE; a reason name TikTok lists for it."""
        body: dict[str, Any] = {"decision": decision, "reject_reason": reject_reason}
        if comment:
            body["comment"] = comment
        self._call(
            REJECT_RETURN, path_params={"return_id": return_id}, query={"idempotency_key": idempotency_key}, body=body
        )

    # --- shop webhooks ---------------------------------------------------------------------------

    def get_shop_webhooks(self) -> m.ShopWebhooks:
        return m.ShopWebhooks.model_validate(self._call(GET_SHOP_WEBHOOKS))

    def update_shop_webhook(self, event_type: str, address: str) -> None:
        """Subscribe `address` (https, no port, ≤255 chars) to `event_type`, e.g. ORDER_STATUS_CHANGE."""
        self._call(UPDATE_SHOP_WEBHOOK, body={"address": address, "event_type": event_type})

    def delete_shop_webhook(self, event_type: str) -> None:
        self._call(DELETE_SHOP_WEBHOOK, body={"event_type": event_type})


def _jsonable(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Partial-edit values may be models or plain data; TikTok gets plain JSON."""
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if hasattr(value, "model_dump"):
            value = value.model_dump(mode="json", exclude_none=True)
        elif isinstance(value, list):
            value = [
                item.model_dump(mode="json", exclude_none=True) if hasattr(item, "model_dump") else item
                for item in value
            ]
        out[key] = value
    return out
