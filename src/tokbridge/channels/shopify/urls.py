"""Where a shop's Admin API lives: the real `https://{shop}` or a sandbox base URL."""

from __future__ import annotations

from tokbridge.channels.shopify.settings import get_shopify_settings


def shop_origin(shop: str, base_url: str | None = None) -> str:
    """`https://{shop}` in production; with `SHOPIFY_API_BASE_URL` set, that URL.

    The sandbox serves every shop from one origin; a `{shop}` placeholder in the setting
    (e.g. `http://127.0.0.1:8102/shops/{shop}`) is filled in when present.
    """
    if base_url is None:
        base_url = get_shopify_settings().api_base_url
    if not base_url:
        return f"https://{shop}"
    return base_url.rstrip("/").replace("{shop}", shop)


def graphql_url(shop: str, api_version: str, base_url: str | None = None) -> str:
    return f"{shop_origin(shop, base_url)}/admin/api/{api_version}/graphql.json"


def oauth_url(shop: str, path: str, base_url: str | None = None) -> str:
    return f"{shop_origin(shop, base_url)}/admin/oauth/{path}"


def admin_order_url(shop: str, order_id: str, base_url: str | None = None) -> str:
    """The order's page in the store admin (`order_id` numeric or a gid); the sandbox serves its own."""
    number = str(order_id).rsplit("/", 1)[-1]
    if base_url is None:
        base_url = get_shopify_settings().api_base_url
    if base_url:
        return f"{shop_origin(shop, base_url)}/admin/orders/{number}"
    return f"https://admin.shopify.com/store/{shop.removesuffix('.myshopify.com')}/orders/{number}"
