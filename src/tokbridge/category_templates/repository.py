"""Every query of the category-template domain, always for one merchant (templates and links: one shop).

Reads and writes of templates go through the ORM (scoped by `tokbridge.tenancy.scoping` when the
session is bound). Counting, assigning and loading products are Core statements over whole tables —
one statement per template, however large the catalog — and filter by `merchant_id` themselves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, delete, exists, func, insert, literal, not_, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tokbridge.catalog.models import CatalogImage, CatalogInventoryLevel, CatalogOption, CatalogProduct, CatalogVariant
from tokbridge.category_templates.bundle import ImageView, OptionView, ProductBundle, VariantView
from tokbridge.category_templates.models import (
    ASSIGNED_AUTO,
    ASSIGNED_MANUAL,
    CategoryTemplate,
    ProductTemplateAssignment,
)
from tokbridge.category_templates.pricing import money
from tokbridge.category_templates.rules import RuleSet, eligible_clause, rule_set_clause
from tokbridge.channels.shops import ShopContext
from tokbridge.db.base import UTCDateTime, utcnow
from tokbridge.db.engine import rows_changed

products = CatalogProduct.__table__
variants = CatalogVariant.__table__
options = CatalogOption.__table__
images = CatalogImage.__table__
levels = CatalogInventoryLevel.__table__
assignments = ProductTemplateAssignment.__table__
CHUNK = 5000  # ids per IN (...) list: well below SQLite's and PostgreSQL's bind-parameter limits


# --- templates -----------------------------------------------------------------------------------
# Templates and product links belong to one TikTok shop (`ShopContext`): every query below names the
# merchant and the shop's connection id, so one shop's templates never show or apply in another.


def _of_shop(shop: ShopContext) -> ColumnElement[bool]:
    return and_(CategoryTemplate.merchant_id == shop.merchant_id, CategoryTemplate.connection_id == shop.shop_id)


def _links_of(shop: ShopContext) -> ColumnElement[bool]:
    return and_(assignments.c.merchant_id == shop.merchant_id, assignments.c.connection_id == shop.shop_id)


def list_templates(session: Session, shop: ShopContext, *, active_only: bool = False) -> list[CategoryTemplate]:
    """The shop's templates in the order they claim products: priority, then age."""
    query = select(CategoryTemplate).where(_of_shop(shop))
    if active_only:
        query = query.where(CategoryTemplate.is_active.is_(True))
    return list(session.scalars(query.order_by(CategoryTemplate.priority, CategoryTemplate.id)))


def has_any_template(session: Session, merchant_id: int) -> bool:
    """Whether the merchant made a template in any shop (the dashboard's checklist)."""
    return (
        session.scalars(select(CategoryTemplate.id).where(CategoryTemplate.merchant_id == merchant_id).limit(1)).first()
        is not None
    )


def get_template(session: Session, shop: ShopContext, template_id: int) -> CategoryTemplate | None:
    return session.scalars(
        select(CategoryTemplate).where(_of_shop(shop), CategoryTemplate.id == template_id)
    ).one_or_none()


def template_name_taken(session: Session, shop: ShopContext, name: str, *, except_id: int | None = None) -> bool:
    query = select(CategoryTemplate.id).where(_of_shop(shop), func.lower(CategoryTemplate.name) == name.lower())
    if except_id is not None:
        query = query.where(CategoryTemplate.id != except_id)
    return session.scalars(query.limit(1)).first() is not None


def add_template(session: Session, template: CategoryTemplate) -> CategoryTemplate:
    session.add(template)
    session.flush()
    return template


def delete_template(session: Session, template: CategoryTemplate) -> None:
    session.execute(
        delete(assignments).where(
            assignments.c.merchant_id == template.merchant_id, assignments.c.template_id == template.id
        )
    )
    session.delete(template)
    session.flush()


def adopt_unattached(session: Session, shop: ShopContext) -> int:
    """Templates and links kept without a shop (made before any shop was connected) join `shop`;
    returns how many templates. A name the shop already uses gets " (2)", " (3)"... so none is lost."""
    loose = list(
        session.scalars(
            select(CategoryTemplate)
            .where(CategoryTemplate.merchant_id == shop.merchant_id, CategoryTemplate.connection_id.is_(None))
            .order_by(CategoryTemplate.id)
        )
    )
    for template in loose:
        template.name = free_name(session, shop, template.name)
        template.connection_id = shop.shop_id
        session.flush()
    taken = select(assignments.c.product_id).where(_links_of(shop)).scalar_subquery()
    session.execute(
        update(assignments)
        .where(
            assignments.c.merchant_id == shop.merchant_id,
            assignments.c.connection_id.is_(None),
            assignments.c.product_id.not_in(taken),
        )
        .values(connection_id=shop.shop_id)
    )
    # A product the shop had already linked keeps that link; its loose one would break the one-per-shop rule.
    session.execute(
        delete(assignments).where(assignments.c.merchant_id == shop.merchant_id, assignments.c.connection_id.is_(None))
    )
    return len(loose)


