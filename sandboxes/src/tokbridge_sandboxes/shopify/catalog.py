"""A deterministic, realistic catalog: every product is a pure function of (seed, index).

Nothing is generated up front, so a 100,000-product shop costs no memory until a product is
read, and reading the same product twice gives the same answer. The store keeps only what a
merchant changed on top of it (see `store.py`).

Real catalogs are messy, and so is this one: some titles are too long for TikTok Shop (over 255
characters), carry emoji, HTML entities or runs of repeated characters; some descriptions use
claims marketplaces prohibit; some products have no image, some variants no SKU, a shared SKU,
a zero price or a compare-at price below the price; some inventory is not tracked.
"""

from __future__ import annotations

import random
import re
import struct
import zlib
from functools import lru_cache

from . import ids
from .models import Collection, Image, Location, Metafield, Product, ProductOption, Variant

MASK64 = (1 << 64) - 1
# Catalog timestamps fall between these two instants (2024-01-01 .. 2026-06-01, UTC).
CATALOG_START = 1_704_067_200
CATALOG_END = 1_780_272_000

VENDORS = [
    "Northwind Outfitters",
    "Blue Heron Co.",
    "Maple & Finch",
    "Urban Nomad",
    "Solstice Studio",
    "Kettle Creek",
    "Fernwood Goods",
    "Atlas Supply",
    "Lumen Labs",
    "Copper Lane",
    "Harbor & Pine",
    "Wildroot",
    "Peak Form",
    "Saffron House",
    "Tidewater",
    "Ironbark",
    "Velvet Moth",
    "Brightside",
]

# product type -> (nouns, candidate options with their values, price range)
PRODUCT_TYPES: dict[str, tuple[list[str], list[tuple[str, list[str]]], tuple[int, int]]] = {
    "T-Shirts": (
        ["Tee", "Crew Neck T-Shirt", "Pocket Tee", "Graphic Tee"],
        [
            ("Size", ["XS", "S", "M", "L", "XL", "XXL"]),
            ("Color", ["Black", "White", "Heather Grey", "Navy", "Olive", "Sand"]),
            ("Fit", ["Regular", "Slim", "Relaxed"]),
        ],
        (12, 45),
    ),
    "Hoodies": (
        ["Hoodie", "Zip Hoodie", "Fleece Pullover"],
        [
            ("Size", ["S", "M", "L", "XL"]),
            ("Color", ["Charcoal", "Forest", "Burgundy", "Cream"]),
            ("Material", ["Cotton", "Recycled Poly"]),
        ],
        (35, 95),
    ),
    "Sneakers": (
        ["Runner", "Court Sneaker", "Trail Shoe", "Slip-On"],
        [
            ("Size", ["6", "7", "8", "9", "10", "11", "12"]),
            ("Color", ["White", "Black", "Grey", "Red"]),
            ("Width", ["Regular", "Wide"]),
        ],
        (49, 180),
    ),
    "Jewelry": (
        ["Pendant Necklace", "Hoop Earrings", "Signet Ring", "Chain Bracelet"],
        [
            ("Material", ["Sterling Silver", "Gold Plated", "Rose Gold"]),
            ("Length", ["16 in", "18 in", "20 in"]),
            ("Size", ["5", "6", "7", "8"]),
        ],
        (19, 240),
    ),
    "Home Decor": (
        ["Throw Pillow", "Ceramic Vase", "Scented Candle", "Wall Print"],
        [
            ("Color", ["Terracotta", "Sage", "Ivory", "Charcoal"]),
            ("Size", ["Small", "Medium", "Large"]),
            ("Scent", ["Cedar", "Fig", "Sea Salt"]),
        ],
        (14, 120),
    ),
    "Skincare": (
        ["Face Serum", "Night Cream", "Cleansing Balm", "Lip Oil"],
        [("Volume", ["15 ml", "30 ml", "50 ml"]), ("Skin Type", ["Dry", "Oily", "Combination"])],
        (9, 85),
    ),
    "Phone Accessories": (
        ["Phone Case", "Charging Cable", "MagSafe Wallet", "Screen Protector"],
        [
            ("Model", ["iPhone 15", "iPhone 16", "iPhone 17", "Pixel 9", "Galaxy S25"]),
            ("Color", ["Clear", "Black", "Blush", "Midnight"]),
        ],
        (8, 60),
    ),
    "Kitchen": (
        ["Chef Knife", "Cast Iron Skillet", "Pour-Over Kettle", "Cutting Board"],
        [("Size", ["8 in", "10 in", "12 in"]), ("Finish", ["Natural", "Matte Black"])],
        (18, 160),
    ),
    "Pet Supplies": (
        ["Dog Collar", "Cat Tree", "Chew Toy", "Pet Bed"],
        [("Size", ["S", "M", "L", "XL"]), ("Color", ["Red", "Blue", "Tan"])],
        (7, 110),
    ),
    "Stationery": (
        ["Notebook", "Fountain Pen", "Desk Planner", "Sticker Pack"],
        [("Color", ["Black", "Teal", "Coral"]), ("Ruling", ["Dot", "Lined", "Blank"])],
        (4, 55),
    ),
}
PRODUCT_TYPE_NAMES = list(PRODUCT_TYPES)
ADJECTIVES = [
    "Classic",
    "Everyday",
    "Organic",
    "Vintage",
    "Minimal",
    "Heritage",
    "Premium",
    "Lightweight",
    "Handmade",
    "Essential",
    "Modern",
    "Rustic",
    "Coastal",
    "Studio",
    "Signature",
    "Weekend",
]
TAG_POOL = [
    "new",
    "bestseller",
    "summer",
    "winter",
    "gift",
    "eco",
    "sale",
    "limited",
    "bundle",
    "tiktok",
    "vegan",
    "handmade",
    "clearance",
    "staff-pick",
    "back-in-stock",
]
COLLECTION_TITLES = [
    "New Arrivals",
    "Best Sellers",
    "Summer Sale",
    "Gifts Under $50",
    "Eco Collection",
    "Back in Stock",
    "Holiday Edit",
    "Staff Picks",
    "Clearance",
    "Home & Living",
    "Accessories",
    "Essentials",
]
LOCATIONS = [
    ("Main Warehouse", "Columbus", "US", "43215"),
    ("West Coast Fulfillment", "Reno", "US", "89501"),
    ("Downtown Store", "Brooklyn", "US", "11201"),
]
# Claims TikTok Shop (and most marketplaces) reject in listings.
PROHIBITED_CLAIMS = [
    "Cures anxiety and insomnia.",
    "FDA approved formula.",
    "100% guaranteed weight loss.",
    "Best price on the internet, cheaper than Amazon!",
    "Miracle results overnight.",
]
IMAGE_SIZES = [(1024, 1024), (800, 800), (1200, 1600), (2048, 2048), (600, 400), (120, 120), (1600, 900)]


