"""The shop's records (listings, their inventory, images, profiles) and their Open API v3 shapes."""

from __future__ import annotations

from dataclasses import dataclass, field

STATES = ("active", "inactive", "sold_out", "draft", "expired")


@dataclass
class Offering:
    offering_id: int
    price: int  # cents
    quantity: int
    is_enabled: bool
    readiness_state_id: int | None


@dataclass
class Product:
    product_id: int
    sku: str
    property_values: list[dict]  # {property_id, property_name, scale_id, scale_name, value_ids, values}
    offerings: list[Offering]


@dataclass
class Inventory:
    products: list[Product]
    price_on_property: list[int] = field(default_factory=list)
    quantity_on_property: list[int] = field(default_factory=list)
    sku_on_property: list[int] = field(default_factory=list)
    readiness_state_on_property: list[int] = field(default_factory=list)


@dataclass
class Image:
    listing_image_id: int
    rank: int
    created: int
    width: int
    height: int
    hex_code: str
    alt_text: str | None = None


@dataclass
class Listing:
    listing_id: int
    title: str
    description: str
    state: str
    created: int
    updated: int
    state_ts: int
    taxonomy_id: int
    tags: list[str]
    materials: list[str]
    who_made: str
    when_made: str
    shipping_profile_id: int | None
    return_policy_id: int | None
    readiness_state_id: int | None
    inventory: Inventory
    images: list[Image] = field(default_factory=list)
    properties: list[dict] = field(default_factory=list)  # listing attributes (not variations)
    listing_type: str = "physical"
    views: int = 0
    num_favorers: int = 0

    def enabled_offerings(self) -> list[Offering]:
        return [o for p in self.inventory.products for o in p.offerings if o.is_enabled]

    def quantity(self) -> int:
        return sum(o.quantity for o in self.enabled_offerings())

    def price(self) -> int:
        prices = [o.price for o in self.enabled_offerings()] or [
            o.price for p in self.inventory.products for o in p.offerings
        ]
        return min(prices) if prices else 0

    def has_variations(self) -> bool:
        return any(p.property_values for p in self.inventory.products)

    def skus(self) -> list[str]:
        return [p.sku for p in self.inventory.products if p.sku]


@dataclass
class ProcessingProfile:
    readiness_state_id: int
    readiness_state: str  # ready_to_ship | made_to_order
    min_processing_days: int
    max_processing_days: int


@dataclass
class ShippingProfile:
    shipping_profile_id: int
    title: str
    origin_country_iso: str
    origin_postal_code: str | None
    min_processing_days: int
    max_processing_days: int


def money(cents: int, currency: str) -> dict:
    return {"amount": cents, "divisor": 100, "currency_code": currency}


def processing_label(profile: ProcessingProfile) -> str:
    low, high = profile.min_processing_days, profile.max_processing_days
    return f"{low} day" if low == high == 1 else (f"{low} days" if low == high else f"{low}-{high} days")


def processing_profile_json(profile: ProcessingProfile, shop_id: int) -> dict:
    return {
        "shop_id": shop_id,
        "readiness_state_id": profile.readiness_state_id,
        "readiness_state": profile.readiness_state,
        "min_processing_days": profile.min_processing_days,
        "max_processing_days": profile.max_processing_days,
        "processing_days_display_label": processing_label(profile),
    }


def shipping_profile_json(profile: ShippingProfile, user_id: int, currency: str) -> dict:
    destination_id = profile.shipping_profile_id * 10 + 1
    return {
        "shipping_profile_id": profile.shipping_profile_id,
        "title": profile.title,
        "user_id": user_id,
        "min_processing_days": profile.min_processing_days,
        "max_processing_days": profile.max_processing_days,
        "processing_days_display_label": f"{profile.min_processing_days}-{profile.max_processing_days} days",
        "origin_country_iso": profile.origin_country_iso,
        "is_deleted": False,
        "shipping_profile_destinations": [
            {
                "shipping_profile_destination_id": destination_id,
                "shipping_profile_id": profile.shipping_profile_id,
                "origin_country_iso": profile.origin_country_iso,
                "destination_country_iso": profile.origin_country_iso,
                "destination_region": "none",
                "primary_cost": money(499, currency),
                "secondary_cost": money(199, currency),
                "shipping_carrier_id": 0,
                "mail_class": None,
                "min_delivery_days": 2,
                "max_delivery_days": 5,
            }
        ],
        "shipping_profile_upgrades": [],
        "origin_postal_code": profile.origin_postal_code,
        "profile_type": "manual",
        "domestic_handling_fee": 0,
        "international_handling_fee": 0,
    }


