"""Numeric ids and Shopify global ids (GIDs).

Catalog ids are arithmetic on the product's index, so a variant or inventory item id leads back
to its product without an index of 300,000 entries: variant = VARIANT_BASE + index * 64 + position.
"""

from __future__ import annotations

from functools import lru_cache

PRODUCT_BASE = 8_000_000_000_000
VARIANT_BASE = 45_000_000_000_000
INVENTORY_ITEM_BASE = 47_000_000_000_000
MEDIA_BASE = 30_000_000_000_000
LOCATION_BASE = 70_000_000_000
COLLECTION_BASE = 400_000_000_000
MAX_VARIANTS = 64  # room per product in the variant id space (Shopify allows up to 2,048; we make up to 50)
MAX_IMAGES = 8


def gid(type_name: str, number: int | str) -> str:
    return f"gid://shopify/{type_name}/{number}"


def parse_gid(value: str, expected_type: str | None = None) -> tuple[str, int] | None:
    """`gid://shopify/Product/12` -> ("Product", 12); None when malformed or of another type."""
    if not isinstance(value, str) or not value.startswith("gid://shopify/"):
        return None
    return _parse_gid(value, expected_type)


@lru_cache(maxsize=4096)  # the same few location ids are parsed for every variant of a bulk run
def _parse_gid(value: str, expected_type: str | None) -> tuple[str, int] | None:
    rest = value[len("gid://shopify/") :].split("?", 1)[0]
    type_name, _, number = rest.partition("/")
    if not number.isdigit() or (expected_type and type_name != expected_type):
        return None
    return type_name, int(number)


def product_id(index: int) -> int:
    return PRODUCT_BASE + index


def product_index(pid: int) -> int:
    return pid - PRODUCT_BASE


def variant_id(index: int, position: int) -> int:
    return VARIANT_BASE + index * MAX_VARIANTS + position


def inventory_item_id(index: int, position: int) -> int:
    return INVENTORY_ITEM_BASE + index * MAX_VARIANTS + position


def split_variant_id(vid: int) -> tuple[int, int]:
    """-> (product index, variant position)."""
    return divmod(vid - VARIANT_BASE, MAX_VARIANTS)


def split_inventory_item_id(iid: int) -> tuple[int, int]:
    return divmod(iid - INVENTORY_ITEM_BASE, MAX_VARIANTS)


def media_id(index: int, position: int) -> int:
    return MEDIA_BASE + index * MAX_IMAGES + position


def split_media_id(mid: int) -> tuple[int, int]:
    return divmod(mid - MEDIA_BASE, MAX_IMAGES)
