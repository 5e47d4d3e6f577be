"""Order and fulfillment endpoints: search orders, order detail, mark package as shipped, ship
package, package detail, update shipping info (order and package)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from . import order_flow
from .catalog import page_window
from .errors import ApiError, parameter_error, text_list
from .products import IMAGE_HOST
from .routing import FULFILLMENT, LOGISTICS, ORDER_INFO, Call, endpoint
from .state import Order, Package, SandboxState

MAX_DETAIL_IDS = 50
NOT_YOURS = (21008111, "The order or package does not belong to the current seller.")
PACKAGE_NOT_YOURS = (21011028, "The package does not belong to the current shop.   ")
ALREADY_SHIPPED = (21011006, "These orders are already shipped.")
ORDER_CANCELLED = (21011041, "Cannot complete the operation when order is cancelled. ")
BAD_TRACKING = (21011022, "Invalid tracking number or provider ID. Please double check and try again.")
NOT_SHIPPED = (21011043, "The package has not been shipped yet. ")
INVALID_PARAMS = (21001001, "Invalid parameters. Please ensure you are passing the correct request parameter(s).")
AFTER_SALE = (21011007, "Package item has after-sale request, please process the after-sale request first.")
UPDATE_WINDOW_SECONDS = 72 * 3600
# Markets where package ids appear on line items only after shipping ("US/UK local shops").
LATE_PACKAGE_REGIONS = {"US", "UK", "GB"}


def _money(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


DAY = 86400
ZERO = "0.00"
# Fees and discounts the sandbox never charges: present, as TikTok sends them, at zero.
ZERO_PAYMENT_PARTS = (
    "buyer_service_fee",
    "handling_fee",
    "item_insurance_fee",
    "item_insurance_tax",
    "shipping_fee_cofunded_discount",
    "shipping_fee_platform_discount",
    "shipping_fee_seller_discount",
    "shipping_insurance_fee",
    "small_order_fee",
)
ZERO_ITEM_PARTS = ("buyer_service_fee", "gift_retail_price", "pfand_fee", "retail_delivery_fee", "small_order_fee")


def _pre_sale(state: SandboxState, product_id: str, sku_id: str) -> dict[str, Any]:
    """The pre-sale settings of a SKU's live version, {} when it has none (then it is not a PRE_ORDER)."""
    product = state.products.get(product_id)
    sku = next((s for s in product.live.skus if s.id == sku_id), None) if product and product.live else None
    pre_sale = sku.body.get("pre_sale") if sku else None
    return pre_sale if isinstance(pre_sale, dict) else {}


