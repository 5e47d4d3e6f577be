"""The Open API v3 routes under /v3/application, behind Etsy's checks, in this order:

1. `x-api-key: <keystring>:<shared_secret>` on every call, else 403 (`Shared secret is required in
   x-api-key header.` when the secret part is missing, `Invalid API key` when a part is wrong);
2. the app's rate limit (per second and per sliding day), else 429 with `retry-after`; answers that
   pass carry `x-limit-per-second`, `x-remaining-this-second`, `x-limit-per-day`, `x-remaining-today`;
3. on OAuth-scoped operations `Authorization: Bearer <token>`, else 401 `invalid_token` (missing,
   unknown or expired), and the operation's scope, else 403 `insufficient_scope`.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .inventory import InventoryError, parse_update
from .model import (
    STATES,
    Listing,
    image_json,
    inventory_json,
    listing_json,
    processing_profile_json,
    shipping_profile_json,
)
from .sandbox import Grant, Sandbox

PREFIX = "/v3/application"
SHOP_LISTING_INCLUDES = (
    "Shipping",
    "Images",
    "Shop",
    "User",
    "Translations",
    "Inventory",
    "Videos",
    "Personalization",
    "BuyerPrice",
)
LISTING_INCLUDES = ("Images", "Shop", "User", "Translations", "Videos", "Personalization", "BuyerPrice")
SORT_ON = ("created", "price", "updated", "score")
SORT_ORDER = {"asc": False, "ascending": False, "up": False, "desc": True, "descending": True, "down": True}
MAX_BATCH = 100


class ApiError(Exception):
    def __init__(self, status: int, error: str, description: str | None = None) -> None:
        super().__init__(error)
        self.status, self.error, self.description = status, error, description

    def response(self) -> Response:
        body = {"error": self.error}
        if self.description is not None:
            body["error_description"] = self.description
        return json_response(body, self.status)


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def not_found(what: str) -> ApiError:
    return ApiError(404, what)


# -- parameters ------------------------------------------------------------------------------------------
def path_id(request: Request, name: str) -> int:
    raw = request.path_params[name]
    if not str(raw).isdigit() or int(raw) < 1:
        raise ApiError(400, f"Expected {name} to be a positive integer, got '{raw}'")
    return int(raw)


def query_int(request: Request, name: str, default: int, low: int, high: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"Expected {name} to be an integer, got '{raw}'") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ApiError(400, f"{name} must be {bound}, got {value}")
    return value


def query_enum(request: Request, name: str, allowed, default: str | None) -> str | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    if value not in allowed:
        raise ApiError(400, f"{name} must be one of {', '.join(allowed)}, got '{value}'")
    return value


def query_list(request: Request, name: str) -> list[str]:
    """An array query parameter, repeated (`a=1&a=2`) or comma-separated (`a=1,2`)."""
    values = []
    for raw in request.query_params.getlist(name) + request.query_params.getlist(f"{name}[]"):
        values += [v.strip() for v in raw.split(",") if v.strip()]
    return values


def query_includes(request: Request, allowed) -> set[str]:
    includes = query_list(request, "includes")
    bad = [i for i in includes if i not in allowed]
    if bad:
        raise ApiError(400, f"Invalid value for includes: '{bad[0]}'. Acceptable values: {', '.join(allowed)}")
    return set(includes)


def query_ids(request: Request, name: str) -> list[int]:
    raw = query_list(request, name)
    if not raw:
        raise ApiError(400, f"Missing required parameter: {name}")
    if not all(v.isdigit() and int(v) >= 1 for v in raw):
        raise ApiError(400, f"{name} must be a list of positive integers")
    ids = list(dict.fromkeys(int(v) for v in raw))
    if len(ids) > MAX_BATCH:
        raise ApiError(400, f"{name} can have at most {MAX_BATCH} ids, got {len(ids)}")
    return ids


# -- the guard -----------------------------------------------------------------------------------------
def check_api_key(sandbox: Sandbox, request: Request) -> None:
    config = sandbox.config
    header = request.headers.get("x-api-key", "")
    if not header:
        raise ApiError(403, "Missing x-api-key header")
    keystring, colon, secret = header.partition(":")
    if not colon:
        if hmac.compare_digest(keystring.encode(), config.keystring.encode()):
            raise ApiError(403, "Shared secret is required in x-api-key header.")
        raise ApiError(403, "Invalid API key")
    if not keystring or not secret:
        raise ApiError(403, "Invalid API key: should be in the format 'keystring:shared_secret'.")
    if not (
        hmac.compare_digest(keystring.encode(), config.keystring.encode())
        and hmac.compare_digest(secret.encode(), config.shared_secret.encode())
    ):
        raise ApiError(403, "Invalid API key")


def bearer(sandbox: Sandbox, request: Request, required: bool) -> Grant | None:
    header = request.headers.get("authorization")
    if header is None:
        if required:
            raise ApiError(401, "invalid_token", "access token is missing")
        return None
    scheme, _space, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "invalid_token", "access token is invalid")
    with sandbox.lock:
        grant = sandbox.grants.get(token.strip())
    if grant is None:
        raise ApiError(401, "invalid_token", "access token is invalid")
    if sandbox.clock.now() >= grant.expires_at:
        raise ApiError(401, "invalid_token", "access token is expired")
    return grant


Handler = Callable[[Request, Sandbox, "Grant | None"], Awaitable[Response]]


def endpoint(handler: Handler, scope: str | None, operation: str = "") -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        sandbox: Sandbox = request.app.state.sandbox
        try:
            check_api_key(sandbox, request)
        except ApiError as exc:
            return exc.response()
        with sandbox.lock:
            allowed, headers, retry_after = sandbox.limiter.take(sandbox.clock.now())
        if not allowed:
            return json_response(
                {"error": "You have exceeded your quota of requests. Please try again later."},
                429,
                {"retry-after": str(retry_after)},
            )
        try:
            grant = bearer(sandbox, request, required=scope is not None)
            if scope is not None and scope not in grant.scopes:
                raise ApiError(403, "insufficient_scope", "Insufficient scope")
            fault = sandbox.next_fault(operation)
            if fault is not None:  # a scripted outage: the call is not carried out
                return json_response({"error": "Internal Server Error"}, fault, headers)
            response = await handler(request, sandbox, grant)
        except ApiError as exc:
            response = exc.response()
        response.headers.update(headers)
        return response

    return run


# -- helpers -----------------------------------------------------------------------------------------------
def is_owner(sandbox: Sandbox, grant: Grant | None) -> bool:
    return grant is not None and grant.user_id == sandbox.config.user_id


def check_shop(sandbox: Sandbox, shop_id: int) -> None:
    if shop_id != sandbox.config.shop_id:
        raise not_found(f"Shop with shop_id {shop_id} was not found")


def visible_listing(sandbox: Sandbox, listing_id: int, grant: Grant | None) -> Listing:
    listing = sandbox.listings.get(listing_id)
    if listing is None or (listing.state != "active" and not is_owner(sandbox, grant)):
        raise not_found(f"Listing with listing_id {listing_id} was not found")
    return listing


def shop_json(sandbox: Sandbox) -> dict:
    config = sandbox.config
    created = 1_600_000_000
    active = sum(1 for listing in sandbox.listings.values() if listing.state == "active")
    return {
        "shop_id": config.shop_id,
        "user_id": config.user_id,
        "shop_name": config.shop_name,
        "create_date": created,
        "created_timestamp": created,
        "title": "Handmade goods from the sandbox",
        "announcement": None,
        "currency_code": config.currency,
        "is_vacation": False,
        "vacation_message": None,
        "sale_message": None,
        "digital_sale_message": None,
        "update_date": sandbox.clock.now_int(),
        "updated_timestamp": sandbox.clock.now_int(),
        "listing_active_count": active,
        "digital_listing_count": 0,
        "login_name": config.shop_name.lower(),
        "accepts_custom_requests": False,
        "policy_welcome": None,
        "policy_payment": None,
        "policy_shipping": None,
        "policy_refunds": None,
        "policy_additional": None,
        "policy_seller_info": None,
        "policy_update_date": created,
        "policy_has_private_receipt_info": False,
        "has_unstructured_policies": False,
        "policy_privacy": None,
        "vacation_autoreply": None,
        "url": f"https://www.etsy.com/shop/{config.shop_name}",
        "image_url_760x100": None,
        "num_favorers": 12,
        "languages": ["en-US"],
        "icon_url_fullxfull": None,
        "is_using_structured_policies": True,
        "has_onboarded_structured_policies": True,
        "include_dispute_form_link": False,
        "is_direct_checkout_onboarded": True,
        "is_etsy_payments_onboarded": True,
        "is_calculated_eligible": True,
        "is_opted_in_to_buyer_promise": True,
        "is_shop_us_based": True,
        "transaction_sold_count": 0,
        "shipping_from_country_iso": "US",
        "shop_location_country_iso": "US",
        "review_count": 0,
        "review_average": 0,
    }


def image_base(request: Request, sandbox: Sandbox) -> str:
    return (sandbox.config.image_base_url or str(request.base_url)).rstrip("/")


def render_listing(request: Request, sandbox: Sandbox, listing: Listing, owner: bool, includes: set[str]) -> dict:
    config = sandbox.config
    body = listing_json(
        listing,
        shop_id=config.shop_id,
        user_id=config.user_id,
        shop_name=config.shop_name,
        currency=config.currency,
        owner=owner,
    )
    if "Images" in includes:
        base = image_base(request, sandbox)
        body["images"] = [image_json(i, listing.listing_id, base) for i in listing.images]
    if "Inventory" in includes:
        body["inventory"] = inventory_json(listing.inventory, config.currency, with_sku=owner)
    if "Shop" in includes:
        body["shop"] = shop_json(sandbox)
    if "Shipping" in includes:
        profile = next((p for p in sandbox.shipping if p.shipping_profile_id == listing.shipping_profile_id), None)
        if profile is not None:
            body["shipping_profile"] = shipping_profile_json(profile, config.user_id, config.currency)
    if "Videos" in includes:
        body["videos"] = []
    return body


# -- operations --------------------------------------------------------------------------------------------
async def ping(request: Request, sandbox: Sandbox, grant: Grant | None) -> Response:
    return json_response({"application_id": sandbox.config.application_id})


async def token_scopes(request: Request, sandbox: Sandbox, grant: Grant | None) -> Response:
    raw = (await request.body()).decode(errors="replace")
    token = (parse_qs(raw).get("token") or [""])[-1]
    if not token and request.headers.get("content-type", "").startswith("application/json"):
        try:
            token = str(json.loads(raw or "{}").get("token", ""))
        except (ValueError, AttributeError):
            token = ""
    if not token:
        raise ApiError(400, "Missing required parameter: token")
    with sandbox.lock:
        found = sandbox.grants.get(token)
    if found is None or sandbox.clock.now() >= found.expires_at:
        raise ApiError(401, "invalid_token", "access token is invalid")
    return json_response({"scopes": sorted(found.scopes)})


async def get_me(request: Request, sandbox: Sandbox, grant: Grant | None) -> Response:
    return json_response({"user_id": grant.user_id, "shop_id": sandbox.config.shop_id})


async def get_shop(request: Request, sandbox: Sandbox, grant: Grant | None) -> Response:
    check_shop(sandbox, path_id(request, "shop_id"))
    with sandbox.lock:
        return json_response(shop_json(sandbox))


async def get_shop_by_owner(request: Request, sandbox: Sandbox, grant: Grant | None) -> Response:
    user_id = path_id(request, "user_id")
    if user_id != sandbox.config.user_id:
        raise not_found(f"User with user_id {user_id} does not have a shop")
    with sandbox.lock:
        return json_response(shop_json(sandbox))


def _sort_key(sort_on: str):
    if sort_on == "updated":
        return lambda listing: (listing.updated, listing.listing_id)
    if sort_on == "price":
        return lambda listing: (listing.price(), listing.listing_id)
    return lambda listing: (listing.created, listing.listing_id)  # created; score falls back to it


async def get_listings_by_shop(request: Request, sandbox: Sandbox, grant: Grant | None) -> Response:
    check_shop(sandbox, path_id(request, "shop_id"))
    state = query_enum(request, "state", STATES, "active")
    limit = query_int(request, "limit", 25, 1, 100)
    offset = query_int(request, "offset", 0, 0)
    sort_on = query_enum(request, "sort_on", SORT_ON, "created")
    sort_order = query_enum(request, "sort_order", tuple(SORT_ORDER), "desc")
    includes = query_includes(request, SHOP_LISTING_INCLUDES)
    owner = is_owner(sandbox, grant)
    if state != "active" and not owner:
        raise ApiError(403, f"You do not have permission to view {state} listings of this shop")
    with sandbox.lock:
        matching = [listing for listing in sandbox.listings.values() if listing.state == state]
        matching.sort(key=_sort_key(sort_on), reverse=SORT_ORDER[sort_order])
        page = matching[offset : offset + limit]
        results = [render_listing(request, sandbox, listing, owner, includes) for listing in page]
    return json_response({"count": len(matching), "results": results})


async def get_listing(request: Request, sandbox: Sandbox, grant: Grant | None) -> Response:
    listing_id = path_id(request, "listing_id")
    includes = query_includes(request, LISTING_INCLUDES)
    with sandbox.lock:
        listing = visible_listing(sandbox, listing_id, grant)
        return json_response(render_listing(request, sandbox, listing, is_owner(sandbox, grant), includes))


async def get_listings_by_ids(request: Request, sandbox: Sandbox, grant: Grant | None) -> Response:
    ids = query_ids(request, "listing_ids")
    includes = query_includes(request, LISTING_INCLUDES)
    owner = is_owner(sandbox, grant)
    with sandbox.lock:
        found = [sandbox.listings[i] for i in ids if i in sandbox.listings]
        results = [
            render_listing(request, sandbox, listing, owner, includes)
            for listing in found
            if owner or listing.state == "active"
        ]
    return json_response({"count": len(results), "results": results})


async def get_inventories_by_ids(request: Request, sandbox: Sandbox, grant: Grant | None) -> Response:
    ids = query_ids(request, "listing_ids")
    owner = is_owner(sandbox, grant)
    with sandbox.lock:
        missing = [i for i in ids if i not in sandbox.listings]
        if missing:
            raise not_found(f"Listings not found: {', '.join(map(str, missing))}")
        results = [
            {
                "listing_id": i,
                "inventory": inventory_json(sandbox.listings[i].inventory, sandbox.config.currency, owner),
            }
            for i in ids
        ]
    return json_response({"count": len(results), "results": results})


async def get_listing_inventory(request: Request, sandbox: Sandbox, grant: Grant | None) -> Response:
    listing_id = path_id(request, "listing_id")
    include = query_enum(request, "includes", ("Listing",), None)
    with sandbox.lock:
        listing = visible_listing(sandbox, listing_id, grant)
        owner = is_owner(sandbox, grant)
        body = inventory_json(listing.inventory, sandbox.config.currency, with_sku=owner)
        if include == "Listing":
            body["listing"] = render_listing(request, sandbox, listing, owner, set())
    return json_response(body)


async def _inventory_body(request: Request):
    raw = await request.body()
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = {k: v[-1] for k, v in parse_qs(raw.decode(errors="replace")).items()}
        try:
            return {k: json.loads(v) if k == "products" or k.endswith("_on_property") else v for k, v in form.items()}
        except ValueError:
            raise ApiError(400, "products must be a JSON array") from None
    try:
        return orjson.loads(raw or b"null")
    except orjson.JSONDecodeError:
        raise ApiError(400, "The request body is not valid JSON") from None


async def update_listing_inventory(request: Request, sandbox: Sandbox, grant: Grant | None) -> Response:
    listing_id = path_id(request, "listing_id")
    max_variations = int(query_enum(request, "max_variations_supported", ("2", "3"), "2"))
    body = await _inventory_body(request)
    with sandbox.lock:
        listing = sandbox.listings.get(listing_id)
        if listing is None:
            raise not_found(f"Listing with listing_id {listing_id} was not found")
        if not is_owner(sandbox, grant):
            raise ApiError(403, "You do not have permission to update this listing")
        try:
            inventory = parse_update(
                body,
                max_variations=max_variations,
                readiness_state_ids=sandbox.readiness_state_ids(),
                next_product_id=lambda: next(sandbox.ids.product),
                next_offering_id=lambda: next(sandbox.ids.offering),
            )
        except InventoryError as exc:
            raise ApiError(400, str(exc)) from None
        listing.inventory = inventory
        sandbox.touch(listing)
        sandbox.settle_state(listing)
        return json_response(inventory_json(inventory, sandbox.config.currency))


async def get_listing_product(request: Request, sandbox: Sandbox, grant: Grant | None) -> Response:
    listing_id, product_id = path_id(request, "listing_id"), path_id(request, "product_id")
    with sandbox.lock:
        listing = visible_listing(sandbox, listing_id, grant)
        inventory = inventory_json(listing.inventory, sandbox.config.currency, is_owner(sandbox, grant))
    product = next((p for p in inventory["products"] if p["product_id"] == product_id), None)
    if product is None:
        raise not_found(f"Product with product_id {product_id} was not found")
    return json_response(product)


async def get_listing_images(request: Request, sandbox: Sandbox, grant: Grant | None) -> Response:
    listing_id = path_id(request, "listing_id")
    with sandbox.lock:
        listing = visible_listing(sandbox, listing_id, grant)
        base = image_base(request, sandbox)
        results = [image_json(i, listing_id, base) for i in listing.images]
    return json_response({"count": len(results), "results": results})


async def get_listing_image(request: Request, sandbox: Sandbox, grant: Grant | None) -> Response:
    listing_id, image_id = path_id(request, "listing_id"), path_id(request, "listing_image_id")
    with sandbox.lock:
        listing = visible_listing(sandbox, listing_id, grant)
        image = next((i for i in listing.images if i.listing_image_id == image_id), None)
        if image is None:
            raise not_found(f"Image with listing_image_id {image_id} was not found")
        return json_response(image_json(image, listing_id, image_base(request, sandbox)))


async def get_listing_properties(request: Request, sandbox: Sandbox, grant: Grant | None) -> Response:
    check_shop(sandbox, path_id(request, "shop_id"))
    listing_id = path_id(request, "listing_id")
    with sandbox.lock:
        listing = visible_listing(sandbox, listing_id, grant)
        results = [dict(p) for p in listing.properties]
    return json_response({"count": len(results), "results": results})


def _owned_shop(request: Request, sandbox: Sandbox, grant: Grant | None) -> None:
    check_shop(sandbox, path_id(request, "shop_id"))
    if not is_owner(sandbox, grant):
        raise ApiError(403, "You do not have permission to view this shop's profiles")


async def get_shipping_profiles(request: Request, sandbox: Sandbox, grant: Grant | None) -> Response:
    _owned_shop(request, sandbox, grant)
    config = sandbox.config
    results = [shipping_profile_json(p, config.user_id, config.currency) for p in sandbox.shipping]
    return json_response({"count": len(results), "results": results})


async def get_processing_profiles(request: Request, sandbox: Sandbox, grant: Grant | None) -> Response:
    _owned_shop(request, sandbox, grant)
    limit = query_int(request, "limit", 25, 1, 100)
    offset = query_int(request, "offset", 0, 0)
    shop_id = sandbox.config.shop_id
    results = [processing_profile_json(p, shop_id) for p in sandbox.profiles]
    return json_response({"count": len(results), "results": results[offset : offset + limit]})


async def get_processing_profile(request: Request, sandbox: Sandbox, grant: Grant | None) -> Response:
    _owned_shop(request, sandbox, grant)
    wanted = path_id(request, "readiness_state_definition_id")
    profile = next((p for p in sandbox.profiles if p.readiness_state_id == wanted), None)
    if profile is None:
        raise not_found(f"Processing profile {wanted} was not found")
    return json_response(processing_profile_json(profile, sandbox.config.shop_id))


# (method, path, handler, OAuth scope or None); literal paths before the ones with parameters.
OPERATIONS = [
    ("GET", "/openapi-ping", ping, None),
    ("POST", "/scopes", token_scopes, None),
    ("GET", "/users/me", get_me, "shops_r"),
    ("GET", "/users/{user_id}/shops", get_shop_by_owner, None),
    ("GET", "/shops/{shop_id}", get_shop, None),
    ("GET", "/shops/{shop_id}/listings", get_listings_by_shop, "listings_r"),
    ("GET", "/shops/{shop_id}/listings/{listing_id}/properties", get_listing_properties, None),
    ("GET", "/shops/{shop_id}/shipping-profiles", get_shipping_profiles, "shops_r"),
    ("GET", "/shops/{shop_id}/readiness-state-definitions", get_processing_profiles, "shops_r"),
    (
        "GET",
        "/shops/{shop_id}/readiness-state-definitions/{readiness_state_definition_id}",
        get_processing_profile,
        "shops_r",
    ),
    ("GET", "/listings/batch", get_listings_by_ids, None),
    ("GET", "/listings/batch/inventory", get_inventories_by_ids, "listings_r"),
    ("GET", "/listings/{listing_id}", get_listing, None),
    ("GET", "/listings/{listing_id}/inventory", get_listing_inventory, "listings_r"),
    ("PUT", "/listings/{listing_id}/inventory", update_listing_inventory, "listings_w"),
    ("GET", "/listings/{listing_id}/inventory/products/{product_id}", get_listing_product, "listings_r"),
    ("GET", "/listings/{listing_id}/images", get_listing_images, None),
    ("GET", "/listings/{listing_id}/images/{listing_image_id}", get_listing_image, None),
]


def routes() -> list[Route]:
    by_path: dict[str, dict[str, Callable]] = {}
    for method, path, handler, scope in OPERATIONS:
        by_path.setdefault(path, {})[method] = endpoint(handler, scope, f"{method} {path}")
    out = []
    for path, methods in by_path.items():
        for method, run in methods.items():
            out.append(Route(PREFIX + path, run, methods=[method]))
    return out
