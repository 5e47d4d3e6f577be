"""The seeded catalog: a realistic slice of TikTok's category tree with rules and attributes,
brands, and per-shop logistics (warehouses, delivery options, shipping providers).

IDs look like TikTok's (numeric strings). The same tree serves both category versions; v2 ids
(the US 7-level tree) are the v1 ids plus a prefix, so a product created with the wrong version
points at a category that does not exist in the other tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class AttributeValue:
    id: str
    name: str


@dataclass
class Attribute:
    id: str
    name: str
    type: str  # SALES_PROPERTY | PRODUCT_PROPERTY
    is_required: bool = False
    values: list[AttributeValue] = field(default_factory=list)
    is_customizable: bool = True
    is_multiple_selection: bool = False

    def value(self, value_id: str) -> AttributeValue | None:
        return next((v for v in self.values if v.id == value_id), None)


@dataclass
class Certification:
    id: str
    name: str
    is_required: bool
    document_details: str
    expiration_required: bool = False


@dataclass
class Category:
    id: str  # v1 id
    parent_id: str
    name: str
    is_leaf: bool
    attribute_ids: list[str] = field(default_factory=list)
    certifications: list[Certification] = field(default_factory=list)
    size_chart_supported: bool = False
    size_chart_required: bool = False
    package_dimension_required: bool = False
    keywords: tuple[str, ...] = ()


V2_PREFIX = "9"


def to_version(category_id: str, version: str) -> str:
    return V2_PREFIX + category_id if version == "v2" else category_id


def from_version(category_id: str, version: str) -> str | None:
    """The v1 id behind an id given in `version`, or None when the id cannot belong to that tree."""
    if version == "v2":
        return category_id[len(V2_PREFIX):] if category_id.startswith(V2_PREFIX) else None
    return None if category_id.startswith(V2_PREFIX) else category_id


def _values(prefix: int, names: list[str]) -> list[AttributeValue]:
    return [AttributeValue(str(prefix + i), name) for i, name in enumerate(names, start=1)]


ATTRIBUTES: dict[str, Attribute] = {
    a.id: a
    for a in [
        Attribute("100000", "Color", "SALES_PROPERTY",
                  values=_values(1001000, ["Black", "White", "Red", "Blue", "Green", "Pink", "Grey"])),
        Attribute("100007", "Size", "SALES_PROPERTY",
                  values=_values(1002000, ["XS", "S", "M", "L", "XL", "XXL"])),
        Attribute("100089", "Specification", "SALES_PROPERTY", values=_values(1003000, ["Standard", "Pro"])),
        Attribute("100347", "Material", "PRODUCT_PROPERTY", is_required=True, is_multiple_selection=True,
                  values=_values(1004000, ["Cotton", "Polyester", "Wool", "Linen", "Denim"])),
        Attribute("100392", "Occasion", "PRODUCT_PROPERTY",
                  values=_values(1005000, ["Casual", "Birthday", "Party", "Sport"])),
        Attribute("101395", "Skin Type", "PRODUCT_PROPERTY", is_required=True, is_multiple_selection=True,
                  values=_values(1006000, ["All", "Dry", "Oily", "Combination", "Sensitive"])),
        Attribute("101400", "Volume", "PRODUCT_PROPERTY", values=_values(1007000, ["30 ml", "50 ml", "100 ml"])),
        Attribute("101610", "Room", "PRODUCT_PROPERTY", values=_values(1008000, ["Kitchen", "Living Room", "Bedroom"])),
        Attribute("102001", "Battery Type", "PRODUCT_PROPERTY", is_required=True, is_customizable=False,
                  values=_values(1009000, ["Lithium-ion", "Alkaline", "No Battery"])),
        Attribute("102005", "Warranty", "PRODUCT_PROPERTY",
                  values=_values(1010000, ["No Warranty", "1 Year", "2 Years"])),
    ]
}

_FCC = Certification(
    "602362", "FCC Declaration of Conformity", True,
    "Upload the FCC Supplier's Declaration of Conformity or the FCC ID grant for the device.",
)
_BATTERY = Certification(
    "602371", "UN38.3 Battery Test Summary", False,
    "Required for products with lithium batteries.", expiration_required=True,
)

CATEGORIES: dict[str, Category] = {
    c.id: c
    for c in [
        Category("601152", "0", "Womenswear & Underwear", False),
        Category("601226", "601152", "Women's Tops", False),
        Category("601302", "601226", "T-shirts", True, ["100000", "100007", "100347", "100392"],
                 size_chart_supported=True, keywords=("t-shirt", "tee", "shirt", "top")),
        Category("601303", "601226", "Hoodies & Sweatshirts", True, ["100000", "100007", "100347"],
                 size_chart_supported=True, keywords=("hoodie", "sweatshirt", "jumper")),
        Category("601400", "601152", "Women's Bottoms", False),
        Category("601401", "601400", "Jeans", True, ["100000", "100007", "100347"],
                 size_chart_supported=True, keywords=("jeans", "denim", "trousers")),
        Category("601450", "0", "Beauty & Personal Care", False),
        Category("601460", "601450", "Skincare", False),
        Category("601461", "601460", "Face Moisturisers", True, ["101395", "101400", "100089"],
                 keywords=("moisturiser", "moisturizer", "cream", "lotion")),
        Category("601462", "601460", "Serums & Essences", True, ["101395", "101400"],
                 keywords=("serum", "essence")),
        Category("600001", "0", "Home Supplies", False),
        Category("600002", "600001", "Home Organizers", False),
        Category("600003", "600002", "Storage Boxes & Bins", True, ["100000", "101610"],
                 keywords=("storage", "box", "bin", "organizer")),
        Category("600010", "600001", "Kitchenware", False),
        Category("600011", "600010", "Mugs", True, ["100000", "101610"], keywords=("mug", "cup")),
        Category("824328", "0", "Phones & Electronics", False),
        Category("824330", "824328", "Audio & Video", False),
        Category("824331", "824330", "Earphones", True, ["100000", "102001", "102005"],
                 certifications=[_FCC, _BATTERY], package_dimension_required=True,
                 keywords=("earphones", "earbuds", "headphones", "bluetooth")),
        Category("824332", "824330", "Bluetooth Speakers", True, ["100000", "102001", "102005", "100089"],
                 certifications=[_FCC, _BATTERY], package_dimension_required=True,
                 keywords=("speaker", "soundbar")),
    ]
}


@dataclass
class Brand:
    id: str
    name: str
    authorized: bool
    is_t1_brand: bool = False
    category_ids: tuple[str, ...] = ()  # empty: available in every category


BRANDS: list[Brand] = [
    Brand("7082427311584347905", "Teas", True),
    Brand("7082427311584347906", "Northwind", True),
    Brand("7082427311584347907", "Lumen Audio", True, category_ids=("824331", "824332")),
    Brand("7082427311584347908", "Glowhaus", True, category_ids=("601461", "601462")),
    Brand("7082427311584347909", "Sonique", False, is_t1_brand=True, category_ids=("824331", "824332")),
    Brand("7082427311584347910", "Cotton Lane", True, category_ids=("601302", "601303", "601401")),
]

SHIPPING_PROVIDERS = [
    ("7117858858072016686", "USPS"),
    ("7117859084333041454", "UPS"),
    ("7117858858072016687", "FedEx"),
    ("7212608507307099946", "DHL eCommerce"),
]

CURRENCY_BY_REGION = {
    "US": "USD", "GB": "GBP", "UK": "GBP", "DE": "EUR", "FR": "EUR", "ES": "EUR", "IE": "EUR", "IT": "EUR",
    "MY": "MYR", "SG": "SGD", "TH": "THB", "VN": "VND", "PH": "PHP", "ID": "IDR", "MX": "MXN", "BR": "BRL", "JP": "JPY",
}
# Title length per region, from Create Product: "DE, ES, FR, IE, IT, JP, UK, US: [1, 255]; BR, MX: [1, 300];
# other regions: [25, 255]".
_SHORT_TITLE_REGIONS = {"DE", "ES", "FR", "IE", "IT", "JP", "UK", "GB", "US"}


def title_bounds(region: str) -> tuple[int, int]:
    if region in _SHORT_TITLE_REGIONS:
        return 1, 255
    if region in {"BR", "MX"}:
        return 1, 300
    return 25, 255


def max_skus(region: str) -> int:
    """"Max SKUs for BR, EU, JP, MX, UK, US: 300; other regions: 100"."""
    return 300 if region in {"BR", "JP", "MX", "UK", "GB", "US", "DE", "ES", "FR", "IE", "IT"} else 100


# Price ranges are per market on TikTok's Product Pricing page; the sandbox uses the list-price range
# the Create Product doc states for the US for every market.
PRICE_RANGE = (0.01, 7600.0)


def category_version_for(region: str) -> str:
    return "v2" if region == "US" else "v1"


def chain(category_id: str) -> list[Category]:
    """The category and its ancestors, root first."""
    out: list[Category] = []
    current = CATEGORIES.get(category_id)
    while current is not None:
        out.append(current)
        current = CATEGORIES.get(current.parent_id)
    return list(reversed(out))


def level(category_id: str) -> int:
    return len(chain(category_id))