def _whole_number(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _handling(pre_sale: dict[str, Any]) -> tuple[int, int | None]:
    """(handling days, release date) of a pre-sale: three business days and no date by default."""
    fulfilment = pre_sale.get("fulfillment_type")
    fulfilment = fulfilment if isinstance(fulfilment, dict) else {}
    return (
        _whole_number(fulfilment.get("handling_duration_days"), 3) or 3,
        _whole_number(fulfilment.get("release_date"), 0) or None,
    )


def _deadlines(order: Order, handling_days: int) -> dict[str, int]:
    """SLA and due times, counted from payment (from placing while unpaid) as TikTok's US defaults."""
    start = order.paid_time or order.create_time
    ship_by = start + handling_days * DAY
    return {
        "cancel_order_sla_time": order.create_time + DAY,
        "tts_sla_time": ship_by,
        "shipping_due_time": ship_by,
        "pick_up_cut_off_time": ship_by,
        "fast_dispatch_sla_time": start + 2 * DAY,
        "collection_due_time": ship_by + DAY,
        "delivery_option_required_delivery_time": ship_by + 5 * DAY,
        "delivery_sla_time": ship_by + 7 * DAY,
        "delivery_due_time": ship_by + 7 * DAY,
    }


def _order_facts(state: SandboxState, order: Order, shop_region: str) -> dict[str, Any]:
    """What an order answer carries beyond its own state: order type and deadlines, the market's fields."""
    pre_sales = [p for p in (_pre_sale(state, i.product_id, i.sku_id) for i in order.line_items) if p]
    handling_days, release_date = _handling(pre_sales[0]) if pre_sales else (3, None)
    facts: dict[str, Any] = {
        "order_type": "PRE_ORDER" if pre_sales else "NORMAL",
        "handling_duration": {"days": str(handling_days), "type": "BUSINESS_DAY"},
        **_deadlines(order, handling_days),
        "seller_note": "",
        "auto_combine_group_id": "",
        "consultation_id": "",
        "cpf": "",
        "cpf_name": "",
        "exchange_source_order_id": "",
        "replaced_order_id": "",
        "is_exchange_order": False,
        "need_upload_invoice": "NO_NEED",
        "payment_method_code": "CCDC",
        "payment_card_type": "VISA",
        "payment_auth_code": "",
        "channel_entity_national_registry_id": "",
    }
    if release_date:
        facts["release_date"] = release_date
    if shop_region == "US":
        facts["fast_delivery_program"] = "3_DAY_DELIVERY"
    if len(order.package_ids) > 1:
        facts["split_or_combine_tag"] = "SPLIT"
    return facts


def _line_item_facts(state: SandboxState, product_id: str, sku_id: str) -> dict[str, Any]:
    pre_sale = _pre_sale(state, product_id, sku_id)
    facts: dict[str, Any] = {
        **{part: ZERO for part in ZERO_ITEM_PARTS},
        "is_dangerous_good": False,
        "needs_prescription": False,
        "item_tax": [{"tax_type": "SALES_TAX", "tax_amount": ZERO, "tax_rate": "0"}],
        "sku_type": "PRE_ORDER" if pre_sale else "NORMAL",
    }
    if pre_sale:
        facts["handling_duration_days"] = str(_handling(pre_sale)[0])
    return facts


def order_json(state: SandboxState, order: Order, *, for_search: bool = False) -> dict[str, Any]:
    shop = state.shops[order.shop_id]
    live_items = [i for i in order.line_items if not i.cancel_user]
    subtotal = sum((Decimal(i.sale_price) for i in live_items), Decimal(0))
    shipping_fee = Decimal("0") if not live_items else Decimal("4.99")
    hide_packages = shop.region in LATE_PACKAGE_REGIONS and order.status in ("UNPAID", "ON_HOLD", "AWAITING_SHIPMENT")
    provider_name = state.providers.get(order.shipping_provider_id or "", "")
    out: dict[str, Any] = {
        "id": order.id,
        "status": order.status,
        "user_id": order.buyer_user_id,
        "buyer_email": f"v2b{order.buyer_user_id[-6:]}@chat.seller.tiktok.com",
        "buyer_message": "",
        "create_time": order.create_time,
        "update_time": order.update_time,
        "shipping_type": "SELLER",
        "fulfillment_type": "FULFILLMENT_BY_SELLER",
        "delivery_type": "HOME_DELIVERY",
        "delivery_option_id": order.delivery_option.id,
        "delivery_option_name": order.delivery_option.name,
        "warehouse_id": order.warehouse_id,
        "is_cod": False,
        "is_sample_order": False,
        "is_on_hold_order": state.config.on_hold_seconds > 0,
        "is_buyer_request_cancel": order.is_buyer_request_cancel,
        "is_replacement_order": False,
        "has_updated_recipient_address": False,
        "commerce_platform": "TIKTOK_SHOP",
        "order_type": "NORMAL",
        "payment_method_name": "CCDC",
        "payment": {
            "currency": order.currency,
            "sub_total": _money(subtotal),
            "shipping_fee": _money(shipping_fee),
            "seller_discount": "0.00",
            "platform_discount": "0.00",
            "tax": "0.00",
            "product_tax": "0.00",
            "shipping_fee_tax": "0.00",
            "retail_delivery_fee": "0.00",
            "original_total_product_price": _money(subtotal),
            "original_shipping_fee": _money(shipping_fee),
            "total_amount": _money(subtotal + shipping_fee),
            **{part: ZERO for part in ZERO_PAYMENT_PARTS},
        },
        "line_items": [],
        "packages": [] if hide_packages else [{"id": p} for p in order.package_ids],
        **_order_facts(state, order, shop.region),
    }
    if for_search:
        # Search Orders has these two and not Get Order Detail's payment codes.
        for key in (
            "payment_method_code",
            "payment_card_type",
            "payment_auth_code",
            "channel_entity_national_registry_id",
        ):
            del out[key]
        out["fulfillment_priority_level"] = 600  # Standard
        out["recommended_shipping_time"] = out["shipping_due_time"] - DAY
    for key in (
        "paid_time",
        "rts_time",
        "collection_time",
        "delivery_time",
        "cancel_time",
        "cancel_reason",
        "cancellation_initiator",
        "request_cancel_time",
        "tracking_number",
        "shipping_provider_id",
    ):
        value = getattr(order, key)
        if value is not None:
            out[key] = value
    if provider_name:
        out["shipping_provider"] = provider_name
    if order.paid_time:
        out["rts_sla_time"] = order.paid_time + 3 * 86400
    if order.status not in ("UNPAID", "ON_HOLD"):
        out["recipient_address"] = order.recipient
    for item in order.line_items:
        entry = {
            "id": item.id,
            "sku_id": item.sku_id,
            "product_id": item.product_id,
            "product_name": item.product_name,
            "sku_name": item.sku_name,
            "seller_sku": item.seller_sku,
            "sku_image": "",
            "original_price": item.sale_price,
            "sale_price": item.sale_price,
            "seller_discount": "0",
            "platform_discount": "0",
            "currency": item.currency,
            "display_status": item.display_status,
            "is_gift": False,
            **_line_item_facts(state, item.product_id, item.sku_id),
        }
        if item.package_id and not hide_packages:
            entry["package_id"] = item.package_id
            entry["package_status"] = item.package_status
        package = state.packages.get(item.package_id or "")
        if package and package.tracking_number:
            entry["tracking_number"] = package.tracking_number
            entry["shipping_provider_id"] = package.shipping_provider_id
            entry["shipping_provider_name"] = state.providers.get(package.shipping_provider_id or "", "")
            entry["rts_time"] = package.shipped_time
        if item.cancel_user:
            entry["cancel_user"] = item.cancel_user
            entry["cancel_reason"] = item.cancel_reason
        out["line_items"].append(entry)
    return out


def _owned_order(call: Call, order_id: str) -> Order:
    order = call.state.orders.get(order_id)
    if order is None or order.shop_id != call.require_shop().id:
        raise ApiError(*NOT_YOURS)
    return order


@endpoint("POST", "/order/202309/orders/search", scopes=ORDER_INFO)
def search_orders(call: Call) -> dict[str, Any]:
    state, shop, body = call.state, call.require_shop(), call.json
    sort_field = call.query.get("sort_field", "create_time")
    sort_order = call.query.get("sort_order", "DESC")
    if sort_field not in ("create_time", "update_time") or sort_order not in ("ASC", "DESC"):
        raise parameter_error("sort_field must be create_time or update_time and sort_order ASC or DESC.")

    def matches(order: Order) -> bool:
        if order.shop_id != shop.id:
            return False
        if body.get("order_status") and order.status != body["order_status"]:
            return False
        for key, attr, op in (
            ("create_time_ge", "create_time", "ge"),
            ("create_time_lt", "create_time", "lt"),
            ("update_time_ge", "update_time", "ge"),
            ("update_time_lt", "update_time", "lt"),
        ):
            bound = body.get(key)
            if isinstance(bound, int):
                value = getattr(order, attr)
                if (op == "ge" and value < bound) or (op == "lt" and value >= bound):
                    return False
        if body.get("shipping_type") not in (None, "SELLER"):
            return False
        if body.get("buyer_user_id") and order.buyer_user_id != body["buyer_user_id"]:
            return False
        if "is_buyer_request_cancel" in body and order.is_buyer_request_cancel != bool(body["is_buyer_request_cancel"]):
            return False
        warehouses = text_list(body.get("warehouse_ids"), parameter_error("warehouse_ids must be a list."))
        return not warehouses or order.warehouse_id in warehouses

    found = sorted(
        (o for o in state.orders.values() if matches(o)),
        key=lambda o: (getattr(o, sort_field), o.id),
        reverse=sort_order == "DESC",
    )
    start, end, next_token = page_window(
        call.query, len(found), invalid=parameter_error("page_size must be 1-100 and page_token valid.")
    )
    return {
        "orders": [order_json(state, o, for_search=True) for o in found[start:end]],
        "total_count": len(found),
        "next_page_token": next_token,
    }


@endpoint("GET", "/order/202309/orders", "/order/202507/orders", scopes=ORDER_INFO)
def order_detail(call: Call) -> dict[str, Any]:
    ids = [i for i in call.query.get("ids", "").split(",") if i]
    if not ids:
        raise parameter_error("ids is required.")
    if len(ids) > MAX_DETAIL_IDS:
        raise parameter_error(f"ids cannot contain more than {MAX_DETAIL_IDS} order IDs.")
    shop = call.require_shop()
    orders = []
    for order_id in ids:
        order = call.state.orders.get(order_id)
        if order is None:
            continue
        if order.shop_id != shop.id:
            raise ApiError(*NOT_YOURS)
        orders.append(order_json(call.state, order))
    return {"orders": orders}


# -- fulfillment ----------------------------------------------------------------------------------
def _check_tracking(call: Call, order: Order, tracking: Any, provider_id: Any) -> None:
    if not isinstance(tracking, str) or not tracking:
        raise ApiError(*INVALID_PARAMS)
    if not re.fullmatch(r"[A-Za-z0-9-]{6,40}", tracking):
        raise ApiError(21004012, "Tracking number has special characters, verify failed.")
    if not isinstance(provider_id, str) or provider_id not in order.delivery_option.provider_ids:
        raise ApiError(*BAD_TRACKING)


def _ship(call: Call, order: Order, package: Package, tracking: str, provider_id: str) -> None:
    now = call.now
    package.tracking_number, package.shipping_provider_id = tracking, provider_id
    package.status, package.shipped_time, package.update_time = "FULFILLING", now, now
    order.tracking_number, order.shipping_provider_id = tracking, provider_id
    order.rts_time = now
    for item in order.line_items:
        if item.id in package.line_item_ids:
            item.package_id = package.id
            item.display_status = "IN_TRANSIT"
            item.package_status = "FULFILLING"
    order_flow.after_shipment(call.state, order, now)


def _check_shippable(order: Order) -> None:
    if order.status == "CANCELLED":
        raise ApiError(*ORDER_CANCELLED)
    if order.status in ("IN_TRANSIT", "DELIVERED", "COMPLETED"):
        raise ApiError(*ALREADY_SHIPPED)
    if order.status not in ("AWAITING_SHIPMENT", "PARTIALLY_SHIPPING"):
        raise ApiError(
            21042057, "These orders are not in the Awaiting shipment status. Couldn't create labels for them."
        )
    if order.is_buyer_request_cancel:
        raise ApiError(*AFTER_SALE)


# Mark Package As Shipped exists in these markets only; the others ship TikTok's package by its id.
MARK_SHIPPED_MARKETS = frozenset({"US", "UK", "GB", "ES", "IE", "IT", "DE", "FR", "JP"})


@endpoint("POST", "/fulfillment/202309/orders/{order_id}/packages", scopes=FULFILLMENT)
def mark_package_shipped(call: Call) -> dict[str, Any]:
    state = call.state
    if call.require_shop().region.upper() not in MARK_SHIPPED_MARKETS:
        raise ApiError(21008106, "This interface cannot be used in this region.")
    order = _owned_order(call, call.path_params["order_id"])
    _check_shippable(order)
    body = call.json
    _check_tracking(call, order, body.get("tracking_number"), body.get("shipping_provider_id"))
    open_items = [i.id for i in order.line_items if not i.cancel_user and i.display_status == "AWAITING_SHIPMENT"]
    wanted = body.get("order_line_item_ids") or open_items
    if not isinstance(wanted, list) or not all(isinstance(i, str) for i in wanted):
        raise ApiError(*INVALID_PARAMS)
    known = {i.id for i in order.line_items}
    if any(i not in known for i in wanted):
        raise ApiError(21011029, "order does not belong to fulfill unit")
    if any(i not in open_items for i in wanted):
        raise ApiError(*ALREADY_SHIPPED)
    pending = next((state.packages[p] for p in order.package_ids if state.packages[p].status == "PROCESSING"), None)
    if pending and set(pending.line_item_ids) == set(wanted):
        package = pending
    else:
        # Shipping part of the order splits it: the shipped items get their own package.
        now = call.now
        package = Package(state.new_id(), order.id, order.shop_id, list(wanted), "PROCESSING", now, now)
        state.packages[package.id] = package
        order.package_ids.append(package.id)
        if pending:
            pending.line_item_ids = [i for i in pending.line_item_ids if i not in wanted]
            if not pending.line_item_ids:
                pending.status = "CANCELLED"
    _ship(call, order, package, body["tracking_number"], body["shipping_provider_id"])
    out = {"order_id": order.id, "order_line_item_ids": list(wanted), "package_id": package.id}
    if str(body["tracking_number"]).isdigit():
        # Digits only fit several carriers' formats; TikTok ships it and says so.
        out["warning"] = {"message": "match more than one provider"}
    return out


def _owned_package(call: Call) -> Package:
    package = call.state.packages.get(call.path_params["package_id"])
    if package is None or package.shop_id != call.require_shop().id:
        raise ApiError(*PACKAGE_NOT_YOURS)
    return package


@endpoint("POST", "/fulfillment/202309/packages/{package_id}/ship", scopes=FULFILLMENT)
def ship_package(call: Call) -> dict[str, Any]:
    package = _owned_package(call)
    order = call.state.orders[package.order_id]
    if package.status in ("FULFILLING", "COMPLETED"):
        raise ApiError(21011040, "Package has already been shipped.")
    _check_shippable(order)
    body = call.json
    handover = body.get("handover_method", "PICKUP")
    if handover not in ("PICKUP", "DROP_OFF"):
        raise ApiError(11001002, "invalid param.")
    self_shipment = body.get("self_shipment")
    if isinstance(self_shipment, dict):
        tracking, provider = self_shipment.get("tracking_number"), self_shipment.get("shipping_provider_id")
        _check_tracking(call, order, tracking, provider)
    else:
        # Platform shipping: TikTok's carrier assigns the tracking number.
        tracking, provider = "TT" + call.state.new_id()[-12:], order.delivery_option.provider_ids[0]
    _ship(call, order, package, tracking, provider)
    return {}


ADDRESS_KEYS = (
    "name",
    "phone_number",
    "region_code",
    "postal_code",
    "full_address",
    "address_line1",
    "address_line2",
    "address_line3",
    "address_line4",
    "address_detail",
)
POUNDS_PER_KILOGRAM = Decimal("2.20462")


def _package_address(address: dict[str, Any]) -> dict[str, Any]:
    """Package detail's address: the documented subset, names as one `name`."""
    name = address.get("name") or address.get("contact_person") or ""
    return {**{key: str(address.get(key) or "") for key in ADDRESS_KEYS}, "name": name}


def _package_items(state: SandboxState, order: Order, package: Package) -> tuple[list[dict[str, Any]], Decimal, dict]:
    """The SKUs in a package with their quantities, its weight in pounds and the largest product box."""
    skus: dict[str, dict[str, Any]] = {}
    pounds = Decimal(0)
    box: dict[str, Any] = {}
    for item in order.line_items:
        if item.id not in package.line_item_ids:
            continue
        product = state.products.get(item.product_id)
        body = product.live.body if product and product.live else {}
        images = body.get("main_images") or []
        entry = skus.setdefault(
            item.sku_id,
            {
                "id": item.sku_id,
                "name": item.product_name,
                "quantity": 0,
                "image_url": f"{IMAGE_HOST}/{images[0]}" if images else "",
            },
        )
        entry["quantity"] += 1
        weight = body.get("package_weight") or {}
        value = Decimal(str(weight.get("value") or 0))
        pounds += value if weight.get("unit") == "POUND" else value * POUNDS_PER_KILOGRAM
        box = body.get("package_dimensions") or box
    return list(skus.values()), pounds, box


@endpoint("GET", "/fulfillment/202309/packages/{package_id}", scopes=FULFILLMENT, shop="optional")
def package_detail(call: Call) -> dict[str, Any]:
    package = _owned_package(call)
    state = call.state
    order = state.orders[package.order_id]
    warehouse = next((w for w in state.shops[order.shop_id].warehouses if w.id == order.warehouse_id), None)
    skus, pounds, box = _package_items(state, order, package)
    out = {
        "package_id": package.id,
        "orders": [{"id": order.id, "skus": skus}],
        "package_status": package.status,
        "split_and_combine_tag": "SPLIT" if len(order.package_ids) > 1 else "DEFAULT",
        "has_multi_skus": len(skus) > 1,
        "shipping_type": "SELLER",
        "delivery_option_id": order.delivery_option.id,
        "delivery_option_name": order.delivery_option.name,
        "create_time": package.create_time,
        "update_time": package.update_time,
        "handover_method": "DROP_OFF",
        "order_line_item_ids": list(package.line_item_ids),
        "recipient_address": _package_address(order.recipient),
        "sender_address": _package_address(warehouse.address if warehouse else {}),
        "note_tag": "BUYER_UNNOTED",  # sandbox buyers leave no message
        "weight": {"value": _money(pounds), "unit": "POUND"},
        "insurance": {
            "is_purchased": False,
            "coverage_amount": "0.00",
            "is_claim_eligible": False,
            "claim_status": "NOT_STARTED",
        },
    }
    if box:
        unit = "INCH" if box.get("unit") == "INCH" else "CM"
        out["dimension"] = {
            "length": str(box.get("length")),
            "width": str(box.get("width")),
            "height": str(box.get("height")),
            "unit": unit,
        }
    if package.tracking_number:
        out["tracking_number"] = package.tracking_number
        out["last_mile_tracking_number"] = package.tracking_number  # the seller's carrier delivers it itself
        out["shipping_provider_id"] = package.shipping_provider_id
        out["shipping_provider_name"] = state.providers.get(package.shipping_provider_id or "", "")
    if package.shipped_time:
        # The window in which the carrier collected it: the two hours after it was marked shipped.
        out["pickup_slot"] = {"start_time": package.shipped_time, "end_time": package.shipped_time + 7200}
    return out


@endpoint("POST", "/fulfillment/202309/packages/search", scopes=FULFILLMENT, shop="optional")
def search_packages(call: Call) -> dict[str, Any]:
    shop, body = call.require_shop(), call.json
    status = body.get("package_status")
    if status is not None and status not in ("PROCESSING", "FULFILLING", "COMPLETED", "CANCELLED"):
        raise ApiError(*INVALID_PARAMS)

    def matches(package: Package) -> bool:
        if package.shop_id != shop.id or (status and package.status != status):
            return False
        for key, attr, op in (
            ("create_time_ge", "create_time", "ge"),
            ("create_time_lt", "create_time", "lt"),
            ("update_time_ge", "update_time", "ge"),
            ("update_time_lt", "update_time", "lt"),
        ):
            bound = body.get(key)
            if isinstance(bound, int):
                value = getattr(package, attr)
                if (op == "ge" and value < bound) or (op == "lt" and value >= bound):
                    return False
        return True

    found = sorted((p for p in call.state.packages.values() if matches(p)), key=lambda p: (p.create_time, p.id))
    start, end, next_token = page_window(call.query, len(found), high=50, invalid=ApiError(*INVALID_PARAMS))
    return {
        "packages": [
            {
                "id": p.id,
                "status": p.status,
                "create_time": p.create_time,
                "update_time": p.update_time,
                "orders": [{"id": p.order_id, "skus": _package_items(call.state, call.state.orders[p.order_id], p)[0]}],
                "tracking_number": p.tracking_number or "",
                "shipping_provider_id": p.shipping_provider_id or "",
                "shipping_provider_name": call.state.providers.get(p.shipping_provider_id or "", ""),
                "order_line_item_ids": list(p.line_item_ids),
            }
            for p in found[start:end]
        ],
        "total_count": len(found),
        "next_page_token": next_token,
    }


def _update_tracking(call: Call, order: Order, packages: list[Package]) -> None:
    if order.status == "CANCELLED":
        raise ApiError(21011042, "Cannot complete the operation when order is cancelled. ")
    shipped = [p for p in packages if p.shipped_time is not None]
    if not shipped:
        raise ApiError(*NOT_SHIPPED)
    if any(p.status == "COMPLETED" for p in shipped):
        raise ApiError(
            21011030,
            "Package has already been delivered. If you would still like to update the "
            "tracking number, please contact the platform.",
        )
    if any(call.now - (p.shipped_time or 0) > UPDATE_WINDOW_SECONDS for p in shipped):
        raise ApiError(21011050, "The tracking number can only be updated within a certain number of hours.")
    body = call.json
    _check_tracking(call, order, body.get("tracking_number"), body.get("shipping_provider_id"))
    for package in shipped:
        package.tracking_number = body["tracking_number"]
        package.shipping_provider_id = body["shipping_provider_id"]
        package.update_time = call.now
    order.tracking_number = body["tracking_number"]
    order.shipping_provider_id = body["shipping_provider_id"]
    order.shipping_info_updates += 1
    order.update_time = call.now


@endpoint("POST", "/fulfillment/202309/orders/{order_id}/shipping_info/update", scopes=LOGISTICS)
def update_shipping_info(call: Call) -> dict[str, Any]:
    order = _owned_order(call, call.path_params["order_id"])
    _update_tracking(call, order, [call.state.packages[p] for p in order.package_ids])
    return {}


@endpoint("POST", "/fulfillment/202309/packages/{package_id}/shipping_info/update", scopes=FULFILLMENT)
def update_package_shipping_info(call: Call) -> dict[str, Any]:
    package = _owned_package(call)
    order = call.state.orders[package.order_id]
    if package.tracking_updated:
        raise ApiError(21011051, "The tracking number can only be updated once.")
    _update_tracking(call, order, [package])
    package.tracking_updated = True
    return {}
