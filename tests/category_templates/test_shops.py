"""Templates belong to one TikTok shop: a merchant with a US shop (TikTok's v2 tree) and a GB shop (v1).

One shop's templates neither show nor apply in the other, a product is linked in each shop on its own,
"Copy to another shop" asks for the other tree's category, and templates made before any shop join the
first one connected.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tokbridge.catalog import tasks as catalog_tasks
from tokbridge.category_templates import repository as repo
from tokbridge.category_templates import service
from tokbridge.category_templates.categories import CategoryInfo
from tokbridge.category_templates.models import CategoryTemplate, ProductTemplateAssignment
from tokbridge.category_templates.spec import CategoryChoice
from tokbridge.category_templates.tasks import link_new_products
from tokbridge.channels.tiktok.models import Attribute
from tokbridge.db.base import utcnow
from tokbridge.db.engine import session_scope
from tokbridge.jobs.kinds import TEMPLATES_LINK_NEW
from tokbridge.jobs.models import Job
from tokbridge.tenancy.models import Merchant
from tokbridge.tenancy.scoping import bind_merchant

from .catalog_factory import P, V, add_products
from .conftest import add_shop

LOCATION = "gid://shopify/Location/1"
GB_TEES = CategoryChoice(id="601302", version="v1", name_path=["Womenswear & Underwear", "Women's Tops", "T-shirts"])
GB_MUGS = CategoryChoice(id="600011", version="v1", name_path=["Home Supplies", "Kitchenware", "Mugs"])
MUGS_INFO = CategoryInfo(
    "600011",
    "v1",
    (
        Attribute(id="100000", name="Color", type="SALES_PROPERTY"),
        Attribute(id="101610", name="Room", type="PRODUCT_PROPERTY"),
    ),
)


def tees(**overrides) -> dict:
    data = {
        "name": "Tees",
        "priority": 10,
        "selection": {"match": "all", "rules": [{"field": "product_type", "operator": "equals", "value": "t-shirts"}]},
        "category": {"id": "9601302", "version": "v2", "name_path": ["Womenswear", "Tops", "T-shirts"]},
        "attributes": [
            {"attribute_id": "100347", "attribute_name": "Material", "source": "fixed", "value_ids": ["1004001"]}
        ],
        "variants": [{"option_name": "Size", "attribute_id": "100007", "value_map": {"X-Large": "XL"}}],
        "price": {"adjustment": "percentage", "direction": "up", "amount": "10", "rounding": "end_99"},
        "inventory": {"warehouse_map": {LOCATION: "W1"}, "default_warehouse_id": "W1", "reserve_percent": 50},
        "listing": {"package_weight": {"value": "0.3", "unit": "KILOGRAM"}},
    }
    data.update(overrides)
    return data


@pytest.fixture
def shops(engine, merchant_id):
    """The merchant's US and GB shops, and its catalog: two tees and a mug."""
    us, gb = add_shop(engine, merchant_id, "US"), add_shop(engine, merchant_id, "GB")
    products = add_products(
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
            P(title="V-neck", product_type="t-shirts", variants=[V(price="15", sku="V-1", levels={LOCATION: 1})]),
            P(title="Mug", product_type="Mugs", variants=[V(price="8", sku="MUG")]),
        ],
    )
    return us, gb, products


def test_one_shops_templates_neither_show_nor_apply_in_the_other(engine, merchant_id, shops):
    us, gb, (tee, vneck, mug) = shops
    with session_scope(engine) as session:
        bind_merchant(session, merchant_id)
        us_tees = service.create_template(session, us, tees()).id
        assert service.products_to_upload(session, us) == [tee, vneck]
        assert [t.name for t in service.list_templates(session, us)] == ["Tees"]

        assert service.list_templates(session, gb) == []
        assert service.products_to_upload(session, gb) == []
        assert repo.assignment_map(session, gb) == {}
        with pytest.raises(service.TemplateNotFound):
            service.get_template_spec(session, gb, us_tees)
        with pytest.raises(service.TemplateNotFound):
            service.link_products(session, gb, [mug], us_tees)
        with pytest.raises(service.TemplateNotFound):
            service.delete_template(session, gb, us_tees)
        # Names are unique per shop: the GB shop may have its own "Tees".
        gb_tees = service.create_template(session, gb, tees(category=GB_TEES.model_dump())).id
        assert service.products_to_upload(session, gb) == [tee, vneck]
        with pytest.raises(service.TemplateInvalid):
            service.create_template(session, gb, tees(name="TEES", category=GB_TEES.model_dump()))

        # Deleting the US template leaves the GB one and its links alone.
        service.delete_template(session, us, us_tees)
        assert service.products_to_upload(session, us) == []
        assert service.products_to_upload(session, gb, template_id=gb_tees) == [tee, vneck]


