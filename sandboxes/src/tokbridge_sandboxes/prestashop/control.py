"""The control API under /sandbox: what a merchant does in the back office, plus knobs for tests.
No auth; JSON in and out; bad input is 400 and unknown things 404, each as {"error": "..."}.

  POST   /sandbox/keys {key, permissions: {resource: [methods] | "*"} | "*"}   -> 201
  DELETE /sandbox/keys/{key}                 disables it (later calls 401)
  GET    /sandbox/products                   products with name, date_upd, active, combinations
  PATCH  /sandbox/products/{id} {name?, price?, active?}   bumps date_upd
  DELETE /sandbox/products/{id}
  PATCH  /sandbox/combinations/{id} {reference?, price?, ean13?}   the product's date_upd stays
  PUT    /sandbox/stock {id_product, id_product_attribute, quantity, id_shop?}   date_upd stays
  GET    /sandbox/stock?id_product=&id_product_attribute=&id_shop=   -> {"quantity": n}
  GET    /sandbox/orders, /sandbox/orders/{id}
  POST   /sandbox/orders/{id}/ship {tracking_number, id_carrier?}   tracking, then PS_OS_SHIPPING
  POST   /sandbox/orders/{id}/state {id_order_state}                 6 cancels and restocks
  POST   /sandbox/clock {advance_seconds} | {set: ISO-8601}          -> {"now": ..., "shop_time": ...}
  POST   /sandbox/faults {operation: "POST orders", status, times?, after?}; DELETE clears them
  POST   /sandbox/reset                      the seeded catalog again (keys stay)
  GET    /sandbox/requests                   Webservice requests, newest last; DELETE clears
"""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..etsy.control import handler as etsy_handler
from ..etsy.control import read_json
from . import orders
from .store import Fault, Store, money6
from .webservice import remove


def handler(fn):
    """The Etsy sandbox's control handler (JSON body, 404 and 400 answers), run under the store's lock."""

    async def locked(request: Request, store: Store) -> Response:
        data = await read_json(request)
        with store.lock:
            return fn(request, store, data)

    return etsy_handler(locked)


def _found(store: Store, resource: str, record_id: object) -> dict:
    record = store.get(resource, record_id)
    if record is None:
        raise LookupError(f"no {resource[:-1].replace('_', ' ')} {record_id}")
    return record


@handler
def add_key(request, store: Store, data: dict) -> Response:
    key, permissions = data.get("key"), data.get("permissions")
    if not isinstance(key, str) or len(key) != 32 or not (isinstance(permissions, dict) or permissions == "*"):
        raise ValueError('key must be 32 characters and permissions an object or "*"')
    store.add_key(key, permissions)
    return JSONResponse(
        {"key": key, "permissions": {r: sorted(m) for r, m in store.keys[key].permissions.items()}}, status_code=201
    )


@handler
def disable_key(request, store: Store, data: dict) -> Response:
    key = store.keys.get(request.path_params["key"])
    if key is None:
        raise LookupError("no such key")
    key.active = False
    return Response(status_code=204)


def product_state(store: Store, product: dict) -> dict:
    return {
        "id_product": int(product["id"]),
        "name": product["name"][store.default_lang],
        "price": product["price"],
        "date_upd": product["date_upd"],
        "active": product["active"] == "1",
        "combinations": [
            {"id_product_attribute": int(c["id"]), "reference": c["reference"], "price": c["price"]}
            for c in store.rows("combinations", id_product=product["id"])
        ],
    }


@handler
def list_products(request, store: Store, data: dict) -> Response:
    return JSONResponse({"products": [product_state(store, p) for p in store.tables["products"].values()]})


@handler
def product(request, store: Store, data: dict) -> Response:
    record = _found(store, "products", request.path_params["id"])
    if request.method == "DELETE":
        remove(store, "products", record["id"])
        return Response(status_code=204)
    if "name" in data:
        record["name"][store.default_lang] = str(data["name"])
    if "price" in data:
        record["price"] = money6(data["price"])
    if "active" in data:
        record["active"] = "1" if data["active"] else "0"
    store.touch(record)
    return JSONResponse(product_state(store, record))


@handler
def combination(request, store: Store, data: dict) -> Response:
    record = _found(store, "combinations", request.path_params["id"])
    for name in ("reference", "ean13"):
        if name in data:
            record[name] = str(data[name])
    if "price" in data:
        record["price"] = money6(data["price"])
    return JSONResponse(
        {"id_product_attribute": int(record["id"]), "reference": record["reference"], "price": record["price"]}
    )


@handler
def stock(request, store: Store, data: dict) -> Response:
    source = data if request.method == "PUT" else request.query_params
    row = store.stock_row(
        int(source["id_product"]), int(source.get("id_product_attribute", 0)), int(source.get("id_shop", 1))
    )
    if row is None:
        raise LookupError("no such stock row")
    if request.method == "PUT":
        store.set_quantity(row, int(data["quantity"]))
    return JSONResponse({"quantity": int(row["quantity"]), "id_stock_available": int(row["id"])})


