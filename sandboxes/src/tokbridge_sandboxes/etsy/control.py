"""The control API under /sandbox: what the seller does on etsy.com, plus knobs for tests.

Unsigned and unauthenticated (the sandbox is a test double). JSON in and out; bad input gets 400,
unknown things 404, each as {"error": "..."}. Changes made here bump the listing's
updated_timestamp and send the webhook named on the right (when a webhook URL is set).

  GET    /sandbox/state                       keys, seller, shop, counts by state, bootstrap tokens, quota
  POST   /sandbox/catalog {count, seed}       regenerate the catalog (no webhooks)
  GET    /sandbox/listings?state=&offset=&limit=   true state: listings with inventory and images
  POST   /sandbox/listings {title?, state?, price?, quantity?, sku?}        -> listing.created
  GET    /sandbox/listings/{id}
  PATCH  /sandbox/listings/{id} {title?, description?, state?}             -> listing.updated
  DELETE /sandbox/listings/{id}                                              -> listing.deleted
  PUT    /sandbox/listings/{id}/stock {quantity, sku? | product_id?}
         one product's quantity (the only product when neither is given); product ids stay
                                                    -> inventory.updated, or inventory.out_of_stock at 0
  POST   /sandbox/tokens {scopes?, expired?}  an access/refresh pair for the seller without OAuth
  POST   /sandbox/tokens/revoke               the seller removes the app: every token stops working
  GET|POST /sandbox/clock {seconds}           read or move the sandbox clock
  GET|PUT  /sandbox/quota {per_second?, per_day?}   read or change the rate limits
  POST   /sandbox/quota/reset                 forget the requests counted today
  GET|PUT|DELETE /sandbox/faults {"<METHOD> <path template>": ["ok" | "500" | "502" | "503" | "504", ...]}
         scripted outages: each call of that operation takes the next entry (a 5xx is answered without
         carrying the call out); e.g. {"PUT /listings/{listing_id}/inventory": ["ok", "503"]}
  GET|PUT  /sandbox/webhooks {url?, secret?, duplicate_rate?}
  GET    /sandbox/webhooks/deliveries?wait=<s>  every delivery, after waiting for the queue to drain
  DELETE /sandbox/webhooks/deliveries         forget them
"""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .config import ALL_SCOPES
from .model import STATES, Listing, image_json, inventory_json, listing_json
from .sandbox import Sandbox

MAX_LISTED = 1000


def problem(message: str, status: int = 400) -> Response:
    return JSONResponse({"error": message}, status_code=status)


async def read_json(request: Request) -> dict:
    raw = await request.body()
    if not raw:
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise TypeError("expected a JSON object")
    return data


def handler(fn):
    async def wrapped(request: Request) -> Response:
        try:
            return await fn(request, request.app.state.sandbox)
        except LookupError as exc:
            return problem(str(exc).strip("'\""), 404)
        except (ValueError, TypeError) as exc:
            return problem(f"invalid request: {exc}", 400)

    return wrapped


def listing_state(sandbox: Sandbox, listing: Listing, request: Request) -> dict:
    config = sandbox.config
    body = listing_json(
        listing,
        shop_id=config.shop_id,
        user_id=config.user_id,
        shop_name=config.shop_name,
        currency=config.currency,
        owner=True,
    )
    base = (config.image_base_url or str(request.base_url)).rstrip("/")
    body["images"] = [image_json(i, listing.listing_id, base) for i in listing.images]
    body["inventory"] = inventory_json(listing.inventory, config.currency)
    return body


def find(sandbox: Sandbox, request: Request) -> Listing:
    raw = request.path_params["listing_id"]
    listing = sandbox.listings.get(int(raw)) if str(raw).isdigit() else None
    if listing is None:
        raise LookupError(f"no listing {raw}")
    return listing


def emit(sandbox: Sandbox, event_type: str, listing: Listing) -> list[str]:
    path = f"/v3/application/listings/{listing.listing_id}"
    if event_type.startswith("inventory."):
        path += "/inventory"
    return sandbox.webhooks.emit(event_type, path, sandbox.config.shop_id)


@handler
async def state(request: Request, sandbox: Sandbox) -> Response:
    return JSONResponse(sandbox.state())


@handler
async def reseed(request: Request, sandbox: Sandbox) -> Response:
    data = await read_json(request)
    count = int(data.get("count", sandbox.config.catalog_size))
    if not 0 <= count <= 200_000:
        raise ValueError("count must be between 0 and 200000")
    seed = int(data.get("seed", sandbox.catalog_seed))
    await run_in_threadpool(sandbox.seed, count, seed)
    return JSONResponse({"count": count, "seed": seed}, status_code=201)