def image_json(image: Image, listing_id: int, base_url: str) -> dict:
    stem = f"{base_url}/images/{listing_id}/{image.listing_image_id}"
    red, green, blue = (int(image.hex_code[i : i + 2], 16) for i in (0, 2, 4))
    return {
        "listing_id": listing_id,
        "listing_image_id": image.listing_image_id,
        "hex_code": image.hex_code,
        "red": red,
        "green": green,
        "blue": blue,
        "hue": (red * 360) // 256,
        "saturation": 40,
        "brightness": 70,
        "is_black_and_white": False,
        "creation_tsz": image.created,
        "created_timestamp": image.created,
        "rank": image.rank,
        "url_75x75": f"{stem}/75x75.png",
        "url_170x135": f"{stem}/170x135.png",
        "url_570xN": f"{stem}/570xN.png",
        "url_fullxfull": f"{stem}/fullxfull.png",
        "full_height": image.height,
        "full_width": image.width,
        "alt_text": image.alt_text,
    }


def inventory_json(inventory: Inventory, currency: str, with_sku: bool = True) -> dict:
    return {
        "products": [
            {
                "product_id": p.product_id,
                "sku": p.sku if with_sku else "",
                "is_deleted": False,
                "offerings": [
                    {
                        "offering_id": o.offering_id,
                        "quantity": o.quantity,
                        "is_enabled": o.is_enabled,
                        "is_deleted": False,
                        "price": money(o.price, currency),
                        "readiness_state_id": o.readiness_state_id,
                    }
                    for o in p.offerings
                ],
                "property_values": [dict(v) for v in p.property_values],
            }
            for p in inventory.products
        ],
        "price_on_property": list(inventory.price_on_property),
        "quantity_on_property": list(inventory.quantity_on_property),
        "sku_on_property": list(inventory.sku_on_property),
        "readiness_state_on_property": list(inventory.readiness_state_on_property),
    }


def listing_json(listing: Listing, *, shop_id: int, user_id: int, shop_name: str, currency: str, owner: bool) -> dict:
    slug = "-".join(w for w in "".join(c if c.isalnum() else " " for c in listing.title.lower()).split())[:60]
    shipping = listing.shipping_profile_id
    return {
        "listing_id": listing.listing_id,
        "user_id": user_id,
        "shop_id": shop_id,
        "title": listing.title,
        "description": listing.description,
        "state": listing.state,
        "creation_timestamp": listing.created,
        "created_timestamp": listing.created,
        "ending_timestamp": listing.state_ts + 120 * 24 * 3600,
        "original_creation_timestamp": listing.created,
        "last_modified_timestamp": listing.updated,
        "updated_timestamp": listing.updated,
        "state_timestamp": listing.state_ts,
        "quantity": listing.quantity(),
        "shop_section_id": None,
        "featured_rank": -1,
        "url": f"https://www.etsy.com/listing/{listing.listing_id}/{slug}",
        "num_favorers": listing.num_favorers,
        "non_taxable": False,
        "is_taxable": True,
        "is_customizable": False,
        "is_personalizable": False,
        "listing_type": listing.listing_type,
        "tags": list(listing.tags),
        "materials": list(listing.materials),
        "shipping_profile_id": shipping,
        "return_policy_id": listing.return_policy_id,
        "processing_min": None,
        "processing_max": None,
        "who_made": listing.who_made,
        "when_made": listing.when_made,
        "is_supply": False,
        "item_weight": None,
        "item_weight_unit": None,
        "item_length": None,
        "item_width": None,
        "item_height": None,
        "item_dimensions_unit": None,
        "is_private": False,
        "style": [],
        "file_data": "",
        "has_variations": listing.has_variations(),
        "should_auto_renew": True,
        "language": "en-US",
        "price": money(listing.price(), currency),
        "taxonomy_id": listing.taxonomy_id,
        "readiness_state_id": listing.readiness_state_id,
        "skus": listing.skus() if owner else [],
        "views": listing.views,
    }
