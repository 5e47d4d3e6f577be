"""The checks TikTok's gateway makes on every Open API call, in order, before business logic:
app_key, sign present, timestamp window, signature, access token (known, not expired), scope,
shop_cipher (required / optional / must be absent), content type, then faults and rate limit.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from . import errors as e
from .errors import ApiError, envelope, error_response, fail
from .routing import Call, Endpoint
from .signing import request_signature_is_valid

if TYPE_CHECKING:
    from .app import Sandbox

TIMESTAMP_PAST_SECONDS = 5 * 60
TIMESTAMP_FUTURE_SECONDS = 30
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def _query(request: Request) -> dict[str, str]:
    # List values are sent comma-joined (ids=1,2); a repeated key keeps its last value.
    return {key: value for key, value in request.query_params.multi_items()}


def _check_credentials(sandbox: Sandbox, ep: Endpoint, path: str, query: dict[str, str], body: bytes, headers) -> Call:
    state = sandbox.state
    cfg = state.config
    if query.get("app_key") != cfg.app_key:
        raise fail(e.INVALID_APP_KEY, 401)
    if not query.get("sign"):
        raise fail(e.MISSING_SIGN, 401)
    raw_timestamp = query.get("timestamp", "")
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise fail(e.TIMESTAMP_NEGATIVE, 401) from None
    wall = state.clock.wall_now()
    if timestamp < 0:
        raise fail(e.TIMESTAMP_NEGATIVE, 401)
    if timestamp < wall - TIMESTAMP_PAST_SECONDS:
        raise fail(e.TIMESTAMP_TOO_OLD, 401)
    if timestamp > wall + TIMESTAMP_FUTURE_SECONDS:
        raise fail(e.TIMESTAMP_TOO_NEW, 401)
    # "If content-type is not multipart/form-data, append the raw request body."
    multipart = headers.get("content-type", "").startswith("multipart/form-data")
    signed_body = b"" if multipart else body
    if not request_signature_is_valid(cfg.app_secret, path, query, signed_body, query["sign"]):
        raise fail(e.BAD_SIGN, 401)

    access = headers.get("x-tts-access-token", "")
    token = state.tokens_by_access.get(access) if access else None
    if token is None or token.revoked:
        raise fail(e.INVALID_ACCESS_TOKEN, 401)
    if token.access_expires <= state.clock.now():
        raise fail(e.TOKEN_EXPIRED, 401)
    if not any(scope in token.scopes for scope in ep.scopes):
        raise fail(e.SCOPE_DENIED, 403)

    if "shop_id" in query:
        raise fail(e.INVALID_SHOP_ID, 400)
    cipher = query.get("shop_cipher")
    owned = state.shops_of(token)
    shop = None
    if ep.shop == "forbidden":
        if cipher is not None:
            raise fail(e.UNEXPECTED_SHOP_CIPHER, 400)
    elif cipher is None:
        if ep.shop == "required":
            raise fail(e.MISSING_SHOP_CIPHER, 400)
        shop = owned[0] if owned else None
    else:
        shop = state.shop_by_cipher(cipher)
        if shop is None or shop not in owned:
            raise fail(e.INVALID_TOKEN_FOR_SHOP, 401)
    return Call(state, token, shop, query, {}, body)


async def _apply_fault(sandbox: Sandbox, kind: str | None) -> Response | None:
    faults = sandbox.faults
    if kind == "error":
        return envelope(None, *e.INTERNAL, http_status=500)
    if kind == "throttle":
        return envelope(None, *e.TOO_MANY_REQUESTS, http_status=429)
    if kind == "timeout":
        await asyncio.sleep(faults.timeout_seconds)
        return envelope(None, *e.REQUEST_TIMEOUT, http_status=504)
    if kind == "slow":
        await asyncio.sleep(faults.slow_seconds)
    return None


async def _apply_answer_fault(sandbox: Sandbox, kind: str | None, answer: Response) -> Response:
    """The request was acted on; its answer may still be lost or late."""
    faults = sandbox.faults
    if kind == "drop_answer":
        return envelope(None, *e.INTERNAL, http_status=500)
    if kind == "timeout_answer":
        await asyncio.sleep(faults.timeout_seconds)
        return envelope(None, *e.REQUEST_TIMEOUT, http_status=504)
    if kind == "delay_answer":
        await asyncio.sleep(faults.slow_seconds)
    return answer


def make_route_handler(sandbox: Sandbox, ep: Endpoint):
    async def handle(request: Request) -> Response:
        body = await request.body()
        query = _query(request)
        try:
            with sandbox.state.lock:
                sandbox.state.tick()
                call = _check_credentials(sandbox, ep, request.url.path, query, body, request.headers)
            call.path_params = dict(request.path_params)
            content_type = request.headers.get("content-type", "")
            if ep.multipart:
                if not content_type.startswith("multipart/form-data"):
                    raise fail(e.NOT_MULTIPART, 400)
                if len(body) > MAX_UPLOAD_BYTES + 64 * 1024:
                    raise fail(e.FILE_TOO_LARGE, 400)
                form = await request.form(max_part_size=MAX_UPLOAD_BYTES + 1)
                call.form = {key: value for key, value in form.multi_items()}
            elif body.strip() and not content_type.startswith("application/json"):
                raise fail(e.BAD_BODY_FORMAT, 400)

            shop_key = call.shop.id if call.shop else call.token.open_id
            fault = sandbox.faults.pick(ep.path)
            early = await _apply_fault(sandbox, fault)
            if early is not None:
                return early
            rate = (
                call.shop.rate_limit_per_second
                if call.shop and call.shop.rate_limit_per_second
                else sandbox.rate_limit_per_second
            )
            if not sandbox.limiter.allow((sandbox.config.app_key, shop_key, f"{ep.method} {ep.path}"), rate):
                return envelope(None, *e.TOO_MANY_REQUESTS, http_status=429)

            with sandbox.state.lock:
                data = ep.handler(call)
            return await _apply_answer_fault(sandbox, sandbox.faults.pick_answer_fault(ep.path), envelope(data))
        except ApiError as error:
            return error_response(error)
        except Exception:  # a sandbox bug must still answer in TikTok's shape
            sandbox.log.exception("sandbox handler failed: %s %s", ep.method, ep.path)
            return envelope(None, *e.INTERNAL, http_status=500)

    return handle
