"""Catalog product + template -> the TikTok product body (`ProductInput`). Pure: inputs in, pydantic out.

    body = map_product(bundle, spec, Market("US"), image_uris=uploaded, category=info)
    hashes = content_hashes(body)

`image_uris` maps a store image URL to the URI TikTok gave it on upload. Before images are uploaded
(validation ahead of an upload) pass None: the store URLs stand in, so counts and order can be checked.
`category` (attributes and rules from TikTok) lets value names become TikTok's value ids; without it,
names are sent as given.

`content_hashes` fingerprints the body (whole, product information, prices, stock) so continuous sync
can send nothing when the mapped data did not change, and only the parts that did.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from tokbridge.category_templates.bundle import ProductBundle, VariantView
from tokbridge.category_templates.categories import CategoryInfo
from tokbridge.category_templates.inventory import warehouse_quantities
from tokbridge.category_templates.limits import MAX_MAIN_IMAGES, PRICE_RANGE, Market
from tokbridge.category_templates.pricing import CENT, apply_price_rule
from tokbridge.category_templates.spec import AttributeMapping, TemplateSpec, VariantMapping
from tokbridge.channels.tiktok.models import (
    AttributeValueRef,
    Certification,
    ExternalListPrice,
    ImageRef,
    PackageDimensions,
    PackageWeight,
    Price,
    ProductAttribute,
    ProductInput,
    SalesAttribute,
    SkuInput,
    WarehouseStock,
)

KILOGRAMS_PER_TIKTOK_UNIT = {"KILOGRAM": Decimal(1), "GRAM": Decimal("0.001"), "POUND": Decimal("0.45359237")}
GRAMS_PER_KILOGRAM = Decimal(1000)


def map_product(
    bundle: ProductBundle,
    spec: TemplateSpec,
    market: Market,
    *,
    image_uris: Mapping[str, str] | None = None,
    category: CategoryInfo | None = None,
) -> ProductInput:
    return ProductInput(
        title=map_title(bundle, spec),
        description=map_description(bundle, spec),
        category_id=spec.category.id,
        category_version=spec.category.version,
        brand_id=spec.listing.brand_id,
        main_images=map_images(bundle, image_uris),
        product_attributes=map_attributes(bundle, spec.attributes, category) or None,
        skus=[map_sku(bundle, variant, spec, market, category) for variant in bundle.variants],
        package_weight=map_weight(bundle, spec, market),
        package_dimensions=map_dimensions(spec),
        certifications=[
            Certification(id=c.id, images=[ImageRef(uri=uri) for uri in c.image_uris] or None)
            for c in spec.listing.certifications
        ]
        or None,
        external_product_id=bundle.external_id,
    )


# --- content -------------------------------------------------------------------------------------


def map_title(bundle: ProductBundle, spec: TemplateSpec) -> str:
    template = spec.listing.title_template
    if not template:
        return bundle.title.strip()
    # Plain replacement, not str.format: a merchant's text must not reach Python's format machinery.
    title = template
    for placeholder, value in (
        ("{title}", bundle.title),
        ("{vendor}", bundle.vendor),
        ("{product_type}", bundle.product_type),
    ):
        title = title.replace(placeholder, (value or "").strip())
    return re.sub(r"\s+", " ", title).strip()


_DROPPED_BLOCKS = re.compile(r"<(script|style|iframe)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)


def map_description(bundle: ProductBundle, spec: TemplateSpec) -> str:
    """The store's HTML without images (TikTok only shows images it hosts) or active content."""
    html = _DROPPED_BLOCKS.sub("", bundle.description_html or "")
    html = _IMG_TAG.sub("", html).strip()
    if not re.sub(r"<[^>]+>|&nbsp;|\s", "", html):
        return spec.listing.description_fallback.strip()
    return html


def map_images(bundle: ProductBundle, image_uris: Mapping[str, str] | None) -> list[ImageRef]:
    """The first nine store images, in store order; with URIs, only the ones uploaded."""
    urls = [image.url for image in sorted(bundle.images, key=lambda i: i.position)]
    if image_uris is not None:
        urls = [image_uris[url] for url in urls if url in image_uris]
    return [ImageRef(uri=uri) for uri in urls[:MAX_MAIN_IMAGES]]


# --- attributes ----------------------------------------------------------------------------------


