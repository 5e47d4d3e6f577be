"""Editing a template in the browser keeps every setting the form does not change, and the wizard
refuses a step with no name or no category where they are entered."""

from __future__ import annotations

from tests.pipeline.helpers import sales_warehouse
from tests.pipeline.template_form import edit_in_browser, form_fields
from tests.pipeline.test_api import api  # noqa: F401  (fixture)


def test_a_browser_edit_changes_only_the_field_it_touched(api):  # noqa: F811
    world, client = api
    world.import_catalog()
    warehouse = sales_warehouse(world)
    body = {
        "name": "Tees from the API",
        "priority": 5,
        "selection": {"match": "all", "rules": [{"field": "product_type", "operator": "equals", "value": "T-Shirts"}]},
        "category": {"id": "9601302", "version": "v2"},
        "attributes": [{"attribute_id": "100347", "source": "fixed", "value_names": ["Cotton"]}],
        "variants": [{"option_name": "Size", "attribute_id": "100007", "value_map": {"X-Large": "XL"}}],
        "price": {"base": "compare_at_price", "adjustment": "percentage", "amount": "10", "rounding": "end_99"},
        "inventory": {"default_warehouse_id": warehouse, "out_of_stock_threshold": 3, "untracked_quantity": 7},
        "listing": {
            "title_template": "{vendor} {title}",
            "description_fallback": "Soft cotton.",
            "package_weight": {"value": "1", "unit": "KILOGRAM"},
            "package_dimensions": {"length": 30, "width": 20, "height": 5, "unit": "CENTIMETER"},
        },
    }
    created = client.post("/api/v1/templates", json=body)
    assert created.status_code == 201, created.text
    template_id = created.json()["id"]
    before = client.get(f"/api/v1/templates/{template_id}").json()

    saved = edit_in_browser(client, template_id, price_amount="12")
    assert saved.url.path == "/templates", saved.text
    after = client.get(f"/api/v1/templates/{template_id}").json()
    assert after["price"].pop("amount") == "12" and before["price"].pop("amount") == "10"
    assert after == before

    # The settings the API has are on the form too, and a second edit changes them.
    saved = edit_in_browser(
        client,
        template_id,
        priority="7",
        price_base="price",
        out_of_stock_threshold="2",
        untracked_quantity="4",
        title_template="{title}",
        weight_unit="POUND",
    )
    assert saved.url.path == "/templates", saved.text
    again = client.get(f"/api/v1/templates/{template_id}").json()
    assert again["priority"] == 7 and again["price"]["base"] == "price"
    assert (again["inventory"]["out_of_stock_threshold"], again["inventory"]["untracked_quantity"]) == (2, 4)
    assert again["listing"]["title_template"] == "{title}"
    assert again["listing"]["package_weight"] == {"value": "1", "unit": "POUND"}
    assert (
        again["variants"] == before["variants"]
        and again["listing"]["package_dimensions"] == before["listing"]["package_dimensions"]
    )


def test_the_wizard_asks_for_a_name_and_a_category_on_the_first_step(api):  # noqa: F811
    world, client = api
    world.import_catalog()
    blank_name = client.get(
        "/templates/new", params={"name": "   ", "category_browse": "9601302", "price_amount": "15", "step": "next"}
    )
    assert blank_name.status_code == 422
    assert "Give the template a name" in blank_name.text and 'value="save"' not in blank_name.text
    _, _, fields = form_fields(blank_name.text)
    assert ("price_amount", "15") in fields and ("category_id", "9601302") in fields

    no_category = client.get("/templates/new", params={"name": "Tees", "price_amount": "15", "step": "next"})
    assert no_category.status_code == 422
    assert "Choose a TikTok category" in no_category.text and 'value="save"' not in no_category.text
    _, _, fields = form_fields(no_category.text)
    assert ("name", "Tees") in fields and ("price_amount", "15") in fields

    # Counting or searching on the first step is not a refusal.
    searching = client.get("/templates/new", params={"name": "", "category_q": "shirt", "step": "search"})
    assert searching.status_code == 200 and "Give the template a name" not in searching.text


def test_a_template_sending_stock_by_location_keeps_no_default_warehouse(api):  # noqa: F811
    world, client = api
    world.import_catalog()
    body = {
        "name": "Tees by location",
        "category": {"id": "9601302", "version": "v2"},
        "selection": {"match": "all", "rules": [{"field": "product_type", "operator": "equals", "value": "T-Shirts"}]},
        "attributes": [{"attribute_id": "100347", "source": "fixed", "value_names": ["Cotton"]}],
        "inventory": {"warehouse_map": {"gid://shopify/Location/1": sales_warehouse(world)}},
    }
    template_id = client.post("/api/v1/templates", json=body).json()["id"]
    before = client.get(f"/api/v1/templates/{template_id}").json()
    assert edit_in_browser(client, template_id, reserve_percent="10").url.path == "/templates"
    after = client.get(f"/api/v1/templates/{template_id}").json()
    assert after["inventory"].pop("reserve_percent") == 10 and before["inventory"].pop("reserve_percent") == 0
    assert after == before


def test_the_wizard_counts_one_product_in_the_singular(api):  # noqa: F811
    from collections import Counter

    from sqlalchemy import select

    from tokbridge.catalog.models import CatalogProduct
    from tokbridge.db.engine import session_scope

    world, client = api
    world.import_catalog()
    with session_scope(world.engine) as session:
        titles = Counter(session.scalars(select(CatalogProduct.title).where(CatalogProduct.status == "active")))
    title = next(title for title, n in titles.items() if n == 1)
    one = {"name": "Just one", "rule_field": "title", "rule_operator": "equals", "rule_value": title}
    assert "1 product matches" in client.get("/templates/new", params={**one, "step": "search"}).text
    step_two = client.get("/templates/new", params={**one, "category_browse": "9601302", "step": "next"})
    assert "1 product goes to" in step_two.text