def mix64(value: int) -> int:
    """SplitMix64 finaliser: a fast, well-spread integer hash for cheap per-product draws."""
    value = (value + 0x9E3779B97F4A7C15) & MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK64
    return value ^ (value >> 31)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "product"


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


class Catalog:
    """The generated part of one shop: `count` products derived from `seed`."""

    def __init__(self, seed: int, count: int) -> None:
        self.seed = seed
        self.count = count
        self.locations = [
            Location(id=ids.LOCATION_BASE + i + 1, name=name, city=city, country_code=cc, zip=zip_code)
            for i, (name, city, cc, zip_code) in enumerate(LOCATIONS)
        ]
        self.collections = [
            Collection(
                id=ids.COLLECTION_BASE + i + 1, title=title, handle=_slug(title), updated_at=CATALOG_START + 86400 * i
            )
            for i, title in enumerate(COLLECTION_TITLES)
        ]

    # Cheap facts, computed without building the product (used to filter 100,000 products fast).
    def _hash(self, index: int, salt: int) -> int:
        return mix64((self.seed * 0x100000001B3) ^ (index << 8) ^ salt)

    def created_at(self, index: int) -> float:
        span = CATALOG_END - CATALOG_START
        return float(CATALOG_START + self._hash(index, 1) % (span // 2))

    def updated_at(self, index: int) -> float:
        created = self.created_at(index)
        return float(created + self._hash(index, 2) % int(CATALOG_END - created))

    def status(self, index: int) -> str:
        roll = self._hash(index, 3) % 100
        return "DRAFT" if roll < 6 else "ARCHIVED" if roll < 9 else "ACTIVE"

    def initial_available(self, inventory_item_id: int, location_id: int) -> int:
        roll = mix64((self.seed << 20) ^ inventory_item_id ^ (location_id << 40))
        return 0 if roll % 100 < 12 else 1 + (roll >> 8) % 250

    def product(self, index: int) -> Product:
        if not 0 <= index < self.count:
            raise KeyError(index)
        rng = random.Random(self._hash(index, 4))
        rand = rng.random

        # random.choice and randint cost several calls each; these two are most of the draws.
        def pick(options):
            return options[int(rand() * len(options))]

        def between(low: int, high: int) -> int:
            return low + int(rand() * (high - low + 1))

        pid = ids.product_id(index)
        product_type = pick(PRODUCT_TYPE_NAMES)
        nouns, option_pool, (low, high) = PRODUCT_TYPES[product_type]
        vendor = pick(VENDORS)
        title = f"{pick(ADJECTIVES)} {pick(nouns)}"
        if rand() < 0.5:
            title = f"{vendor.split()[0]} {title}"
        description = (
            f"<p>The {title.lower()} from {vendor}. Designed to last, made with care.</p>"
            f"<ul><li>{product_type}</li><li>Ships in 1-3 business days</li></ul>"
        )
        # A few percent of listings break TikTok Shop's title and content rules.
        flaw = rand()
        if flaw < 0.03:
            title = title + " - " + ", ".join(rng.sample(TAG_POOL, 6)) + " " + "Free Shipping Gift Idea " * 12
        elif flaw < 0.05:
            title = title + " \U0001f525\U0001f525 Hot"
        elif flaw < 0.06:
            title = title + "&nbsp;NEW!!!!!!!!!!!!"
        elif flaw < 0.09:
            description += f"<p>{pick(PROHIBITED_CLAIMS)}</p>"
        created = self.created_at(index)
        updated = self.updated_at(index)

        option_count_roll = rand()
        option_count = (
            0 if option_count_roll < 0.40 else 1 if option_count_roll < 0.78 else 2 if option_count_roll < 0.955 else 3
        )
        option_count = min(option_count, len(option_pool))
        chosen = rng.sample(option_pool, option_count)
        options: list[ProductOption] = []
        for position, (name, values) in enumerate(chosen, start=1):
            most = {1: 5, 2: 3, 3: 4}[option_count]  # up to 4 x 4 x 4, cut at 50 variants below
            picked = rng.sample(values, between(2, min(most, len(values))))
            picked.sort(key=values.index)  # merchants list sizes small to large, not at random
            options.append(ProductOption(id=pid * 4 + position, name=name, position=position, values=picked))
        if not options:
            options.append(ProductOption(id=pid * 4 + 1, name="Title", position=1, values=["Default Title"]))
        combos: list[list[str]] = [[]]
        for option in options:
            combos = [combo + [value] for combo in combos for value in option.values]
        combos = combos[:50]

        base_cents = between(low * 100, high * 100) // 100 * 100 + pick([0, 99, 95, 50, 0])
        has_compare_at = rand() < 0.3
        tracked = rand() >= 0.08
        sku_prefix = f"{vendor[:3].upper()}-{index:06d}"
        shared_sku = rand() < 0.01
        variants = []
        for position, combo in enumerate(combos, start=1):
            cents = base_cents + (position - 1) * pick([0, 0, 100, 200])
            if rand() < 0.003:
                cents = 0
            compare_at = None
            if has_compare_at:
                compare_at = _money(cents * pick([120, 125, 140, 150]) // 100)
                if rand() < 0.05:
                    compare_at = _money(max(cents - 500, 0))  # below the price: bad data a connector must handle
            sku = "" if rand() < 0.04 else ("SHARED-SKU-1" if shared_sku else f"{sku_prefix}-{position:02d}")
            variants.append(
                Variant(
                    id=ids.variant_id(index, position),
                    product_id=pid,
                    position=position,
                    title=" / ".join(combo),
                    sku=sku,
                    barcode=None if rand() < 0.4 else f"{between(10**11, 10**12 - 1)}{position % 10}",
                    price=_money(cents),
                    compare_at_price=compare_at,
                    option_values=combo,
                    weight_grams=pick([0, 90, 150, 250, 400, 800, 1200]),
                    tracked=tracked,
                    inventory_item_id=ids.inventory_item_id(index, position),
                    inventory_policy="CONTINUE" if rand() < 0.05 else "DENY",
                    requires_shipping=True,
                    taxable=True,
                    created_at=created,
                    updated_at=updated,
                )
            )

        image_count = 0 if rand() < 0.05 else between(1, 6)
        images = []
        for position in range(1, image_count + 1):
            width, height = pick(IMAGE_SIZES)
            images.append(
                Image(
                    id=ids.media_id(index, position),
                    product_id=pid,
                    position=position,
                    width=width,
                    height=height,
                    alt="" if rand() < 0.3 else f"{title[:60]} view {position}",
                )
            )

        location_count = pick([1, 1, 2, 3])
        location_ids = sorted(loc.id for loc in rng.sample(self.locations, location_count))
        collection_ids = sorted(c.id for c in rng.sample(self.collections, between(0, 3)))
        metafields = [
            Metafield(
                id=pid * 4 + 1,
                namespace="custom",
                key="material",
                type="single_line_text_field",
                value=pick(["Cotton", "Steel", "Ceramic", "Leather", "Recycled plastic"]),
            )
        ]
        if rand() < 0.5:
            metafields.append(
                Metafield(
                    id=pid * 4 + 2,
                    namespace="custom",
                    key="care_instructions",
                    type="multi_line_text_field",
                    value="Hand wash cold.\nDry flat.",
                )
            )
        return Product(
            id=pid,
            index=index,
            title=title,
            handle=f"{_slug(title)}-{index}",
            description_html=description,
            vendor=vendor,
            product_type=product_type,
            tags=sorted(rng.sample(TAG_POOL, between(0, 4))),
            status=self.status(index),
            created_at=created,
            updated_at=updated,
            options=options,
            variants=variants,
            images=images,
            collection_ids=collection_ids,
            metafields=metafields,
            location_ids=location_ids,
        )


@lru_cache(maxsize=64)
def image_png(width: int, height: int, shade: int) -> bytes:
    """A real PNG of the given size: colour bands, so files differ and compress quickly."""
    palette = [
        ((shade * 37 + band * 53) % 256, (shade * 91 + band * 29) % 256, (shade * 17 + band * 71) % 256)
        for band in range(8)
    ]
    rows = []
    band_height = max(height // 8, 1)
    for band in range(8):
        pixel = bytes(palette[band])
        row = b"\x00" + pixel * width
        count = band_height if band < 7 else height - band_height * 7
        rows.append(row * max(count, 0))
    raw = b"".join(rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