def map_attributes(
    bundle: ProductBundle, mappings: Iterable[AttributeMapping], category: CategoryInfo | None
) -> list[ProductAttribute]:
    out = []
    for mapping in mappings:
        known = category.attribute(mapping.attribute_id) if category else None
        values = _attribute_values(bundle, mapping, known)
        if known is not None and not known.is_multiple_selection:
            values = values[:1]
        if values:
            out.append(ProductAttribute(id=mapping.attribute_id, values=values))
    return out


def _attribute_values(bundle: ProductBundle, mapping: AttributeMapping, known) -> list[AttributeValueRef]:
    refs = [AttributeValueRef(id=value_id) for value_id in mapping.value_ids]
    texts = _source_texts(bundle, mapping)
    for text in texts:
        renamed = _lookup(mapping.value_map, text)
        if mapping.source == "product_field" and mapping.product_field == "tags":
            # Tags are many and mostly unrelated: only those renamed or naming a known value count.
            if renamed is None and _known_value(known, text) is None:
                continue
        name = renamed if renamed is not None else text
        known_value = _known_value(known, name)
        refs.append(AttributeValueRef(id=known_value.id) if known_value else AttributeValueRef(name=name))
    unique: dict[tuple, AttributeValueRef] = {}
    for ref in refs:
        unique.setdefault((ref.id, (ref.name or "").casefold()), ref)
    return list(unique.values())


def _source_texts(bundle: ProductBundle, mapping: AttributeMapping) -> list[str]:
    match mapping.source:
        case "fixed":
            texts = list(mapping.value_names)
        case "product_field" if mapping.product_field == "tags":
            texts = list(bundle.tags)
        case "product_field":
            texts = [getattr(bundle, mapping.product_field or "") or ""]
        case "option":
            texts = _option_values(bundle, mapping.option_name or "")
        case _:
            texts = [bundle.metafields.get(mapping.metafield or "", "")]
    return [text.strip() for text in texts if text and text.strip()]


def _option_values(bundle: ProductBundle, option_name: str) -> list[str]:
    wanted = option_name.casefold()
    values: list[str] = []
    for variant in bundle.variants:
        for name, value in variant.option_values.items():
            if name.casefold() == wanted and value not in values:
                values.append(value)
    return values


def _lookup(value_map: Mapping[str, str], text: str) -> str | None:
    folded = text.casefold()
    return next((target for source, target in value_map.items() if source.casefold() == folded), None)


def _known_value(attribute, name: str):
    if attribute is None:
        return None
    folded = name.casefold()
    return next((value for value in attribute.values if value.name.casefold() == folded), None)


# --- SKUs ----------------------------------------------------------------------------------------


def map_sku(
    bundle: ProductBundle, variant: VariantView, spec: TemplateSpec, market: Market, category: CategoryInfo | None
) -> SkuInput:
    price = apply_price_rule(spec.price, variant.price, variant.compare_at_price, rate=market.price_rate)
    stock = warehouse_quantities(spec.inventory, variant.levels, tracked=variant.inventory_tracked)
    return SkuInput(
        seller_sku=(variant.sku or "").strip() or None,
        external_sku_id=variant.external_id,
        price=Price(amount=f"{price:.2f}", currency=market.currency),
        external_list_prices=_compare_at(variant.compare_at_price, price, market),
        inventory=[WarehouseStock(warehouse_id=warehouse, quantity=quantity) for warehouse, quantity in stock.items()],
        sales_attributes=map_sales_attributes(bundle, variant, spec, category) or None,
    )


def _compare_at(compare_at: Decimal | None, price: Decimal, market: Market) -> list[ExternalListPrice] | None:
    """The store's compare-at price as TikTok's strikethrough price, when it is one TikTok takes."""
    if compare_at is not None:
        compare_at = (compare_at * market.price_rate).quantize(CENT)
    if compare_at is None or compare_at <= price or compare_at > PRICE_RANGE[1]:
        return None
    return [ExternalListPrice(amount=f"{compare_at:.2f}", currency=market.currency)]


