"""What every resolver shares: the request context and small helpers.

Fields without a resolver resolve by name (`default_resolver`): `descriptionHtml` reads
`description_html`, `id` reads the object's GID.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError

from . import ids
from .pagination import CursorError, connection
from .store import ShopStore, money

if TYPE_CHECKING:
    from .sandbox import Sandbox


@dataclass
class RequestContext:
    sandbox: Sandbox
    store: ShopStore
    base_url: str
    api_version: str
    scopes: frozenset[str]
    search_warnings: list[dict] | None = None
    uses_deprecated: bool = False  # a deprecated field or argument was asked for (see admin_api)
    executed_mutations: tuple[str, ...] = ()  # root fields of a mutation that ran (answer faults, admin_api)


def version_at_least(version: str, minimum: str) -> bool:
    return version == "unstable" or version >= minimum


# ---- helpers ------------------------------------------------------------------------------------
@lru_cache(maxsize=512)
def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def default_resolver(source: Any, info, **_args) -> Any:
    name = info.field_name
    if isinstance(source, dict):
        return source.get(name)
    if name == "id":
        return source.gid
    if name == "legacyResourceId":
        return str(source.id)
    return getattr(source, snake(name), None)


def bag(amount: str | Decimal, currency: str) -> dict:
    value = {"amount": money(amount), "currencyCode": currency}
    return {"shopMoney": value, "presentmentMoney": value}


def require_scope(info, *accepted: str) -> None:
    """Shopify answers a field the token may not read with ACCESS_DENIED and null data."""
    scopes = info.context.scopes
    for scope in accepted:
        if scope in scopes or scope.replace("read_", "write_") in scopes:
            return
    required = " or ".join(f"`{s}`" for s in accepted)
    raise GraphQLError(
        f"Access denied for {info.field_name} field. Required access: {required} access scope.",
        extensions={
            "code": "ACCESS_DENIED",
            "documentation": "https://shopify.dev/api/usage/access-scopes",
            "requiredAccess": f"{required} access scope.",
        },
    )


def parse_id(value: str, type_name: str) -> int | None:
    parsed = ids.parse_gid(value, type_name)
    return parsed[1] if parsed else None


def invalid_id(value: str) -> GraphQLError:
    return GraphQLError(f"Invalid global id '{value}'", extensions={"code": "argumentLiteralsIncompatible"})


def page(source, args: dict, default_size: int | None = None) -> dict:
    try:
        return connection(
            source,
            args.get("first"),
            args.get("after"),
            args.get("last"),
            args.get("before"),
            bool(args.get("reverse")),
            default_size,
        )
    except CursorError as exc:
        raise GraphQLError(str(exc)) from exc


def by_id(item) -> tuple:
    return (item.id,)


def image_url(info, image) -> str:
    return f"{info.context.base_url}/cdn/shop/files/{info.context.store.domain}/{image.id}.png?v={int(image.width)}"