def test_a_product_is_linked_to_a_different_template_in_each_shop(engine, merchant_id, shops):
    us, gb, (tee, vneck, mug) = shops
    with session_scope(engine) as session:
        bind_merchant(session, merchant_id)
        us_tees = service.create_template(session, us, tees()).id
        gb_everything = service.create_template(
            session, gb, tees(name="Everything", selection={}, category=GB_TEES.model_dump(), priority=50)
        ).id
        gb_picked = service.create_template(
            session,
            gb,
            tees(name="Picked", selection={}, auto_assign=False, category=GB_TEES.model_dump(), priority=90),
        ).id
        assert repo.assignment_map(session, us) == {tee: (us_tees, "auto"), vneck: (us_tees, "auto")}
        assert repo.assignment_map(session, gb) == {
            tee: (gb_everything, "auto"),
            vneck: (gb_everything, "auto"),
            mug: (gb_everything, "auto"),
        }

        # A manual link in GB replaces that shop's link only; the second time changes nothing more.
        for _ in range(2):
            assert service.link_products(session, gb, [tee], gb_picked) == 1
            assert repo.assignment_map(session, gb)[tee] == (gb_picked, "manual")
            assert repo.assignment_map(session, us)[tee] == (us_tees, "auto")
        # Unlinking in the US leaves the GB link; an edit of a US template re-links only US products.
        assert service.unlink_products(session, us, [tee]) == 1
        assert tee not in repo.assignment_map(session, us)
        assert repo.assignment_map(session, gb)[tee] == (gb_picked, "manual")
        service.update_template(session, us, us_tees, tees(priority=5))
        assert repo.assignment_map(session, us)[tee] == (us_tees, "auto")
        assert repo.assignment_map(session, gb)[tee] == (gb_picked, "manual")
        rows = session.scalars(select(ProductTemplateAssignment).where(ProductTemplateAssignment.product_id == tee))
        assert sorted(row.connection_id for row in rows) == sorted([us.shop_id, gb.shop_id])


def test_new_products_are_linked_in_every_shop_by_its_own_templates(engine, merchant_id, shops):
    us, gb, (tee, vneck, mug) = shops
    with session_scope(engine) as session:
        bind_merchant(session, merchant_id)
        us_tees = service.create_template(session, us, tees()).id
        gb_mugs = service.create_template(
            session,
            gb,
            tees(
                name="Mugs",
                category=GB_MUGS.model_dump(),
                attributes=[],
                variants=[],
                selection={"match": "all", "rules": [{"field": "product_type", "operator": "equals", "value": "mugs"}]},
            ),
        ).id
    new_tee, new_mug = add_products(
        engine, merchant_id, [P(title="New tee", product_type="T-Shirts"), P(title="New mug", product_type="Mugs")]
    )

    catalog_tasks.link_new_products(engine, merchant_id)  # what an import or a new product queues
    with session_scope(engine) as session:
        queued = session.scalars(select(Job).where(Job.kind == TEMPLATES_LINK_NEW).order_by(Job.id)).all()
        assert sorted(job.payload["connection_id"] for job in queued) == sorted([us.shop_id, gb.shop_id])

    assert link_new_products(engine, merchant_id, us.shop_id) == 1
    assert link_new_products(engine, merchant_id, gb.shop_id) == 1
    assert link_new_products(engine, merchant_id, gb.shop_id) == 0  # the second pass links nothing twice
    with session_scope(engine) as session:
        bind_merchant(session, merchant_id)
        assert repo.assignment_map(session, us, [new_tee, new_mug]) == {new_tee: (us_tees, "auto")}
        assert repo.assignment_map(session, gb, [new_tee, new_mug]) == {new_mug: (gb_mugs, "auto")}


