"""Plain, read-only views of one catalog product with everything the mapper needs.

The repository builds them from the catalog tables; the mapper and the rules take them as input, so
both stay pure and can be tested without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tokbridge.category_templates.rules import ProductFacts


@dataclass(frozen=True)
class VariantView:
    id: int
    external_id: str
    title: str
    position: int
    sku: str | None
    barcode: str | None
    price: Decimal
    compare_at_price: Decimal | None
    option_values: dict[str, str]
    weight_grams: Decimal | None
    inventory_tracked: bool
    levels: dict[str, int] = field(default_factory=dict)  # store location id -> available

    @property
    def available(self) -> int:
        return sum(self.levels.values())


@dataclass(frozen=True)
class ImageView:
    external_id: str
    url: str
    position: int
    alt_text: str | None = None


@dataclass(frozen=True)
class OptionView:
    name: str
    position: int
    values: tuple[str, ...]


@dataclass(frozen=True)
class ProductBundle:
    id: int
    external_id: str
    title: str
    description_html: str
    vendor: str | None
    product_type: str | None
    tags: tuple[str, ...]
    status: str
    options: tuple[OptionView, ...] = ()
    variants: tuple[VariantView, ...] = ()
    images: tuple[ImageView, ...] = ()
    # The catalog does not import metafields yet; attribute mappings from a metafield read this.
    metafields: dict[str, str] = field(default_factory=dict)

    def facts(self) -> ProductFacts:
        return ProductFacts(
            product_id=self.id,
            title=self.title,
            vendor=self.vendor,
            product_type=self.product_type,
            tags=self.tags,
            skus=tuple(v.sku for v in self.variants),
            prices=tuple(v.price for v in self.variants),
            stock=sum(v.available for v in self.variants),
        )
