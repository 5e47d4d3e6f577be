"""Category templates and which template each product is linked to.

A template's JSON columns hold the parts of `spec.TemplateSpec` (validated on every save by
`service`); `CategoryTemplate.spec()` reads them back as one object. Lower `priority` comes first
when several templates match a product.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tokbridge.category_templates.spec import TemplateSpec
from tokbridge.db.base import Base, BigId, TenantOwned, Timestamped

ASSIGNED_AUTO = "auto"
ASSIGNED_MANUAL = "manual"


class CategoryTemplate(TenantOwned, Timestamped, Base):
    __tablename__ = "category_template"
    __table_args__ = (
        # Names are unique per TikTok shop: "Copy to another shop" keeps the name (migration 0021_shop_context).
        UniqueConstraint("connection_id", "name"),
        Index("ix_category_template_merchant_priority", "merchant_id", "priority"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # The TikTok shop the template maps products for; None only before the merchant's first shop is
    # connected (that shop adopts it).
    connection_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("channel_connection.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    match_mode: Mapped[str] = mapped_column(String(8), default="all")  # all | any
    rules: Mapped[list] = mapped_column(JSON, default=list)
    category_id: Mapped[str] = mapped_column(String(32))
    category_name_path: Mapped[list] = mapped_column(JSON, default=list)
    category_version: Mapped[str] = mapped_column(String(8), default="v1")
    attribute_mappings: Mapped[list] = mapped_column(JSON, default=list)
    variant_mappings: Mapped[list] = mapped_column(JSON, default=list)
    price_rule: Mapped[dict] = mapped_column(JSON, default=dict)
    inventory_rule: Mapped[dict] = mapped_column(JSON, default=dict)
    listing_defaults: Mapped[dict] = mapped_column(JSON, default=dict)
    auto_assign: Mapped[bool] = mapped_column(Boolean, default=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    def spec(self) -> TemplateSpec:
        return TemplateSpec.model_validate(
            {
                "name": self.name,
                "priority": self.priority,
                "selection": {"match": self.match_mode, "rules": self.rules},
                "category": {
                    "id": self.category_id,
                    "name_path": self.category_name_path,
                    "version": self.category_version,
                },
                "attributes": self.attribute_mappings,
                "variants": self.variant_mappings,
                "price": self.price_rule,
                "inventory": self.inventory_rule,
                "listing": self.listing_defaults,
                "auto_assign": self.auto_assign,
                "is_active": self.is_active,
            }
        )

    def apply(self, spec: TemplateSpec) -> None:
        """Store a validated spec in the columns."""
        data = spec.model_dump(mode="json")
        self.name = spec.name
        self.priority = spec.priority
        self.match_mode = spec.selection.match
        self.rules = data["selection"]["rules"]
        self.category_id = spec.category.id
        self.category_name_path = list(spec.category.name_path)
        self.category_version = spec.category.version
        self.attribute_mappings = data["attributes"]
        self.variant_mappings = data["variants"]
        self.price_rule = data["price"]
        self.inventory_rule = data["inventory"]
        self.listing_defaults = data["listing"]
        self.auto_assign = spec.auto_assign
        self.is_active = spec.is_active


class ProductTemplateAssignment(TenantOwned, Timestamped, Base):
    """A product linked to the template that maps it; only linked products are uploaded."""

    __tablename__ = "product_template_assignment"
    __table_args__ = (UniqueConstraint("connection_id", "product_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # The shop of the template: a product is linked to at most one template in each TikTok shop.
    connection_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("channel_connection.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("product.id", ondelete="CASCADE"), index=True)
    template_id: Mapped[int] = mapped_column(BigId, ForeignKey("category_template.id", ondelete="CASCADE"), index=True)
    assigned_by: Mapped[str] = mapped_column(String(10), default=ASSIGNED_AUTO)  # auto | manual
