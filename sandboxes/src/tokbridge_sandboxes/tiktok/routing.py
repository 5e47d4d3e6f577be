"""How Open API endpoints are declared: method, TikTok path, required scopes and shop_cipher rule.

Each area module registers its handlers in `ENDPOINTS` with `@endpoint(...)`; a handler receives a
`Call` (already checked by the guard) and returns the response `data`, or raises `ApiError`.
Handlers run with the state lock held.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import load_json_object
from .state import SandboxState, Shop, Token

ShopRule = Literal["required", "optional", "forbidden"]

# Scope names of the sandbox (TikTok shows packages such as "Product Basic" in Partner Center).
AUTH_INFO = ("seller.authorization.info",)
PRODUCT_BASIC = ("seller.product.basic",)
PRODUCT_MODIFY = ("seller.product.write",)
PRODUCT_DELETE = ("seller.product.delete",)
ORDER_INFO = ("seller.order.info",)
FULFILLMENT = ("seller.fulfillment.basic",)
LOGISTICS = ("seller.logistics",)
FULFILLMENT_OR_LOGISTICS = ("seller.fulfillment.basic", "seller.logistics")
RETURNS = ("seller.return_refund.basic",)


@dataclass
class Call:
    state: SandboxState
    token: Token
    shop: Shop | None
    query: dict[str, str]
    path_params: dict[str, str]
    body: bytes
    form: dict[str, Any] | None = None
    _json: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def json(self) -> dict[str, Any]:
        if self._json is None:
            self._json = load_json_object(self.body)
        return self._json

    @property
    def now(self) -> int:
        return self.state.clock.now_int()

    def require_shop(self) -> Shop:
        assert self.shop is not None, "endpoint declared without a shop"
        return self.shop


Handler = Callable[[Call], Any]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    scopes: tuple[str, ...]
    shop: ShopRule = "required"
    multipart: bool = False


ENDPOINTS: list[Endpoint] = []


def endpoint(
    method: str, *paths: str, scopes: tuple[str, ...], shop: ShopRule = "required", multipart: bool = False
) -> Callable[[Handler], Handler]:
    """Register a handler under one or more paths (several API versions of the same operation)."""

    def register(handler: Handler) -> Handler:
        for path in paths:
            ENDPOINTS.append(Endpoint(method, path, handler, scopes, shop, multipart))
        return handler

    return register
