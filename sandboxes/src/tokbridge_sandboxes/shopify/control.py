"""The control API under /sandbox: what a merchant does in the admin, plus knobs for tests.

Unsigned and unauthenticated: the sandbox is a test double, never exposed. JSON in and out;
bad input gets 400, unknown things 404, refused changes 422, each as {"error": "..."}.

  GET    /sandbox/state                              shops, product and order counts, subscriptions
  POST   /sandbox/shops {shop, count, seed, currency}  (re)seed a shop's generated catalog, priced in currency
  POST   /sandbox/shops/{shop}/tokens {scopes, expiring}   a token without going through OAuth
  GET    /sandbox/shops/{shop}/install-request?app_url=    the signed install GET Shopify would send
  GET    /sandbox/shops/{shop}/products?offset&limit  true state, with stock per variant and location
  POST   /sandbox/shops/{shop}/products {title, price, sku, available}          -> products/create
  GET|PATCH|DELETE /sandbox/shops/{shop}/products/{id}   edit fields and variants -> products/update|delete
  PUT    /sandbox/shops/{shop}/inventory {inventory_item_id, location_id, available} -> inventory_levels/update
  GET    /sandbox/shops/{shop}/orders, /orders/{id}
  POST   /sandbox/shops/{shop}/orders/{id}/fulfill {company, number, url, line_items?: [{id, quantity}]}
                                                                                 -> fulfillments/create
  POST   /sandbox/shops/{shop}/fulfillments/{id}/tracking {company, number, url} -> fulfillments/update
  POST   /sandbox/shops/{shop}/orders/{id}/cancel {reason, restock}              -> orders/cancelled
  POST   /sandbox/shops/{shop}/uninstall                 -> app/uninstalled (and app subscriptions cancelled)
  GET    /sandbox/shops/{shop}/app-subscriptions          the app's charges to the shop, every status
  POST   /sandbox/shops/{shop}/privacy/{customers/data_request|customers/redact|shop/redact}
  GET|POST /sandbox/shops/{shop}/bucket {drain}      the leaky bucket; drain points from it
  GET|PUT|DELETE /sandbox/faults {script, error_rate, error_status, throttle_rate, retry_after,
                                  timeout_rate, timeout_seconds, seed,
                                  answer_script, drop_answer_rate, delay_answer_rate, timeout_answer_rate,
                                  delay_seconds, answer_fault_fields}
                 (answer faults: the mutation runs, then its answer is lost, late or never comes)
  GET|POST /sandbox/clock {seconds}                  read or move the sandbox clock
  GET|PUT /sandbox/webhooks {app_webhook_uri, duplicate_rate, reorder_rate}
  GET    /sandbox/webhooks/deliveries?wait=<s>        every delivery, after waiting for the queue to drain
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import asdict

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import billing, ids, payloads
from .sandbox import ANSWER_FAULT_FIELDS, ANSWER_FAULT_KINDS, Faults, Sandbox
from .schema_sdl import SDL
from .shops import SHOP_DOMAIN
from .store import ShopStore, StoreError
from .webhooks import COMPLIANCE_TOPICS

MAX_LISTED = 1000
# A shop sells in one of the currencies the Admin API's CurrencyCode enum names.
CURRENCY_CODES = frozenset(re.search(r"enum CurrencyCode \{([^}]*)\}", SDL).group(1).split())


def problem(message: str, status: int = 422) -> Response:
    return JSONResponse({"error": message}, status_code=status)


async def read_json(request: Request) -> dict:
    raw = await request.body()
    if not raw:
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def sandbox_of(request: Request) -> Sandbox:
    return request.app.state.sandbox


def store_of(request: Request) -> ShopStore:
    store = sandbox_of(request).shops.get(request.path_params["shop"])
    if store is None:
        raise LookupError(f"no shop {request.path_params['shop']}")
    return store


def number(value: str | int, type_name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise ValueError(f"not a {type_name} id: {value!r}")
    if value.isdigit():
        return int(value)
    parsed = ids.parse_gid(value, type_name)
    if parsed is None:
        raise ValueError(f"not a {type_name} id: {value}")
    return parsed[1]


def handler(fn):
    """Turn lookup and input errors into clear 4xx answers."""

    async def wrapped(request: Request) -> Response:
        try:
            return await fn(request)
        except KeyError as exc:
            return problem(f"invalid request: missing {exc}", 400)
        except LookupError as exc:
            return problem(str(exc).strip("'\""), 404)
        except StoreError as exc:
            return problem(str(exc), 404 if exc.code == "NOT_FOUND" else 422)
        except (ValueError, TypeError, AttributeError, ArithmeticError) as exc:
            return problem(f"invalid request: {exc}", 400)

    return wrapped


def product_state(store: ShopStore, product) -> dict:
    payload = payloads.product_payload(store, product)
    payload["stock"] = [
        {
            "inventory_item_id": v.inventory_item_id,
            "location_id": loc,
            "tracked": v.tracked,
            "available": store.available(v.inventory_item_id, loc),
            "committed": store.committed(v.inventory_item_id, loc),
        }
        for v in product.variants
        for loc in product.location_ids
    ]
    return payload


def order_state(store: ShopStore, order) -> dict:
    payload = payloads.order_payload(order)
    payload["fulfillment_orders"] = [
        {
            "id": fo.id,
            "status": fo.status,
            "location_id": fo.location_id,
            "line_items": [
                {
                    "line_item_id": li.line_item_id,
                    "total_quantity": li.total_quantity,
                    "remaining_quantity": li.remaining_quantity,
                }
                for li in fo.line_items
            ],
        }
        for fo in order.fulfillment_orders
    ]
    payload["fulfillments"] = [payloads.fulfillment_payload(order, f) for f in order.fulfillments]
    payload["refunds"] = [
        {
            "id": r.id,
            "note": r.note,
            "refund_line_items": [
                {"line_item_id": line.line_item_id, "quantity": line.quantity, "restock_type": line.restock_type}
                for line in r.lines
            ],
        }
        for r in order.refunds
    ]
    payload["shipping_lines"] = [{"title": s.title, "code": s.code, "price": s.price} for s in order.shipping_lines]
    payload["tax_lines"] = [{"title": t.title, "rate": t.rate, "price": t.amount} for t in order.tax_lines]
    payload["discount_codes"] = order.discount_codes
    address = order.shipping_address
    payload["shipping_address"] = (
        None
        if not address
        else {
            "first_name": address.get("firstName"),
            "last_name": address.get("lastName"),
            "address1": address.get("address1"),
            "address2": address.get("address2"),
            "city": address.get("city"),
            "province_code": address.get("provinceCode"),
            "zip": address.get("zip"),
            "country_code": address.get("countryCode"),
            "phone": address.get("phone"),
        }
    )
    payload["total_discounts"] = order.total_discounts
    payload["custom_attributes"] = [{"key": k, "value": v} for k, v in order.custom_attributes]
    return payload


@handler
async def seed_shop(request: Request) -> Response:
    data = await read_json(request)
    sandbox = sandbox_of(request)
    domain = data.get("shop", sandbox.config.default_shop)
    if not isinstance(domain, str) or not SHOP_DOMAIN.match(domain):
        raise ValueError("shop must be a <name>.myshopify.com domain")
    count = int(data.get("count", sandbox.config.catalog_size))
    if not 0 <= count <= 100_000:
        raise ValueError("count must be between 0 and 100000")
    currency = data.get("currency", sandbox.config.currency)
    if currency not in CURRENCY_CODES:
        raise ValueError("currency must be one of Shopify's CurrencyCode values, e.g. USD or GBP")
    store = sandbox.seed_shop(domain, count, int(data.get("seed", sandbox.config.catalog_seed)), currency)
    return JSONResponse(
        {"shop": store.domain, "count": count, "seed": store.catalog.seed, "currency": store.currency}, status_code=201
    )


@handler
async def issue_token(request: Request) -> Response:
    """Skip OAuth: a token as if the merchant had installed the app with these scopes."""
    data = await read_json(request)
    sandbox = sandbox_of(request)
    store = store_of(request)
    scopes = frozenset(data.get("scopes") or sandbox.config.available_scopes)
    if not isinstance(data.get("scopes", []), list) or not scopes <= set(sandbox.config.available_scopes):
        raise ValueError(f"scopes must be a list drawn from {sandbox.config.available_scopes}")
    grant = sandbox.issue_grant(store.domain, scopes, expiring=bool(data.get("expiring", False)))
    body = {"access_token": grant.token, "scope": ",".join(sorted(scopes))}
    if grant.refresh_token:
        body.update(refresh_token=grant.refresh_token, expires_in=int(grant.expires_at - sandbox.clock.now()))
    return JSONResponse(body, status_code=201)


@handler
async def install_request(request: Request) -> Response:
    app_url = request.query_params["app_url"]
    store = store_of(request)
    return JSONResponse({"url": sandbox_of(request).install_request_url(store.domain, app_url)})


@handler
async def list_products(request: Request) -> Response:
    store = store_of(request)
    offset = int(request.query_params.get("offset", 0))
    limit = min(int(request.query_params.get("limit", 50)), MAX_LISTED)
    with store.lock:
        products = []
        for index in store.product_indexes(offset):
            if len(products) >= limit:
                break
            products.append(product_state(store, store.product(index)))
    return JSONResponse({"products": products})


@handler
async def product_detail(request: Request) -> Response:
    store = store_of(request)
    product_id = number(request.path_params["product_id"], "Product")
    if request.method == "GET":
        product = store.product_by_id(product_id)
        if product is None:
            raise LookupError("no such product")
        return JSONResponse(product_state(store, product))
    if request.method == "DELETE":
        store.delete_product(product_id)
        return Response(status_code=204)
    product = store.update_product(product_id, await read_json(request))
    return JSONResponse(product_state(store, product))


@handler
async def create_product(request: Request) -> Response:
    store = store_of(request)
    product = store.create_product(await read_json(request))
    return JSONResponse(product_state(store, product), status_code=201)


@handler
async def set_stock(request: Request) -> Response:
    data = await read_json(request)
    store = store_of(request)
    item_id = number(data["inventory_item_id"], "InventoryItem")
    location_id = number(data["location_id"], "Location")
    if not store.is_stocked(item_id, location_id):
        raise LookupError("that inventory item is not stocked at that location")
    store.set_quantity(item_id, location_id, "available", int(data["available"]))
    return JSONResponse(
        {
            "inventory_item_id": item_id,
            "location_id": location_id,
            "available": store.available(item_id, location_id),
            "committed": store.committed(item_id, location_id),
        }
    )


@handler
async def list_orders(request: Request) -> Response:
    store = store_of(request)
    with store.lock:
        orders = [order_state(store, o) for o in store.orders.values()]
    return JSONResponse({"orders": orders})


@handler
async def order_detail(request: Request) -> Response:
    store = store_of(request)
    order = store.order(number(request.path_params["order_id"], "Order"))
    if order is None:
        raise LookupError("no such order")
    return JSONResponse(order_state(store, order))


@handler
async def fulfill_order(request: Request) -> Response:
    data = await read_json(request)
    store = store_of(request)
    order_id = number(request.path_params["order_id"], "Order")
    lines = data.get("line_items")  # [{id, quantity}]: a partial fulfillment; else all that is left
    fulfillment = store.fulfill_order(
        order_id,
        data.get("company"),
        data.get("number"),
        data.get("url"),
        None if lines is None else {number(str(line["id"]), "LineItem"): int(line["quantity"]) for line in lines},
    )
    return JSONResponse(payloads.fulfillment_payload(store.order(order_id), fulfillment), status_code=201)


@handler
async def update_tracking(request: Request) -> Response:
    data = await read_json(request)
    store = store_of(request)
    fulfillment = store.update_tracking(
        number(request.path_params["fulfillment_id"], "Fulfillment"),
        data.get("company"),
        data.get("number"),
        data.get("url"),
    )
    return JSONResponse(payloads.fulfillment_payload(store.order(fulfillment.order_id), fulfillment))


@handler
async def cancel_order(request: Request) -> Response:
    data = await read_json(request)
    store = store_of(request)
    reason = data.get("reason", "CUSTOMER").upper()
    if reason not in {"CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"}:
        raise ValueError("reason must be one of CUSTOMER, DECLINED, FRAUD, INVENTORY, OTHER, STAFF")
    order = store.cancel_order(
        number(request.path_params["order_id"], "Order"), reason, bool(data.get("restock", True))
    )
    return JSONResponse(order_state(store, order))


@handler
async def app_subscriptions(request: Request) -> Response:
    store = store_of(request)
    return JSONResponse({"app_subscriptions": [billing.state(store, s) for s in billing.all_of(store)]})


@handler
async def uninstall(request: Request) -> Response:
    store = store_of(request)
    sandbox_of(request).uninstall(store.domain)
    return JSONResponse({"uninstalled": store.domain})


@handler
async def privacy_request(request: Request) -> Response:
    """Send one of the mandatory compliance webhooks, as Shopify would on a customer's request."""
    topic = request.path_params["topic"]
    if topic not in COMPLIANCE_TOPICS:
        raise ValueError(f"topic must be one of {sorted(COMPLIANCE_TOPICS)}")
    data = await read_json(request)
    sandbox, store = sandbox_of(request), store_of(request)
    payload: dict = {"shop_id": store.id, "shop_domain": store.domain}
    customer = data.get("customer", {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"})
    orders = [int(o) for o in data.get("orders", [])]
    if topic == "customers/data_request":
        payload.update(customer=customer, orders_requested=orders, data_request={"id": store.new_id()})
    elif topic == "customers/redact":
        payload.update(customer=customer, orders_to_redact=orders)
    sandbox.webhooks.emit(store, topic, payload)
    return JSONResponse({"topic": topic, "payload": payload}, status_code=202)


@handler
async def faults(request: Request) -> Response:
    sandbox = sandbox_of(request)
    if request.method == "DELETE":
        sandbox.faults = Faults()
    elif request.method == "PUT":
        data = await read_json(request)
        allowed = set(Faults.__dataclass_fields__)
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        script = [str(s) for s in data.get("script", [])]
        if any(s not in {"ok", "timeout", "429", "500", "502", "503", "504"} for s in script):
            raise ValueError("script entries must be ok, timeout, 429, 500, 502, 503 or 504")
        answer_script = [str(s) for s in data.get("answer_script", [])]
        if any(s not in {"ok", *ANSWER_FAULT_KINDS} for s in answer_script):
            raise ValueError(f"answer_script entries must be ok or one of {', '.join(ANSWER_FAULT_KINDS)}")
        rates = {
            key: float(data[key])
            for key in (
                "error_rate",
                "throttle_rate",
                "timeout_rate",
                "drop_answer_rate",
                "delay_answer_rate",
                "timeout_answer_rate",
            )
            if key in data
        }
        if any(not 0 <= rate <= 1 for rate in rates.values()):
            raise ValueError("rates must be between 0 and 1")
        fields = data.get("answer_fault_fields", list(ANSWER_FAULT_FIELDS))
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            raise ValueError("answer_fault_fields must be a list of mutation names, e.g. orderCreate")
        seed = data.get("seed")
        sandbox.faults = Faults(
            script=script,
            answer_script=answer_script,
            answer_fault_fields=fields,
            **rates,
            error_status=int(data.get("error_status", 503)),
            retry_after=str(data.get("retry_after", "1.0")),
            timeout_seconds=min(float(data.get("timeout_seconds", 10.0)), 120.0),
            delay_seconds=min(float(data.get("delay_seconds", 2.0)), 120.0),
            seed=None if seed is None else int(seed),
        )
        if seed is not None:
            sandbox.fault_random = random.Random(int(seed))
        if sandbox.faults.error_status not in {500, 502, 503, 504}:
            raise ValueError("error_status must be 500, 502, 503 or 504")
    return JSONResponse(asdict(sandbox.faults))


@handler
async def clock(request: Request) -> Response:
    sandbox = sandbox_of(request)
    if request.method == "POST":
        data = await read_json(request)
        sandbox.clock.advance(float(data["seconds"]))
    return JSONResponse({"now": sandbox.clock.now(), "frozen": sandbox.clock.frozen})


@handler
async def bucket(request: Request) -> Response:
    store = store_of(request)
    leaky = sandbox_of(request).buckets[store.domain]
    if request.method == "POST":
        data = await read_json(request)
        leaky.drain(float(data.get("drain", 0)))
    return JSONResponse(leaky.status())


@handler
async def webhook_settings(request: Request) -> Response:
    dispatcher = sandbox_of(request).webhooks
    if request.method == "PUT":
        data = await read_json(request)
        if "app_webhook_uri" in data:
            dispatcher.app_webhook_uri = data["app_webhook_uri"] or ""
        for key in ("duplicate_rate", "reorder_rate"):
            if key in data:
                value = float(data[key])
                if not 0 <= value <= 1:
                    raise ValueError(f"{key} must be between 0 and 1")
                setattr(dispatcher, key, value)
    return JSONResponse(
        {
            "app_webhook_uri": dispatcher.app_webhook_uri,
            "duplicate_rate": dispatcher.duplicate_rate,
            "reorder_rate": dispatcher.reorder_rate,
        }
    )


@handler
async def deliveries(request: Request) -> Response:
    """Every delivery so far; `?wait=<seconds>` first waits (bounded) until none is in flight."""
    dispatcher = sandbox_of(request).webhooks
    wait = min(float(request.query_params.get("wait", 0)), 30.0)
    idle = True
    if wait:
        idle = await run_in_threadpool(dispatcher.wait_idle, wait)
    return JSONResponse({"idle": idle, "deliveries": [d.record() for d in list(dispatcher.log)]})


@handler
async def state(request: Request) -> Response:
    sandbox = sandbox_of(request)
    return JSONResponse(
        {
            "shops": [
                {
                    "shop": s.domain,
                    "products": s.product_index_limit,
                    "catalog_seed": s.catalog.seed,
                    "orders": len(s.orders),
                    "currency": s.currency,
                    "webhook_subscriptions": [
                        {"id": w.id, "topic": w.topic, "uri": w.uri} for w in s.webhook_subscriptions.values()
                    ],
                    "bulk_operations": [
                        {"id": b.id, "status": b.status, "object_count": b.object_count}
                        for b in s.bulk_operations.values()
                    ],
                    "locations": [{"id": loc.id, "name": loc.name} for loc in s.catalog.locations],
                }
                for s in sandbox.shops.values()
            ]
        }
    )


SHOP = "/sandbox/shops/{shop}"
routes = [
    Route("/sandbox/state", state),
    Route("/sandbox/shops", seed_shop, methods=["POST"]),
    Route(SHOP + "/tokens", issue_token, methods=["POST"]),
    Route(SHOP + "/install-request", install_request),
    Route(SHOP + "/products", list_products),
    Route(SHOP + "/products", create_product, methods=["POST"]),
    Route(SHOP + "/products/{product_id}", product_detail, methods=["GET", "PATCH", "DELETE"]),
    Route(SHOP + "/inventory", set_stock, methods=["PUT"]),
    Route(SHOP + "/orders", list_orders),
    Route(SHOP + "/orders/{order_id}", order_detail),
    Route(SHOP + "/orders/{order_id}/fulfill", fulfill_order, methods=["POST"]),
    Route(SHOP + "/orders/{order_id}/cancel", cancel_order, methods=["POST"]),
    Route(SHOP + "/fulfillments/{fulfillment_id}/tracking", update_tracking, methods=["POST"]),
    Route(SHOP + "/uninstall", uninstall, methods=["POST"]),
    Route(SHOP + "/app-subscriptions", app_subscriptions),
    Route(SHOP + "/privacy/{topic:path}", privacy_request, methods=["POST"]),
    Route(SHOP + "/bucket", bucket, methods=["GET", "POST"]),
    Route("/sandbox/faults", faults, methods=["GET", "PUT", "DELETE"]),
    Route("/sandbox/clock", clock, methods=["GET", "POST"]),
    Route("/sandbox/webhooks", webhook_settings, methods=["GET", "PUT"]),
    Route("/sandbox/webhooks/deliveries", deliveries),
]
