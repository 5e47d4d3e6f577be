"""The seeded catalog: TikTok-like category trees with rules and attributes, brands, and per-shop
logistics (warehouses, delivery options, shipping providers).

The tree is a hand-made core (the categories the tests lean on) and every other top-level category
with its subcategories and leaves, generated from the tables of `category_tree`. Both trees (US v2,
UK/EU v1) have the same nodes; names, certifications and fees differ per tree or market.

IDs look like TikTok's (numeric strings). The same tree serves both category versions; v2 ids
(the US 7-level tree) are the v1 ids plus a prefix, so a product created with the wrong version
points at a category that does not exist in the other tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import category_tree

V1, V2 = "v1", "v2"
BOTH_TREES = (V1, V2)
SWATCH_HOST = "https://p16-oec-va.ibyteimg.com/tos-maliva-i-o3syd03w52-us/swatch"


@dataclass
class AttributeValue:
    id: str
    name: str
    icon_url: str = ""


@dataclass
class Attribute:
    id: str
    name: str
    type: str  # SALES_PROPERTY | PRODUCT_PROPERTY
    is_required: bool = False
    values: list[AttributeValue] = field(default_factory=list)
    is_customizable: bool = True
    is_multiple_selection: bool = False
    # Required only when the seller picked one of these (attribute id, value id); TikTok's cascading attributes.
    requirement_conditions: tuple[tuple[str, str], ...] = ()
    value_data_format: str = ""  # free-form values of a cascading attribute, e.g. POSITIVE_INT_OR_DECIMAL

    def value(self, value_id: str) -> AttributeValue | None:
        return next((v for v in self.values if v.id == value_id), None)


@dataclass
class Certification:
    id: str
    name: str
    is_required: bool
    document_details: str
    expiration_required: bool = False
    trees: tuple[str, ...] = BOTH_TREES  # the category trees (markets) that ask for it
    requirement_conditions: tuple[tuple[str, str], ...] = ()


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
    uk_name: str = ""  # the name in the UK/EU (v1) tree when it differs
    deposit_fee: bool = False  # drinks: a bottle deposit fee (Pfand) where the market has one

    def name_in(self, version: str) -> str:
        return self.uk_name if version == V1 and self.uk_name else self.name

    def certifications_in(self, version: str) -> list[Certification]:
        return [c for c in self.certifications if version in c.trees]


V2_PREFIX = "9"


def to_version(category_id: str, version: str) -> str:
    return V2_PREFIX + category_id if version == "v2" else category_id


def from_version(category_id: str, version: str) -> str | None:
    """The v1 id behind an id given in `version`, or None when the id cannot belong to that tree."""
    if version == "v2":
        return category_id[len(V2_PREFIX) :] if category_id.startswith(V2_PREFIX) else None
    return None if category_id.startswith(V2_PREFIX) else category_id


def _values(prefix: int, names: list[str]) -> list[AttributeValue]:
    return [AttributeValue(str(prefix + i), name) for i, name in enumerate(names, start=1)]


def _swatches(prefix: int, names: list[str]) -> list[AttributeValue]:
    """Colour values with the swatch icon TikTok shows beside them."""
    return [AttributeValue(v.id, v.name, f"{SWATCH_HOST}/{v.name.lower()}.png") for v in _values(prefix, names)]


CONTAINS_CELLS, CELLS_YES = "103015", "1015001"


ATTRIBUTES: dict[str, Attribute] = {
    a.id: a
    for a in [
        Attribute(
            "100000",
            "Color",
            "SALES_PROPERTY",
            values=_swatches(1001000, ["Black", "White", "Red", "Blue", "Green", "Pink", "Grey"]),
        ),
        Attribute("100007", "Size", "SALES_PROPERTY", values=_values(1002000, ["XS", "S", "M", "L", "XL", "XXL"])),
        Attribute("100089", "Specification", "SALES_PROPERTY", values=_values(1003000, ["Standard", "Pro"])),
        Attribute(
            "100347",
            "Material",
            "PRODUCT_PROPERTY",
            is_required=True,
            is_multiple_selection=True,
            values=_values(1004000, ["Cotton", "Polyester", "Wool", "Linen", "Denim"]),
        ),
        Attribute(
            "100392", "Occasion", "PRODUCT_PROPERTY", values=_values(1005000, ["Casual", "Birthday", "Party", "Sport"])
        ),
        Attribute(
            "101395",
            "Skin Type",
            "PRODUCT_PROPERTY",
            is_required=True,
            is_multiple_selection=True,
            values=_values(1006000, ["All", "Dry", "Oily", "Combination", "Sensitive"]),
        ),
        Attribute("101400", "Volume", "PRODUCT_PROPERTY", values=_values(1007000, ["30 ml", "50 ml", "100 ml"])),
        Attribute("101610", "Room", "PRODUCT_PROPERTY", values=_values(1008000, ["Kitchen", "Living Room", "Bedroom"])),
        Attribute(
            "102001",
            "Battery Type",
            "PRODUCT_PROPERTY",
            is_required=True,
            is_customizable=False,
            values=_values(1009000, ["Lithium-ion", "Alkaline", "No Battery"]),
        ),
        Attribute(
            "102005", "Warranty", "PRODUCT_PROPERTY", values=_values(1010000, ["No Warranty", "1 Year", "2 Years"])
        ),
        # Attributes of the generated tree (category_tree.PROFILES names them by id).
        Attribute(
            "103001",
            "Shoe Size",
            "SALES_PROPERTY",
            values=_values(1011000, ["5", "6", "7", "8", "9", "10", "11", "12"]),
        ),
        Attribute(
            "103002",
            "Upper Material",
            "PRODUCT_PROPERTY",
            is_required=True,
            values=_values(1012000, ["Leather", "Synthetic", "Mesh", "Canvas", "Suede"]),
        ),
        Attribute(
            "103003",
            "Metal Type",
            "PRODUCT_PROPERTY",
            is_required=True,
            values=_values(
                1013000, ["Sterling Silver", "Gold Plated", "Rose Gold Plated", "Stainless Steel", "Titanium"]
            ),
        ),
        Attribute("103004", "Ring Size", "SALES_PROPERTY", values=_values(1014000, ["5", "6", "7", "8", "9"])),
        Attribute(
            "103005", "Chain Length", "SALES_PROPERTY", values=_values(1016000, ["16 in", "18 in", "20 in", "24 in"])
        ),
        Attribute(
            "103006",
            "Compatible Phone Model",
            "SALES_PROPERTY",
            values=_values(1017000, ["iPhone 15", "iPhone 16", "iPhone 17", "Pixel 9", "Galaxy S25"]),
        ),
        Attribute(
            "103007",
            "Pet Type",
            "PRODUCT_PROPERTY",
            is_required=True,
            values=_values(1018000, ["Dog", "Cat", "Small Animal", "Bird", "Fish"]),
        ),
        Attribute(
            "103009", "Paper Ruling", "SALES_PROPERTY", values=_values(1019000, ["Dot", "Lined", "Blank", "Grid"])
        ),
        Attribute(
            "103010",
            "Age Range",
            "PRODUCT_PROPERTY",
            is_required=True,
            is_customizable=False,
            values=_values(1020000, ["0-12 months", "1-3 years", "3-6 years", "6-12 years", "12+ years", "Adult"]),
        ),
        Attribute(
            "103011", "Flavor", "SALES_PROPERTY", values=_values(1021000, ["Original", "Vanilla", "Chocolate", "Berry"])
        ),
        Attribute(
            "103012", "Net Weight", "SALES_PROPERTY", values=_values(1022000, ["100 g", "250 g", "500 g", "1 kg"])
        ),
        Attribute(
            "103013",
            "Language",
            "PRODUCT_PROPERTY",
            is_required=True,
            values=_values(1023000, ["English", "Spanish", "French", "German"]),
        ),
        Attribute("103014", "Book Format", "SALES_PROPERTY", values=_values(1024000, ["Paperback", "Hardcover"])),
        Attribute(
            CONTAINS_CELLS,
            "Contains Batteries or Cells?",
            "PRODUCT_PROPERTY",
            is_customizable=False,
            values=[AttributeValue(CELLS_YES, "Yes"), AttributeValue("1015002", "No")],
        ),
        Attribute(
            "103016",
            "Battery Capacity (mAh)",
            "PRODUCT_PROPERTY",
            requirement_conditions=((CONTAINS_CELLS, CELLS_YES),),
            value_data_format="POSITIVE_INT_OR_DECIMAL",
        ),
        Attribute(
            "103017", "Capacity", "SALES_PROPERTY", values=_values(1025000, ["250 ml", "500 ml", "750 ml", "1 l"])
        ),
        Attribute("103018", "Blade Length", "SALES_PROPERTY", values=_values(1026000, ["6 in", "8 in", "10 in"])),
        Attribute(
            "103019",
            "Scent",
            "SALES_PROPERTY",
            values=_values(1027000, ["Unscented", "Cedar", "Fig", "Sea Salt", "Lavender"]),
        ),
        Attribute("103020", "Fit", "SALES_PROPERTY", values=_values(1028000, ["Regular", "Slim", "Relaxed"])),
        Attribute(
            "103021", "Pattern", "PRODUCT_PROPERTY", values=_values(1029000, ["Solid", "Striped", "Floral", "Graphic"])
        ),
        Attribute(
            "103022",
            "Power Source",
            "PRODUCT_PROPERTY",
            is_required=True,
            is_customizable=False,
            values=_values(1030000, ["Battery", "Mains", "USB", "Solar"]),
        ),
        Attribute(
            "103023", "Vehicle Type", "SALES_PROPERTY", values=_values(1031000, ["Car", "SUV", "Truck", "Motorcycle"])
        ),
        Attribute(
            "103024",
            "Sport",
            "PRODUCT_PROPERTY",
            values=_values(1032000, ["Running", "Yoga", "Cycling", "Fitness", "Camping", "Football"]),
        ),
        Attribute(
            "103025",
            "Storage Capacity",
            "SALES_PROPERTY",
            values=_values(1033000, ["64 GB", "128 GB", "256 GB", "1 TB"]),
        ),
        Attribute(
            "103026",
            "Shelf Life",
            "PRODUCT_PROPERTY",
            is_required=True,
            values=_values(1034000, ["3 months", "6 months", "12 months", "24 months"]),
        ),
        Attribute(
            "103027",
            "Dietary Feature",
            "PRODUCT_PROPERTY",
            is_multiple_selection=True,
            values=_values(1035000, ["Vegan", "Gluten-Free", "Organic", "Sugar-Free"]),
        ),
    ]
}

_FCC = Certification(
    "602362",
    "FCC Declaration of Conformity",
    True,
    "Upload the FCC Supplier's Declaration of Conformity or the FCC ID grant for the device.",
    trees=(V2,),
)
_CE = Certification(
    "602365",
    "CE / UKCA Declaration of Conformity",
    True,
    "Upload the EU or UK declaration of conformity signed by the manufacturer.",
    trees=(V1,),
)
_BATTERY = Certification(
    "602371",
    "UN38.3 Battery Test Summary",
    False,
    "Required for products with lithium batteries.",
    expiration_required=True,
)
# The same test summary, asked for when the seller says the product contains batteries or cells.
_BATTERY_IF_CELLS = Certification(
    "602371",
    "UN38.3 Battery Test Summary",
    False,
    "Required for products with lithium batteries.",
    expiration_required=True,
    requirement_conditions=((CONTAINS_CELLS, CELLS_YES),),
)
# Certifications of the generated tree, by the keys category_tree.PROFILES uses.
CERTIFICATIONS = {
    "fcc": _FCC,
    "ce": _CE,
    "battery": _BATTERY_IF_CELLS,
    "electrical_us": Certification(
        "602380",
        "UL or ETL Safety Listing",
        True,
        "Upload the listing certificate of a nationally recognised testing laboratory.",
        trees=(V2,),
    ),
    "electrical_eu": Certification(
        "602381",
        "Low Voltage Directive Declaration",
        True,
        "Upload the declaration of conformity with the Low Voltage Directive.",
        trees=(V1,),
    ),
    "cpc": Certification(
        "602390",
        "Children's Product Certificate (CPC)",
        True,
        "Upload the CPC with the CPSC test reports it is based on.",
        trees=(V2,),
    ),
    "en71": Certification(
        "602391",
        "EN 71 Toy Safety Test Report",
        True,
        "Upload the EN 71 test report from an accredited laboratory.",
        trees=(V1,),
    ),
    "food_contact_us": Certification(
        "602395",
        "FDA Food Contact Compliance",
        False,
        "Upload a test report showing the materials are safe for food contact.",
        trees=(V2,),
    ),
    "food_contact_eu": Certification(
        "602396",
        "Food Contact Materials Declaration",
        False,
        "Upload the declaration of compliance for food contact materials.",
        trees=(V1,),
    ),
    "food_facility": Certification(
        "602400",
        "Food Facility Registration",
        True,
        "Upload the registration of the facility that makes or packs the food.",
    ),
    "supplement_facts": Certification(
        "602405", "Supplement Facts Label", True, "Upload a photo of the supplement facts label.", trees=(V2,)
    ),
    "medical_device": Certification(
        "602410",
        "Medical Device Registration",
        True,
        "Upload the device's registration or listing with the health authority.",
    ),
}

CATEGORIES: dict[str, Category] = {
    c.id: c
    for c in [
        Category("601152", "0", "Womenswear & Underwear", False),
        Category("601226", "601152", "Women's Tops", False),
        Category(
            "601302",
            "601226",
            "T-shirts",
            True,
            ["100000", "100007", "100347", "100392"],
            size_chart_supported=True,
            keywords=("t-shirt", "tee", "shirt", "top"),
        ),
        Category(
            "601303",
            "601226",
            "Hoodies & Sweatshirts",
            True,
            ["100000", "100007", "100347"],
            size_chart_supported=True,
            keywords=("hoodie", "sweatshirt", "jumper"),
        ),
        Category("601400", "601152", "Women's Bottoms", False),
        Category(
            "601401",
            "601400",
            "Jeans",
            True,
            ["100000", "100007", "100347"],
            size_chart_supported=True,
            keywords=("jeans", "denim", "trousers"),
        ),
        Category("601450", "0", "Beauty & Personal Care", False),
        Category("601460", "601450", "Skincare", False),
        Category(
            "601461",
            "601460",
            "Face Moisturisers",
            True,
            ["101395", "101400", "100089"],
            keywords=("moisturiser", "moisturizer", "cream", "lotion"),
        ),
        Category("601462", "601460", "Serums & Essences", True, ["101395", "101400"], keywords=("serum", "essence")),
        Category("600001", "0", "Home Supplies", False),
        Category("600002", "600001", "Home Organizers", False),
        Category(
            "600003",
            "600002",
            "Storage Boxes & Bins",
            True,
            ["100000", "101610"],
            keywords=("storage", "box", "bin", "organizer"),
        ),
        Category("600010", "600001", "Kitchenware", False),
        Category("600011", "600010", "Mugs", True, ["100000", "101610"], keywords=("mug", "cup")),
        Category("824328", "0", "Phones & Electronics", False),
        Category("824330", "824328", "Audio & Video", False),
        Category(
            "824331",
            "824330",
            "Earphones",
            True,
            ["100000", "102001", "102005"],
            certifications=[_FCC, _CE, _BATTERY],
            package_dimension_required=True,
            keywords=("earphones", "earbuds", "headphones", "bluetooth"),
        ),
        Category(
            "824332",
            "824330",
            "Bluetooth Speakers",
            True,
            ["100000", "102001", "102005", "100089", CONTAINS_CELLS, "103016"],
            certifications=[_FCC, _CE, _BATTERY_IF_CELLS],
            package_dimension_required=True,
            keywords=("speaker", "soundbar"),
        ),
    ]
}
CORE_IDS = frozenset(CATEGORIES)


def _generated(row: category_tree.Row) -> Category:
    if not row.is_leaf:
        return Category(row.id, row.parent_id, row.name, False, uk_name=row.uk_name)
    profile = category_tree.PROFILES[row.profile]
    return Category(
        row.id,
        row.parent_id,
        row.name,
        True,
        list(profile.attributes),
        certifications=[CERTIFICATIONS[key] for key in profile.certifications],
        size_chart_supported=profile.size_chart,
        package_dimension_required=profile.package_dimensions,
        keywords=row.keywords,
        uk_name=row.uk_name,
        deposit_fee=profile.deposit_fee,
    )


CATEGORIES.update((row.id, _generated(row)) for row in category_tree.expand())


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
    "US": "USD",
    "GB": "GBP",
    "UK": "GBP",
    "DE": "EUR",
    "FR": "EUR",
    "ES": "EUR",
    "IE": "EUR",
    "IT": "EUR",
    "MY": "MYR",
    "SG": "SGD",
    "TH": "THB",
    "VN": "VND",
    "PH": "PHP",
    "ID": "IDR",
    "MX": "MXN",
    "BR": "BRL",
    "JP": "JPY",
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
    """ "Max SKUs for BR, EU, JP, MX, UK, US: 300; other regions: 100"."""
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