def free_name(session: Session, shop: ShopContext, name: str) -> str:
    """`name`, or the first of "name (2)", "name (3)"... the shop does not use yet."""
    candidate, number = name, 1
    while template_name_taken(session, shop, candidate):
        number += 1
        suffix = f" ({number})"
        candidate = name[: 200 - len(suffix)] + suffix
    return candidate


# --- matching ------------------------------------------------------------------------------------
# Products are the merchant's (one catalog, shared by all shops); only links and templates are per shop.


def _matching(merchant_id: int, rule_set: RuleSet) -> ColumnElement[bool]:
    return and_(products.c.merchant_id == merchant_id, eligible_clause(), rule_set_clause(rule_set, merchant_id))


def count_matching(session: Session, merchant_id: int, rule_set: RuleSet) -> int:
    """How many of the merchant's sellable products a rule set selects: one COUNT query."""
    return session.execute(
        select(func.count()).select_from(products).where(_matching(merchant_id, rule_set))
    ).scalar_one()


def matching_product_ids(
    session: Session, merchant_id: int, rule_set: RuleSet, *, limit: int | None = None
) -> list[int]:
    query = select(products.c.id).where(_matching(merchant_id, rule_set)).order_by(products.c.id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query).scalars())


def eligible_product_ids(session: Session, merchant_id: int) -> list[int]:
    query = select(products.c.id).where(products.c.merchant_id == merchant_id, eligible_clause())
    return list(session.execute(query.order_by(products.c.id)).scalars())


# --- assignments (one link per product in each shop) ---------------------------------------------


def _unassigned(shop: ShopContext) -> ColumnElement[bool]:
    return not_(
        exists(
            select(literal(1))
            .select_from(assignments)
            .where(assignments.c.product_id == products.c.id, assignments.c.connection_id == shop.shop_id)
        )
    )


def insert_assignments(
    session: Session,
    shop: ShopContext,
    template_id: int,
    rule_set: RuleSet,
    earlier: Sequence[RuleSet],
    now: datetime,
    assigned_by: str = ASSIGNED_AUTO,
) -> int:
    """Link every product the shop has not linked that matches `rule_set` and none of the `earlier` ones."""
    merchant_id = shop.merchant_id
    claimed_earlier = [not_(rule_set_clause(rules, merchant_id)) for rules in earlier]
    chosen = select(
        literal(merchant_id),
        literal(shop.shop_id),
        products.c.id,
        literal(template_id),
        literal(assigned_by),
        literal(now, UTCDateTime()),
        literal(now, UTCDateTime()),
    ).where(_matching(merchant_id, rule_set), _unassigned(shop), *claimed_earlier)
    columns = ["merchant_id", "connection_id", "product_id", "template_id", "assigned_by", "created_at", "updated_at"]
    # ON CONFLICT DO NOTHING: an import's pass and a template save may link the same product at once;
    # the first link stands and neither transaction fails.
    dialect_insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(assignments).from_select(columns, chosen).on_conflict_do_nothing()
    # preserve_rowcount: without it SQLAlchemy may report -1 for INSERT .. SELECT on psycopg.
    result = session.execute(statement, execution_options={"preserve_rowcount": True})
    return rows_changed(result)


def delete_auto_assignments(session: Session, shop: ShopContext) -> int:
    result = session.execute(delete(assignments).where(_links_of(shop), assignments.c.assigned_by == ASSIGNED_AUTO))
    return rows_changed(result)


def set_manual_assignments(session: Session, shop: ShopContext, product_ids: Sequence[int], template_id: int) -> int:
    """Link these products (of this merchant) to a template of the shop by hand; replaces the shop's
    earlier link of each (links in the merchant's other shops stay)."""
    merchant_id = shop.merchant_id
    own: list[int] = []
    wanted = list(dict.fromkeys(product_ids))
    for start in range(0, len(wanted), CHUNK):
        query = select(products.c.id).where(
            products.c.merchant_id == merchant_id, products.c.id.in_(wanted[start : start + CHUNK])
        )
        own.extend(session.execute(query).scalars())
    if not own:
        return 0
    delete_assignments(session, shop, own)
    now = utcnow()
    rows = [
        {
            "merchant_id": merchant_id,
            "connection_id": shop.shop_id,
            "product_id": pid,
            "template_id": template_id,
            "assigned_by": ASSIGNED_MANUAL,
            "created_at": now,
            "updated_at": now,
        }
        for pid in own
    ]
    session.execute(insert(assignments), rows)
    return len(own)


def delete_assignments(session: Session, shop: ShopContext, product_ids: Iterable[int]) -> int:
    ids = list(product_ids)
    removed = 0
    for start in range(0, len(ids), CHUNK):
        result = session.execute(
            delete(assignments).where(_links_of(shop), assignments.c.product_id.in_(ids[start : start + CHUNK]))
        )
        removed += rows_changed(result)
    return removed


