"""The use-cases the web layer and the upload job call."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tokbridge.category_templates import service
from tokbridge.category_templates.limits import Market
from tokbridge.channels.tiktok.models import Category
from tokbridge.db.engine import session_scope
from tokbridge.tenancy.models import Merchant
from tokbridge.tenancy.scoping import bind_merchant

from .catalog_factory import P, V, add_products
from .conftest import add_shop
from .test_mapper import TSHIRTS

LOCATION = "gid://shopify/Location/1"


def tees(**overrides) -> dict:
    data = {
        "name": "Tees",
        "priority": 10,
        "selection": {"match": "all", "rules": [{"field": "product_type", "operator": "equals", "value": "t-shirts"}]},
        "category": {"id": "9601302", "version": "v2", "name_path": ["Womenswear", "Tops", "T-shirts"]},
        "attributes": [{"attribute_id": "100347", "source": "fixed", "value_ids": ["1004001"]}],
        "variants": [{"option_name": "Size", "attribute_id": "100007", "value_map": {"X-Large": "XL"}}],
        "price": {"adjustment": "percentage", "direction": "up", "amount": "10", "rounding": "end_99"},
        "inventory": {"warehouse_map": {LOCATION: "W1"}, "reserve_percent": 50},
        "listing": {"package_weight": {"value": "0.3", "unit": "KILOGRAM"}},
    }
    data.update(overrides)
    return data


def catalog(engine, merchant_id):
    return add_products(
        engine,
        merchant_id,
        [
            P(
                title="Crew Tee",
                product_type="T-Shirts",
                options=[("Size", ["X-Large", "M"])],
                variants=[
                    V(price="20", sku="T-XL", options={"Size": "X-Large"}, levels={LOCATION: 9}),
                    V(price="20", sku="T-M", options={"Size": "M"}, levels={LOCATION: 4}),
                ],
            ),
            P(title="Mug", product_type="Mugs", variants=[V(price="8", sku="MUG")]),
            P(
                title="V-neck",
                product_type="t-shirts",
                variants=[V(price="15", sku=None, levels={LOCATION: 1})],
                images=[],
            ),
        ],
    )


def test_bad_templates_are_refused_with_field_paths():
    with pytest.raises(service.TemplateInvalid) as caught:
        service.parse_spec(
            tees(
                price={"adjustment": "fixed", "amount": "-3"},
                selection={"match": "all", "rules": [{"field": "price", "operator": "greater_than", "value": "lots"}]},
                variants=[{"option_name": n, "attribute_name": n} for n in ("A", "B", "C", "D")],
            )
        )
    errors = {e.field: e.message for e in caught.value.errors}
    assert "price.amount" in errors
    assert errors["selection.rules.0"].startswith("Price must be compared with an amount")
    assert "at most 3 sales attributes" in errors["variants"]


def test_create_checks_name_and_category_then_links_products(engine, merchant_id, shop):
    tee, mug, vneck = catalog(engine, merchant_id)
    with session_scope(engine) as session:
        with pytest.raises(service.TemplateInvalid) as caught:
            service.create_template(session, shop, tees(attributes=[]), category=TSHIRTS)
        assert [e.field for e in caught.value.errors] == ["attributes"]
        assert "needs the attribute Material" in caught.value.errors[0].message
        created = service.create_template(session, shop, tees(), category=TSHIRTS)
        with pytest.raises(service.TemplateInvalid, match="already exists"):
            service.create_template(session, shop, tees(name="tees"))
        assert service.products_to_upload(session, shop) == [tee, vneck]
        (summary,) = service.list_templates(session, shop)
        assert (summary.id, summary.linked_products, summary.category_label) == (
            created.id,
            2,
            "Womenswear > Tops > T-shirts",
        )
        assert summary.selection == 'Product type equals "t-shirts"'


def test_updates_and_deletes_re_link_products(engine, merchant_id, shop):
    tee, mug, vneck = catalog(engine, merchant_id)
    with session_scope(engine) as session:
        tees_id = service.create_template(session, shop, tees()).id
        everything = service.create_template(session, shop, tees(name="Everything", priority=50, selection={}))
        assert service.products_to_upload(session, shop, template_id=everything.id) == [mug]
        narrower = {"match": "all", "rules": [{"field": "title", "operator": "contains", "value": "crew"}]}
        service.update_template(session, shop, tees_id, tees(selection=narrower))
        assert service.products_to_upload(session, shop, template_id=tees_id) == [tee]
        assert service.products_to_upload(session, shop, template_id=everything.id) == [mug, vneck]
        service.delete_template(session, shop, tees_id)
        assert service.products_to_upload(session, shop) == [tee, mug, vneck]
        with pytest.raises(service.TemplateNotFound):
            service.update_template(session, shop, tees_id, tees())


def test_live_count_for_a_draft_rule_set(engine, merchant_id, shop):
    catalog(engine, merchant_id)
    with session_scope(engine) as session:
        assert (
            service.count_matches(
                session,
                shop,
                {
                    "match": "any",
                    "rules": [
                        {"field": "sku", "operator": "is_empty"},
                        {"field": "price", "operator": "less_than", "value": "10"},
                    ],
                },
            )
            == 2
        )
        with pytest.raises(service.TemplateInvalid):
            service.count_matches(session, shop, {"match": "most", "rules": []})


def test_preview_shows_tiktok_price_stock_and_problems(engine, merchant_id, shop):
    tee, _, vneck = catalog(engine, merchant_id)
    with session_scope(engine) as session:
        rows = service.preview(session, shop, tees(), Market("US"), category=TSHIRTS, warehouse_ids={"W1"})
    assert [r.product_id for r in rows] == [tee, vneck]
    crew, v = rows
    assert [(x.seller_sku, x.store_price, x.tiktok_price, x.store_stock, x.tiktok_stock) for x in crew.variants] == [
        ("T-XL", Decimal("20"), Decimal("22.99"), 9, {"W1": 4}),
        ("T-M", Decimal("20"), Decimal("22.99"), 4, {"W1": 2}),
    ]
    assert crew.problems == []
    assert {p.code for p in v.problems} == {"images_missing", "sku_code_missing"}


def test_prepare_products_maps_validates_and_hashes_linked_products_only(engine, merchant_id, shop):
    tee, mug, vneck = catalog(engine, merchant_id)
    with session_scope(engine) as session:
        template = service.create_template(session, shop, tees())
        prepared = service.prepare_products(
            session, shop, [mug, vneck, tee], Market("US"), categories={"9601302": TSHIRTS}, warehouse_ids={"W1"}
        )
        assert [p.product_id for p in prepared] == [vneck, tee]
        second, first = prepared
        assert first.ready and not second.ready and first.template_id == template.id
        # X-Large renamed to XL and matched to TikTok's value; M is not in the category's list, so sent by name.
        assert [(s.sales_attributes[0].value_id, s.sales_attributes[0].value_name) for s in first.body.skus] == [
            ("1002005", None),
            (None, "M"),
        ]
        again = service.prepare_products(session, shop, [tee], Market("US"), categories={"9601302": TSHIRTS})
        assert again[0].hashes == first.hashes


def test_template_category_problem(engine, merchant_id, shop):
    with session_scope(engine) as session:
        tid = service.create_template(session, shop, tees()).id
        tree = [
            Category(
                id="9601302", parent_id="0", local_name="T-shirts", is_leaf=True, permission_statuses=["AVAILABLE"]
            )
        ]
        assert service.template_category_problem(session, shop, tid, tree) is None
        problem = service.template_category_problem(session, shop, tid, tree[:0])
        assert problem.code == "category_retired" and "Womenswear > Tops > T-shirts" in problem.message


def test_another_merchants_template_is_not_found(engine, merchant_id, shop):
    with session_scope(engine) as session:
        tid = service.create_template(session, shop, tees()).id
        other = Merchant(name="Other")
        session.add(other)
        session.flush()
        other_id = other.id
    other_shop = add_shop(engine, other_id, "US")
    with session_scope(engine) as session:
        bind_merchant(session, other_id)
        with pytest.raises(service.TemplateNotFound):
            service.get_template_spec(session, other_shop, tid)
        with pytest.raises(service.TemplateNotFound):
            service.link_products(session, other_shop, [1], tid)
        assert service.list_templates(session, other_shop) == []
