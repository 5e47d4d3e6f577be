"""Resolvers for orders, their line items, fulfillment orders and fulfillments."""

from __future__ import annotations

from decimal import Decimal

from . import ids, search
from .clock import iso
from .models import Fulfillment, FulfillmentOrder, Order, Refund, Variant
from .pagination import list_source
from .resolving import bag, by_id, page, parse_id, require_scope
from .views import FulfillmentOrderLineItemView, LineItemView

ORDER_SEARCH_FIELDS = {
    "updated_at",
    "created_at",
    "processed_at",
    "name",
    "source_name",
    "source_identifier",
    "tag",
    "status",
    "financial_status",
    "fulfillment_status",
    "id",
}


def resolve_orders(_root, info, **args):
    require_scope(info, "read_orders")
    store = info.context.store
    terms, _words = search.parse(args.get("query"))
    warned = search.warnings(terms, ORDER_SEARCH_FIELDS)
    if warned:
        info.context.search_warnings = (info.context.search_warnings or []) + [
            {"path": ["orders"], "query": args.get("query"), "warnings": warned}
        ]
    match = search.matcher(
        terms,
        {
            "updated_at": lambda o: o.updated_at,
            "created_at": lambda o: o.created_at,
            "processed_at": lambda o: o.processed_at,
            "name": lambda o: [o.name, str(o.number)],
            "source_name": lambda o: o.source_name or "",
            "source_identifier": lambda o: o.source_identifier or "",
            "tag": lambda o: o.tags,
            "id": lambda o: o.id,
            "status": lambda o: "cancelled" if o.cancelled_at else ("closed" if o.closed_at else "open"),
            "financial_status": lambda o: o.financial_status.lower(),
            "fulfillment_status": lambda o: order_fulfillment_status(o, info).lower(),
        },
    )
    key = {
        "ID": lambda o: (o.id,),
        "CREATED_AT": lambda o: (iso(o.created_at), o.id),
        "UPDATED_AT": lambda o: (iso(o.updated_at), o.id),
        "PROCESSED_AT": lambda o: (iso(o.processed_at), o.id),
        "ORDER_NUMBER": lambda o: (o.number, o.id),
    }[args.get("sortKey") or "PROCESSED_AT"]
    with store.lock:
        chosen = [o for o in store.orders.values() if match(o)]
    return page(list_source(chosen, key), args)


def resolve_order(_root, info, id):
    require_scope(info, "read_orders")
    number = parse_id(id, "Order")
    return info.context.store.order(number) if number is not None else None


def order_fulfillment_status(order: Order, info) -> str:
    shipped = sum(li.fulfilled_quantity for li in order.line_items)
    if shipped == 0:
        return "UNFULFILLED"
    return "FULFILLED" if shipped >= sum(li.quantity for li in order.line_items) else "PARTIALLY_FULFILLED"


def order_totals(order: Order) -> dict[str, Decimal]:
    subtotal = sum((Decimal(li.price) * li.quantity for li in order.line_items), Decimal(0)) - Decimal(
        order.total_discounts
    )
    shipping = sum((Decimal(s.price) for s in order.shipping_lines), Decimal(0))
    tax = sum((Decimal(t.amount) for li in order.line_items for t in li.tax_lines), Decimal(0))
    tax += sum((Decimal(t.amount) for s in order.shipping_lines for t in s.tax_lines), Decimal(0))
    tax += sum((Decimal(t.amount) for t in order.tax_lines), Decimal(0))
    total = subtotal + shipping + (Decimal(0) if order.taxes_included else tax)
    return {"subtotal": subtotal, "shipping": shipping, "tax": tax, "total": total}


def order_bag(order: Order, key: str) -> dict:
    """An order total in the shop's currency, and in the buyer's (presentment) one when they differ."""
    found = bag(order_totals(order)[key], order.currency)
    if order.presentment_totals is not None:
        found = {
            **found,
            "presentmentMoney": {"amount": order.presentment_totals[key], "currencyCode": order.presentment_currency},
        }
    return found


def tax_line(tax, currency: str) -> dict:
    return {
        "title": tax.title,
        "rate": tax.rate,
        "ratePercentage": tax.rate * 100 if tax.rate is not None else None,
        "priceSet": bag(tax.amount, currency),
    }


def order_fulfillment_orders(order: Order, info, **args):
    require_scope(
        info,
        "read_merchant_managed_fulfillment_orders",
        "read_assigned_fulfillment_orders",
        "read_third_party_fulfillment_orders",
        "read_marketplace_fulfillment_orders",
    )
    return page(list_source(order.fulfillment_orders, by_id), args)