def assignment_map(
    session: Session, shop: ShopContext, product_ids: Iterable[int] | None = None
) -> dict[int, tuple[int, str]]:
    """product id -> (template id, assigned_by), in this shop."""
    query = select(assignments.c.product_id, assignments.c.template_id, assignments.c.assigned_by).where(
        _links_of(shop)
    )
    if product_ids is not None:
        query = query.where(assignments.c.product_id.in_(list(product_ids)))
    return {pid: (tid, by) for pid, tid, by in session.execute(query)}


def assigned_product_ids(session: Session, shop: ShopContext, *, template_id: int | None = None) -> list[int]:
    """Products linked to an active template of the shop (the ones its upload takes), in id order."""
    templates = CategoryTemplate.__table__
    query = (
        select(assignments.c.product_id)
        .join(templates, templates.c.id == assignments.c.template_id)
        .where(_links_of(shop), templates.c.is_active.is_(True))
    )
    if template_id is not None:
        query = query.where(assignments.c.template_id == template_id)
    return list(session.execute(query.order_by(assignments.c.product_id)).scalars())


def count_assigned(session: Session, shop: ShopContext) -> dict[int, int]:
    """template id -> number of linked products, for the shop's templates."""
    query = select(assignments.c.template_id, func.count()).where(_links_of(shop)).group_by(assignments.c.template_id)
    return dict(session.execute(query).all())


# --- loading products for the mapper and the rules -----------------------------------------------


def load_bundles(session: Session, merchant_id: int, product_ids: Sequence[int]) -> list[ProductBundle]:
    """Products with options, variants (with stock per location) and images, in the order asked."""
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return []
    product_rows = (
        session.execute(select(products).where(products.c.merchant_id == merchant_id, products.c.id.in_(ids)))
        .mappings()
        .all()
    )
    options_by = _group(
        session, select(options).where(options.c.merchant_id == merchant_id, options.c.product_id.in_(ids))
    )
    images_by = _group(session, select(images).where(images.c.merchant_id == merchant_id, images.c.product_id.in_(ids)))
    variants_by = _group(
        session, select(variants).where(variants.c.merchant_id == merchant_id, variants.c.product_id.in_(ids))
    )
    variant_ids = [v["id"] for rows in variants_by.values() for v in rows]
    stock = _levels(session, merchant_id, variant_ids)
    by_id = {row["id"]: _bundle(row, options_by, images_by, variants_by, stock) for row in product_rows}
    return [by_id[pid] for pid in ids if pid in by_id]


def _group(session: Session, query) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for row in session.execute(query).mappings():
        grouped[row["product_id"]].append(row)
    return grouped


def _levels(session: Session, merchant_id: int, variant_ids: list[int]) -> dict[int, dict[str, int]]:
    stock: dict[int, dict[str, int]] = defaultdict(dict)
    for start in range(0, len(variant_ids), CHUNK):
        chunk = variant_ids[start : start + CHUNK]
        query = select(levels.c.variant_id, levels.c.location_external_id, levels.c.available).where(
            levels.c.merchant_id == merchant_id, levels.c.variant_id.in_(chunk)
        )
        for variant_id, location, available in session.execute(query):
            stock[variant_id][location] = available
    return stock


def _bundle(row, options_by, images_by, variants_by, stock) -> ProductBundle:
    pid = row["id"]
    return ProductBundle(
        id=pid,
        external_id=row["external_id"],
        title=row["title"],
        description_html=row["description_html"] or "",
        vendor=row["vendor"],
        product_type=row["product_type"],
        tags=tuple(row["tags"] or ()),
        status=row["status"],
        options=tuple(
            OptionView(o["name"], o["position"], tuple(o["values"] or ()))
            for o in sorted(options_by.get(pid, []), key=lambda o: o["position"])
        ),
        variants=tuple(
            VariantView(
                id=v["id"],
                external_id=v["external_id"],
                title=v["title"],
                position=v["position"],
                sku=v["sku"],
                barcode=v["barcode"],
                price=money(v["price"]) or Decimal(0),
                compare_at_price=money(v["compare_at_price"]),
                option_values=dict(v["option_values"] or {}),
                weight_grams=money(v["weight_grams"]),
                inventory_tracked=bool(v["inventory_tracked"]),
                levels=dict(stock.get(v["id"], {})),
            )
            for v in sorted(variants_by.get(pid, []), key=lambda v: (v["position"], v["id"]))
        ),
        images=tuple(
            ImageView(i["external_id"], i["url"], i["position"], i["alt_text"])
            for i in sorted(images_by.get(pid, []), key=lambda i: (i["position"], i["id"]))
        ),
    )


def refresh_catalog_statistics(session: Session) -> None:
    """ANALYZE the catalog tables; call once after a large import.

    Right after a bulk load PostgreSQL has no row counts for the new rows and may plan the rule
    subqueries as one pass per product (minutes on 100,000 products instead of a fraction of a
    second). Cheap: ANALYZE samples, it does not read whole tables.
    """
    tables = ("product", "product_variant", "inventory_level", "product_template_assignment")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"ANALYZE {', '.join(tables)}"))
    else:
        for table in tables:
            session.execute(text(f"ANALYZE {table}"))
