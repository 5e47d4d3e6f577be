"""A catalog stream gathered into records, checking the stream's order on the way (each child after its
product: the importer relies on it)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from tests.support.waiting import wait_for
from tokbridge.channels.base import (
    CatalogCheckpoint,
    CatalogItem,
    CatalogPending,
    CatalogStream,
    ImageOf,
    InventoryLevel,
    LevelOf,
    Product,
    ProductImage,
    ProductVariant,
    SourceStore,
    VariantOf,
)


@dataclass
class Catalog:
    products: dict[str, Product] = field(default_factory=dict)
    variants: dict[str, ProductVariant] = field(default_factory=dict)
    variant_product: dict[str, str] = field(default_factory=dict)
    images: dict[str, list[ProductImage]] = field(default_factory=dict)
    levels: dict[str, list[InventoryLevel]] = field(default_factory=dict)

    def stocked_variant(self) -> tuple[ProductVariant, InventoryLevel]:
        """A tracked variant of an active product with some stock somewhere."""
        for variant_id, variant in self.variants.items():
            if self.products[self.variant_product[variant_id]].status != "active" or not variant.inventory_tracked:
                continue
            for level in self.levels.get(variant_id, []):
                if level.available >= 5:
                    return variant, level
        raise AssertionError("the sandbox's catalog has no stocked variant")


def gather(items: Iterable[CatalogItem], into: Catalog | None = None) -> Catalog:
    catalog = into if into is not None else Catalog()
    for item in items:
        if isinstance(item, Product):
            assert item.external_id not in catalog.products, f"product {item.external_id} streamed twice"
            catalog.products[item.external_id] = item
            for variant in item.variants:
                _add_variant(catalog, item.external_id, variant)
            for image in item.images:
                catalog.images.setdefault(item.external_id, []).append(image)
        elif isinstance(item, VariantOf):
            assert item.product_external_id in catalog.products, "a variant came before its product"
            _add_variant(catalog, item.product_external_id, item.variant)
        elif isinstance(item, ImageOf):
            assert item.product_external_id in catalog.products, "an image came before its product"
            catalog.images.setdefault(item.product_external_id, []).append(item.image)
        elif isinstance(item, LevelOf):
            assert item.variant_external_id in catalog.variants, "a stock level came before its variant"
            catalog.levels.setdefault(item.variant_external_id, []).append(item.level)
        else:
            raise AssertionError(f"not a catalog record: {item!r}")
    return catalog


def _add_variant(catalog: Catalog, product_external_id: str, variant: ProductVariant) -> None:
    assert variant.external_id not in catalog.variants, f"variant {variant.external_id} streamed twice"
    catalog.variants[variant.external_id] = variant
    catalog.variant_product[variant.external_id] = product_external_id
    catalog.levels.setdefault(variant.external_id, list(variant.inventory_levels))


def read_catalog(store: SourceStore) -> Catalog:
    return gather(item for item, _checkpoint in stream_from(store, None))


def stream_from(store: SourceStore, checkpoint: dict | None) -> Iterator[tuple[CatalogItem, dict | None]]:
    """The port's catalog read from `checkpoint`: (item, the last checkpoint the stream gave before it).
    While the store prepares the catalog the test waits, as the job would re-queue itself."""
    step: CatalogPending | CatalogStream = store.read_catalog(checkpoint)

    def ready():
        nonlocal step
        if isinstance(step, CatalogPending):
            step = store.read_catalog(step.checkpoint)
        return isinstance(step, CatalogStream)

    wait_for(ready, timeout=60, interval=0.2, what="the store to prepare its catalog")
    last = checkpoint
    for item in step.items:
        if isinstance(item, CatalogCheckpoint):
            last = item.state
        else:
            yield item, last
