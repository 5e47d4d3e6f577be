"""Which shop a request is for. See the package docstring for the scheme."""

from __future__ import annotations

import re

from starlette.requests import Request

from .sandbox import Sandbox
from .store import ShopStore

# shopify-app-js's shop validator, for *.myshopify.com domains.
SHOP_DOMAIN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*\.myshopify\.com$")


class ShopNotFound(LookupError):
    pass


def requested_domain(request: Request) -> str | None:
    if "shop" in request.path_params:
        return request.path_params["shop"]
    host = request.headers.get("host", "").split(":", 1)[0]
    if host.endswith(".myshopify.com"):
        return host
    header = request.headers.get("x-shopify-shop-domain")
    if header:
        return header
    return None


def resolve_shop(request: Request, sandbox: Sandbox, create: bool, fallback: str | None = None) -> ShopStore:
    domain = requested_domain(request) or fallback or sandbox.config.default_shop
    domain = domain.strip().lower()
    if not SHOP_DOMAIN.match(domain):
        raise ShopNotFound(domain)
    if domain in sandbox.shops:
        return sandbox.shops[domain]
    if not create:
        raise ShopNotFound(domain)
    return sandbox.shop(domain)
