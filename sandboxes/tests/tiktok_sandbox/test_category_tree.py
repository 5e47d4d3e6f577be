"""The category trees a merchant lists in: every top level, hundreds of leaves with their attributes and
rules, per tree (US v2, UK/EU v1), and somewhere sensible for each kind of product of the demo catalog."""

from __future__ import annotations

import pytest

from tokbridge_sandboxes.shopify.catalog import PRODUCT_TYPES
from tokbridge_sandboxes.tiktok import catalog_seed as seed
from tokbridge_sandboxes.tiktok.category_tree import PROFILES, expand

from .builders import sales_warehouse, tshirt

# Where each kind of product of the demo store (the Shopify sandbox's catalog) belongs, top level.
DEMO_TOP_LEVEL = {
    "T-Shirts": {"Womenswear & Underwear", "Menswear & Underwear"},
    "Hoodies": {"Womenswear & Underwear", "Menswear & Underwear"},
    "Sneakers": {"Shoes"},
    "Jewelry": {"Jewelry Accessories & Derivatives"},
    "Home Decor": {"Home Supplies"},
    "Skincare": {"Beauty & Personal Care"},
    "Phone Accessories": {"Phones & Electronics"},
    "Kitchen": {"Kitchenware"},
    "Pet Supplies": {"Pet Supplies"},
    "Stationery": {"Stationery & Office Supplies"},
}


@pytest.fixture
def us_and_uk(sandbox_factory):
    app, base_url, us = sandbox_factory(shop_regions=["US", "GB", "DE"])
    shops = list(app.state.sandbox.state.shops.values())
    uk = type(us)(base_url, "test_key", "test_secret", app.state.sandbox.state.bootstrap.access_token, shops[1].cipher)
    de = type(us)(base_url, "test_key", "test_secret", app.state.sandbox.state.bootstrap.access_token, shops[2].cipher)
    return us, uk, de


def _tree(client, version: str) -> list[dict]:
    return client.ok("GET", "/product/202309/categories", query={"category_version": version})["categories"]


def test_every_top_level_with_hundreds_of_leaves(us_and_uk):
    us, uk, _ = us_and_uk
    for client, version in ((us, "v2"), (uk, "v1")):
        tree = _tree(client, version)
        tops = [c for c in tree if c["parent_id"] == "0"]
        leaves = [c for c in tree if c["is_leaf"]]
        assert len(tops) >= 25 and len(leaves) >= 400
        by_id = {c["id"]: c for c in tree}
        assert all(c["parent_id"] == "0" or c["parent_id"] in by_id for c in tree)  # one connected tree
        assert not any(c["is_leaf"] for c in tops)
    us_names = {c["local_name"] for c in _tree(us, "v2") if c["parent_id"] == "0"}
    uk_names = {c["local_name"] for c in _tree(uk, "v1") if c["parent_id"] == "0"}
    assert "Jewelry Accessories & Derivatives" in us_names and "Jewellery Accessories & Derivatives" in uk_names
    assert {"Pet Supplies", "Shoes", "Toys & Hobbies", "Food & Beverages", "Automotive & Motorcycle"} <= us_names


def test_every_leaf_has_attributes_and_rules_of_its_kind():
    leaves = [c for c in seed.CATEGORIES.values() if c.is_leaf]
    assert all(c.attribute_ids and all(a in seed.ATTRIBUTES for a in c.attribute_ids) for c in leaves)
    generated = [row for row in expand() if row.is_leaf]
    # Every generated leaf can have variants, and every kind of product in the tables is used.
    assert all(
        any(seed.ATTRIBUTES[a].type == "SALES_PROPERTY" for a in seed.CATEGORIES[row.id].attribute_ids)
        for row in generated
    )
    assert {row.profile for row in generated} == set(PROFILES)
    toys = next(c for c in leaves if c.name == "Puzzles")
    assert [c.name for c in toys.certifications_in("v2")] == ["Children's Product Certificate (CPC)"]
    assert [c.name for c in toys.certifications_in("v1")] == ["EN 71 Toy Safety Test Report"]


@pytest.mark.parametrize("product_type", sorted(PRODUCT_TYPES))
def test_the_demo_catalog_has_somewhere_sensible_to_go(tiktok, product_type):
    _, _, client = tiktok
    nouns = PRODUCT_TYPES[product_type][0]
    for noun in nouns:
        found = client.ok(
            "POST",
            "/product/202309/categories/recommend",
            body={"product_title": f"Classic {noun}", "category_version": "v2"},
        )
        top = found["categories"][0]["name"]
        assert top in DEMO_TOP_LEVEL[product_type], (noun, [c["name"] for c in found["categories"]])
        assert found["categories"][-1]["is_leaf"]


