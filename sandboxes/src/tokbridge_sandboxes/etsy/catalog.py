"""A seeded, deterministic catalog: the same seed and size give the same shop, listing for listing.

Listings come in every state (mostly active), with 0 to 3 variations (Etsy's colour and size
properties and the custom slots 513/514), 0 to 5 images, a processing profile on every offering,
some variants without a SKU, some sold out. Ten thousand listings take well under a second.
"""

from __future__ import annotations

import itertools
import random
import zlib

from .model import Image, Inventory, Listing, Offering, ProcessingProfile, Product, ShippingProfile

LISTING_ID_BASE = 1_400_000_000
PRODUCT_ID_BASE = 20_000_000_000
OFFERING_ID_BASE = 30_000_000_000
IMAGE_ID_BASE = 5_000_000_000
PROFILE_ID_BASE = 1_100_000
SHIPPING_ID_BASE = 200_000_000
RETURN_POLICY_ID = 1_300_000_001
EPOCH = 1_735_689_600  # 2025-01-01: generated timestamps do not depend on the wall clock

# Etsy's standard variation properties, plus the two custom ones a seller names.
COLOR = (200, "Primary color", ["Black", "White", "Red", "Blue", "Green", "Grey", "Pink", "Yellow"])
SIZE = (100, "Size", ["XS", "S", "M", "L", "XL", "XXL"])
CUSTOM_1 = (513, ["Material", "Style", "Finish"], ["Cotton", "Linen", "Wool", "Silk", "Oak", "Walnut", "Matte"])
CUSTOM_2 = (514, ["Pattern", "Engraving", "Length"], ["Plain", "Striped", "Dotted", "Floral", "Short", "Long"])

ADJECTIVES = [
    "Handmade",
    "Vintage",
    "Minimalist",
    "Rustic",
    "Boho",
    "Personalized",
    "Organic",
    "Classic",
    "Hand-painted",
    "Cozy",
    "Modern",
    "Upcycled",
]
NOUNS = [
    "Ceramic Mug",
    "Tote Bag",
    "Necklace",
    "Wall Art Print",
    "Candle",
    "Scarf",
    "Leather Wallet",
    "Throw Pillow",
    "Earrings",
    "Planter",
    "Notebook",
    "T-Shirt",
    "Cutting Board",
    "Bracelet",
]
TAXONOMY_IDS = [1, 68, 1104, 1633, 2078, 482, 6338, 1179]
WHEN_MADE = ["made_to_order", "2020_2026", "2010_2019"]


def value_id(property_id: int, value: str) -> int:
    """Etsy's value ids are stable numbers per (property, value); custom values get their own."""
    return 1_000 + zlib.crc32(f"{property_id}:{value}".encode()) % 900_000_000


def property_value(property_id: int, name: str, value: str) -> dict:
    return {
        "property_id": property_id,
        "property_name": name,
        "scale_id": None,
        "scale_name": None,
        "value_ids": [value_id(property_id, value)],
        "values": [value],
    }


def processing_profiles() -> list[ProcessingProfile]:
    return [
        ProcessingProfile(PROFILE_ID_BASE + 1, "ready_to_ship", 1, 2),
        ProcessingProfile(PROFILE_ID_BASE + 2, "ready_to_ship", 3, 5),
        ProcessingProfile(PROFILE_ID_BASE + 3, "made_to_order", 7, 14),
    ]


def shipping_profiles() -> list[ShippingProfile]:
    return [
        ShippingProfile(SHIPPING_ID_BASE + 1, "Standard US", "US", "10001", 1, 3),
        ShippingProfile(SHIPPING_ID_BASE + 2, "Heavy items", "US", "10001", 3, 5),
    ]


class Ids:
    """Counters for the ids Etsy hands out; inventory updates draw new product and offering ids."""

    def __init__(self) -> None:
        self.listing = itertools.count(LISTING_ID_BASE + 1)
        self.product = itertools.count(PRODUCT_ID_BASE + 1)
        self.offering = itertools.count(OFFERING_ID_BASE + 1)
        self.image = itertools.count(IMAGE_ID_BASE + 1)


def _variation_axes(rng: random.Random, count: int) -> list[tuple[int, str, list[str]]]:
    pool = [COLOR, SIZE, CUSTOM_1, CUSTOM_2]
    chosen = sorted(rng.sample(range(4), count))
    axes = []
    for index in chosen:
        prop = pool[index]
        name = prop[1] if isinstance(prop[1], str) else rng.choice(prop[1])
        values = rng.sample(prop[2], rng.randint(2, 3))
        axes.append((prop[0], name, values))
    return axes


