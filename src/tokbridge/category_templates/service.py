"""Use-cases of category templates, for the web layer and the upload job. No HTTP here.

Saving a template validates it (shape, unique name, and — given the category's attributes — that
every required attribute is mapped), stores it, and re-links products, since rules and priorities
decide which template each product belongs to. The upload job calls `prepare_products` to get, per
product, the TikTok body, its content hashes and the problems that keep it at home.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from tokbridge.audit import service as audit
from tokbridge.category_templates import assignment
from tokbridge.category_templates import repository as repo
from tokbridge.category_templates.bundle import ProductBundle
from tokbridge.category_templates.categories import CategoryInfo, category_problem, shop_category_version
from tokbridge.category_templates.limits import Market
from tokbridge.category_templates.mapper import ContentHashes, content_hashes, map_product
from tokbridge.category_templates.models import CategoryTemplate
from tokbridge.category_templates.pricing import apply_price_rule
from tokbridge.category_templates.problems import Problem, blocking
from tokbridge.category_templates.rules import RuleSet
from tokbridge.category_templates.spec import CategoryChoice, TemplateSpec
from tokbridge.category_templates.validation import check_template, validate_product
from tokbridge.channels.shops import ShopContext
from tokbridge.channels.tiktok.models import Category, ProductInput
from tokbridge.kit.words import plural


@dataclass(frozen=True)
class FieldError:
    field: str  # dotted path in the submitted data: "price.amount", "selection.rules.0.value"
    message: str


class TemplateInvalid(ValueError):
    """The submitted template cannot be saved; `errors` says where and why."""

    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in errors))
        self.errors = errors


class TemplateNotFound(LookupError):
    pass


# --- saving --------------------------------------------------------------------------------------


def parse_spec(data: Mapping[str, Any]) -> TemplateSpec:
    try:
        return TemplateSpec.model_validate(data)
    except ValidationError as exc:
        raise TemplateInvalid([_field_error(error) for error in exc.errors()]) from None


def parse_rule_set(data: Mapping[str, Any]) -> RuleSet:
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        raise TemplateInvalid([_field_error(error) for error in exc.errors()]) from None


def _field_error(error: Mapping[str, Any]) -> FieldError:
    message = str(error.get("msg", "is invalid"))
    message = message.removeprefix("Value error, ")
    return FieldError(".".join(str(part) for part in error.get("loc", ())), message)


def create_template(
    session: Session, shop: ShopContext, data: Mapping[str, Any], *, category: CategoryInfo | None = None
) -> CategoryTemplate:
    spec = _checked(session, shop, data, category, template_id=None)
    template = CategoryTemplate(merchant_id=shop.merchant_id, connection_id=shop.shop_id)
    template.apply(spec)
    repo.add_template(session, template)
    assignment.reassign_all(session, shop)
    return template


def update_template(
    session: Session,
    shop: ShopContext,
    template_id: int,
    data: Mapping[str, Any],
    *,
    category: CategoryInfo | None = None,
) -> CategoryTemplate:
    template = _get(session, shop, template_id)
    spec = _checked(session, shop, data, category, template_id=template_id)
    before = template.spec()
    template.apply(spec)
    session.flush()
    if _claims_changed(before, spec):
        assignment.reassign_all(session, shop)
    return template


def delete_template(session: Session, shop: ShopContext, template_id: int) -> None:
    """Its manual links go with it; its products may fall to the next matching template."""
    repo.delete_template(session, _get(session, shop, template_id))
    assignment.reassign_all(session, shop)


def _checked(
    session: Session, shop: ShopContext, data, category: CategoryInfo | None, *, template_id: int | None
) -> TemplateSpec:
    spec = parse_spec(data)
    errors: list[FieldError] = []
    if repo.template_name_taken(session, shop, spec.name, except_id=template_id):
        errors.append(FieldError("name", f'A template named "{spec.name}" already exists'))
    if category is not None:
        if category.id != spec.category.id:
            raise ValueError("category info given for another category")
        errors += [FieldError(p.field, f"{p.message} {p.fix}") for p in check_template(spec, category)]
    if errors:
        raise TemplateInvalid(errors)
    return spec


def _claims_changed(before: TemplateSpec, after: TemplateSpec) -> bool:
    keys = ("selection", "priority", "auto_assign", "is_active")
    return any(getattr(before, key) != getattr(after, key) for key in keys)


def _get(session: Session, shop: ShopContext, template_id: int) -> CategoryTemplate:
    template = repo.get_template(session, shop, template_id)
    if template is None:  # another shop's template is not found either
        raise TemplateNotFound(f"template {template_id} not found")
    return template


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateSummary:
    id: int
    name: str
    priority: int
    category_label: str
    selection: str
    linked_products: int
    auto_assign: bool
    is_active: bool


def list_templates(session: Session, shop: ShopContext) -> list[TemplateSummary]:
    from tokbridge.category_templates.rules import describe

    counts = repo.count_assigned(session, shop)
    out = []
    for template in repo.list_templates(session, shop):
        spec = template.spec()
        out.append(
            TemplateSummary(
                template.id,
                template.name,
                template.priority,
                spec.category.label,
                describe(spec.selection),
                counts.get(template.id, 0),
                template.auto_assign,
                template.is_active,
            )
        )
    return out


def get_template_name(session: Session, shop: ShopContext, template_id: int) -> str:
    return _get(session, shop, template_id).name


def get_template_spec(session: Session, shop: ShopContext, template_id: int) -> TemplateSpec:
    return _get(session, shop, template_id).spec()


def count_matches(session: Session, shop: ShopContext, selection: Mapping[str, Any] | RuleSet) -> int:
    """The live count for a draft rule set (raises TemplateInvalid for a bad one)."""
    rule_set = selection if isinstance(selection, RuleSet) else parse_rule_set(selection)
    return repo.count_matching(session, shop.merchant_id, rule_set)


def template_category_problem(
    session: Session, shop: ShopContext, template_id: int, categories: Sequence[Category]
) -> Problem | None:
    """Whether the template's TikTok category still exists as a usable leaf (from Get Categories)."""
    return category_problem(_get(session, shop, template_id).spec().category, categories)