ORDER_FIELDS = {
    "closed": lambda o, info: o.closed_at is not None,
    "customAttributes": lambda o, info: [{"key": k, "value": v} for k, v in o.custom_attributes],
    "currencyCode": lambda o, info: o.currency,
    "displayFinancialStatus": lambda o, info: o.financial_status,
    "displayFulfillmentStatus": order_fulfillment_status,
    "presentmentCurrencyCode": lambda o, info: o.presentment_currency or o.currency,
    "subtotalPriceSet": lambda o, info: order_bag(o, "subtotal"),
    "totalPriceSet": lambda o, info: order_bag(o, "total"),
    "totalTaxSet": lambda o, info: order_bag(o, "tax"),
    "totalShippingPriceSet": lambda o, info: order_bag(o, "shipping"),
    "totalDiscountsSet": lambda o, info: bag(o.total_discounts, o.currency),
    "taxLines": lambda o, info: [tax_line(t, o.currency) for t in o.tax_lines],
    "shippingAddress": lambda o, info: _address(o.shipping_address),
    "billingAddress": lambda o, info: _address(o.billing_address),
    "lineItems": lambda o, info, **args: page(
        list_source([LineItemView(li, o) for li in o.line_items], lambda v: (v.line.id,)), args
    ),
    "shippingLines": lambda o, info, includeRemovals=False, **args: page(
        list_source(
            [
                {
                    "id": s.gid,
                    "title": s.title,
                    "code": s.code,
                    "source": s.source,
                    "originalPriceSet": bag(s.price, o.currency),
                    "taxLines": [tax_line(t, o.currency) for t in s.tax_lines],
                    "_key": s.id,
                }
                for s in o.shipping_lines
            ],
            lambda s: (s["_key"],),
        ),
        args,
    ),
    "fulfillmentOrders": lambda o, info, displayable=False, query=None, **args: order_fulfillment_orders(
        o, info, **args
    ),
    "fulfillments": lambda o, info, first=None: o.fulfillments[:first] if first is not None else o.fulfillments,
    "refunds": lambda o, info, first=None: o.refunds[:first] if first is not None else o.refunds,
}


def _address(address: dict | None) -> dict | None:
    if not address:
        return None
    result = dict(address)
    result["name"] = " ".join(filter(None, [address.get("firstName"), address.get("lastName")])) or None
    result["countryCodeV2"] = address.get("countryCode")
    return result


def line_variant(view: LineItemView, info) -> Variant | None:
    """None once the variant is deleted, as Shopify answers for old orders."""
    found = info.context.store.variant(view.line.variant_id) if view.line.variant_id else None
    return found[1] if found else None


LINE_ITEM_FIELDS = {
    "id": lambda v, info: v.line.gid,
    "name": lambda v, info: f"{v.line.title} - {v.line.variant_title}" if v.line.variant_title else v.line.title,
    "title": lambda v, info: v.line.title,
    "variantTitle": lambda v, info: v.line.variant_title,
    "sku": lambda v, info: v.line.sku,
    "quantity": lambda v, info: v.line.quantity,
    "currentQuantity": lambda v, info: 0 if v.order.cancelled_at else v.line.quantity - v.line.refunded_quantity,
    "unfulfilledQuantity": lambda v, info: 0 if v.order.cancelled_at else v.line.quantity - v.line.fulfilled_quantity,
    "requiresShipping": lambda v, info: v.line.requires_shipping,
    "restockable": lambda v, info: v.line.variant_id is not None and not v.line.restocked,
    "variant": lambda v, info: line_variant(v, info),
    "product": lambda v, info: info.context.store.product_by_id(v.line.product_id) if v.line.product_id else None,
    "originalUnitPriceSet": lambda v, info: bag(v.line.price, v.order.currency),
    "originalTotalSet": lambda v, info: bag(Decimal(v.line.price) * v.line.quantity, v.order.currency),
    "taxLines": lambda v, info, first=None: [tax_line(t, v.order.currency) for t in v.line.tax_lines][:first],
}


def fo_order(fo: FulfillmentOrder, info) -> Order:
    return info.context.store.order(fo.order_id)


def assigned_location(fo: FulfillmentOrder, info) -> dict:
    location = info.context.store.location(fo.location_id)
    return {"name": location.name, "location": location}


