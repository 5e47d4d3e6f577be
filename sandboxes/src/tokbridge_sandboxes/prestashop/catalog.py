"""A seeded shop: reference data (languages, currencies, zones, countries, taxes, order states,
carriers, configuration) and `catalog_size` products, the same for the same seed.

About half the products have combinations (one or two option groups, 2 to 6 combinations, price
impacts, some with their own reference and EAN-13); each has 1 to 4 images, names in every language,
a tax rule group (20 % standard or 10 % reduced) on most, a weight in kg and stock rows with varied
quantities; a few are inactive and a few are on sale (a catalog specific price).
"""

from __future__ import annotations

import itertools
import random
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .store import Image

if TYPE_CHECKING:
    from .store import Store

# Words per language; a language the sandbox has no words for gets the English ones.
WORDS = {
    "en": {
        "adjectives": ["Organic", "Classic", "Striped", "Vintage", "Recycled", "Soft"],
        "nouns": ["T-shirt", "Mug", "Notebook", "Sweater", "Poster", "Cushion", "Tote bag", "Cap"],
        "name": "{adjective} {noun}",
        "blurb": "Made in small batches. Item {code}.",
        "size": "Size",
        "colour": "Colour",
        "colours": ["White", "Black", "Red", "Blue"],
    },
    "fr": {
        "adjectives": ["bio", "classique", "rayé", "vintage", "recyclé", "doux"],
        "nouns": ["T-shirt", "Mug", "Carnet", "Pull", "Affiche", "Coussin", "Sac cabas", "Casquette"],
        "name": "{noun} {adjective}",
        "blurb": "Fabriqué en petites séries. Article {code}.",
        "size": "Taille",
        "colour": "Couleur",
        "colours": ["Blanc", "Noir", "Rouge", "Bleu"],
    },
}
LANGUAGE_NAMES = {
    "en": ("English (English)", "en-US"),
    "fr": ("Français (French)", "fr-FR"),
    "de": ("Deutsch (German)", "de-DE"),
    "es": ("Español (Spanish)", "es-ES"),
}
SIZES = ["S", "M", "L", "XL"]
COLOUR_HEX = ["#ffffff", "#434A54", "#E84C3D", "#5D9CEC"]
EUR_RATES = {"EUR": "1", "USD": "1.08", "GBP": "0.86"}
# (id, iso, zone, names, call prefix): PrestaShop's own ids for these countries.
COUNTRIES = [
    (8, "FR", 1, "France", 33),
    (1, "DE", 1, "Germany", 49),
    (6, "ES", 1, "Spain", 34),
    (10, "IT", 1, "Italy", 39),
    (17, "GB", 7, "United Kingdom", 44),
    (21, "US", 2, "United States", 1),
]
# (tax id, country id, rate, rule group): group 1 standard, group 2 reduced.
TAXES = [
    (1, 8, "20", 1),
    (2, 8, "10", 2),
    (3, 1, "19", 1),
    (4, 1, "7", 2),
    (5, 6, "21", 1),
    (6, 6, "10", 2),
    (7, 10, "22", 1),
    (8, 10, "10", 2),
]
# (id, english name, french name, logable, paid, shipped, delivery, color)
ORDER_STATES = [
    (1, "Awaiting check payment", "En attente du paiement par chèque", 0, 0, 0, 0, "#34209E"),
    (2, "Payment accepted", "Paiement accepté", 1, 1, 0, 0, "#3498D8"),
    (3, "Processing in progress", "En cours de préparation", 1, 1, 0, 1, "#3498D8"),
    (4, "Shipped", "Expédié", 1, 1, 1, 1, "#01b887"),
    (5, "Delivered", "Livré", 1, 1, 1, 1, "#01b887"),
    (6, "Canceled", "Annulé", 0, 0, 0, 0, "#2C3E50"),
    (7, "Refunded", "Remboursé", 0, 1, 0, 0, "#ec2e15"),
    (8, "Payment error", "Erreur de paiement", 0, 0, 0, 0, "#ec2e15"),
    (9, "On backorder (paid)", "En attente de réapprovisionnement (payé)", 1, 1, 0, 0, "#3498D8"),
    (10, "Awaiting bank wire payment", "En attente de virement bancaire", 0, 0, 0, 0, "#34209E"),
    (11, "Remote payment accepted", "Paiement à distance accepté", 1, 1, 0, 0, "#3498D8"),
]
STATE_CONFIGURATION = {
    "PS_OS_CHEQUE": 1,
    "PS_OS_PAYMENT": 2,
    "PS_OS_PREPARATION": 3,
    "PS_OS_SHIPPING": 4,
    "PS_OS_DELIVERED": 5,
    "PS_OS_CANCELED": 6,
    "PS_OS_REFUND": 7,
    "PS_OS_ERROR": 8,
    "PS_OS_OUTOFSTOCK_PAID": 9,
    "PS_OS_BANKWIRE": 10,
    "PS_OS_WS_PAYMENT": 11,
}
CATALOG_EPOCH = datetime(2026, 1, 5, 9, 0, 0)  # generated dates do not depend on the wall clock


