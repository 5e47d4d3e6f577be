"""`ShopifyStore`: the `SourceStore` protocol over the GraphQL Admin API."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from tokbridge.channels.base import (
    CANCELLED_BY_BUYER,
    CANCELLED_OTHERWISE,
    CatalogCheckpoint,
    CatalogItem,
    CatalogPending,
    CatalogStream,
    CreatedOrder,
    Fulfilment,
    FulfilmentLine,
    FulfilmentOrder,
    FulfilmentOrderLine,
    InventoryChange,
    InventoryQuantity,
    NewOrder,
    OrderFulfilments,
    OrderPage,
    Product,
    ProductPage,
    RefundItem,
    TaxLine,
)
from tokbridge.channels.shopify import bulk, mapping, queries
from tokbridge.channels.shopify.client import ShopifyClient
from tokbridge.channels.shopify.errors import NotFound, ShopifyValidationError, Throttled

log = logging.getLogger(__name__)
CANCEL_REASONS = frozenset({"CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"})
# Orders per page of changes: each carries up to 5 fulfilments of 20 lines, and the query's cost (about
# 60 per order) must stay under Shopify's single-query limit of 1,000.
ORDERS_PAGE = 8
_NEUTRAL_CANCEL_REASONS = {CANCELLED_BY_BUYER: "CUSTOMER", CANCELLED_OTHERWISE: "OTHER"}
# Shopify refuses an idempotency key reused while the first request is still running: try later.
_RETRY_LATER_CODES = frozenset({"IDEMPOTENCY_CONCURRENT_REQUEST"})


def gid(kind: str, value: str) -> str:
    """Accept either a numeric id or a full `gid://shopify/Kind/123`."""
    return value if value.startswith("gid://") else f"gid://shopify/{kind}/{value}"


class ShopifyStore:
    channel = "shopify"

    def __init__(
        self,
        client: ShopifyClient,
        *,
        page_size: int = 5,
        download_timeout: float = 120.0,
        checkpoint_every: int = 1000,
    ):
        self.client = client
        self.page_size = page_size
        self.download_timeout = download_timeout
        self.checkpoint_every = checkpoint_every  # export lines between two checkpoints
        self._locations: list[str] | None = None

    def shop_details(self) -> dict[str, str]:
        """The store's name, domain and currency (the dashboard shows them)."""
        shop = self.client.query(queries.SHOP_DETAILS)["shop"]
        return {"name": shop["name"], "domain": shop["myshopifyDomain"], "currency": shop["currencyCode"]}

    # --- catalog ----------------------------------------------------------------------------------

    def read_catalog(self, checkpoint: dict | None = None) -> CatalogPending | CatalogStream:
        """Shopify's catalog comes from a bulk export: started once (its id is the checkpoint), polled
        until finished (backing off: small catalogs are ready in a moment, large ones take minutes),
        then its file streamed; a checkpoint every `checkpoint_every` lines lets a resumed read skip
        the lines already read."""
        state = dict(checkpoint or {})
        if not state.get("operation"):
            operation = self.start_catalog_export()
            state = {"operation": operation.id, "polls": 0}
        operation = self.catalog_export_status(state["operation"])
        if not operation.finished:
            polls = int(state.get("polls", 0))
            return CatalogPending(
                {**state, "polls": polls + 1},
                retry_after=min(0.25 * 2**polls, 30.0),
                waiting_for=f"Shopify preparing the catalog export ({operation.status.lower()})",
            )
        if operation.status != "COMPLETED":
            log.warning("catalog export %s ended %s (%s)", operation.id, operation.status, operation.error_code)
            raise bulk.BulkOperationFailed(
                "Shopify could not prepare the catalog export. Connect the store "
                "again from Settings in a few minutes to import it again."
            )
        first_line = int(state.get("line", 0))
        return CatalogStream(self._export_items(operation, first_line), total=operation.root_object_count or None)

    def _export_items(
        self, operation: bulk.BulkOperation, first_line: int
    ) -> Iterator[CatalogItem | CatalogCheckpoint]:
        if not operation.url:  # an empty catalog has no file
            return
        lines = bulk.stream_lines(operation.url, http=self.client.http, timeout=self.download_timeout, skip=first_line)
        for item in bulk.read_catalog_from(lines, first_line=first_line, checkpoint_every=self.checkpoint_every):
            if isinstance(item, int):
                yield CatalogCheckpoint({"operation": operation.id, "line": item})
            else:
                yield item

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> ShopifyStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start_catalog_export(self) -> bulk.BulkOperation:
        return bulk.start(self.client, queries.bulk_catalog_query(self._location_ids(refresh=True)))

    def catalog_export_status(self, operation_id: str) -> bulk.BulkOperation:
        return bulk.status(self.client, operation_id)

    def read_catalog_export(self, operation: bulk.BulkOperation) -> Iterator[CatalogItem]:
        """The stream of a completed export (an empty catalog has no file)."""
        bulk.check_finished(operation)
        if not operation.url:
            return iter(())
        lines = bulk.stream_lines(operation.url, http=self.client.http, timeout=self.download_timeout)
        return bulk.read_catalog(lines)

    def iter_catalog(self, *, timeout: float = 3600.0) -> Iterator[CatalogItem]:
        """Start an export, wait for it by polling, stream it. For the sandbox's own tests: TokBridge
        reads through `read_catalog`."""
        operation = bulk.wait(self.client, self.start_catalog_export().id, timeout=timeout)
        return self.read_catalog_export(operation)

    def products_changed_since(self, since: datetime, cursor: str | None = None) -> ProductPage:
        stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        location_ids = self._location_ids()
        data = self.client.query(
            queries.products_page_query(location_ids),
            {"first": self.page_size, "after": cursor, "query": f"updated_at:>'{stamp}'"},
        )
        connection = data["products"]
        products = [self._complete(node, location_ids) for node in connection["nodes"]]
        info = connection["pageInfo"]
        return ProductPage(products=products, next_cursor=info["endCursor"] if info["hasNextPage"] else None)

    def product(self, external_id: str) -> Product | None:
        """One product as it is now, or None when it no longer exists."""
        location_ids = self._location_ids()
        node = self.client.query(queries.product_query(location_ids), {"id": gid("Product", external_id)})["product"]
        return None if node is None else self._complete(node, location_ids)

    def _complete(self, node: dict, location_ids: list[str]) -> Product:
        """A product node with all its variants: more than fit in one page are read page by page."""
        product = mapping.product(node)
        page_info = node["variants"]["pageInfo"]
        while page_info["hasNextPage"]:
            more = self.client.query(
                queries.product_variants_query(location_ids), {"id": node["id"], "after": page_info["endCursor"]}
            )["product"]["variants"]
            for extra in more["nodes"]:
                product.variants.append(mapping.variant(extra, len(product.variants) + 1))
            page_info = more["pageInfo"]
        return product

    def _location_ids(self, *, refresh: bool = False) -> list[str]:
        # Stock is read per location by alias, so the query needs the shop's locations (cached).
        if refresh or self._locations is None:
            self._locations = [location["id"] for location in self.locations()]
        return self._locations

    def locations(self) -> list[dict]:
        found, after = [], None
        while True:
            connection = self.client.query(queries.LOCATIONS, {"after": after})["locations"]
            found.extend(connection["nodes"])
            if not connection["pageInfo"]["hasNextPage"]:
                return found
            after = connection["pageInfo"]["endCursor"]

    # --- orders -----------------------------------------------------------------------------------

    def find_order(self, source_name: str, source_order_id: str) -> CreatedOrder | None:
        """The order created earlier for this channel order, if any."""
        nodes = self.client.query(queries.ORDER_BY_SOURCE, {"query": f"source_identifier:'{source_order_id}'"})[
            "orders"
        ]["nodes"]
        for node in nodes:
            if node.get("sourceIdentifier") == source_order_id and node.get("sourceName") == source_name:
                return _created(node)
        return None

    def create_order(self, order: NewOrder) -> CreatedOrder:
        """Record a channel order in Shopify, once: an order with the same source id is returned as is."""
        existing = self.find_order(order.source_name, order.source_order_id)
        if existing is not None:
            return existing
        payload = self.client.mutate(
            queries.ORDER_CREATE,
            {
                "order": order_input(order),
                # Stock leaves Shopify when TikTok sells, even past "continue selling" policies:
                # the sale already happened.
                "options": {
                    "inventoryBehaviour": "DECREMENT_IGNORING_POLICY",
                    "sendReceipt": False,
                    "sendFulfillmentReceipt": False,
                },
            },
            "orderCreate",
        )
        return _created(payload["order"])

    def order_fulfilments(self, order_external_id: str) -> OrderFulfilments:
        order = self.client.query(queries.ORDER_FULFILMENTS, {"id": gid("Order", order_external_id)})["order"]
        if order is None:
            raise NotFound(f"order {order_external_id} not found")
        fulfilment_orders = [
            FulfilmentOrder(
                external_id=node["id"],
                status=node["status"],
                location_external_id=((node.get("assignedLocation") or {}).get("location") or {}).get("id"),
                lines=[
                    FulfilmentOrderLine(
                        external_id=line["id"],
                        line_item_external_id=line["lineItem"]["id"],
                        remaining_quantity=int(line["remainingQuantity"]),
                        total_quantity=int(line["totalQuantity"]),
                    )
                    for line in node["lineItems"]["nodes"]
                ],
            )
            for node in order["fulfillmentOrders"]["nodes"]
        ]
        return OrderFulfilments(
            order_external_id=order["id"],
            cancelled=order.get("cancelledAt") is not None,
            fulfilment_orders=fulfilment_orders,
            fulfilments=_fulfilments(order),
        )

    def orders_changed_since(
        self, since: datetime | None, cursor: str | None = None, *, source_name: str | None = None
    ) -> OrderPage:
        """Orders updated after `since` (all when None), oldest change first; only those recorded from
        `source_name` when given. Their fulfilment orders are not read (empty): shipping needs none."""
        terms = [f"source_name:'{source_name}'"] if source_name else []
        if since is not None:
            terms.append(f"updated_at:>'{since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}'")
        data = self.client.query(
            queries.ORDERS_CHANGED, {"first": ORDERS_PAGE, "after": cursor, "query": " ".join(terms)}
        )
        connection = data["orders"]
        orders = [
            OrderFulfilments(
                order_external_id=node["id"],
                cancelled=node.get("cancelledAt") is not None,
                fulfilment_orders=[],
                fulfilments=_fulfilments(node),
                cancel_reason=None
                if node.get("cancelledAt") is None
                else (CANCELLED_BY_BUYER if node.get("cancelReason") == "CUSTOMER" else CANCELLED_OTHERWISE),
                updated_at=mapping.parse_time(node.get("updatedAt")),
            )
            for node in connection["nodes"]
        ]
        info = connection["pageInfo"]
        return OrderPage(orders=orders, next_cursor=info["endCursor"] if info["hasNextPage"] else None)

    def cancel_order(
        self,
        order_external_id: str,
        *,
        reason: str = "OTHER",
        restock: bool = True,
        state_external_id: str | None = None,
    ) -> None:
        """Ask Shopify to cancel (it finishes asynchronously; `orders/cancelled` confirms). `reason` is a
        neutral one (`CANCELLED_BY_BUYER`, `CANCELLED_OTHERWISE`) or Shopify's own."""
        reason = _NEUTRAL_CANCEL_REASONS.get(reason, reason)
        if reason not in CANCEL_REASONS:
            raise ValueError(f"unknown cancel reason {reason!r}")
        self.client.mutate(
            queries.ORDER_CANCEL,
            {
                "orderId": gid("Order", order_external_id),
                "reason": reason,
                # TikTok refunds the buyer itself; Shopify recorded no real payment to give back.
                "refundMethod": {"originalPaymentMethodsRefund": False},
                "restock": restock,
                "notifyCustomer": False,
            },
            "orderCancel",
            user_errors_key="orderCancelUserErrors",
        )

    def refund_order(
        self, order_external_id: str, items: Sequence[RefundItem], *, note: str, idempotency_key: str
    ) -> str:
        """Record on the store order a refund the channel made: the refunded line items, no restock (the
        connector restocks returns itself, by the merchant's setting) and no money (Shopify took none).
        Returns the refund's id; the same key answers with the same refund."""
        order = self.client.query(queries.ORDER_LINE_ITEMS, {"id": gid("Order", order_external_id)})["order"]
        if order is None:
            raise NotFound(f"order {order_external_id} not found")
        # Capped by what was bought, not what is left: a retried call sends the very same request, so
        # Shopify answers it from the idempotency key instead of refunding again.
        open_units = {line["id"]: int(line["quantity"]) for line in order["lineItems"]["nodes"]}
        refunded: dict[str, int] = {}
        for item in items:
            wanted = item.quantity
            for line in order["lineItems"]["nodes"]:
                variant_id = (line.get("variant") or {}).get("id")
                same = (item.variant_external_id and variant_id == gid("ProductVariant", item.variant_external_id)) or (
                    not item.variant_external_id and item.sku and line.get("sku") == item.sku
                )
                if same and wanted:
                    taken = min(wanted, open_units[line["id"]] - refunded.get(line["id"], 0))
                    if taken > 0:
                        refunded[line["id"]] = refunded.get(line["id"], 0) + taken
                        wanted -= taken
        if not refunded:
            raise NotFound(f"none of the refunded items is on order {order_external_id}")
        payload = self.client.mutate(
            queries.REFUND_CREATE,
            {
                "input": {
                    "orderId": order["id"],
                    "note": note,
                    "notify": False,
                    "refundLineItems": [
                        {"lineItemId": line_id, "quantity": quantity, "restockType": "NO_RESTOCK"}
                        for line_id, quantity in refunded.items()
                    ],
                },
                "key": idempotency_key,
            },
            "refundCreate",
            idempotent=True,
        )
        return payload["refund"]["id"]

    # --- inventory --------------------------------------------------------------------------------

    def adjust_inventory(self, changes: Sequence[InventoryChange], *, reason: str, idempotency_key: str) -> None:
        """Add to (or take from) available stock, 250 changes at a time, each chunk under its own key
        derived from `idempotency_key`: a repeated call (a retried job) changes nothing twice."""
        for start in range(0, len(changes), 250):
            variables = {
                "key": f"{idempotency_key}:{start // 250}",
                "input": {
                    "name": "available",
                    "reason": reason,
                    "referenceDocumentUri": f"gid://tokbridge/InventoryAdjustment/{idempotency_key}",
                    "changes": [
                        {
                            "inventoryItemId": gid("InventoryItem", c.inventory_item_external_id),
                            "locationId": gid("Location", c.location_external_id),
                            "delta": c.delta,
                        }
                        for c in changes[start : start + 250]
                    ],
                },
            }
            try:
                self.client.mutate(queries.INVENTORY_ADJUST, variables, "inventoryAdjustQuantities", idempotent=True)
            except ShopifyValidationError as exc:
                if any(code in _RETRY_LATER_CODES for code in exc.codes):
                    raise Throttled(str(exc), retry_after=2.0) from exc
                raise

    def set_inventory(self, quantities: Sequence[InventoryQuantity], *, idempotency_key: str) -> None:
        """Set available quantities, 250 at a time (Shopify's input cap).

        Each chunk gets its own key derived from `idempotency_key`, so repeating the whole call
        (a job retried after a timeout) repeats nothing Shopify already applied.
        """
        for start in range(0, len(quantities), 250):
            chunk = quantities[start : start + 250]
            variables = {
                "key": f"{idempotency_key}:{start // 250}",
                "input": {
                    "name": "available",
                    "reason": "correction",
                    "referenceDocumentUri": f"gid://tokbridge/InventorySync/{idempotency_key}",
                    "quantities": [
                        {
                            "inventoryItemId": gid("InventoryItem", q.inventory_item_external_id),
                            "locationId": gid("Location", q.location_external_id),
                            "quantity": q.quantity,
                            "changeFromQuantity": q.change_from_quantity,
                        }
                        for q in chunk
                    ],
                },
            }
            try:
                self.client.mutate(queries.INVENTORY_SET, variables, "inventorySetQuantities", idempotent=True)
            except ShopifyValidationError as exc:
                if any(code in _RETRY_LATER_CODES for code in exc.codes):
                    raise Throttled(str(exc), retry_after=2.0) from exc
                raise