def test_copy_to_a_shop_of_another_tree_needs_its_category(engine, merchant_id, shops):
    us, gb, (tee, vneck, mug) = shops
    with session_scope(engine) as session:
        bind_merchant(session, merchant_id)
        us_tees = service.create_template(session, us, tees(listing={"brand_id": "7082427311584347910"})).id

        with pytest.raises(service.CopyRefused) as refused:
            service.copy_to_shop(session, us_tees, us, gb)
        assert refused.value.needs_category and not refused.value.name_taken
        assert "GB category tree (v1)" in refused.value.message
        assert "Choose the category of the GB tree" in refused.value.message
        with pytest.raises(service.CopyRefused, match="GB shops list in TikTok's v1 category tree"):
            service.copy_to_shop(session, us_tees, us, gb, {"id": "9601302", "version": "v2"})
        with pytest.raises(service.CopyRefused, match="already in this shop"):
            service.copy_to_shop(session, us_tees, us, us)
        assert service.list_templates(session, gb) == []

        copied = service.copy_to_shop(session, us_tees, us, gb, GB_TEES)
        spec = copied.template.spec()
        assert copied.template.connection_id == gb.shop_id and spec.name == "Tees"
        assert spec.category == GB_TEES
        original = service.get_template_spec(session, us, us_tees)
        assert spec.selection == original.selection and spec.price == original.price
        assert spec.priority == original.priority
        assert spec.inventory.reserve_percent == 50
        assert spec.inventory.default_warehouse_id is None and spec.inventory.warehouse_map == {}
        assert spec.listing.brand_id is None
        assert any("Warehouses belong to a shop" in note for note in copied.notes)
        assert any("brand was left out" in note for note in copied.notes)
        # Without the category's attributes nothing could be checked: the mappings are left out and said so.
        assert spec.attributes == []
        assert (
            "Left out 1 attribute mapping that could not be checked against Womenswear & Underwear > "
            "Women's Tops > T-shirts: Material. Map them again on the copy."
        ) in copied.notes
        assert service.products_to_upload(session, gb) == [tee, vneck]  # the copy links the GB products

        # The second copy: the name is taken in GB, said plainly; under another name it goes through.
        with pytest.raises(service.CopyRefused) as taken:
            service.copy_to_shop(session, us_tees, us, gb, GB_TEES)
        assert taken.value.name_taken
        assert taken.value.message.startswith(f"{gb.label} already has a template named “Tees”")
        again = service.copy_to_shop(session, us_tees, us, gb, GB_MUGS, category_info=MUGS_INFO, name="Tees as mugs")
        assert again.template.name == "Tees as mugs"
        assert again.template.spec().attributes == []
        assert "Left out 1 attribute mapping the new category does not have: Material." in again.notes
        assert any("Options Size are sent as custom sales attributes" in note for note in again.notes)
        variant = again.template.spec().variants[0]
        assert variant.attribute_id is None and variant.attribute_name == "Size"
        assert [t.name for t in service.list_templates(session, gb)] == ["Tees", "Tees as mugs"]
        assert [t.name for t in service.list_templates(session, us)] == ["Tees"]


def test_copy_within_one_tree_keeps_the_category_and_checks_attributes_when_it_changes(engine, merchant_id, shops):
    us, gb, _products = shops
    other_us = add_shop(engine, merchant_id, "US")
    with session_scope(engine) as session:
        bind_merchant(session, merchant_id)
        us_tees = service.create_template(session, us, tees()).id
        copied = service.copy_to_shop(session, us_tees, us, other_us)
        spec = copied.template.spec()
        assert spec.category.id == "9601302" and [a.attribute_id for a in spec.attributes] == ["100347"]
        assert [v.attribute_id for v in spec.variants] == ["100007"]
        assert copied.notes == [next(n for n in copied.notes if "Warehouses" in n)]


def test_copy_to_another_merchants_shop_is_refused(engine, merchant_id, shops):
    us, _gb, _products = shops
    with session_scope(engine) as session:
        other = Merchant(name="Other")
        session.add(other)
        session.flush()
        other_id = other.id
    theirs = add_shop(engine, other_id, "GB")
    with session_scope(engine) as session:
        bind_merchant(session, merchant_id)
        us_tees = service.create_template(session, us, tees()).id
        with pytest.raises(service.TemplateNotFound):
            service.copy_to_shop(session, us_tees, us, theirs, GB_TEES)
    with session_scope(engine) as session:
        assert session.scalars(select(CategoryTemplate).where(CategoryTemplate.merchant_id == other_id)).all() == []


def test_templates_made_before_any_shop_join_the_first_one(engine, merchant_id):
    (tee,) = add_products(engine, merchant_id, [P(title="Tee", product_type="T-Shirts")])
    with session_scope(engine) as session:
        bind_merchant(session, merchant_id)
        loose = CategoryTemplate(merchant_id=merchant_id, connection_id=None)
        loose.apply(service.parse_spec(tees()))
        session.add(loose)
        session.flush()
        now = utcnow()
        session.add(
            ProductTemplateAssignment(
                merchant_id=merchant_id,
                connection_id=None,
                product_id=tee,
                template_id=loose.id,
                assigned_by="manual",
                created_at=now,
                updated_at=now,
            )
        )
        loose_id = loose.id
    shop = add_shop(engine, merchant_id, "US")
    with session_scope(engine) as session:
        bind_merchant(session, merchant_id)
        assert service.adopt_unattached(session, shop) == 1
        assert service.adopt_unattached(session, shop) == 0  # a second call finds nothing left
        assert [t.id for t in service.list_templates(session, shop)] == [loose_id]
        assert repo.assignment_map(session, shop) == {tee: (loose_id, "manual")}

    # A loose template whose name the shop already uses joins under "name (2)".
    with session_scope(engine) as session:
        bind_merchant(session, merchant_id)
        late = CategoryTemplate(merchant_id=merchant_id, connection_id=None)
        late.apply(service.parse_spec(tees()))
        session.add(late)
        session.flush()
        assert service.adopt_unattached(session, shop) == 1
        assert sorted(t.name for t in service.list_templates(session, shop)) == ["Tees", "Tees (2)"]
