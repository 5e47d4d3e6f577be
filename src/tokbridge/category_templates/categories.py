"""What the connector knows of a TikTok category: its attributes and rules, and its place in the tree.

`CategoryInfo` is read from TikTok (`fetch_category_info`) and given to the mapper (to turn value
names into ids) and to the validator (required attributes, certifications, package dimensions).
`category_problem` tells whether a template's category still exists as a leaf TikTok lets the shop
use: TikTok retires and splits categories, and a template pointing at one would fail every upload.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tokbridge.category_templates.problems import Problem
from tokbridge.category_templates.spec import CategoryChoice
from tokbridge.channels.shops import ShopContext
from tokbridge.channels.tiktok.client import TikTokClient
from tokbridge.channels.tiktok.models import Attribute, Category, CategoryRules

PRODUCT_PROPERTY = "PRODUCT_PROPERTY"
SALES_PROPERTY = "SALES_PROPERTY"


@dataclass(frozen=True)
class CategoryInfo:
    id: str
    version: str = "v1"
    attributes: tuple[Attribute, ...] = ()
    rules: CategoryRules = field(default_factory=CategoryRules)

    def attribute(self, attribute_id: str | None) -> Attribute | None:
        return next((a for a in self.attributes if a.id == attribute_id), None)

    @property
    def product_attributes(self) -> list[Attribute]:
        return [a for a in self.attributes if a.type == PRODUCT_PROPERTY]

    @property
    def sales_attributes(self) -> list[Attribute]:
        return [a for a in self.attributes if a.type == SALES_PROPERTY]

    @property
    def required_certifications(self) -> list[dict]:
        return [c for c in self.rules.product_certifications if c.get("is_required")]

    @property
    def package_dimensions_required(self) -> bool:
        return bool((self.rules.package_dimension or {}).get("is_required"))


def category_version_for(region: str | None) -> str:
    """TikTok's category tree for a shop: US shops list in the 7-level "v2" tree, every other region in
    "v1" (TikTok refuses the other one with code 12052217)."""
    return "v2" if (region or "US").upper() == "US" else "v1"


def shop_category_version(shop: ShopContext) -> str:
    """The category tree of one TikTok shop (its region's): what its templates and pickers use."""
    return category_version_for(shop.shop.region)


def version_problem(choice: CategoryChoice, region: str | None) -> Problem | None:
    """A template whose category comes from the other tree than the shop's: every call would be refused."""
    expected = category_version_for(region)
    if choice.version == expected:
        return None
    return Problem(
        "category_version",
        "category_id",
        f"The template's category {choice.label} ({choice.id}) is from TikTok's {choice.version} category tree, "
        f"but {(region or 'US').upper()} shops list in the {expected} tree.",
        "Edit the template and choose its category again: the picker shows your shop's tree.",
    )


def fetch_category_info(client: TikTokClient, category_id: str, *, category_version: str | None = None) -> CategoryInfo:
    """Attributes and rules of a leaf category, from TikTok (two calls)."""
    attributes = client.get_attributes(category_id, category_version=category_version)
    rules = client.get_category_rules(category_id, category_version=category_version)
    return CategoryInfo(category_id, category_version or "v1", tuple(attributes), rules)


def name_path(categories: Sequence[Category], category_id: str) -> list[str]:
    """The category's name and its ancestors', root first (empty when not in the list)."""
    by_id = {c.id: c for c in categories}
    path: list[str] = []
    current = by_id.get(category_id)
    while current is not None and len(path) < 20:
        path.append(current.local_name)
        current = by_id.get(current.parent_id)
    return list(reversed(path))


def category_problem(choice: CategoryChoice, categories: Sequence[Category]) -> Problem | None:
    """Whether the template's category can still be used, checked against TikTok's current tree."""
    current = next((c for c in categories if c.id == choice.id), None)
    label = choice.label
    if current is None:
        return Problem(
            "category_retired",
            "category_id",
            f"The TikTok category {label} ({choice.id}) no longer exists; TikTok has retired or replaced it.",
            "Choose a new category for this template (search, browse or use the recommendation), then check "
            "its attribute mappings again.",
        )
    if not current.is_leaf:
        return Problem(
            "category_not_leaf",
            "category_id",
            f"The TikTok category {label} now has subcategories, and products can only be listed in the last level.",
            f"Choose one of the subcategories of {current.local_name} for this template.",
        )
    statuses = set(current.permission_statuses)
    if statuses and "AVAILABLE" not in statuses:
        return Problem(
            "category_not_available",
            "category_id",
            f"Your shop may not list in {label} ({', '.join(sorted(statuses))}).",
            "Apply for the category in TikTok Seller Center, or choose another category for this template.",
        )
    return None