def test_rules_differ_per_market(us_and_uk):
    us, uk, de = us_and_uk
    speakers = "824332"
    us_rules = us.ok("GET", f"/product/202309/categories/9{speakers}/rules", query={"category_version": "v2"})
    uk_rules = uk.ok("GET", f"/product/202309/categories/{speakers}/rules", query={"category_version": "v1"})
    assert "FCC Declaration of Conformity" in {c["name"] for c in us_rules["product_certifications"]}
    assert "CE / UKCA Declaration of Conformity" in {c["name"] for c in uk_rules["product_certifications"]}
    battery = next(c for c in us_rules["product_certifications"] if c["id"] == "602371")
    assert battery["is_required"] is False and battery["requirement_conditions"] == [
        {"condition_type": "VALUE_ID_MATCH", "attribute_id": seed.CONTAINS_CELLS, "attribute_value_id": seed.CELLS_YES}
    ]

    water = next(c for c in _tree(de, "v1") if c["local_name"] == "Sparkling Water")
    de_fees = de.ok("GET", f"/product/202309/categories/{water['id']}/rules", query={"category_version": "v1"})["fees"]
    uk_fees = uk.ok("GET", f"/product/202309/categories/{water['id']}/rules", query={"category_version": "v1"})["fees"]
    assert de_fees == [{"type": "PFAND", "is_required": True}] and uk_fees == []


def test_a_cascading_attribute_is_required_once_its_condition_holds(tiktok):
    _, _, client = tiktok
    attributes = {
        a["id"]: a
        for a in client.ok("GET", "/product/202309/categories/9824332/attributes", query={"category_version": "v2"})[
            "attributes"
        ]
    }
    capacity = attributes["103016"]
    assert capacity["value_data_format"] == "POSITIVE_INT_OR_DECIMAL" and capacity["is_requried"] is False
    assert all(v.get("icon_url", "").endswith(".png") for v in attributes["100000"]["values"])

    warehouse, uri = sales_warehouse(client), client.upload()
    base = {
        "title": "Pocket Speaker",
        "description": "<p>Twelve hours of play.</p>",
        "category_id": "9824332",
        "category_version": "v2",
        "main_images": [{"uri": uri}],
        "package_weight": {"value": "1", "unit": "POUND"},
        "package_dimensions": {"length": "6", "width": "4", "height": "3", "unit": "INCH"},
        "skus": [
            {
                "sales_attributes": [{"id": "100000", "value_id": "1001001"}],
                "price": {"amount": "30", "currency": "USD"},
                "inventory": [{"warehouse_id": warehouse, "quantity": 5}],
            }
        ],
        "certifications": [{"id": "602362", "images": [{"uri": uri}]}],
    }
    battery = {"id": "102001", "values": [{"id": "1009001"}]}
    contains = {"id": seed.CONTAINS_CELLS, "values": [{"id": seed.CELLS_YES}]}

    def check(*attributes, certifications=()):
        body = {
            **base,
            "product_attributes": list(attributes),
            "certifications": base["certifications"] + list(certifications),
        }
        return {
            r["code"] for r in client.ok("POST", "/product/202309/products/listing_check", body=body)["fail_reasons"]
        }

    assert check(battery) == set()
    assert check(battery, contains) == {12052104, 12052105}  # capacity and the battery test summary now needed
    cells_summary = {"id": "602371", "images": [{"uri": uri}], "expiration_date": 1893456000}
    assert check(battery, contains, {"id": "103016", "values": [{"name": "-5"}]}, certifications=[cells_summary]) == {
        12052248
    }
    assert (
        check(battery, contains, {"id": "103016", "values": [{"name": "2000"}]}, certifications=[cells_summary])
        == set()
    )


def test_listing_check_reads_the_shops_own_tree(tiktok):
    """Check Product Listing documents no category_version: a US product checks in the v2 tree without it."""
    _, _, client = tiktok
    body = tshirt(client, sales_warehouse(client), client.upload())
    del body["category_version"]
    result = client.ok("POST", "/product/202309/products/listing_check", body=body)
    assert result["check_result"] == "PASS"
    assert result["listing_quality"]["current_tier"] in ("POOR", "FAIR", "GOOD")
    assert {d["field"] for d in result["diagnoses"]} <= {"TITLE", "DESCRIPTION", "IMAGE", "ATTRIBUTE", "SIZE_CHART"}