def _fulfilments(order: dict) -> list[Fulfilment]:
    found = []
    for node in order.get("fulfillments") or []:
        tracking = node.get("trackingInfo") or []
        found.append(
            Fulfilment(
                external_id=node["id"],
                status=node["status"],
                tracking_company=next((t.get("company") for t in tracking if t.get("company")), None),
                tracking_numbers=[t["number"] for t in tracking if t.get("number")],
                tracking_urls=[t["url"] for t in tracking if t.get("url")],
                created_at=mapping.parse_time(node.get("createdAt")),
                lines=[
                    FulfilmentLine(
                        line_item_external_id=line["lineItem"]["id"],
                        quantity=int(line["quantity"]),
                        sku=line["lineItem"].get("sku"),
                        variant_external_id=(line["lineItem"].get("variant") or {}).get("id"),
                    )
                    for line in node["fulfillmentLineItems"]["nodes"]
                ],
            )
        )
    return found


def _money(amount: str, currency: str) -> dict:
    return {"shopMoney": {"amount": amount, "currencyCode": currency}}


def _tax_lines(lines: list[TaxLine], currency: str) -> list[dict]:
    result = []
    for line in lines:
        item = {"title": line.title, "priceSet": _money(line.amount, currency)}
        if line.rate is not None:
            item["rate"] = line.rate
        result.append(item)
    return result


