"""Thin wrappers that give one store object another GraphQL face (a variant seen as its
inventory item, an image seen as media, a stock level), so every GraphQL type has a source."""

from __future__ import annotations

from dataclasses import dataclass

from . import ids
from .models import FulfillmentOrderLineItem, Image, LineItem, Location, Order, Product, Variant


@dataclass(slots=True)
class InventoryItemView:
    product: Product
    variant: Variant

    @property
    def gid(self) -> str:
        return ids.gid("InventoryItem", self.variant.inventory_item_id)


@dataclass(slots=True)
class LevelView:
    product: Product
    variant: Variant
    location: Location

    @property
    def gid(self) -> str:
        return f"gid://shopify/InventoryLevel/{self.location.id}?inventory_item_id={self.variant.inventory_item_id}"


@dataclass(slots=True)
class MediaImageView:
    image: Image
    product: Product

    @property
    def gid(self) -> str:
        return ids.gid("MediaImage", self.image.id)


@dataclass(slots=True)
class ImageView:
    image: Image
    product: Product

    @property
    def gid(self) -> str:
        return ids.gid("ProductImage", self.image.id)


@dataclass(slots=True)
class LineItemView:
    line: LineItem
    order: Order

    @property
    def gid(self) -> str:
        return self.line.gid


@dataclass(slots=True)
class FulfillmentOrderLineItemView:
    item: FulfillmentOrderLineItem
    order: Order

    @property
    def gid(self) -> str:
        return self.item.gid