def words(iso: str) -> dict:
    return WORDS.get(iso, WORDS["en"])


def per_language(store: Store, make) -> dict[int, str]:
    return {lang: make(words(iso)) for iso, lang in store.config.languages}


def ean13(rng: random.Random) -> str:
    digits = [rng.randrange(10) for _ in range(12)]
    check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return "".join(map(str, digits)) + str(check)


def seed_reference_data(store: Store) -> None:
    config = store.config
    for iso, lang in config.languages:
        name, locale = LANGUAGE_NAMES.get(iso, (iso.upper(), f"{iso}-{iso.upper()}"))
        store.insert(
            "languages",
            {
                "name": name,
                "iso_code": iso,
                "locale": locale,
                "language_code": locale.lower(),
                "active": 1,
                "date_format_lite": "Y-m-d",
                "date_format_full": "Y-m-d H:i:s",
            },
            record_id=lang,
        )
    default_rate = float(EUR_RATES.get(config.currency, "1"))
    for iso in [config.currency, *[c for c in EUR_RATES if c != config.currency]]:
        rate = float(EUR_RATES.get(iso, "1")) / default_rate
        store.insert(
            "currencies",
            {
                "iso_code": iso,
                "name": iso,
                "symbol": iso,
                "precision": 2,
                "active": 1,
                "conversion_rate": f"{rate:.6f}",
            },
        )
    for zone_id, name in [(1, "Europe"), (2, "North America"), (7, "Europe (non-EU)")]:
        store.insert("zones", {"name": name, "active": 1}, record_id=zone_id)
    for country_id, iso, zone, name, prefix in COUNTRIES:
        store.insert(
            "countries",
            {
                "id_zone": zone,
                "iso_code": iso,
                "name": name,
                "call_prefix": prefix,
                "active": 1,
                "need_zip_code": 1,
                "display_tax_label": 1,
                "contains_states": int(iso == "US"),
            },
            record_id=country_id,
        )
    for iso, name in [("CA", "California"), ("NY", "New York")]:
        store.insert("states", {"id_zone": 2, "id_country": 21, "iso_code": iso, "name": name, "active": 1})
    for shop in range(1, config.shops + 1):
        store.insert(
            "shops",
            {
                "id_shop_group": 1,
                "id_category": 2,
                "active": 1,
                "theme_name": "classic",
                "name": config.shop_name if shop == 1 else f"{config.shop_name} {shop}",
            },
        )
    for tax_id, _country, rate, group in TAXES:
        store.insert("taxes", {"rate": rate, "active": 1, "name": f"TVA {rate}%"})
    store.insert("tax_rule_groups", {"name": "FR Taux standard (20%)", "active": 1})
    store.insert("tax_rule_groups", {"name": "FR Taux réduit (10%)", "active": 1})
    for tax_id, country, _rate, group in TAXES:
        store.insert("tax_rules", {"id_tax_rules_group": group, "id_country": country, "id_tax": tax_id, "behavior": 0})
    for state_id, en, fr, logable, paid, shipped, delivery, color in ORDER_STATES:
        names = {lang: (fr if iso == "fr" else en) for iso, lang in config.languages}
        store.insert(
            "order_states",
            {
                "name": names,
                "logable": logable,
                "paid": paid,
                "shipped": shipped,
                "delivery": delivery,
                "invoice": paid,
                "color": color,
                "send_email": 0,
                "unremovable": 1,
                "template": "",
            },
            record_id=state_id,
        )
    store.insert(
        "carriers",
        {
            "name": config.shop_name,
            "active": 1,
            "is_free": 1,
            "id_reference": 1,
            "delay": "Pick up in-store",
            "shipping_method": 1,
        },
    )
    store.insert(
        "carriers",
        {
            "name": "My carrier",
            "active": 1,
            "is_free": 0,
            "id_reference": 2,
            "delay": "Delivery next day!",
            "shipping_method": 2,
            "need_range": 1,
        },
    )
    for zone, price in [(1, "7"), (2, "15"), (7, "9")]:
        store.insert("deliveries", {"id_carrier": 2, "id_zone": zone, "price": price})
    settings = {
        **STATE_CONFIGURATION,
        "PS_TIMEZONE": config.timezone,
        "PS_LANG_DEFAULT": store.default_lang,
        "PS_CURRENCY_DEFAULT": 1,
        "PS_COUNTRY_DEFAULT": 8,
        "PS_SHOP_NAME": config.shop_name,
        "PS_ROUND_TYPE": 1,
        "PS_PRICE_ROUND_MODE": 2,
        "PS_WEBSERVICE": 1,
        "PS_STOCK_MANAGEMENT": 1,
        "PS_CARRIER_DEFAULT": 2,
    }
    for name, value in settings.items():
        store.insert("configurations", {"name": name, "value": str(value)})