@handler
async def list_listings(request: Request, sandbox: Sandbox) -> Response:
    wanted = request.query_params.get("state")
    if wanted is not None and wanted not in STATES:
        raise ValueError(f"state must be one of {', '.join(STATES)}")
    offset = int(request.query_params.get("offset", 0))
    limit = min(int(request.query_params.get("limit", 100)), MAX_LISTED)
    with sandbox.lock:
        matching = [item for item in sandbox.listings.values() if wanted is None or item.state == wanted]
        page = [listing_state(sandbox, item, request) for item in matching[offset : offset + limit]]
    return JSONResponse({"count": len(matching), "results": page})


@handler
async def get_listing(request: Request, sandbox: Sandbox) -> Response:
    with sandbox.lock:
        return JSONResponse(listing_state(sandbox, find(sandbox, request), request))


@handler
async def add_listing(request: Request, sandbox: Sandbox) -> Response:
    data = await read_json(request)
    wanted = data.get("state", "active")
    if wanted not in STATES:
        raise ValueError(f"state must be one of {', '.join(STATES)}")
    with sandbox.lock:
        listing = sandbox.add_listing(state=wanted)
        if "title" in data:
            listing.title = _text(data["title"], "title", 140)
        product = listing.inventory.products[0]
        if "price" in data:
            for item in listing.inventory.products:
                item.offerings[0].price = round(float(data["price"]) * 100)
            listing.inventory.price_on_property = []
        if "quantity" in data:
            product.offerings[0].quantity = _quantity(data["quantity"])
        if "sku" in data:
            product.sku = _text(data["sku"], "sku", 32)
        body = listing_state(sandbox, listing, request)
    emit(sandbox, "listing.created", listing)
    return JSONResponse(body, status_code=201)


