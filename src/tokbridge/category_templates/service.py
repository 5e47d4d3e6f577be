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

from tokbridge.category_templates import assignment
from tokbridge.category_templates import repository as repo
from tokbridge.category_templates.bundle import ProductBundle
from tokbridge.category_templates.categories import CategoryInfo, category_problem
from tokbridge.category_templates.limits import Market
from tokbridge.category_templates.mapper import ContentHashes, content_hashes, map_product
from tokbridge.category_templates.models import CategoryTemplate
from tokbridge.category_templates.pricing import apply_price_rule
from tokbridge.category_templates.problems import Problem, blocking
from tokbridge.category_templates.rules import RuleSet
from tokbridge.category_templates.spec import TemplateSpec
from tokbridge.category_templates.validation import check_template, validate_product
from tokbridge.channels.tiktok.models import Category, ProductInput


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
    session: Session, merchant_id: int, data: Mapping[str, Any], *, category: CategoryInfo | None = None
) -> CategoryTemplate:
    spec = _checked(session, merchant_id, data, category, template_id=None)
    template = CategoryTemplate(merchant_id=merchant_id)
    template.apply(spec)
    repo.add_template(session, template)
    assignment.reassign_all(session, merchant_id)
    return template


def update_template(
    session: Session,
    merchant_id: int,
    template_id: int,
    data: Mapping[str, Any],
    *,
    category: CategoryInfo | None = None,
) -> CategoryTemplate:
    template = _get(session, merchant_id, template_id)
    spec = _checked(session, merchant_id, data, category, template_id=template_id)
    before = template.spec()
    template.apply(spec)
    session.flush()
    if _claims_changed(before, spec):
        assignment.reassign_all(session, merchant_id)
    return template


def delete_template(session: Session, merchant_id: int, template_id: int) -> None:
    """Its manual links go with it; its products may fall to the next matching template."""
    repo.delete_template(session, _get(session, merchant_id, template_id))
    assignment.reassign_all(session, merchant_id)


def _checked(
    session: Session, merchant_id: int, data, category: CategoryInfo | None, *, template_id: int | None
) -> TemplateSpec:
    spec = parse_spec(data)
    errors: list[FieldError] = []
    if repo.template_name_taken(session, merchant_id, spec.name, except_id=template_id):
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


def _get(session: Session, merchant_id: int, template_id: int) -> CategoryTemplate:
    template = repo.get_template(session, merchant_id, template_id)
    if template is None:
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


def list_templates(session: Session, merchant_id: int) -> list[TemplateSummary]:
    from tokbridge.category_templates.rules import describe

    counts = repo.count_assigned(session, merchant_id)
    out = []
    for template in repo.list_templates(session, merchant_id):
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


def get_template_name(session: Session, merchant_id: int, template_id: int) -> str:
    return _get(session, merchant_id, template_id).name


def get_template_spec(session: Session, merchant_id: int, template_id: int) -> TemplateSpec:
    return _get(session, merchant_id, template_id).spec()


def count_matches(session: Session, merchant_id: int, selection: Mapping[str, Any] | RuleSet) -> int:
    """The live count for a draft rule set (raises TemplateInvalid for a bad one)."""
    rule_set = selection if isinstance(selection, RuleSet) else parse_rule_set(selection)
    return repo.count_matching(session, merchant_id, rule_set)


def template_category_problem(
    session: Session, merchant_id: int, template_id: int, categories: Sequence[Category]
) -> Problem | None:
    """Whether the template's TikTok category still exists as a usable leaf (from Get Categories)."""
    return category_problem(_get(session, merchant_id, template_id).spec().category, categories)


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
    merchant_id: int,
    data: Mapping[str, Any] | TemplateSpec,
    market: Market,
    *,
    limit: int = 10,
    category: CategoryInfo | None = None,
    warehouse_ids: Collection[str] | None = None,
) -> list[ProductPreview]:
    """The first `limit` products a draft template selects, with their TikTok price, stock and problems."""
    spec = data if isinstance(data, TemplateSpec) else parse_spec(data)
    ids = repo.matching_product_ids(session, merchant_id, spec.selection, limit=limit)
    return [
        _preview(bundle, spec, market, category, warehouse_ids)
        for bundle in repo.load_bundles(session, merchant_id, ids)
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


def assign(session: Session, merchant_id: int) -> int:
    """Link new products to their templates (call after imports); returns how many were linked."""
    return assignment.assign_matching(session, merchant_id)


def link_matching_now(session: Session, merchant_id: int, template_id: int) -> int:
    _get(session, merchant_id, template_id)
    return assignment.assign_template_now(session, merchant_id, template_id)


def link_products(session: Session, merchant_id: int, product_ids: Sequence[int], template_id: int) -> int:
    _get(session, merchant_id, template_id)
    return assignment.assign_manually(session, merchant_id, product_ids, template_id)


def unlink_products(session: Session, merchant_id: int, product_ids: Sequence[int]) -> int:
    return assignment.unassign(session, merchant_id, product_ids)


def products_to_upload(session: Session, merchant_id: int, *, template_id: int | None = None) -> list[int]:
    """Ids of the products linked to an active template: only these are uploaded."""
    return repo.assigned_product_ids(session, merchant_id, template_id=template_id)


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
    merchant_id: int,
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
    links = repo.assignment_map(session, merchant_id, product_ids)
    templates = {t.id: t.spec() for t in repo.list_templates(session, merchant_id, active_only=True)}
    wanted = [pid for pid in product_ids if pid in links and links[pid][0] in templates]
    prepared = []
    for bundle in repo.load_bundles(session, merchant_id, wanted):
        template_id = links[bundle.id][0]
        spec = templates[template_id]
        category = (categories or {}).get(spec.category.id)
        body = map_product(bundle, spec, market, image_uris=image_uris, category=category)
        problems = validate_product(body, market, category=category, warehouse_ids=warehouse_ids)
        prepared.append(PreparedProduct(bundle.id, template_id, spec.category.id, body, content_hashes(body), problems))
    return prepared
