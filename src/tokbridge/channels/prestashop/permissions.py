"""What TokBridge does with a shop's Webservice, resource by resource, and the key's permissions read
from `GET /api/` (each resource the key may use, with `get`, `put`, `post`, `patch`, `delete` = "true" or
"false"), in words for the merchant: "Your Webservice key cannot update stock (stock_availables: PUT)".
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

# resource -> (what it holds, in words; the methods TokBridge uses). Stock is written with PATCH on
# PrestaShop 8 and newer when the key allows it, else with a full PUT: PUT is what every version takes.
NEEDED: dict[str, tuple[str, tuple[str, ...]]] = {
    "products": ("products", ("GET",)),
    "combinations": ("combinations", ("GET",)),
    "product_options": ("product options (Size, Colour...)", ("GET",)),
    "product_option_values": ("product option values", ("GET",)),
    "stock_availables": ("stock", ("GET", "PUT")),
    "specific_prices": ("specific prices", ("GET", "POST")),
    "tax_rule_groups": ("tax rules", ("GET",)),
    "tax_rules": ("tax rules", ("GET",)),
    "taxes": ("taxes", ("GET",)),
    "images": ("product images", ("GET",)),
    "languages": ("languages", ("GET",)),
    "currencies": ("currencies", ("GET",)),
    "countries": ("countries", ("GET",)),
    "states": ("states", ("GET",)),
    "shops": ("shops", ("GET",)),
    "configurations": ("shop settings", ("GET",)),
    "order_states": ("order statuses", ("GET",)),
    "carriers": ("carriers", ("GET",)),
    "customers": ("customers", ("GET", "POST")),
    "addresses": ("addresses", ("GET", "POST")),
    "carts": ("carts", ("GET", "POST")),
    "orders": ("orders", ("GET", "POST")),
    "order_histories": ("order status history", ("GET", "POST")),
    "order_carriers": ("order tracking numbers", ("GET",)),
}
VERBS = {"GET": "read", "POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}


def granted(listing: Element) -> set[str]:
    """`resource:METHOD` for every permission `GET /api/` lists (`<api><products get="true" .../>`)."""
    api = listing.find("api")
    found: set[str] = set()
    for resource in list(api) if api is not None else []:
        for method in METHODS:
            if (resource.get(method.lower()) or "").strip().lower() == "true":
                found.add(f"{resource.tag}:{method}")
    return found


def needed() -> list[str]:
    return [f"{resource}:{method}" for resource, (_, methods) in NEEDED.items() for method in methods]


def missing(granted_pairs: set[str] | list[str] | tuple[str, ...]) -> list[str]:
    """Each permission TokBridge needs and the key lacks, in words: "update stock (stock_availables: PUT)"."""
    have = set(granted_pairs)
    words = []
    for pair in needed():
        if pair not in have:
            resource, method = pair.split(":")
            words.append(f"{VERBS[method]} {NEEDED[resource][0]} ({resource}: {method})")
    return words
