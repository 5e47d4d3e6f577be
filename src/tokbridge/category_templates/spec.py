"""The validated shape of a category template: what the merchant edits and what is stored as JSON.

`TemplateSpec` is the whole template; each JSON column of `CategoryTemplate` holds one of its parts.
Saving goes through these models, so a stored template is always well formed and a bad form gets
messages a merchant can act on (see `service.TemplateInvalid`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tokbridge.category_templates.inventory import InventoryRule
from tokbridge.category_templates.pricing import PriceRule
from tokbridge.category_templates.rules import RuleSet

MAX_SALES_ATTRIBUTES = 3
PRODUCT_FIELDS = ("vendor", "product_type", "title", "tags")
TITLE_PLACEHOLDERS = ("{title}", "{vendor}", "{product_type}")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CategoryChoice(Strict):
    """The TikTok leaf category, as chosen when the template was saved."""

    id: str = Field(pattern=r"^[0-9]{1,30}$")
    name_path: list[str] = Field(default_factory=list)  # root first: ["Womenswear", "Tops", "T-shirts"]
    version: Literal["v1", "v2"] = "v1"  # US shops use the v2 tree

    @property
    def label(self) -> str:
        return " > ".join(self.name_path) or self.id


class AttributeMapping(Strict):
    """One TikTok product attribute and where its value comes from."""

    attribute_id: str = Field(min_length=1)
    attribute_name: str = ""
    source: Literal["fixed", "product_field", "option", "metafield"]
    # fixed: TikTok value ids, or names (custom values, or matched to the category's values by name)
    value_ids: list[str] = Field(default_factory=list)
    value_names: list[str] = Field(default_factory=list)
    product_field: Literal["vendor", "product_type", "title", "tags"] | None = None
    option_name: str | None = None
    metafield: str | None = Field(default=None, pattern=r"^[^.\s]+\.[^.\s]+$")  # namespace.key
    # store text -> TikTok value name, e.g. {"100% cotton": "Cotton"}
    value_map: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _source_needs_its_field(self) -> AttributeMapping:
        label = self.attribute_name or self.attribute_id
        if self.source == "fixed" and not (self.value_ids or [v for v in self.value_names if v]):
            raise ValueError(f"Attribute {label}: choose a fixed value")
        if self.source == "product_field" and self.product_field is None:
            raise ValueError(f"Attribute {label}: choose the product field ({', '.join(PRODUCT_FIELDS)})")
        if self.source == "option" and not self.option_name:
            raise ValueError(f"Attribute {label}: name the product option to read (e.g. Material)")
        if self.source == "metafield" and not self.metafield:
            raise ValueError(f"Attribute {label}: give the metafield as namespace.key")
        return self


class VariantMapping(Strict):
    """A store option (Size) sent as a TikTok sales attribute, with value renames ("X-Large" -> "XL")."""

    option_name: str = Field(min_length=1)
    attribute_id: str | None = None  # a sales attribute of the category; None: custom, named below
    attribute_name: str = ""
    value_map: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _named(self) -> VariantMapping:
        if not self.attribute_id and not self.attribute_name:
            raise ValueError(f"Option {self.option_name}: choose a TikTok sales attribute or give it a name")
        for source, target in self.value_map.items():
            if not source or not target:
                raise ValueError(f"Option {self.option_name}: value renames need both sides")
        return self


class PackageWeight(Strict):
    value: Decimal = Field(gt=0, le=Decimal("10000"))
    unit: Literal["KILOGRAM", "POUND", "GRAM"] = "KILOGRAM"


class PackageDimensions(Strict):
    length: int = Field(gt=0, le=10000)
    width: int = Field(gt=0, le=10000)
    height: int = Field(gt=0, le=10000)
    unit: Literal["CENTIMETER", "INCH"] = "CENTIMETER"


class CertificationDefault(Strict):
    id: str = Field(min_length=1)
    image_uris: list[str] = Field(default_factory=list)  # uploaded to TikTok already


class ListingDefaults(Strict):
    """Content the store does not have, or overrides of what it has."""

    # e.g. "{vendor} {title}"; placeholders: {title}, {vendor}, {product_type}
    title_template: str | None = Field(default=None, max_length=400)
    description_fallback: str = Field(default="", max_length=10_000)
    brand_id: str | None = Field(default=None, pattern=r"^[0-9]{1,30}$")
    use_variant_weight: bool = True
    package_weight: PackageWeight | None = None
    package_dimensions: PackageDimensions | None = None
    certifications: list[CertificationDefault] = Field(default_factory=list)
    # Options without a mapping become custom sales attributes named after the option.
    map_unmapped_options: bool = True

    @field_validator("title_template")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value if value and value.strip() else None


class TemplateSpec(Strict):
    name: str = Field(min_length=1, max_length=200)
    priority: int = Field(default=100, ge=0, le=1_000_000)
    selection: RuleSet = Field(default_factory=RuleSet)
    category: CategoryChoice
    attributes: list[AttributeMapping] = Field(default_factory=list)
    variants: list[VariantMapping] = Field(default_factory=list)
    price: PriceRule = Field(default_factory=PriceRule)
    inventory: InventoryRule = Field(default_factory=InventoryRule)
    listing: ListingDefaults = Field(default_factory=ListingDefaults)
    auto_assign: bool = True
    is_active: bool = True

    @field_validator("variants")
    @classmethod
    def _few_distinct_options(cls, variants: list[VariantMapping]) -> list[VariantMapping]:
        if len(variants) > MAX_SALES_ATTRIBUTES:
            raise ValueError(
                f"TikTok allows at most {MAX_SALES_ATTRIBUTES} sales attributes; {len(variants)} options are mapped"
            )
        options = [v.option_name.casefold() for v in variants]
        if len(set(options)) != len(options):
            raise ValueError("Each store option can be mapped to one sales attribute only")
        return variants

    @field_validator("attributes")
    @classmethod
    def _distinct_attributes(cls, attributes: list[AttributeMapping]) -> list[AttributeMapping]:
        ids = [a.attribute_id for a in attributes]
        if len(set(ids)) != len(ids):
            raise ValueError("Each TikTok attribute can be mapped once")
        return attributes