# --- preview -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VariantPreview:
    seller_sku: str | None
    store_price: Decimal
    tiktok_price: Decimal
    store_stock: int
    tiktok_stock: dict[str, int]


@dataclass(frozen=True)
class ProductPreview:
    product_id: int
    title: str
    tiktok_title: str
    variants: list[VariantPreview]
    problems: list[Problem] = field(default_factory=list)


def preview(
    session: Session,
    shop: ShopContext,
    data: Mapping[str, Any] | TemplateSpec,
    market: Market,
    *,
    limit: int = 10,
    category: CategoryInfo | None = None,
    warehouse_ids: Collection[str] | None = None,
) -> list[ProductPreview]:
    """The first `limit` products a draft template selects, with their TikTok price, stock and problems."""
    spec = data if isinstance(data, TemplateSpec) else parse_spec(data)
    ids = repo.matching_product_ids(session, shop.merchant_id, spec.selection, limit=limit)
    return [
        _preview(bundle, spec, market, category, warehouse_ids)
        for bundle in repo.load_bundles(session, shop.merchant_id, ids)
    ]


def _preview(bundle: ProductBundle, spec: TemplateSpec, market: Market, category, warehouse_ids) -> ProductPreview:
    body = map_product(bundle, spec, market, category=category)
    variants = [
        VariantPreview(
            seller_sku=variant.sku,
            store_price=variant.price,
            tiktok_price=apply_price_rule(spec.price, variant.price, variant.compare_at_price),
            store_stock=variant.available,
            tiktok_stock={s.warehouse_id or "": s.quantity for s in sku.inventory},
        )
        for variant, sku in zip(bundle.variants, body.skus, strict=True)
    ]
    problems = validate_product(body, market, category=category, warehouse_ids=warehouse_ids)
    return ProductPreview(bundle.id, bundle.title, body.title, variants, problems)


# --- assignment ----------------------------------------------------------------------------------


def assign(session: Session, shop: ShopContext) -> int:
    """Link new products to their templates (call after imports); returns how many were linked."""
    return assignment.assign_matching(session, shop)


def link_matching_now(session: Session, shop: ShopContext, template_id: int) -> int:
    _get(session, shop, template_id)
    return assignment.assign_template_now(session, shop, template_id)


def link_products(session: Session, shop: ShopContext, product_ids: Sequence[int], template_id: int) -> int:
    """A bulk template assignment; the trail keeps each product's link before it, for undo."""
    template = _get(session, shop, template_id)
    before = repo.assignment_map(session, shop, product_ids)
    linked = assignment.assign_manually(session, shop, product_ids, template_id)
    after = repo.assignment_map(session, shop, product_ids)
    changed = sorted(pid for pid in after if before.get(pid) != after[pid])
    if changed:
        audit.record(
            session,
            None,
            "bulk.assign",
            ("template", template_id),
            {"links": {str(pid): list(before[pid]) if pid in before else None for pid in changed}},
            {"links": {str(pid): list(after[pid]) for pid in changed}},
            summary=f"{plural(len(changed), 'product')} linked to the template “{template.name[:150]}”",
            connection_id=shop.shop_id,
        )
    return linked