def _created(node: dict) -> CreatedOrder:
    """The created (or found) order, with its total in the shop's currency."""
    total = (node.get("totalPriceSet") or {}).get("shopMoney") or {}
    return CreatedOrder(
        external_id=node["id"],
        name=node["name"],
        currency=total.get("currencyCode"),
        total=str(total["amount"]) if total.get("amount") is not None else None,
    )


def order_input(order: NewOrder) -> dict:
    """`OrderCreateOrderInput` for a channel order. With `order.presentment` (the buyer paid in another
    currency than the shop's), every amount is a MoneyBag of both: `shopMoney` in the shop's currency and
    `presentmentMoney` in the buyer's, and `presentmentCurrency` names the buyer's."""
    currency = order.currency
    buyer = order.presentment

    def bag(amount: str, paid: str | None) -> dict:
        money = _money(amount, currency)
        if buyer is not None and paid is not None:
            money["presentmentMoney"] = {"amount": str(paid), "currencyCode": buyer.currency}
        return money

    def taxes(lines, paid_lines) -> list[dict]:
        found = _tax_lines(lines, currency)
        if buyer is not None:
            for item, paid in zip(found, paid_lines, strict=True):
                item["priceSet"] = bag(item["priceSet"]["shopMoney"]["amount"], paid.amount)
        return found

    paid_lines = buyer.lines if buyer is not None else [None] * len(order.lines)
    paid_shipping = buyer.shipping_lines if buyer is not None else [None] * len(order.shipping_lines)
    data: dict = {
        "currency": currency,
        "sourceName": order.source_name,
        "sourceIdentifier": order.source_order_id,
        "tags": sorted({*order.tags, order.source_name}),
        "taxesIncluded": order.taxes_included,
        # The buyer paid TikTok; Shopify records the order as paid without a payment of its own.
        "financialStatus": "PAID" if order.paid else "PENDING",
        "customAttributes": [{"key": f"{order.source_name}_order_id", "value": order.source_order_id}],
        "lineItems": [
            {
                **(
                    {"variantId": gid("ProductVariant", line.variant_external_id)}
                    if line.variant_external_id
                    else {"title": line.title or line.sku or "Item", "requiresShipping": True}
                ),
                "quantity": line.quantity,
                "priceSet": bag(line.unit_price, paid.unit_price if paid else None),
                "taxLines": taxes(line.tax_lines, paid.tax_lines if paid else []),
                **({"sku": line.sku} if line.sku else {}),
            }
            for line, paid in zip(order.lines, paid_lines, strict=True)
        ],
        "shippingLines": [
            {
                "title": line.title,
                "priceSet": bag(line.price, paid.price if paid else None),
                "taxLines": taxes(line.tax_lines, paid.tax_lines if paid else []),
                **({"code": line.code} if line.code else {}),
            }
            for line, paid in zip(order.shipping_lines, paid_shipping, strict=True)
        ],
    }
    if buyer is not None:
        data["presentmentCurrency"] = buyer.currency
    if order.tax_lines:
        data["taxLines"] = taxes(order.tax_lines, buyer.tax_lines if buyer is not None else [])
    if order.discount_amount:
        data["discountCode"] = {
            "itemFixedDiscountCode": {
                "code": order.discount_title or f"{order.source_name.upper()}-DISCOUNT",
                "amountSet": bag(order.discount_amount, buyer.discount_amount if buyer is not None else None),
            }
        }
    if order.email:
        data["email"] = order.email
    if order.note:
        data["note"] = order.note
    if order.processed_at:
        data["processedAt"] = order.processed_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if order.shipping_address:
        address = {k: v for k, v in _address(order.shipping_address).items() if v is not None}
        data["shippingAddress"] = address
    return data


def _address(address) -> dict:
    return {
        "firstName": address.first_name,
        "lastName": address.last_name,
        "address1": address.address1,
        "address2": address.address2,
        "city": address.city,
        "provinceCode": address.province_code,
        "zip": address.zip,
        "countryCode": address.country_code,
        "phone": address.phone,
    }