def map_sales_attributes(
    bundle: ProductBundle, variant: VariantView, spec: TemplateSpec, category: CategoryInfo | None
) -> list[SalesAttribute]:
    mappings = {m.option_name.casefold(): m for m in spec.variants}
    out = []
    for option_name in _option_names(bundle):
        mapping = mappings.get(option_name.casefold())
        if mapping is None and not spec.listing.map_unmapped_options:
            continue
        value = _variant_value(variant, option_name)
        if value is None:
            continue
        out.append(_sales_attribute(option_name, value, mapping, category))
    return out


def _option_names(bundle: ProductBundle) -> list[str]:
    names = [o.name for o in sorted(bundle.options, key=lambda o: o.position)]
    for variant in bundle.variants:
        names += [name for name in variant.option_values if name not in names]
    return names


def _variant_value(variant: VariantView, option_name: str) -> str | None:
    folded = option_name.casefold()
    value = next((v for name, v in variant.option_values.items() if name.casefold() == folded), None)
    return value.strip() if value and value.strip() else None


def _sales_attribute(
    option_name: str, value: str, mapping: VariantMapping | None, category: CategoryInfo | None
) -> SalesAttribute:
    if mapping is not None:
        value = _lookup(mapping.value_map, value) or value
    if mapping is None or not mapping.attribute_id:
        name = mapping.attribute_name if mapping and mapping.attribute_name else option_name
        return SalesAttribute(name=name, value_name=value)
    known = category.attribute(mapping.attribute_id) if category else None
    known_value = _known_value(known, value)
    if known_value is not None:
        return SalesAttribute(id=mapping.attribute_id, value_id=known_value.id)
    return SalesAttribute(id=mapping.attribute_id, value_name=value)


# --- package -------------------------------------------------------------------------------------


def map_weight(bundle: ProductBundle, spec: TemplateSpec, market: Market) -> PackageWeight:
    """The heaviest variant's weight, or the template's default; "0" when neither is known."""
    unit = _weight_unit(spec, market)
    kilograms = _heaviest_kilograms(bundle.variants) if spec.listing.use_variant_weight else None
    default = spec.listing.package_weight
    if kilograms is None and default is not None:
        kilograms = default.value * KILOGRAMS_PER_TIKTOK_UNIT[default.unit]
    if kilograms is None:
        return PackageWeight(value="0", unit=unit)
    value = (kilograms / KILOGRAMS_PER_TIKTOK_UNIT[unit]).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
    return PackageWeight(value=f"{value:.2f}", unit=unit)


def _weight_unit(spec: TemplateSpec, market: Market) -> str:
    # TikTok wants metric with metric: pounds with inches, kilograms with centimetres.
    dimensions = spec.listing.package_dimensions
    if dimensions is not None:
        return "POUND" if dimensions.unit == "INCH" else "KILOGRAM"
    default = spec.listing.package_weight
    if default is not None and default.unit in market.weight_units:
        return default.unit
    return market.default_weight_unit


def _heaviest_kilograms(variants: Iterable[VariantView]) -> Decimal | None:
    weights = [
        variant.weight_grams / GRAMS_PER_KILOGRAM
        for variant in variants
        if variant.weight_grams is not None and variant.weight_grams > 0
    ]
    return max(weights) if weights else None


def map_dimensions(spec: TemplateSpec) -> PackageDimensions | None:
    d = spec.listing.package_dimensions
    if d is None:
        return None
    return PackageDimensions(length=str(d.length), width=str(d.width), height=str(d.height), unit=d.unit)


# --- fingerprints --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContentHashes:
    """SHA-256 of the mapped body (`full`) and of its parts that have their own TikTok endpoints."""

    full: str
    information: str  # everything except prices and stock: sent with (partial) edit
    price: str
    inventory: str


def content_hashes(body: ProductInput) -> ContentHashes:
    data = body.to_body()
    data.pop("idempotency_key", None)
    data.pop("save_mode", None)
    skus = data.get("skus", [])
    prices = [
        [s.get("external_sku_id"), s.get("price"), s.get("external_list_prices"), s.get("list_price")] for s in skus
    ]
    stock = [[s.get("external_sku_id"), s.get("inventory")] for s in skus]
    information = {
        **data,
        "skus": [
            {k: v for k, v in s.items() if k not in ("price", "inventory", "external_list_prices", "list_price")}
            for s in skus
        ],
    }
    return ContentHashes(_digest(data), _digest(information), _digest(prices), _digest(stock))


def _digest(value) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