def unlink_products(session: Session, shop: ShopContext, product_ids: Sequence[int]) -> int:
    return assignment.unassign(session, shop, product_ids)


def products_to_upload(session: Session, shop: ShopContext, *, template_id: int | None = None) -> list[int]:
    """Ids of the products linked to an active template: only these are uploaded."""
    return repo.assigned_product_ids(session, shop, template_id=template_id)


# --- preparing products for TikTok ---------------------------------------------------------------


@dataclass(frozen=True)
class PreparedProduct:
    product_id: int
    template_id: int
    category_id: str
    body: ProductInput
    hashes: ContentHashes
    problems: list[Problem]

    @property
    def ready(self) -> bool:
        """No blocking problem: the product may be sent."""
        return not blocking(self.problems)


def prepare_products(
    session: Session,
    shop: ShopContext,
    product_ids: Sequence[int],
    market: Market,
    *,
    categories: Mapping[str, CategoryInfo] | None = None,
    image_uris: Mapping[str, str] | None = None,
    warehouse_ids: Collection[str] | None = None,
) -> list[PreparedProduct]:
    """Map and validate linked products (unlinked ones, or ones of inactive templates, are skipped).

    `categories`: category id -> info from TikTok (`fetch_category_info`), one per template category.
    `image_uris`: store image URL -> TikTok URI once uploaded; None before the upload (validation only).
    """
    links = repo.assignment_map(session, shop, product_ids)
    templates = {t.id: t.spec() for t in repo.list_templates(session, shop, active_only=True)}
    wanted = [pid for pid in product_ids if pid in links and links[pid][0] in templates]
    prepared = []
    for bundle in repo.load_bundles(session, shop.merchant_id, wanted):
        template_id = links[bundle.id][0]
        spec = templates[template_id]
        category = (categories or {}).get(spec.category.id)
        body = map_product(bundle, spec, market, image_uris=image_uris, category=category)
        problems = validate_product(body, market, category=category, warehouse_ids=warehouse_ids)
        prepared.append(PreparedProduct(bundle.id, template_id, spec.category.id, body, content_hashes(body), problems))
    return prepared


# --- shops: copying a template to another shop, adopting templates made before any shop --------------


class CopyRefused(ValueError):
    """The template cannot be copied as asked; `message` says why in plain words. `needs_category`: the
    other shop lists in another category tree, so the copy needs a category of that tree."""

    def __init__(self, message: str, *, needs_category: bool = False, name_taken: bool = False):
        super().__init__(message)
        self.message = message
        self.needs_category = needs_category
        self.name_taken = name_taken


@dataclass(frozen=True)
class CopyResult:
    template: CategoryTemplate
    notes: list[str]  # what was left behind or changed, in plain words


def same_category_tree(source: ShopContext, target: ShopContext) -> bool:
    """Shops of one region list in the same tree; every region has its own (and US is v2, the rest v1)."""
    return (source.shop.region or "US").upper() == (target.shop.region or "US").upper()


