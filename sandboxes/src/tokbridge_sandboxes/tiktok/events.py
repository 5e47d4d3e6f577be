"""Event API: get / update / delete the shop's webhook subscriptions."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .errors import ApiError
from .routing import AUTH_INFO, Call, endpoint
from .state import Subscription
from .webhooks import SUBSCRIBABLE

MAX_ADDRESS = 255


def _missing(name: str) -> ApiError:
    # As reported for a missing address (EcomPHP issue #27): "param body.address is missing".
    return ApiError(36009004, f"param body.{name} is missing", 400)


def _event_type(call: Call) -> str:
    event_type = call.json.get("event_type")
    if not event_type:
        raise _missing("event_type")
    if not isinstance(event_type, str) or event_type not in SUBSCRIBABLE:
        raise ApiError(36009004, "param body.event_type is invalid", 400)
    return event_type


@endpoint("GET", "/event/202309/webhooks", scopes=AUTH_INFO)
def get_webhooks(call: Call) -> dict[str, Any]:
    subscriptions = list(call.require_shop().subscriptions.values())
    return {
        "webhooks": [
            {
                "event_type": s.event_type,
                "address": s.address,
                "create_time": s.create_time,
                "update_time": s.update_time,
            }
            for s in subscriptions
        ],
        "total_count": len(subscriptions),
    }


@endpoint("PUT", "/event/202309/webhooks", scopes=AUTH_INFO)
def update_webhook(call: Call) -> dict[str, Any]:
    shop = call.require_shop()
    address = call.json.get("address")
    if not address:
        raise _missing("address")
    event_type = _event_type(call)
    parts = urlsplit(address) if isinstance(address, str) else None
    allowed = ("https", "http") if call.state.config.webhook_allow_http else ("https",)
    if parts is None or len(address) > MAX_ADDRESS or parts.scheme not in allowed or not parts.hostname:
        raise ApiError(36009004, "param body.address is invalid", 400)
    existing = shop.subscriptions.get(event_type)
    created = existing.create_time if existing else call.now
    shop.subscriptions[event_type] = Subscription(event_type, address, created, call.now)
    return {}


@endpoint("DELETE", "/event/202309/webhooks", scopes=AUTH_INFO)
def delete_webhook(call: Call) -> dict[str, Any]:
    call.require_shop().subscriptions.pop(_event_type(call), None)
    return {}
