"""The store admin's order page, as far as a merchant following a link from TokBridge needs it: the
order's name, its lines, and whether it is fulfilled or cancelled (Shopify's real page is far richer)."""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import Response

from .charges import page
from .payloads import rest_fulfillment_status
from .sandbox import Sandbox
from .shops import ShopNotFound, resolve_shop


async def order_page(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    try:
        store = resolve_shop(request, sandbox, create=False)
    except ShopNotFound:
        return page("Shop not found", "", 404)
    number = request.path_params["order_id"]
    order = store.order(int(number)) if number.isdigit() else None
    if order is None:
        return page("Order not found", "<p>This order does not exist in the shop.</p>", 404)
    state = "Cancelled" if order.cancelled_at else (rest_fulfillment_status(order) or "unfulfilled").capitalize()
    lines = "".join(f"<li>{escape(line.title or '')} × {line.quantity}</li>" for line in order.line_items)
    return page(f"Order {order.name}", f"<p>{escape(state)}</p><ul>{lines}</ul>")
