"""What an edit of a template changes, in words ("price rule +10 % → +20 %"): in the data it maps for
TikTok (`mapping_changes`), and in which products it takes (`claim_changes`: they may move between
templates). A new name changes neither.
"""

from __future__ import annotations

from decimal import Decimal

from tokbridge.category_templates.inventory import InventoryRule
from tokbridge.category_templates.pricing import ROUNDING_LABELS, PriceRule
from tokbridge.category_templates.spec import ListingDefaults, TemplateSpec

WEIGHT_UNITS = {"KILOGRAM": "kg", "POUND": "lb", "GRAM": "g"}


def mapping_changes(before: TemplateSpec, after: TemplateSpec) -> list[str]:
    """Each change of the mapped data, before → after; empty when the products' TikTok data stays the same."""
    changes = []
    if before.category.id != after.category.id:
        changes.append(f"category {before.category.label} → {after.category.label}")
    if before.attributes != after.attributes:
        changes.append("product attributes changed")
    if before.variants != after.variants:
        changes.append("variants changed")
    if before.price != after.price:
        changes.append(f"price rule {describe_price_rule(before.price)} → {describe_price_rule(after.price)}")
    changes += _inventory_changes(before.inventory, after.inventory)
    changes += _listing_changes(before.listing, after.listing)
    return changes


def claim_changes(before: TemplateSpec, after: TemplateSpec) -> list[str]:
    """Changes of which products the template takes (they may move to or from another template)."""
    changes = []
    if before.priority != after.priority:
        changes.append(f"priority {before.priority} → {after.priority}")
    if before.selection != after.selection:
        changes.append("conditions changed")
    if before.auto_assign != after.auto_assign:
        changes.append("links new products by itself" if after.auto_assign else "links products only by hand")
    if before.is_active != after.is_active:
        changes.append("switched on" if after.is_active else "switched off")
    return changes


def describe_price_rule(rule: PriceRule) -> str:
    base = "compare-at price " if rule.base == "compare_at_price" else ""
    sign = "+" if rule.direction == "up" else "−"
    adjustment = {
        "none": "same as the store",
        "percentage": f"{sign}{_number(rule.amount)} %",
        "fixed": f"{sign}{_number(rule.amount)}",
    }[rule.adjustment]
    rounding = "" if rule.rounding == "none" else f", {ROUNDING_LABELS[rule.rounding].split(' (')[0].lower()}"
    return f"{base}{adjustment}{rounding}"


def _inventory_changes(before: InventoryRule, after: InventoryRule) -> list[str]:
    changes = []
    if before.reserve_percent != after.reserve_percent:
        changes.append(f"stock kept back {before.reserve_percent} % → {after.reserve_percent} %")
    if before.max_quantity != after.max_quantity:
        changes.append(f"most stock sent {_limit(before.max_quantity)} → {_limit(after.max_quantity)}")
    if before.out_of_stock_threshold != after.out_of_stock_threshold:
        changes.append(f"0 sent at or below {before.out_of_stock_threshold} → {after.out_of_stock_threshold}")
    if before.untracked_quantity != after.untracked_quantity:
        changes.append(f"stock of untracked variants {before.untracked_quantity} → {after.untracked_quantity}")
    if (before.default_warehouse_id, before.warehouse_map) != (after.default_warehouse_id, after.warehouse_map):
        changes.append("warehouses changed")
    return changes


def _listing_changes(before: ListingDefaults, after: ListingDefaults) -> list[str]:
    changes = []
    if before.title_template != after.title_template:
        changes.append(f"title {_title(before.title_template)} → {_title(after.title_template)}")
    if before.description_fallback != after.description_fallback:
        changes.append("default description changed")
    if before.package_weight != after.package_weight:
        changes.append(f"package weight {_weight(before)} → {_weight(after)}")
    if before.use_variant_weight != after.use_variant_weight:
        changes.append("use of the variants' own weight changed")
    if before.package_dimensions != after.package_dimensions:
        changes.append("package dimensions changed")
    if before.brand_id != after.brand_id:
        changes.append("brand changed")
    if before.certifications != after.certifications:
        changes.append("certifications changed")
    if before.map_unmapped_options != after.map_unmapped_options:
        changes.append("unmapped options changed")
    return changes


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _limit(quantity: int | None) -> str:
    return "no limit" if quantity is None else str(quantity)


def _title(template: str | None) -> str:
    return f"“{template}”" if template else "from the store"


def _weight(listing: ListingDefaults) -> str:
    weight = listing.package_weight
    return f"{_number(weight.value)} {WEIGHT_UNITS[weight.unit]}" if weight else "none"