def seed_options(store: Store) -> tuple[list[int], list[int]]:
    size = store.insert(
        "product_options",
        {
            "group_type": "select",
            "position": 0,
            "name": per_language(store, lambda w: w["size"]),
            "public_name": per_language(store, lambda w: w["size"]),
        },
    )
    colour = store.insert(
        "product_options",
        {
            "group_type": "color",
            "is_color_group": 1,
            "position": 1,
            "name": per_language(store, lambda w: w["colour"]),
            "public_name": per_language(store, lambda w: w["colour"]),
        },
    )
    sizes = [
        int(
            store.insert("product_option_values", {"id_attribute_group": size["id"], "name": label, "position": n})[
                "id"
            ]
        )
        for n, label in enumerate(SIZES)
    ]
    colours = [
        int(
            store.insert(
                "product_option_values",
                {
                    "id_attribute_group": colour["id"],
                    "color": COLOUR_HEX[n],
                    "position": n,
                    "name": per_language(store, lambda w, n=n: w["colours"][n]),
                },
            )["id"]
        )
        for n in range(len(COLOUR_HEX))
    ]
    return sizes, colours


def seed_product(store: Store, rng: random.Random, index: int, groups: tuple[list[int], list[int]]) -> None:
    code = f"demo_{index + 1}"
    adjective, noun = rng.randrange(6), rng.randrange(8)
    created = (CATALOG_EPOCH + timedelta(hours=index * 7)).strftime("%Y-%m-%d %H:%M:%S")
    updated = (CATALOG_EPOCH + timedelta(hours=index * 7 + rng.randrange(1, 900))).strftime("%Y-%m-%d %H:%M:%S")
    name = per_language(store, lambda w: w["name"].format(adjective=w["adjectives"][adjective], noun=w["nouns"][noun]))
    product = store.insert(
        "products",
        {
            "name": name,
            "link_rewrite": {lang: re.sub(r"\W+", "-", text.lower()) for lang, text in name.items()},
            "description": per_language(store, lambda w: "<p>" + w["blurb"].format(code=code) + "</p>"),
            "description_short": per_language(store, lambda w: w["blurb"].format(code=code)),
            "available_now": per_language(store, lambda w: ""),
            "price": f"{rng.randrange(500, 9000, 50) / 100:.2f}",
            "wholesale_price": "0",
            "id_tax_rules_group": rng.choices([1, 2, 0], weights=[70, 20, 10])[0],
            "reference": code,
            "ean13": ean13(rng) if rng.random() < 0.5 else "",
            "weight": f"{rng.randrange(2, 25) / 10:.1f}",
            "active": int(rng.random() >= 0.1 and index % 10 != 3),
            "minimal_quantity": 1,
            "id_category_default": 2,
            "available_for_order": 1,
            "show_price": 1,
            "condition": "new",
            "visibility": "both",
            "state": 1,
            "redirect_type": "404",
            "out_of_stock": 2,
            "type": "1",
            "id_shop_default": 1,
            "date_add": created,
            "date_upd": updated,
        },
    )
    product_id = int(product["id"])
    image_ids = [store.new_id("images") for _ in range(rng.randint(1, 4))]
    for image_id in image_ids:
        store.images[image_id] = Image(
            image_id, product_id, (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        )
    product["id_default_image"] = str(image_ids[0])
    if rng.random() < 0.15 or index % 10 == 5:  # on sale
        store.insert(
            "specific_prices",
            {
                "id_product": product_id,
                "id_shop": 0,
                "price": "-1",
                "from_quantity": 1,
                "reduction": rng.choice(["0.2", "0.1"]),
                "reduction_type": "percentage",
                "reduction_tax": 1,
                "from": "0000-00-00 00:00:00",
                "to": "0000-00-00 00:00:00",
            },
        )
    axes = [] if rng.random() < 0.5 else rng.choice([[groups[0]], [groups[1]], [groups[0], groups[1]]])
    combos = list(itertools.product(*[rng.sample(values, rng.randint(2, 3)) for values in axes]))[:6] if axes else []
    total = seed_combinations(store, rng, product, combos) if combos else rng.choice([0, 4, 10, 25, 60, 100])
    product["product_type"] = "combinations" if combos else "standard"
    store.add_stock(product_id, 0, total)


def seed_combinations(store: Store, rng: random.Random, product: dict, combos: list[tuple[int, ...]]) -> int:
    """The product's combinations with their stock rows; returns their total quantity."""
    total = 0
    for n, values in enumerate(combos):
        own_reference = rng.random() < 0.6
        combination = store.insert(
            "combinations",
            {
                "id_product": product["id"],
                "minimal_quantity": 1,
                "default_on": int(n == 0),
                "price": rng.choice(["0", "0", "2", "5", "-1"]),
                "weight": "0",
                "reference": f"{product['reference']}-{n + 1}" if own_reference else "",
                "ean13": ean13(rng) if own_reference and rng.random() < 0.5 else "",
            },
            dated=False,
        )
        combination["associations"] = {"product_option_values": [{"id": str(v)} for v in values]}
        if n == 0:
            product["id_default_combination"] = combination["id"]
        quantity = rng.choice([0, 3, 5, 12, 25, 40])
        total += quantity
        store.add_stock(int(product["id"]), int(combination["id"]), quantity)
    return total


def seed_shop(store: Store) -> None:
    seed_reference_data(store)
    groups = seed_options(store)
    rng = random.Random(store.config.seed)
    for index in range(store.config.catalog_size):
        seed_product(store, rng, index, groups)
