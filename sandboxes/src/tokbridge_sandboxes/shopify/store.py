"""One shop's true state: the generated catalog plus everything that changed since.

Every read goes through here, whether it comes from GraphQL, a bulk operation, a webhook
payload or the control API, so they always agree. One lock per shop keeps writes atomic.
"""

from __future__ import annotations

import copy
import itertools
import threading
import zlib
from collections.abc import Callable, Iterator
from decimal import Decimal

from . import ids, payloads
from .catalog import Catalog
from .clock import SandboxClock, parse_iso
from .models import (
    AppSubscription,
    BulkOperation,
    Fulfillment,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    Job,
    LineItem,
    Order,
    Product,
    ProductOption,
    Refund,
    RefundLine,
    ShippingLine,
    TaxLine,
    Variant,
    WebhookSubscription,
)

GENERATED_CACHE_SIZE = 512
EmitWebhook = Callable[[str, str, dict], None]  # (shop domain, topic like "products/update", payload)


class StoreError(ValueError):
    """A request the store refuses; `code` is Shopify's user-error code, `field` its path."""

    def __init__(self, message: str, code: str | None = None, field: list[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


def money(value: Decimal | int | str) -> str:
    try:
        return str(Decimal(value).quantize(Decimal("0.01")))
    except (ArithmeticError, TypeError, ValueError):
        raise ValueError(f"not an amount: {value!r}") from None


class ShopStore:
    def __init__(self, domain: str, catalog: Catalog, clock: SandboxClock, currency: str, emit: EmitWebhook) -> None:
        self.domain = domain
        self.name = domain.split(".", 1)[0].replace("-", " ").title()
        # Stable across restarts (Python's str hash is salted per process, so not that).
        self.id = 60_000_000_000 + zlib.crc32(domain.encode())
        self.currency = currency
        self.catalog = catalog
        self.clock = clock
        self.emit = emit
        self.lock = threading.RLock()
        self._generated: dict[int, Product] = {}  # small cache of untouched generated products
        self._overrides: dict[int, Product] = {}  # index -> product changed or created after generation
        self._deleted: set[int] = set()
        self._next_index = catalog.count
        self._available: dict[tuple[int, int], int] = {}
        self._committed: dict[tuple[int, int], int] = {}
        self._level_updated_at: dict[tuple[int, int], float] = {}
        self.orders: dict[int, Order] = {}
        self._ids = itertools.count(9_100_000_000_000)
        self._order_numbers = itertools.count(1001)
        self.webhook_subscriptions: dict[int, WebhookSubscription] = {}
        self.app_subscriptions: dict[int, AppSubscription] = {}  # see billing.py
        self.bulk_operations: dict[int, BulkOperation] = {}
        self.jobs: dict[str, Job] = {}
        self.idempotency: dict[tuple[str, str], tuple[str, object]] = {}

    def new_id(self) -> int:
        return next(self._ids)

    # ---- copies for bulk worker processes -----------------------------------------------------
    def catalog_snapshot(self) -> dict:
        """What another process needs to read the same catalog and stock (not orders)."""
        with self.lock:
            return {
                "domain": self.domain,
                "currency": self.currency,
                "seed": self.catalog.seed,
                "count": self.catalog.count,
                "now": self.clock.now(),
                "next_index": self._next_index,
                "overrides": copy.deepcopy(self._overrides),
                "deleted": set(self._deleted),
                "available": dict(self._available),
                "committed": dict(self._committed),
                "level_updated_at": dict(self._level_updated_at),
            }

    @classmethod
    def from_catalog_snapshot(cls, snapshot: dict) -> ShopStore:
        store = cls(
            snapshot["domain"],
            Catalog(snapshot["seed"], snapshot["count"]),
            SandboxClock(frozen=True, start=snapshot["now"]),
            snapshot["currency"],
            lambda *_: None,
        )
        store._next_index = snapshot["next_index"]
        store._overrides = snapshot["overrides"]
        store._deleted = snapshot["deleted"]
        store._available = snapshot["available"]
        store._committed = snapshot["committed"]
        store._level_updated_at = snapshot["level_updated_at"]
        return store

    # ---- catalog ---------------------------------------------------------------------------
    @property
    def product_index_limit(self) -> int:
        return self._next_index

    def product(self, index: int) -> Product | None:
        if index in self._deleted or not 0 <= index < self._next_index:
            return None
        found = self._overrides.get(index)
        if found is not None:
            return found
        # Resolvers reach the same product many times (variant -> product); generate it once.
        cached = self._generated.get(index)
        if cached is None:
            if len(self._generated) >= GENERATED_CACHE_SIZE:
                self._generated.clear()
            cached = self._generated[index] = self.catalog.product(index)
        return cached

    def product_by_id(self, product_id: int) -> Product | None:
        return self.product(ids.product_index(product_id))

    def product_updated_at(self, index: int) -> float:
        found = self._overrides.get(index)
        return found.updated_at if found is not None else self.catalog.updated_at(index)

    def product_created_at(self, index: int) -> float:
        found = self._overrides.get(index)
        return found.created_at if found is not None else self.catalog.created_at(index)

    def product_status(self, index: int) -> str:
        found = self._overrides.get(index)
        return found.status if found is not None else self.catalog.status(index)

    def exists(self, index: int) -> bool:
        return 0 <= index < self._next_index and index not in self._deleted

    def product_indexes(self, start: int = 0, reverse: bool = False) -> Iterator[int]:
        """Product indexes in id order (Shopify's default sort), deleted ones skipped."""
        span = range(self._next_index - 1, -1, -1) if reverse else range(start, self._next_index)
        if reverse and start:
            span = range(start, -1, -1)
        for index in span:
            if index not in self._deleted:
                yield index

    def variant(self, variant_id: int) -> tuple[Product, Variant] | None:
        index, position = ids.split_variant_id(variant_id)
        product = self.product(index)
        if product is None:
            return None
        for variant in product.variants:
            if variant.id == variant_id:
                return product, variant
        return None

    def inventory_item(self, item_id: int) -> tuple[Product, Variant] | None:
        index, position = ids.split_inventory_item_id(item_id)
        product = self.product(index)
        if product is None:
            return None
        for variant in product.variants:
            if variant.inventory_item_id == item_id:
                return product, variant
        return None

    def location(self, location_id: int):
        return next((loc for loc in self.catalog.locations if loc.id == location_id), None)

    def collection(self, collection_id: int):
        return next((c for c in self.catalog.collections if c.id == collection_id), None)

    def _editable(self, index: int) -> Product:
        product = self.product(index)
        if product is None:
            raise StoreError("Product does not exist", "NOT_FOUND", ["id"])
        if index not in self._overrides:
            product = copy.deepcopy(product)
            self._overrides[index] = product
        return product

    def update_product(self, product_id: int, changes: dict) -> Product:
        """A merchant edit in the admin: product fields and, by id, variant fields."""
        for key in ("title", "descriptionHtml", "vendor", "productType", "handle"):
            if key in changes and not isinstance(changes[key], str):
                raise StoreError(f"{key} must be a string", "INVALID", [key])
        if "tags" in changes and not (
            isinstance(changes["tags"], list) and all(isinstance(t, str) for t in changes["tags"])
        ):
            raise StoreError("tags must be a list of strings", "INVALID", ["tags"])
        if "status" in changes and changes["status"] not in {"ACTIVE", "DRAFT", "ARCHIVED"}:
            raise StoreError("Status is not valid", "INVALID", ["status"])
        if not isinstance(changes.get("variants", []), list):
            raise StoreError("variants must be a list", "INVALID", ["variants"])
        with self.lock:
            product = self._editable(ids.product_index(product_id))
            now = self.clock.now()
            simple = {
                "title": "title",
                "descriptionHtml": "description_html",
                "vendor": "vendor",
                "productType": "product_type",
                "status": "status",
                "handle": "handle",
            }
            for key, attribute in simple.items():
                if key in changes:
                    setattr(product, attribute, changes[key])
            if "tags" in changes:
                product.tags = list(changes["tags"])
            for change in changes.get("variants", []):
                variant = next(
                    (v for v in product.variants if v.gid == change.get("id") or str(v.id) == str(change.get("id"))),
                    None,
                )
                if variant is None:
                    raise StoreError("Variant does not exist", "NOT_FOUND", ["variants", "id"])
                for key, attribute in {
                    "price": "price",
                    "compareAtPrice": "compare_at_price",
                    "sku": "sku",
                    "barcode": "barcode",
                }.items():
                    if key in change:
                        value = change[key]
                        setattr(
                            variant,
                            attribute,
                            money(value) if key in {"price", "compareAtPrice"} and value is not None else value,
                        )
                variant.updated_at = now
            product.updated_at = now
            self.emit(self.domain, "products/update", payloads.product_payload(self, product))
            return product

    def delete_product(self, product_id: int) -> None:
        with self.lock:
            index = ids.product_index(product_id)
            if not self.exists(index):
                raise StoreError("Product does not exist", "NOT_FOUND", ["id"])
            self._deleted.add(index)
            self._overrides.pop(index, None)
            self.emit(self.domain, "products/delete", {"id": product_id})

    def create_product(self, fields: dict) -> Product:
        """A new product made in the admin: one default variant, stocked at the first location."""
        with self.lock:
            index = self._next_index
            if index >= (ids.VARIANT_BASE - ids.PRODUCT_BASE):
                raise StoreError("Too many products", "INVALID")
            self._next_index += 1
            now = self.clock.now()
            pid = ids.product_id(index)
            variant = Variant(
                id=ids.variant_id(index, 1),
                product_id=pid,
                position=1,
                title="Default Title",
                sku=fields.get("sku", ""),
                barcode=None,
                price=money(fields.get("price", "10.00")),
                compare_at_price=None,
                option_values=["Default Title"],
                weight_grams=0,
                tracked=True,
                inventory_item_id=ids.inventory_item_id(index, 1),
                inventory_policy="DENY",
                requires_shipping=True,
                taxable=True,
                created_at=now,
                updated_at=now,
            )
            title = fields.get("title") or "Untitled product"
            product = Product(
                id=pid,
                index=index,
                title=title,
                handle=f"{title.lower().replace(' ', '-')}-{index}",
                description_html=fields.get("descriptionHtml", ""),
                vendor=fields.get("vendor", self.name),
                product_type=fields.get("productType", ""),
                tags=list(fields.get("tags", [])),
                status=fields.get("status", "ACTIVE"),
                created_at=now,
                updated_at=now,
                options=[ProductOption(id=pid * 4 + 1, name="Title", position=1, values=["Default Title"])],
                variants=[variant],
                images=[],
                collection_ids=[],
                metafields=[],
                location_ids=[self.catalog.locations[0].id],
            )
            self._overrides[index] = product
            self._available[(variant.inventory_item_id, product.location_ids[0])] = int(fields.get("available", 0))
            self.emit(self.domain, "products/create", payloads.product_payload(self, product))
            return product

    # ---- inventory -------------------------------------------------------------------------
    def is_stocked(self, item_id: int, location_id: int) -> bool:
        found = self.inventory_item(item_id)
        return found is not None and location_id in found[0].location_ids

    def available(self, item_id: int, location_id: int) -> int:
        key = (item_id, location_id)
        if key in self._available:
            return self._available[key]
        return self.catalog.initial_available(item_id, location_id)

    def committed(self, item_id: int, location_id: int) -> int:
        return self._committed.get((item_id, location_id), 0)

    def quantity(self, item_id: int, location_id: int, name: str) -> int:
        available = self.available(item_id, location_id)
        committed = self.committed(item_id, location_id)
        return {"available": available, "committed": committed, "on_hand": available + committed}.get(name, 0)

    def level_updated_at(self, item_id: int, location_id: int, fallback: float) -> float:
        return self._level_updated_at.get((item_id, location_id), fallback)

    def set_quantity(self, item_id: int, location_id: int, name: str, quantity: int) -> int:
        """Set `available` or `on_hand`; returns the delta. A change emits inventory_levels/update."""
        with self.lock:
            key = (item_id, location_id)
            if name == "on_hand":
                quantity -= self.committed(item_id, location_id)
            before = self.available(item_id, location_id)
            if quantity == before:
                return 0
            self._available[key] = quantity
            self._level_updated_at[key] = self.clock.now()
            self._emit_level(item_id, location_id)
            return quantity - before

    def _adjust(self, item_id: int, location_id: int, available_delta: int, committed_delta: int) -> None:
        key = (item_id, location_id)
        self._available[key] = self.available(item_id, location_id) + available_delta
        self._committed[key] = self.committed(item_id, location_id) + committed_delta
        self._level_updated_at[key] = self.clock.now()
        if available_delta:
            self._emit_level(item_id, location_id)

    def _emit_level(self, item_id: int, location_id: int) -> None:
        self.emit(
            self.domain,
            "inventory_levels/update",
            {
                "inventory_item_id": item_id,
                "location_id": location_id,
                "available": self.available(item_id, location_id),
                "updated_at": payloads.rest_time(self._level_updated_at.get((item_id, location_id), self.clock.now())),
                "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{location_id}?inventory_item_id={item_id}",
            },
        )

    # ---- orders ----------------------------------------------------------------------------
    def create_order(self, order_input: dict, inventory_behaviour: str) -> Order:
        with self.lock:
            now = self.clock.now()
            line_inputs = order_input.get("lineItems") or []
            if not line_inputs:
                raise StoreError("Line items must have at least one line item", "INVALID", ["order", "lineItems"])
            currency = order_input.get("currency") or self.currency
            if currency != self.currency:
                # The order's own money is the shop's; a buyer's currency goes in presentmentCurrency.
                raise StoreError(
                    f"Currency must be the shop's currency ({self.currency}); give the buyer's "
                    "currency as presentmentCurrency",
                    "INVALID",
                    ["order", "currency"],
                )
            presentment = _presentment(order_input, self.currency)
            lines: list[LineItem] = []
            reservations: list[tuple[int, int, int]] = []  # (item, location, quantity)
            for position, line in enumerate(line_inputs):
                field = ["order", "lineItems", str(position)]
                quantity = line.get("quantity", 0)
                if quantity < 1:
                    raise StoreError("Quantity must be greater than or equal to 1", "INVALID", field + ["quantity"])
                price = _money_from_bag(line.get("priceSet"))
                variant_gid = line.get("variantId")
                if variant_gid:
                    parsed = ids.parse_gid(variant_gid, "ProductVariant")
                    found = self.variant(parsed[1]) if parsed else None
                    if found is None:
                        raise StoreError("Variant not found", "INVALID", field + ["variantId"])
                    product, variant = found
                    if price is None:
                        price = variant.price
                    lines.append(
                        LineItem(
                            id=self.new_id(),
                            variant_id=variant.id,
                            product_id=product.id,
                            title=product.title,
                            variant_title=None if variant.title == "Default Title" else variant.title,
                            sku=variant.sku or None,
                            quantity=quantity,
                            price=price,
                            tax_lines=_tax_lines(line.get("taxLines")),
                            requires_shipping=variant.requires_shipping,
                        )
                    )
                    if inventory_behaviour != "BYPASS" and variant.tracked:
                        location_id = self._pick_location(product, variant, quantity, inventory_behaviour, field)
                        reservations.append((variant.inventory_item_id, location_id, quantity))
                        lines[-1].reserved = True
                else:
                    if not line.get("title"):
                        raise StoreError("Title can't be blank for a custom line item", "INVALID", field + ["title"])
                    lines.append(
                        LineItem(
                            id=self.new_id(),
                            variant_id=None,
                            product_id=None,
                            title=line["title"],
                            variant_title=None,
                            sku=line.get("sku"),
                            quantity=quantity,
                            price=price or "0.00",
                            tax_lines=_tax_lines(line.get("taxLines")),
                            requires_shipping=bool(line.get("requiresShipping", True)),
                        )
                    )
            shipping_lines = []
            for position, shipping in enumerate(order_input.get("shippingLines") or []):
                price = _money_from_bag(shipping.get("priceSet"))
                if not shipping.get("title") or price is None:
                    raise StoreError(
                        "Shipping line needs a title and a priceSet",
                        "INVALID",
                        ["order", "shippingLines", str(position)],
                    )
                shipping_lines.append(
                    ShippingLine(
                        id=self.new_id(),
                        title=shipping["title"],
                        code=shipping.get("code"),
                        source=shipping.get("source"),
                        price=price,
                        tax_lines=_tax_lines(shipping.get("taxLines")),
                    )
                )
            discount_codes, total_discounts = _discount(order_input.get("discountCode"), lines)
            order = Order(
                id=self.new_id(),
                number=next(self._order_numbers),
                email=order_input.get("email"),
                phone=order_input.get("phone"),
                currency=currency,
                source_name=order_input.get("sourceName"),
                source_identifier=order_input.get("sourceIdentifier"),
                source_url=order_input.get("sourceUrl"),
                note=order_input.get("note"),
                tags=list(order_input.get("tags") or []),
                custom_attributes=[(a["key"], a["value"]) for a in order_input.get("customAttributes") or []],
                line_items=lines,
                shipping_lines=shipping_lines,
                tax_lines=_tax_lines(order_input.get("taxLines")),
                discount_codes=discount_codes,
                total_discounts=total_discounts,
                taxes_included=bool(order_input.get("taxesIncluded", False)),
                financial_status=order_input.get("financialStatus") or "PAID",
                shipping_address=order_input.get("shippingAddress"),
                billing_address=order_input.get("billingAddress"),
                test=bool(order_input.get("test", False)),
                created_at=now,
                updated_at=now,
                processed_at=_processed_at(order_input.get("processedAt"), now),
            )
            if order_input.get("name"):
                order.custom_name = order_input["name"]
            if presentment is not None:
                order.presentment_currency, order.presentment_totals = presentment
            for item_id, location_id, quantity in reservations:
                self._adjust(item_id, location_id, -quantity, +quantity)
            self._open_fulfillment_orders(order, reservations)
            self.orders[order.id] = order
            self.emit(self.domain, "orders/create", payloads.order_payload(order))
            return order

    def _pick_location(
        self, product: Product, variant: Variant, quantity: int, behaviour: str, field: list[str]
    ) -> int:
        # Locations in priority order: the first that can ship everything, else the best stocked.
        item = variant.inventory_item_id
        best = next(
            (loc for loc in product.location_ids if self.available(item, loc) >= quantity),
            max(product.location_ids, key=lambda loc: self.available(item, loc)),
        )
        if behaviour == "DECREMENT_OBEYING_POLICY" and variant.inventory_policy == "DENY":
            if self.available(variant.inventory_item_id, best) < quantity:
                raise StoreError(f"{product.title} is out of stock", "INVALID", field + ["quantity"])
        return best

    def _open_fulfillment_orders(self, order: Order, reservations: list[tuple[int, int, int]]) -> None:
        location_by_item = {item: loc for item, loc, _ in reservations}
        groups: dict[int, list[FulfillmentOrderLineItem]] = {}
        default_location = self.catalog.locations[0].id
        for line in order.line_items:
            if not line.requires_shipping:
                continue
            location_id = default_location
            if line.variant_id is not None:
                found = self.variant(line.variant_id)
                if found:
                    product, variant = found
                    location_id = location_by_item.get(variant.inventory_item_id, product.location_ids[0])
            groups.setdefault(location_id, []).append(
                FulfillmentOrderLineItem(
                    id=self.new_id(),
                    line_item_id=line.id,
                    total_quantity=line.quantity,
                    remaining_quantity=line.quantity,
                )
            )
        for location_id, items in groups.items():
            order.fulfillment_orders.append(
                FulfillmentOrder(
                    id=self.new_id(),
                    order_id=order.id,
                    location_id=location_id,
                    status="OPEN",
                    created_at=order.created_at,
                    updated_at=order.created_at,
                    line_items=items,
                )
            )

    def order(self, order_id: int) -> Order | None:
        return self.orders.get(order_id)

    def fulfillment_order(self, fulfillment_order_id: int) -> FulfillmentOrder | None:
        for order in self.orders.values():
            for fo in order.fulfillment_orders:
                if fo.id == fulfillment_order_id:
                    return fo
        return None

    def fulfillment(self, fulfillment_id: int) -> Fulfillment | None:
        for order in self.orders.values():
            for f in order.fulfillments:
                if f.id == fulfillment_id:
                    return f
        return None

    def cancel_order(self, order_id: int, reason: str, restock: bool) -> Order:
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                raise StoreError("Order does not exist", "NOT_FOUND", ["orderId"])
            if order.cancelled_at is not None:
                raise StoreError("Order has already been cancelled", "INVALID", ["orderId"])
            if any(f.status == "SUCCESS" for f in order.fulfillments):
                raise StoreError("Cannot cancel an order that has fulfillments", "INVALID", ["orderId"])
            now = self.clock.now()
            for fo in order.fulfillment_orders:
                for fo_line in fo.line_items:
                    line = next(li for li in order.line_items if li.id == fo_line.line_item_id)
                    found = self.variant(line.variant_id) if line.reserved else None
                    if found and fo_line.remaining_quantity:
                        # The committed units are released: back to available on restock, else gone.
                        units = fo_line.remaining_quantity
                        self._adjust(found[1].inventory_item_id, fo.location_id, units if restock else 0, -units)
                        line.restocked = restock
                fo.status = "CLOSED"
                fo.updated_at = now
            order.cancelled_at = now
            order.closed_at = now
            order.cancel_reason = reason
            order.updated_at = now
            if order.financial_status == "PAID":
                order.financial_status = "REFUNDED"
            self.emit(self.domain, "orders/cancelled", payloads.order_payload(order))
            return order

    def fulfill_order(
        self,
        order_id: int,
        company: str | None,
        number: str | None,
        url: str | None,
        lines: dict[int, int] | None = None,
    ) -> Fulfillment:
        """What a merchant does in the admin: ship what is left of the order with one tracking number, or
        only `lines` ({line item id: quantity}), the rest staying open for another fulfillment."""
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                raise StoreError("Order does not exist", "NOT_FOUND", ["orderId"])
            if order.cancelled_at is not None:
                raise StoreError("Order is cancelled", "INVALID", ["orderId"])
            open_orders = [fo for fo in order.fulfillment_orders if fo.status in {"OPEN", "IN_PROGRESS"}]
            if not open_orders:
                raise StoreError("Order has nothing left to fulfill", "INVALID", ["orderId"])
            now = self.clock.now()
            wanted = dict(lines) if lines is not None else None
            if wanted is not None:
                open_units = {
                    fo_line.line_item_id: fo_line.remaining_quantity for fo in open_orders for fo_line in fo.line_items
                }
                if not wanted or any(
                    quantity < 1 or quantity > open_units.get(line_id, 0) for line_id, quantity in wanted.items()
                ):
                    raise StoreError(
                        "Line items are not open for fulfillment in these quantities", "INVALID", ["lineItems"]
                    )
            shipped: list[tuple[int, int]] = []
            for fo in open_orders:
                for fo_line in fo.line_items:
                    units = (
                        fo_line.remaining_quantity
                        if wanted is None
                        else min(fo_line.remaining_quantity, wanted.get(fo_line.line_item_id, 0))
                    )
                    if units:
                        line = next(li for li in order.line_items if li.id == fo_line.line_item_id)
                        line.fulfilled_quantity += units
                        found = self.variant(line.variant_id) if line.reserved else None
                        if found:
                            # Shipping consumes the committed units: on_hand drops, available does not move.
                            self._adjust(found[1].inventory_item_id, fo.location_id, 0, -units)
                        shipped.append((line.id, units))
                        fo_line.remaining_quantity -= units
                        if wanted is not None:
                            wanted[fo_line.line_item_id] -= units
                fo.status = "IN_PROGRESS" if any(li.remaining_quantity for li in fo.line_items) else "CLOSED"
                fo.updated_at = now
            shipped_ids = {line_id for line_id, _ in shipped}
            open_orders = [fo for fo in open_orders if any(li.line_item_id in shipped_ids for li in fo.line_items)]
            fulfillment = Fulfillment(
                id=self.new_id(),
                order_id=order.id,
                name=f"{order.name}.{len(order.fulfillments) + 1}",
                status="SUCCESS",
                location_id=open_orders[0].location_id,
                tracking_company=company,
                tracking_number=number,
                tracking_url=url,
                created_at=now,
                updated_at=now,
                line_items=shipped,
            )
            order.fulfillments.append(fulfillment)
            order.updated_at = now
            self.emit(self.domain, "fulfillments/create", payloads.fulfillment_payload(order, fulfillment))
            return fulfillment

    def refund_order(self, order_id: int, note: str | None, lines: list[dict]) -> Refund:
        """`refundCreate` for line items (`lines`: the RefundLineItemInput values, ids parsed): each
        refunded at most as many times as it was bought; RETURN puts the units back at the location (or
        where the order was fulfilled from). No payment moves: sandbox orders hold no Shopify transaction."""
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                raise StoreError("Order does not exist", "NOT_FOUND", ["orderId"])
            wanted: dict[int, int] = {}
            for index, entry in enumerate(lines):
                line = next((li for li in order.line_items if li.id == entry["line_item_id"]), None)
                if line is None:
                    raise StoreError(
                        "Line item does not exist", "INVALID", ["refundLineItems", str(index), "lineItemId"]
                    )
                wanted[line.id] = wanted.get(line.id, 0) + entry["quantity"]
                if entry["quantity"] < 1 or wanted[line.id] > line.quantity - line.refunded_quantity:
                    raise StoreError(
                        "Quantity cannot refund more items than were purchased",
                        "INVALID",
                        ["refundLineItems", str(index), "quantity"],
                    )
            now = self.clock.now()
            refund_lines = []
            for entry in lines:
                line = next(li for li in order.line_items if li.id == entry["line_item_id"])
                line.refunded_quantity += entry["quantity"]
                location_id = entry.get("location_id")
                if entry["restock_type"] in ("RETURN", "LEGACY_RESTOCK") and line.variant_id is not None:
                    found = self.variant(line.variant_id)
                    location_id = location_id or next(
                        (f.location_id for f in order.fulfillments if any(i == line.id for i, _ in f.line_items)),
                        self.catalog.locations[0].id,
                    )
                    if found:
                        self._adjust(found[1].inventory_item_id, location_id, entry["quantity"], 0)
                refund_lines.append(
                    RefundLine(
                        id=self.new_id(),
                        line_item_id=line.id,
                        quantity=entry["quantity"],
                        restock_type=entry["restock_type"],
                        location_id=location_id,
                        price=line.price,
                    )
                )
            refund = Refund(
                id=self.new_id(), order_id=order.id, note=note, created_at=now, processed_at=now, lines=refund_lines
            )
            order.refunds.append(refund)
            order.updated_at = now
            return refund

    def update_tracking(
        self, fulfillment_id: int, company: str | None, number: str | None, url: str | None
    ) -> Fulfillment:
        with self.lock:
            fulfillment = self.fulfillment(fulfillment_id)
            if fulfillment is None:
                raise StoreError("Fulfillment does not exist", "NOT_FOUND", ["fulfillmentId"])
            fulfillment.tracking_company = company
            fulfillment.tracking_number = number
            fulfillment.tracking_url = url
            fulfillment.updated_at = self.clock.now()
            order = self.orders[fulfillment.order_id]
            self.emit(self.domain, "fulfillments/update", payloads.fulfillment_payload(order, fulfillment))
            return fulfillment


def _money_from_bag(bag: dict | None) -> str | None:
    if not bag:
        return None
    shop_money = bag.get("shopMoney") or bag.get("presentmentMoney")
    if not shop_money or shop_money.get("amount") is None:
        return None
    return money(shop_money["amount"])


def _presentment(order_input: dict, shop_currency: str) -> tuple[str, dict[str, str]] | None:
    """With `presentmentCurrency`, every MoneyBag carries the buyer's amount too (`presentmentMoney`, in that
    currency) beside the shop's (`shopMoney`, in the shop's): the order's totals in the buyer's currency."""
    buyer = order_input.get("presentmentCurrency")
    if not buyer:
        return None

    def amount(bag: dict | None, field: list[str]) -> Decimal:
        if not bag:
            return Decimal(0)
        shop_money, buyer_money = bag.get("shopMoney") or {}, bag.get("presentmentMoney")
        if shop_money.get("currencyCode") not in (None, shop_currency):
            raise StoreError(
                f"shopMoney must be in the shop's currency ({shop_currency})",
                "INVALID",
                field + ["shopMoney", "currencyCode"],
            )
        if not buyer_money or buyer_money.get("amount") is None:
            raise StoreError(
                "presentmentMoney is required when presentmentCurrency is set", "INVALID", field + ["presentmentMoney"]
            )
        if buyer_money.get("currencyCode") != buyer:
            raise StoreError(
                f"presentmentMoney must be in the presentment currency ({buyer})",
                "INVALID",
                field + ["presentmentMoney", "currencyCode"],
            )
        return Decimal(str(buyer_money["amount"]))

    def taxes(items, field) -> Decimal:
        return sum(
            (amount(t.get("priceSet"), field + ["taxLines", str(n), "priceSet"]) for n, t in enumerate(items or [])),
            Decimal(0),
        )

    subtotal = tax = shipping = Decimal(0)
    for n, line in enumerate(order_input.get("lineItems") or []):
        field = ["order", "lineItems", str(n)]
        subtotal += amount(line.get("priceSet"), field + ["priceSet"]) * int(line.get("quantity") or 0)
        tax += taxes(line.get("taxLines"), field)
    for n, line in enumerate(order_input.get("shippingLines") or []):
        field = ["order", "shippingLines", str(n)]
        shipping += amount(line.get("priceSet"), field + ["priceSet"])
        tax += taxes(line.get("taxLines"), field)
    tax += taxes(order_input.get("taxLines"), ["order"])
    fixed = (order_input.get("discountCode") or {}).get("itemFixedDiscountCode")
    if fixed:
        subtotal -= min(
            amount(fixed.get("amountSet"), ["order", "discountCode", "itemFixedDiscountCode", "amountSet"]), subtotal
        )
    total = subtotal + shipping + (Decimal(0) if order_input.get("taxesIncluded") else tax)
    return buyer, {"subtotal": money(subtotal), "shipping": money(shipping), "tax": money(tax), "total": money(total)}


def _tax_lines(inputs: list[dict] | None) -> list[TaxLine]:
    lines = []
    for tax in inputs or []:
        rate = tax.get("rate")
        lines.append(
            TaxLine(
                title=tax.get("title", "Tax"),
                rate=float(rate) if rate is not None else None,
                amount=_money_from_bag(tax.get("priceSet")) or "0.00",
            )
        )
    return lines


def _discount(discount: dict | None, lines: list[LineItem]) -> tuple[list[str], str]:
    if not discount:
        return [], "0.00"
    subtotal = sum(Decimal(li.price) * li.quantity for li in lines)
    if fixed := discount.get("itemFixedDiscountCode"):
        return [fixed["code"]], money(min(Decimal(_money_from_bag(fixed.get("amountSet")) or "0"), subtotal))
    if percentage := discount.get("itemPercentageDiscountCode"):
        return [percentage["code"]], money(subtotal * Decimal(str(percentage.get("percentage") or 0)) / 100)
    if free := discount.get("freeShippingDiscountCode"):
        return [free["code"]], "0.00"
    return [], "0.00"


def _processed_at(value: str | None, default: float) -> float:
    return parse_iso(value) if value else default