def copy_to_shop(
    session: Session,
    template_id: int,
    source: ShopContext,
    target: ShopContext,
    category: CategoryChoice | Mapping[str, Any] | None = None,
    *,
    category_info: CategoryInfo | None = None,
    name: str | None = None,
) -> CopyResult:
    """Copy a template of `source` with all its rules into `target` (another shop of the merchant).

    Same name unless `name` is given; a name the target shop already uses is refused. When the shops list
    in different category trees the category and its attribute mappings cannot be carried over: without
    `category` (one of the target's tree) the copy is refused; with it, the attribute mappings are checked
    against `category_info` (the category's attributes from TikTok) and those it lacks are dropped. Warehouses
    belong to a shop: the copy has none until the merchant chooses the target's. Raises TemplateNotFound
    (not a template of `source`) and CopyRefused."""
    original = _get(session, source, template_id)
    if target.merchant_id != source.merchant_id:
        raise TemplateNotFound(f"shop {target.shop_id} is not the merchant's")
    if target.shop_id == source.shop_id:
        raise CopyRefused("The template is already in this shop; choose another shop to copy it to.")
    spec = original.spec()
    data = spec.model_dump(mode="json")
    notes: list[str] = []
    data["name"] = (name or "").strip() or spec.name
    if repo.template_name_taken(session, target, data["name"]):
        raise CopyRefused(
            f"{target.label} already has a template named “{data['name']}”. Give the copy another "
            f"name, or rename or delete that template first.",
            name_taken=True,
        )

    expected = shop_category_version(target)
    region = (target.shop.region or "US").upper()
    chosen = _category_choice(category) if category is not None else None
    if chosen is None and not same_category_tree(source, target):
        raise CopyRefused(
            f"{target.label} lists products in TikTok's {region} category tree ({expected}), not in the one of "
            f"{source.label}, so the category {spec.category.label} cannot be carried over. Choose the category "
            f"of the {region} tree the copy should use.",
            needs_category=True,
        )
    if chosen is not None:
        if chosen.version != expected:
            raise CopyRefused(
                f"{region} shops list in TikTok's {expected} category tree; choose the category from that tree.",
                needs_category=True,
            )
        if chosen.id != spec.category.id or not same_category_tree(source, target):
            notes += _recategorized(data, spec, chosen, category_info)
        data["category"] = chosen.model_dump(mode="json")

    inventory = data["inventory"]
    if inventory.get("default_warehouse_id") or inventory.get("warehouse_map"):
        inventory["default_warehouse_id"] = None
        inventory["warehouse_map"] = {}
        notes.append(
            f"Warehouses belong to a shop, so the copy has none yet: choose the warehouses of "
            f"{target.label} on the copy before uploading."
        )
    if not same_category_tree(source, target) and data["listing"].get("brand_id"):
        data["listing"]["brand_id"] = None
        notes.append(f"The brand was left out: brands are chosen per region; choose it again for {target.label}.")

    copied = parse_spec(data)
    template = CategoryTemplate(merchant_id=target.merchant_id, connection_id=target.shop_id)
    template.apply(copied)
    repo.add_template(session, template)
    assignment.reassign_all(session, target)
    return CopyResult(template, notes)


def _category_choice(category: CategoryChoice | Mapping[str, Any]) -> CategoryChoice:
    if isinstance(category, CategoryChoice):
        return category
    try:
        return CategoryChoice.model_validate(dict(category))
    except ValidationError:
        raise CopyRefused("That is not a TikTok category: choose one from the list.", needs_category=True) from None


def _recategorized(data: dict, spec: TemplateSpec, chosen: CategoryChoice, info: CategoryInfo | None) -> list[str]:
    """Keep the attribute and variant mappings the new category knows; say which ones were dropped."""
    notes: list[str] = []
    known = {a.id: a for a in info.product_attributes} if info is not None else {}
    sales = {a.id for a in info.sales_attributes} if info is not None else set()
    kept, dropped = [], []
    for mapping in spec.attributes:
        attribute = known.get(mapping.attribute_id)
        if attribute is None:
            dropped.append(mapping.attribute_name or mapping.attribute_id)
            continue
        values = {value.id for value in attribute.values}
        if mapping.value_ids and not set(mapping.value_ids) <= values:
            dropped.append(mapping.attribute_name or attribute.name)
            continue
        kept.append(mapping.model_dump(mode="json"))
    data["attributes"] = kept
    if dropped and info is None:
        notes.append(
            f"Left out {plural(len(dropped), 'attribute mapping')} that could not be checked against "
            f"{chosen.label}: {', '.join(dropped)}. Map them again on the copy."
        )
    elif dropped:
        notes.append(
            f"Left out {plural(len(dropped), 'attribute mapping')} the new category does not have: "
            f"{', '.join(dropped)}."
        )
    custom = []
    for variant in data["variants"]:
        if variant.get("attribute_id") and variant["attribute_id"] not in sales:
            variant["attribute_id"] = None
            variant["attribute_name"] = variant.get("attribute_name") or variant["option_name"]
            custom.append(variant["option_name"])
    if custom:
        notes.append(
            f"Options {', '.join(custom)} are sent as custom sales attributes: the new category has no "
            f"sales attribute they were mapped to."
        )
    if data["listing"].get("certifications"):
        data["listing"]["certifications"] = []
        notes.append("Certifications were left out: they belong to the category; add the new category's ones.")
    if info is not None:
        mapped = {m["attribute_id"] for m in kept}
        missing = [a.name for a in info.product_attributes if a.is_required and a.id not in mapped]
        if missing:
            notes.append(f"Map the required attributes of {chosen.label} on the copy: {', '.join(missing)}.")
    return notes


def adopt_unattached(session: Session, shop: ShopContext) -> int:
    """The merchant's first shop takes the templates and links made before any shop was connected
    (`connection_id IS NULL`), then links the new products they select; returns how many templates."""
    adopted = repo.adopt_unattached(session, shop)
    if adopted:
        assignment.assign_matching(session, shop)
    return adopted