def generate_listing(
    rng: random.Random, ids: Ids, index: int, profiles: list[ProcessingProfile], state: str | None = None
) -> Listing:
    listing_id = next(ids.listing)
    roll = rng.random()
    if state is None:
        state = (
            "active"
            if roll < 0.80
            else "inactive"
            if roll < 0.86
            else "draft"
            if roll < 0.91
            else "sold_out"
            if roll < 0.96
            else "expired"
        )
    variations = rng.choices([0, 1, 2, 3], weights=[40, 30, 22, 8])[0]
    axes = _variation_axes(rng, variations)
    base_price = rng.randrange(500, 15000, 25)
    profile = rng.choice(profiles).readiness_state_id
    sku_mode = rng.random()  # < 0.1: no SKUs at all; < 0.25: some variants without one
    title = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
    code = f"TB-{index:05d}"
    combos = list(itertools.product(*[[(pid, name, v) for v in values] for pid, name, values in axes])) or [()]
    price_axis = axes[0][0] if axes and rng.random() < 0.5 else None
    products = []
    for n, combo in enumerate(combos):
        props = [property_value(pid, name, v) for pid, name, v in combo]
        price = base_price
        if price_axis is not None:
            price += 250 * next(
                values.index(v)
                for (pid, _name, v), (_p, _n, values) in zip(combo, axes, strict=True)
                if pid == price_axis
            )
        quantity = 0 if state == "sold_out" else rng.choice([0, 1, 3, 5, 10, 25, 100]) if axes else rng.randint(1, 50)
        if sku_mode < 0.1 or sku_mode < 0.25 and n % 2 == 1:
            sku = ""
        else:
            sku = code if not axes else f"{code}-{'-'.join(v.upper() for _p, _n, v in combo)}"
        products.append(
            Product(next(ids.product), sku, props, [Offering(next(ids.offering), price, quantity, True, profile)])
        )
    if state == "active" and sum(p.offerings[0].quantity for p in products) == 0:
        products[0].offerings[0].quantity = 2
    axis_ids = [pid for pid, _n, _v in axes]
    inventory = Inventory(
        products=products,
        price_on_property=[price_axis] if price_axis is not None else [],
        quantity_on_property=list(axis_ids),
        sku_on_property=list(axis_ids) if sku_mode >= 0.1 else [],
        readiness_state_on_property=[],
    )
    created = EPOCH + index * 311 + rng.randrange(300)
    updated = created + rng.randrange(0, 90 * 24 * 3600)
    image_count = 0 if state == "draft" and rng.random() < 0.5 else rng.randint(1, 5)
    images = [
        Image(
            next(ids.image),
            rank + 1,
            created,
            rng.choice([1000, 1500, 2000]),
            rng.choice([1000, 1500, 2000]),
            f"{rng.randrange(0x1000000):06X}",
            None,
        )
        for rank in range(image_count)
    ]
    listing = Listing(
        listing_id=listing_id,
        title=title,
        description=f"{title}. Made with care in our studio. Item {code}.",
        state=state,
        created=created,
        updated=updated,
        state_ts=updated,
        taxonomy_id=rng.choice(TAXONOMY_IDS),
        tags=rng.sample(["gift", "handmade", "home", "decor", "unique", "custom", "eco"], 3),
        materials=rng.sample(["cotton", "wood", "ceramic", "leather", "silver"], 2),
        who_made="i_did",
        when_made=rng.choice(WHEN_MADE),
        shipping_profile_id=SHIPPING_ID_BASE + 1 + (index % 2),
        return_policy_id=RETURN_POLICY_ID,
        readiness_state_id=profile,
        inventory=inventory,
        images=images,
        properties=[
            {
                "property_id": 46803063641,
                "property_name": "Occasion",
                "scale_id": None,
                "scale_name": None,
                "value_ids": [value_id(46803063641, "Birthday")],
                "values": ["Birthday"],
            }
        ]
        if index % 3 == 0
        else [],
        views=rng.randrange(5000),
        num_favorers=rng.randrange(300),
    )
    return listing


def generate_catalog(size: int, seed: int, ids: Ids, profiles: list[ProcessingProfile]) -> list[Listing]:
    rng = random.Random(seed)
    return [generate_listing(rng, ids, index, profiles) for index in range(size)]