def order_line(order: Order, line_item_id: int):
    return next(line for line in order.line_items if line.id == line_item_id)


FULFILLMENT_ORDER_FIELDS = {
    "orderId": lambda fo, info: ids.gid("Order", fo.order_id),
    "order": fo_order,
    "assignedLocation": lambda fo, info: assigned_location(fo, info),
    "lineItems": lambda fo, info, **args: page(
        list_source(
            [FulfillmentOrderLineItemView(item, fo_order(fo, info)) for item in fo.line_items], lambda v: (v.item.id,)
        ),
        args,
    ),
    "fulfillments": lambda fo, info, **args: page(
        list_source([f for f in fo_order(fo, info).fulfillments if f.location_id == fo.location_id], by_id), args
    ),
}
FO_LINE_FIELDS = {
    "id": lambda v, info: v.item.gid,
    "totalQuantity": lambda v, info: v.item.total_quantity,
    "remainingQuantity": lambda v, info: v.item.remaining_quantity,
    "lineItem": lambda v, info: LineItemView(order_line(v.order, v.item.line_item_id), v.order),
    "sku": lambda v, info: order_line(v.order, v.item.line_item_id).sku,
}


def fulfillment_line_items(fulfillment: Fulfillment, info, args: dict) -> dict:
    order = info.context.store.order(fulfillment.order_id)
    items = [
        {
            "id": ids.gid("FulfillmentLineItem", line_id),
            "quantity": quantity,
            "_key": line_id,
            "lineItem": LineItemView(order_line(order, line_id), order),
        }
        for line_id, quantity in fulfillment.line_items
    ]
    return page(list_source(items, lambda item: (item["_key"],)), args)


FULFILLMENT_FIELDS = {
    "displayStatus": lambda f, info: "CANCELED" if f.status == "CANCELLED" else "FULFILLED",
    "location": lambda f, info: info.context.store.location(f.location_id),
    "order": lambda f, info: info.context.store.order(f.order_id),
    "trackingInfo": lambda f, info, first=None: (
        [{"company": f.tracking_company, "number": f.tracking_number, "url": f.tracking_url}]
        if (f.tracking_number or f.tracking_company)
        else []
    ),
    "fulfillmentLineItems": lambda f, info, **args: fulfillment_line_items(f, info, args),
}


def resolve_fulfillment_order(_root, info, id):
    require_scope(
        info,
        "read_merchant_managed_fulfillment_orders",
        "read_assigned_fulfillment_orders",
        "read_third_party_fulfillment_orders",
        "read_marketplace_fulfillment_orders",
    )
    number = parse_id(id, "FulfillmentOrder")
    return info.context.store.fulfillment_order(number) if number is not None else None


def resolve_fulfillment(_root, info, id):
    require_scope(info, "read_orders")
    number = parse_id(id, "Fulfillment")
    return info.context.store.fulfillment(number) if number is not None else None


def _refund_order(refund: Refund, info) -> Order:
    return info.context.store.order(refund.order_id)


REFUND_FIELDS = {
    "id": lambda r, info: r.gid,
    "legacyResourceId": lambda r, info: str(r.id),
    "createdAt": lambda r, info: r.created_at,
    "processedAt": lambda r, info: r.processed_at,
    "updatedAt": lambda r, info: r.processed_at,
    "order": _refund_order,
    # No Shopify payment moved (the channel refunded the buyer): the refund's transactions total nothing.
    "totalRefundedSet": lambda r, info: bag(Decimal(0), _refund_order(r, info).currency),
    "refundLineItems": lambda r, info, **args: page(
        list_source([(line, _refund_order(r, info)) for line in r.lines], lambda pair: (pair[0].id,)), args
    ),
}

REFUND_LINE_FIELDS = {
    "id": lambda pair, info: pair[0].gid,
    "lineItem": lambda pair, info: LineItemView(order_line(pair[1], pair[0].line_item_id), pair[1]),
    "quantity": lambda pair, info: pair[0].quantity,
    "restockType": lambda pair, info: pair[0].restock_type,
    "restocked": lambda pair, info: pair[0].restock_type != "NO_RESTOCK",
    "location": lambda pair, info: info.context.store.location(pair[0].location_id) if pair[0].location_id else None,
    "priceSet": lambda pair, info: bag(pair[0].price, pair[1].currency),
    "subtotalSet": lambda pair, info: bag(Decimal(pair[0].price) * pair[0].quantity, pair[1].currency),
}
