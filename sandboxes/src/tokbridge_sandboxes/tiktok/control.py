"""The control API (`/sandbox/...`, unsigned): what tests and demos use to drive the sandbox.

GET    /sandbox/state                          shops (ids, ciphers, warehouses), counts, bootstrap token
POST   /sandbox/clock/advance {seconds}        move the sandbox clock; due transitions and webhooks run
GET    /sandbox/webhooks                       every notification with its delivery attempts
POST   /sandbox/webhooks/deliver               deliver the due notifications now
GET    /sandbox/products                       products as Get Product shows them, with their shop_id
POST   /sandbox/products/{id}/review {outcome: APPROVED|FAILED, reasons?, immediately?=true}
POST   /sandbox/products/{id}/platform_status {status: PLATFORM_DEACTIVATED|FREEZE|ACTIVATE, reason?}
PUT    /sandbox/shops/{shop_id}/prerequisites {failing: [check_item...]}
PUT    /sandbox/shops/{shop_id}/listing_limit {daily_listing_limit}
POST   /sandbox/faults {error_rate?, throttle_rate?, timeout_rate?, slow_rate?, slow_seconds?,
                        timeout_seconds?, queue?: [{kind: error|throttle|timeout|slow, path?, count?}],
                        drop_answer_rate?, delay_answer_rate?, timeout_answer_rate?, answer_fault_paths?,
                        seed?}   (the *_answer kinds act first, then lose or delay the answer)
DELETE /sandbox/faults
PUT    /sandbox/rate_limit {per_second, shop_id?}
POST   /sandbox/orders {items: [{sku_id, quantity}], shop_id?, buyer_cancels?, returns?}
GET    /sandbox/orders
POST   /sandbox/orders/{id}/buyer_cancel       buyer cancels (immediate while on hold, else a request)
POST   /sandbox/orders/{id}/return {return_type?} buyer asks for a return (or a refund only: REFUND)
POST   /sandbox/returns/{id}/status {status}    the return moves on (buyer ships, item received, refunded)
POST   /sandbox/tokens {scopes?}               a new access token for the seed seller
POST   /sandbox/tokens/expire {access_token}   make a token expire now
POST   /sandbox/auth_codes                     an auth code, as the authorize page would give
POST   /sandbox/seller/deauthorize             revoke the seller's tokens, webhook 6
POST   /sandbox/seller/upcoming_expiration     webhook 7
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import order_flow, review
from .auth import issue_auth_code
from .faults import ANSWER_FAULT_KINDS, FAULT_KINDS
from .orders import order_json
from .products import product_json
from .state import ALL_SCOPES, PREREQUISITE_ITEMS, Shop

if TYPE_CHECKING:
    from .app import Sandbox


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise ControlError("body must be JSON") from None
    if not isinstance(value, dict):
        raise ControlError("body must be a JSON object")
    return value


def _shop(sandbox: Sandbox, shop_id: str | None) -> Shop:
    shops = sandbox.state.shops
    if shop_id is None:
        return next(iter(shops.values()))
    if shop_id not in shops:
        raise ControlError(f"unknown shop {shop_id}", 404)
    return shops[shop_id]


def _number(body: dict[str, Any], key: str, *, low: float = 0.0, high: float | None = None) -> float:
    value = body.get(key)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or value < low or (high is not None and value > high):
        raise ControlError(f"{key} must be a number >= {low}" + (f" and <= {high}" if high is not None else ""))
    return float(value)


def summary(sandbox: Sandbox) -> dict[str, Any]:
    state = sandbox.state
    shops = []
    for shop in state.shops.values():
        products = [p for p in state.products.values() if p.shop_id == shop.id]
        orders = [o for o in state.orders.values() if o.shop_id == shop.id]
        by_status: dict[str, int] = {}
        for p in products:
            by_status[p.status] = by_status.get(p.status, 0) + 1
        order_status: dict[str, int] = {}
        for o in orders:
            order_status[o.status] = order_status.get(o.status, 0) + 1
        shops.append(
            {
                "id": shop.id,
                "cipher": shop.cipher,
                "name": shop.name,
                "region": shop.region,
                "failing_checks": sorted(shop.failing_checks),
                "daily_listing_limit": shop.daily_listing_limit,
                "listed_today": shop.listings_by_day.get(state.clock.now_int() // 86400, 0),
                "webhooks": {k: v.address for k, v in shop.subscriptions.items()},
                "warehouses": [
                    {
                        "id": w.id,
                        "type": w.type,
                        "name": w.name,
                        "delivery_option_ids": [o.id for o in w.delivery_options],
                    }
                    for w in shop.warehouses
                ],
                "products": {"total": len(products), "by_status": by_status},
                "orders": {"total": len(orders), "by_status": order_status},
            }
        )
    token = state.bootstrap
    return {
        "now": state.clock.now(),
        "app_key": state.config.app_key,
        "shops": shops,
        "bootstrap_token": {
            "access_token": token.access_token,
            "refresh_token": token.refresh_token,
            "access_token_expire_in": token.access_expires,
        }
        if token
        else None,
        "pending_timers": len(state.timers),
        "webhooks_pending": sandbox.outbox.pending_count(),
        "rate_limit": {
            "per_second": sandbox.rate_limit_per_second,
            "allowed": sandbox.limiter.allowed,
            "throttled": sandbox.limiter.throttled,
        },
    }


def make_control_routes(sandbox: Sandbox) -> list[Route]:
    state = sandbox.state

    def handler(fn, *, run_async: bool = False):
        async def endpoint(request: Request) -> JSONResponse:
            try:
                body = await _json(request) if request.method in ("POST", "PUT") else {}
                if run_async:
                    result = await fn(request, body)
                else:
                    with state.lock:
                        result = fn(request, body)
                return JSONResponse(result)
            except ControlError as error:
                return JSONResponse({"error": str(error)}, status_code=error.status)
            except (order_flow.BuyerError, ValueError, TypeError) as error:
                return JSONResponse({"error": str(error)}, status_code=400)

        return endpoint

    def get_state(request, body):
        state.timers.run_due(state.clock.now())
        return summary(sandbox)

    async def advance(request, body):
        seconds = _number(body, "seconds")
        state.clock.advance(seconds)
        state.tick()
        delivered = await anyio.to_thread.run_sync(sandbox.outbox.deliver_due)
        with state.lock:
            return {"now": state.clock.now(), "webhooks_attempted": delivered}

    async def deliver(request, body):
        state.tick()
        return {"webhooks_attempted": await anyio.to_thread.run_sync(sandbox.outbox.deliver_due)}

    def webhooks(request, body):
        return {"deliveries": [d.summary() for d in sandbox.outbox.deliveries]}

    def products(request, body):
        # The control view adds the shop each product belongs to (TikTok's own answers are per shop already).
        return {"products": [{**product_json(state, p), "shop_id": p.shop_id} for p in state.products.values()]}

    def force_review(request, body):
        product = state.products.get(request.path_params["product_id"])
        if product is None:
            raise ControlError("unknown product", 404)
        outcome = body.get("outcome")
        if outcome not in ("APPROVED", "FAILED"):
            raise ControlError("outcome must be APPROVED or FAILED")
        product.forced_outcome = {"outcome": outcome, "reasons": body.get("reasons")}
        if body.get("immediately", True) and product.audit_status == "AUDITING":
            review.complete(state, product.id, product.review_id, state.clock.now())
            sandbox.outbox.wake.set()
        return product_json(state, product)

    def platform_status(request, body):
        """TikTok acts on a live product: deactivates or freezes it (webhook 5), or lifts that."""
        product = state.products.get(request.path_params["product_id"])
        if product is None:
            raise ControlError("unknown product", 404)
        status = body.get("status")
        if status not in ("PLATFORM_DEACTIVATED", "FREEZE", "ACTIVATE"):
            raise ControlError("status must be PLATFORM_DEACTIVATED, FREEZE or ACTIVATE")
        product.status = status
        product.update_time = state.clock.now_int()
        reason = str(body.get("reason", "Violation of TikTok Shop product policies" if status != "ACTIVATE" else ""))
        state.emit(
            state.shops[product.shop_id],
            5,
            {
                "product_id": int(product.id),
                "status": "PRODUCT_STATUS_CHANGED",
                "suspended_reason": reason,
                "update_time": product.update_time,
            },
        )
        sandbox.outbox.wake.set()
        return product_json(state, product)

    def prerequisites(request, body):
        shop = _shop(sandbox, request.path_params["shop_id"])
        failing = body.get("failing", [])
        if not isinstance(failing, list) or any(item not in PREREQUISITE_ITEMS for item in failing):
            raise ControlError(f"failing must list items of {PREREQUISITE_ITEMS}")
        shop.failing_checks = set(failing)
        return {"failing": sorted(shop.failing_checks)}

    def listing_limit(request, body):
        shop = _shop(sandbox, request.path_params["shop_id"])
        shop.daily_listing_limit = int(_number(body, "daily_listing_limit"))
        return {"daily_listing_limit": shop.daily_listing_limit}

    def set_faults(request, body):
        faults = sandbox.faults
        kinds = FAULT_KINDS + ANSWER_FAULT_KINDS
        for kind in kinds:
            if f"{kind}_rate" in body:
                setattr(faults, f"{kind}_rate", _number(body, f"{kind}_rate", high=1.0))
        for key in ("slow_seconds", "timeout_seconds"):
            if key in body:
                setattr(faults, key, _number(body, key))
        if "answer_fault_paths" in body:
            paths = body["answer_fault_paths"]
            if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
                raise ControlError("answer_fault_paths must be a list of API paths")
            faults.answer_fault_paths = tuple(paths)
        if "seed" in body:
            faults.reseed(int(_number(body, "seed")))
        for item in body.get("queue", []):
            if not isinstance(item, dict) or item.get("kind") not in kinds:
                raise ControlError(f"each queued fault needs a kind of {kinds}")
            faults.queue(item["kind"], item.get("path"), int(item.get("count", 1)))
        return {
            **{f"{kind}_rate": getattr(faults, f"{kind}_rate") for kind in kinds},
            "answer_fault_paths": list(faults.answer_fault_paths),
            "seed": faults.seed,
            "queued": [vars(q) for q in faults.queued],
        }

    def clear_faults(request, body):
        sandbox.faults.clear()
        return {"cleared": True}

    def rate_limit(request, body):
        per_second = _number(body, "per_second", low=0.001)
        if body.get("shop_id"):
            _shop(sandbox, body["shop_id"]).rate_limit_per_second = per_second
        else:
            sandbox.rate_limit_per_second = per_second
        sandbox.limiter.reset()
        return {"per_second": per_second}

    def place_order(request, body):
        shop = _shop(sandbox, body.get("shop_id"))
        items = body.get("items")
        if not isinstance(items, list) or not items:
            raise ControlError("items must be a list of {sku_id, quantity}")
        order = order_flow.place_order(
            state, shop, items, buyer_cancels=body.get("buyer_cancels", False), returns=body.get("returns", False)
        )
        sandbox.outbox.wake.set()
        return order_json(state, order)

    def orders(request, body):
        return {"orders": [order_json(state, o) for o in state.orders.values()]}

    def _order_id(request) -> str:
        order_id = request.path_params["order_id"]
        if order_id not in state.orders:
            raise ControlError("unknown order", 404)
        return order_id

    def buyer_cancel(request, body):
        cancellation = order_flow.buyer_cancel(state, _order_id(request))
        sandbox.outbox.wake.set()
        return {"cancel_id": cancellation.id, "cancel_status": cancellation.status}

    def buyer_return(request, body):
        record = order_flow.buyer_return(
            state, _order_id(request), return_type=str(body.get("return_type") or "RETURN_AND_REFUND")
        )
        sandbox.outbox.wake.set()
        return {"return_id": record.id, "return_status": record.status}

    def move_return(request, body):
        record = order_flow.move_return(state, request.path_params["return_id"], str(body.get("status", "")))
        sandbox.outbox.wake.set()
        return {"return_id": record.id, "return_status": record.status}

    def issue_token(request, body):
        scopes = body.get("scopes", list(ALL_SCOPES))
        if not isinstance(scopes, list):
            raise ControlError("scopes must be a list")
        token = state.issue_token(next(iter(state.sellers)), tuple(scopes))
        return {
            "access_token": token.access_token,
            "refresh_token": token.refresh_token,
            "access_token_expire_in": token.access_expires,
            "refresh_token_expire_in": token.refresh_expires,
        }

    def expire_token(request, body):
        token = state.tokens_by_access.get(body.get("access_token", ""))
        if token is None:
            raise ControlError("unknown access token", 404)
        token.access_expires = state.clock.now_int()
        return {"access_token_expire_in": token.access_expires}

    def deauthorize(request, body):
        """The seller removes the app: tokens stop working and each shop sends webhook 6."""
        open_id = next(iter(state.sellers))
        for token in state.tokens_by_access.values():
            if token.open_id == open_id:
                token.revoked = True
        for shop_id in state.sellers[open_id].shop_ids:
            shop = state.shops[shop_id]
            state.emit(shop, 6, {"message": f"Shop_id {shop.id} is deauthorized from your APP by merchant."})
        sandbox.outbox.wake.set()
        return {"deauthorized": state.sellers[open_id].shop_ids}

    def upcoming_expiration(request, body):
        """Webhook 7, as TikTok sends it 30 days before the authorization ends."""
        open_id = next(iter(state.sellers))
        ends = max(
            (t.refresh_expires for t in state.tokens_by_access.values() if t.open_id == open_id and not t.revoked),
            default=state.clock.now_int(),
        )
        for shop_id in state.sellers[open_id].shop_ids:
            state.emit(
                state.shops[shop_id],
                7,
                {
                    "message": "The authorization of your app will expire soon. Please re-authorize.",
                    "expiration_time": str(ends),
                },
            )
        sandbox.outbox.wake.set()
        return {"expiration_time": ends}

    def auth_code(request, body):
        return {"code": issue_auth_code(sandbox, next(iter(state.sellers)))}

    return [
        Route("/sandbox/state", handler(get_state), methods=["GET"]),
        Route("/sandbox/clock/advance", handler(advance, run_async=True), methods=["POST"]),
        Route("/sandbox/webhooks", handler(webhooks), methods=["GET"]),
        Route("/sandbox/webhooks/deliver", handler(deliver, run_async=True), methods=["POST"]),
        Route("/sandbox/products", handler(products), methods=["GET"]),
        Route("/sandbox/products/{product_id}/review", handler(force_review), methods=["POST"]),
        Route("/sandbox/products/{product_id}/platform_status", handler(platform_status), methods=["POST"]),
        Route("/sandbox/shops/{shop_id}/prerequisites", handler(prerequisites), methods=["PUT"]),
        Route("/sandbox/shops/{shop_id}/listing_limit", handler(listing_limit), methods=["PUT"]),
        Route("/sandbox/faults", handler(set_faults), methods=["POST"]),
        Route("/sandbox/faults", handler(clear_faults), methods=["DELETE"]),
        Route("/sandbox/rate_limit", handler(rate_limit), methods=["PUT"]),
        Route("/sandbox/orders", handler(place_order), methods=["POST"]),
        Route("/sandbox/orders", handler(orders), methods=["GET"]),
        Route("/sandbox/orders/{order_id}/buyer_cancel", handler(buyer_cancel), methods=["POST"]),
        Route("/sandbox/orders/{order_id}/return", handler(buyer_return), methods=["POST"]),
        Route("/sandbox/returns/{return_id}/status", handler(move_return), methods=["POST"]),
        Route("/sandbox/tokens", handler(issue_token), methods=["POST"]),
        Route("/sandbox/tokens/expire", handler(expire_token), methods=["POST"]),
        Route("/sandbox/auth_codes", handler(auth_code), methods=["POST"]),
        Route("/sandbox/seller/deauthorize", handler(deauthorize), methods=["POST"]),
        Route("/sandbox/seller/upcoming_expiration", handler(upcoming_expiration), methods=["POST"]),
    ]