def order_state(store: Store, order: dict) -> dict:
    customer = store.get("customers", order["id_customer"]) or {}
    state = store.get("order_states", order["current_state"]) or {"name": {}}
    cart = store.get("carts", order["id_cart"])
    order_carrier = next(iter(store.rows("order_carriers", id_order=order["id"])), None)
    return {
        "id_order": int(order["id"]),
        "reference": order["reference"],
        "current_state": int(order["current_state"]),
        "state_name": state["name"].get(store.default_lang, ""),
        "id_customer": int(order["id_customer"]),
        "email": customer.get("email", ""),
        "total_paid": order["total_paid_real"],
        "cart_total": money6(orders.cart_total(store, cart, order["id_carrier"])["total"]) if cart else "",
        "payment": order["payment"],
        "module": order["module"],
        "date_upd": order["date_upd"],
        "rows": [
            {
                "product_id": int(r["product_id"]),
                "product_attribute_id": int(r["product_attribute_id"]),
                "product_quantity": int(r["product_quantity"]),
            }
            for r in order["associations"]["order_rows"]
        ],
        "tracking_number": order_carrier["tracking_number"] if order_carrier else "",
    }


@handler
def list_orders(request, store: Store, data: dict) -> Response:
    return JSONResponse({"orders": [order_state(store, o) for o in store.tables["orders"].values()]})


@handler
def one_order(request, store: Store, data: dict) -> Response:
    return JSONResponse(order_state(store, _found(store, "orders", request.path_params["id"])))


@handler
def ship(request, store: Store, data: dict) -> Response:
    order = _found(store, "orders", request.path_params["id"])
    orders.set_tracking(store, order, str(data.get("tracking_number", "")), data.get("id_carrier"))
    orders.change_state(store, order, store.configuration("PS_OS_SHIPPING"))
    return JSONResponse(order_state(store, order))


@handler
def set_state(request, store: Store, data: dict) -> Response:
    order = _found(store, "orders", request.path_params["id"])
    _found(store, "order_states", data.get("id_order_state"))
    orders.change_state(store, order, data["id_order_state"])
    return JSONResponse(order_state(store, order))


@handler
def clock(request, store: Store, data: dict) -> Response:
    if "set" in data:
        target = datetime.fromisoformat(str(data["set"]))
        if target.tzinfo is None:
            raise ValueError("`set` needs a UTC offset")
        store.clock.advance(target.timestamp() - store.clock.now())
    elif "advance_seconds" in data:
        store.clock.advance(float(data["advance_seconds"]))
    return JSONResponse({"now": store.clock.now_datetime().isoformat(), "shop_time": store.now_local()})


@handler
def faults(request, store: Store, data: dict) -> Response:
    if request.method == "DELETE":
        store.faults.clear()
        return Response(status_code=204)
    operation = str(data.get("operation", ""))
    method, _, resource = operation.partition(" ")
    if not resource or method.upper() not in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"):
        raise ValueError('operation is "<METHOD> <resource>", e.g. "POST orders"')
    store.faults.append(
        Fault(
            f"{method.upper()} {resource}",
            int(data.get("status", 500)),
            int(data.get("times", 1)),
            bool(data.get("after", False)),
        )
    )
    return JSONResponse({"faults": [vars(f) for f in store.faults]}, status_code=201)


@handler
def reset(request, store: Store, data: dict) -> Response:
    store.reset()
    return JSONResponse({"products": len(store.tables["products"])})


@handler
def requests_log(request, store: Store, data: dict) -> Response:
    if request.method == "DELETE":
        store.requests.clear()
        return Response(status_code=204)
    return JSONResponse({"requests": list(store.requests)})


routes = [
    Route("/sandbox/keys", add_key, methods=["POST"]),
    Route("/sandbox/keys/{key}", disable_key, methods=["DELETE"]),
    Route("/sandbox/products", list_products, methods=["GET"]),
    Route("/sandbox/products/{id:int}", product, methods=["PATCH", "DELETE"]),
    Route("/sandbox/combinations/{id:int}", combination, methods=["PATCH"]),
    Route("/sandbox/stock", stock, methods=["GET", "PUT"]),
    Route("/sandbox/orders", list_orders, methods=["GET"]),
    Route("/sandbox/orders/{id:int}", one_order, methods=["GET"]),
    Route("/sandbox/orders/{id:int}/ship", ship, methods=["POST"]),
    Route("/sandbox/orders/{id:int}/state", set_state, methods=["POST"]),
    Route("/sandbox/clock", clock, methods=["POST"]),
    Route("/sandbox/faults", faults, methods=["POST", "DELETE"]),
    Route("/sandbox/reset", reset, methods=["POST"]),
    Route("/sandbox/requests", requests_log, methods=["GET", "DELETE"]),
]