def _text(value, name: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ValueError(f"{name} must be a non-empty string of at most {limit} characters")
    return value.strip()


def _quantity(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 999:
        raise ValueError("quantity must be an integer between 0 and 999")
    return value


@handler
async def patch_listing(request: Request, sandbox: Sandbox) -> Response:
    data = await read_json(request)
    with sandbox.lock:
        listing = find(sandbox, request)
        if "title" in data:
            listing.title = _text(data["title"], "title", 140)
        if "description" in data:
            listing.description = _text(data["description"], "description", 50_000)
        if "state" in data:
            if data["state"] not in STATES:
                raise ValueError(f"state must be one of {', '.join(STATES)}")
            listing.state, listing.state_ts = data["state"], sandbox.clock.now_int()
        sandbox.touch(listing)
        body = listing_state(sandbox, listing, request)
    emit(sandbox, "listing.updated", listing)
    return JSONResponse(body)


@handler
async def delete_listing(request: Request, sandbox: Sandbox) -> Response:
    with sandbox.lock:
        listing = find(sandbox, request)
        del sandbox.listings[listing.listing_id]
    emit(sandbox, "listing.deleted", listing)
    return Response(status_code=204)


@handler
async def set_stock(request: Request, sandbox: Sandbox) -> Response:
    data = await read_json(request)
    quantity = _quantity(data.get("quantity"))
    with sandbox.lock:
        listing = find(sandbox, request)
        products = listing.inventory.products
        if "sku" in data:
            matches = [p for p in products if p.sku == data["sku"]]
        elif "product_id" in data:
            matches = [p for p in products if p.product_id == data["product_id"]]
        elif len(products) == 1:
            matches = products
        else:
            raise ValueError("the listing has several products: name one by sku or product_id")
        if not matches:
            raise LookupError("no such product in this listing")
        # Stock shared across products (quantity_on_property without a property) moves together.
        targets = products if not listing.inventory.quantity_on_property else matches[:1]
        for product in targets:
            product.offerings[0].quantity = quantity
        sandbox.touch(listing)
        sandbox.settle_state(listing)
        out_of_stock = listing.quantity() == 0 or quantity == 0
        body = listing_state(sandbox, listing, request)
    emit(sandbox, "inventory.out_of_stock" if out_of_stock else "inventory.updated", listing)
    return JSONResponse(body)


@handler
async def tokens(request: Request, sandbox: Sandbox) -> Response:
    data = await read_json(request)
    scopes = data.get("scopes", list(ALL_SCOPES))
    if not isinstance(scopes, list) or any(s not in ALL_SCOPES for s in scopes):
        raise ValueError(f"scopes must be a list of {', '.join(ALL_SCOPES)}")
    grant = sandbox.issue_grant(frozenset(scopes))
    if data.get("expired"):
        grant.expires_at = sandbox.clock.now() - 1
    return JSONResponse(
        {
            "access_token": grant.access_token,
            "refresh_token": grant.refresh_token,
            "scopes": sorted(grant.scopes),
            "expires_at": int(grant.expires_at),
        },
        status_code=201,
    )


@handler
async def revoke_tokens(request: Request, sandbox: Sandbox) -> Response:
    with sandbox.lock:
        revoked = len(sandbox.grants)
        sandbox.revoked_refresh.update(sandbox.refresh)
        sandbox.grants.clear()
        sandbox.refresh.clear()
    return JSONResponse({"revoked": revoked})


@handler
async def clock(request: Request, sandbox: Sandbox) -> Response:
    if request.method == "POST":
        data = await read_json(request)
        sandbox.clock.advance(float(data.get("seconds", 0)))
    return JSONResponse({"now": sandbox.clock.now(), "frozen": sandbox.clock.frozen})


@handler
async def quota(request: Request, sandbox: Sandbox) -> Response:
    with sandbox.lock:
        if request.method == "PUT":
            data = await read_json(request)
            for name, attr in (("per_second", "per_second"), ("per_day", "per_day")):
                if name in data:
                    value = data[name]
                    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                        raise ValueError(f"{name} must be a positive integer")
                    setattr(sandbox.limiter, attr, value)
        return JSONResponse(sandbox.limiter.state(sandbox.clock.now()))


@handler
async def faults(request: Request, sandbox: Sandbox) -> Response:
    from .api import OPERATIONS

    known = {f"{method} {path}" for method, path, _handler, _scope in OPERATIONS}
    with sandbox.lock:
        if request.method == "DELETE":
            sandbox.faults = {}
        elif request.method == "PUT":
            data = await read_json(request)
            for operation, script in data.items():
                if operation not in known:
                    raise ValueError(f"unknown operation {operation!r}; one of {sorted(known)}")
                if not isinstance(script, list) or any(
                    str(step) not in {"ok", "500", "502", "503", "504"} for step in script
                ):
                    raise ValueError('a script is a list of "ok", "500", "502", "503" or "504"')
                sandbox.faults[operation] = [str(step) for step in script]
        return JSONResponse({operation: list(script) for operation, script in sandbox.faults.items()})


@handler
async def reset_quota(request: Request, sandbox: Sandbox) -> Response:
    with sandbox.lock:
        sandbox.limiter.reset_day()
        return JSONResponse(sandbox.limiter.state(sandbox.clock.now()))


@handler
async def webhooks(request: Request, sandbox: Sandbox) -> Response:
    if request.method == "PUT":
        data = await read_json(request)
        rate = data.get("duplicate_rate")
        sandbox.webhooks.configure(
            url=data.get("url"), secret=data.get("secret"), duplicate_rate=None if rate is None else float(rate)
        )
    return JSONResponse(sandbox.webhooks.settings())


@handler
async def deliveries(request: Request, sandbox: Sandbox) -> Response:
    if request.method == "DELETE":
        sandbox.webhooks.clear()
        return Response(status_code=204)
    wait = float(request.query_params.get("wait", 0))
    idle = await run_in_threadpool(sandbox.webhooks.wait_idle, min(wait, 60.0)) if wait > 0 else None
    return JSONResponse({"idle": idle, "deliveries": sandbox.webhooks.deliveries()})


routes = [
    Route("/sandbox/state", state),
    Route("/sandbox/catalog", reseed, methods=["POST"]),
    Route("/sandbox/listings", list_listings, methods=["GET"]),
    Route("/sandbox/listings", add_listing, methods=["POST"]),
    Route("/sandbox/listings/{listing_id}", get_listing, methods=["GET"]),
    Route("/sandbox/listings/{listing_id}", patch_listing, methods=["PATCH"]),
    Route("/sandbox/listings/{listing_id}", delete_listing, methods=["DELETE"]),
    Route("/sandbox/listings/{listing_id}/stock", set_stock, methods=["PUT"]),
    Route("/sandbox/tokens", tokens, methods=["POST"]),
    Route("/sandbox/tokens/revoke", revoke_tokens, methods=["POST"]),
    Route("/sandbox/clock", clock, methods=["GET", "POST"]),
    Route("/sandbox/quota", quota, methods=["GET", "PUT"]),
    Route("/sandbox/quota/reset", reset_quota, methods=["POST"]),
    Route("/sandbox/faults", faults, methods=["GET", "PUT", "DELETE"]),
    Route("/sandbox/webhooks", webhooks, methods=["GET", "PUT"]),
    Route("/sandbox/webhooks/deliveries", deliveries, methods=["GET", "DELETE"]),
]
