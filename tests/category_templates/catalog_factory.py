"""Catalog rows for tests: hand-made products and generated catalogs, written with Core inserts."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert

from tokbridge.catalog.models import CatalogImage, CatalogInventoryLevel, CatalogOption, CatalogProduct, CatalogVariant
from tokbridge.db.base import utcnow

_serial = itertools.count(1)


@dataclass
class V:
    price: str = "19.99"
    sku: str | None = None
    compare_at_price: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    weight_grams: str | None = None
    tracked: bool = True
    levels: dict[str, int] = field(default_factory=dict)
    barcode: str | None = None


@dataclass
class P:
    title: str = "Organic Cotton Tee"
    vendor: str | None = "Cotton Lane"
    product_type: str | None = "T-Shirts"
    tags: list[str] = field(default_factory=list)
    status: str = "active"
    description_html: str = "<p>Soft cotton.</p>"
    options: list[tuple[str, list[str]]] = field(default_factory=list)
    variants: list[V] = field(default_factory=lambda: [V()])
    images: list[str] = field(default_factory=lambda: ["https://cdn.example/1.jpg"])


def add_products(engine: Engine, merchant_id: int, items: Sequence[P]) -> list[int]:
    """Insert products with their children; returns their ids in order."""
    now = utcnow()
    ids: list[int] = []
    with engine.begin() as conn:
        for item in items:
            n = next(_serial)
            pid = conn.execute(
                insert(CatalogProduct.__table__).values(
                    merchant_id=merchant_id,
                    channel="shopify",
                    external_id=f"gid://shopify/Product/{n}",
                    title=item.title,
                    description_html=item.description_html,
                    vendor=item.vendor,
                    product_type=item.product_type,
                    handle=f"p-{n}",
                    tags=list(item.tags),
                    status=item.status,
                    content_hash="x" * 64,
                    synced_at=now,
                )
            ).inserted_primary_key[0]
            ids.append(pid)
            for position, (name, values) in enumerate(item.options, start=1):
                conn.execute(
                    insert(CatalogOption.__table__).values(
                        merchant_id=merchant_id, product_id=pid, position=position, name=name, values=values
                    )
                )
            for position, url in enumerate(item.images, start=1):
                conn.execute(
                    insert(CatalogImage.__table__).values(
                        merchant_id=merchant_id,
                        product_id=pid,
                        external_id=f"img-{n}-{position}",
                        url=url,
                        alt_text=None,
                        position=position,
                    )
                )
            for position, variant in enumerate(item.variants, start=1):
                vid = conn.execute(
                    insert(CatalogVariant.__table__).values(
                        merchant_id=merchant_id,
                        product_id=pid,
                        channel="shopify",
                        external_id=f"gid://shopify/ProductVariant/{n}{position:03d}",
                        title=f"v{position}",
                        position=position,
                        sku=variant.sku,
                        barcode=variant.barcode,
                        price=variant.price,
                        compare_at_price=variant.compare_at_price,
                        option_values=dict(variant.options),
                        weight_grams=variant.weight_grams,
                        inventory_item_external_id=f"gid://shopify/InventoryItem/{n}{position:03d}",
                        inventory_tracked=variant.tracked,
                        synced_at=now,
                    )
                ).inserted_primary_key[0]
                for location, available in variant.levels.items():
                    conn.execute(
                        insert(CatalogInventoryLevel.__table__).values(
                            merchant_id=merchant_id,
                            variant_id=vid,
                            location_external_id=location,
                            available=available,
                            synced_at=now,
                        )
                    )
    return ids


VENDORS = ["Acme", "ACME", "acme co", "Été Studio", "ÉTÉ STUDIO", "Cotton Lane", None, ""]
TYPES = ["T-Shirts", "t-shirts", "Mugs", "Serum", "100%_Cotton", None, "Earphones"]
TAGS = ["sale", "Sale", "SUMMER", "summer-2025", "été", "Été", "50%off", "new_in", "gift"]
WORDS = ["Cotton", "Tee", "mug", "Serum", "100%", "under_score", "Été", "Blue", "big", "XL"]
LOCATIONS = ["gid://shopify/Location/1", "gid://shopify/Location/2"]


def generated_catalog(seed: int, count: int) -> list[P]:
    """Products with awkward data on purpose: case and accents, LIKE wildcards, empty and missing values."""
    rng = random.Random(seed)
    items = []
    for _ in range(count):
        variants = []
        for _ in range(rng.randint(0, 3)):
            variants.append(
                V(
                    price=rng.choice(["0.50", "9.99", "10", "10.00", "19.99", "20", "250.5", "1000"]),
                    sku=rng.choice([None, "", "TEE-1", "tee-2", "MUG_%", "Été-9", "SKU-" + str(rng.randint(1, 50))]),
                    levels={loc: rng.randint(-3, 20) for loc in rng.sample(LOCATIONS, rng.randint(0, 2))},
                )
            )
        items.append(
            P(
                title=" ".join(rng.sample(WORDS, rng.randint(1, 4))),
                vendor=rng.choice(VENDORS),
                product_type=rng.choice(TYPES),
                tags=rng.sample(TAGS, rng.randint(0, 3)),
                status=rng.choice(["active", "active", "active", "draft", "archived"]),
                variants=variants,
            )
        )
    return items


RULE_VALUES: dict[str, list[str]] = {
    "title": ["cotton", "TEE", "100%", "_", "été", "Été", "Blue Tee"],
    "product_type": ["t-shirts", "100%_cotton", "MUGS", "ser"],
    "vendor": ["acme", "été studio", "ÉTÉ STUDIO", "co", "Cotton Lane"],
    "tag": ["sale", "SUMMER", "été", "50%", "new_", "summer-2025"],
    "sku": ["tee-1", "MUG_%", "sku-1", "été-9", "%"],
    "price": ["10", "10.00", "19.99", "0.5", "250.50", "9999"],
    "stock": ["0", "5", "-1", "15", "30"],
}


def random_rule_set(rng: random.Random) -> dict[str, Any]:
    from tokbridge.category_templates.rules import NUMBER_FIELDS, NUMBER_OPERATORS, TEXT_OPERATORS

    rules = []
    for _ in range(rng.randint(1, 3)):
        field_name = rng.choice(list(RULE_VALUES))
        operator = rng.choice(NUMBER_OPERATORS if field_name in NUMBER_FIELDS else TEXT_OPERATORS)
        rules.append({"field": field_name, "operator": operator, "value": rng.choice(RULE_VALUES[field_name])})
    return {"match": rng.choice(["all", "any"]), "rules": rules}
