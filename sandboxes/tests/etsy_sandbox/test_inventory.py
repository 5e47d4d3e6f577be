"""updateListingInventory: a full replace, checked as Etsy checks it, with new product and offering
ids on every update."""

from __future__ import annotations

import copy

import pytest

from .test_contract import inventory_body


def read(client, listing_id: int) -> dict:
    response = client.get(f"/v3/application/listings/{listing_id}/inventory")
    assert response.status_code == 200
    return response.json()


def put(client, listing_id: int, body: dict, **params):
    return client.put(f"/v3/application/listings/{listing_id}/inventory", json=body, params=params)


def variations(etsy, count: int) -> int:
    return etsy.listing_with(
        lambda item: item.state == "active" and len(item.inventory.products[0].property_values) == count
    )


def test_every_update_gives_new_ids_and_keeps_skus(etsy):
    listing_id = variations(etsy, 1)
    with etsy.client() as client:
        before = read(client, listing_id)
        stamp = client.get(f"/v3/application/listings/{listing_id}").json()["updated_timestamp"]
        body = inventory_body(before)
        body["products"][0]["offerings"][0]["quantity"] = 7
        after = put(client, listing_id, body)
        assert after.status_code == 200, after.text
        first = after.json()
        old_ids = {p["product_id"] for p in before["products"]} | {
            o["offering_id"] for p in before["products"] for o in p["offerings"]
        }
        new_ids = {p["product_id"] for p in first["products"]} | {
            o["offering_id"] for p in first["products"] for o in p["offerings"]
        }
        assert not old_ids & new_ids
        assert [p["sku"] for p in first["products"]] == [p["sku"] for p in before["products"]]
        assert first["products"][0]["offerings"][0]["quantity"] == 7
        assert read(client, listing_id) == first
        assert client.get(f"/v3/application/listings/{listing_id}").json()["updated_timestamp"] > stamp
        # The second pass: the same body again still draws new ids.
        second = put(client, listing_id, inventory_body(first)).json()
        assert {p["product_id"] for p in second["products"]}.isdisjoint({p["product_id"] for p in first["products"]})


def test_an_omitted_product_is_gone(etsy):
    listing_id = variations(etsy, 1)
    with etsy.client() as client:
        body = inventory_body(read(client, listing_id))
        kept = body["products"][:2]
        body["products"] = kept
        assert put(client, listing_id, body).status_code == 200
        assert [p["sku"] for p in read(client, listing_id)["products"]] == [p["sku"] for p in kept]


def test_zero_stock_sells_out_and_restocking_reactivates(etsy):
    listing_id = variations(etsy, 0)
    with etsy.client() as client:
        body = inventory_body(read(client, listing_id))
        body["products"][0]["offerings"][0]["quantity"] = 0
        assert put(client, listing_id, body).status_code == 200
        assert client.get(f"/v3/application/listings/{listing_id}").json()["state"] == "sold_out"
        body["products"][0]["offerings"][0]["quantity"] = 4
        assert put(client, listing_id, body).status_code == 200
        listing = client.get(f"/v3/application/listings/{listing_id}").json()
        assert (listing["state"], listing["quantity"]) == ("active", 4)


def _break(body: dict, how: str) -> dict:
    body = copy.deepcopy(body)
    products = body["products"]
    offering = products[0]["offerings"][0]
    if how == "no readiness_state_id":
        del offering["readiness_state_id"]
    elif how == "unknown readiness_state_id":
        offering["readiness_state_id"] = 999
    elif how == "no price":
        del offering["price"]
    elif how == "no is_enabled":
        del offering["is_enabled"]
    elif how == "price too low":
        offering["price"] = 0.1
    elif how == "negative quantity":
        offering["quantity"] = -1
    elif how == "two offerings":
        products[0]["offerings"].append(dict(offering))
    elif how == "price differs but not on property":
        body["price_on_property"] = []
        products[1]["offerings"][0]["price"] = products[0]["offerings"][0]["price"] + 1
    elif how == "quantity differs but not on property":
        body["quantity_on_property"] = []
        products[1]["offerings"][0]["quantity"] = products[0]["offerings"][0]["quantity"] + 1
    elif how == "sku differs but not on property":
        body["sku_on_property"] = []
        products[0]["sku"], products[1]["sku"] = "A-1", "B-2"
    elif how == "on_property names a missing property":
        body["price_on_property"] = [999]
    elif how == "products with different properties":
        products[1]["property_values"] = []
    elif how == "duplicate combination":
        products[1]["property_values"] = copy.deepcopy(products[0]["property_values"])
    elif how == "parentheses":
        products[0]["property_values"][0]["values"] = ["Red (dark)"]
    elif how == "missing value_ids":
        del products[0]["property_values"][0]["value_ids"]
    elif how == "no products":
        body["products"] = []
    elif how == "sku too long":
        products[0]["sku"] = "X" * 33
    elif how == "nothing enabled":
        for product in products:
            product["offerings"][0]["is_enabled"] = False
    return body


@pytest.mark.parametrize(
    "how",
    [
        "no readiness_state_id",
        "unknown readiness_state_id",
        "no price",
        "no is_enabled",
        "price too low",
        "negative quantity",
        "two offerings",
        "price differs but not on property",
        "quantity differs but not on property",
        "sku differs but not on property",
        "on_property names a missing property",
        "products with different properties",
        "duplicate combination",
        "parentheses",
        "missing value_ids",
        "no products",
        "sku too long",
        "nothing enabled",
    ],
)
def test_refused_updates_change_nothing(etsy, how):
    listing_id = variations(etsy, 1)
    with etsy.client() as client:
        before = read(client, listing_id)
        body = inventory_body(before)
        assert put(client, listing_id, body).status_code == 200  # the untouched body is fine
        before = read(client, listing_id)
        refused = put(client, listing_id, _break(inventory_body(before), how))
        assert refused.status_code == 400, how
        assert isinstance(refused.json()["error"], str) and refused.json()["error"]
        assert set(refused.json()) == {"error"}
        assert read(client, listing_id) == before


def test_a_third_variation_needs_max_variations_supported_3(etsy):
    listing_id = variations(etsy, 3)
    with etsy.client() as client:
        body = inventory_body(read(client, listing_id))
        refused = put(client, listing_id, body)
        assert refused.status_code == 400 and "max_variations_supported" in refused.json()["error"]
        assert put(client, listing_id, body, max_variations_supported="3").status_code == 200
        assert put(client, listing_id, body, max_variations_supported="4").status_code == 400


def test_a_custom_property_without_value_ids_gets_them(etsy):
    listing_id = variations(etsy, 0)
    with etsy.client() as client:
        body = inventory_body(read(client, listing_id))
        offering = body["products"][0]["offerings"][0]
        body["products"] = [
            {
                "sku": f"CUSTOM-{v}",
                "property_values": [{"property_id": 513, "property_name": "Scent", "value_ids": [], "values": [v]}],
                "offerings": [dict(offering)],
            }
            for v in ("Lavender", "Cedar")
        ]
        body.update(price_on_property=[], quantity_on_property=[513], sku_on_property=[513])
        answer = put(client, listing_id, body)
        assert answer.status_code == 200, answer.text
        values = [p["property_values"][0] for p in answer.json()["products"]]
        assert [v["values"] for v in values] == [["Lavender"], ["Cedar"]]
        assert all(v["value_ids"] and v["value_ids"][0] > 0 for v in values)
        assert client.get(f"/v3/application/listings/{listing_id}").json()["has_variations"] is True


def test_another_sellers_listing_or_a_missing_one(etsy):
    with etsy.client() as client:
        assert put(client, 999, {"products": []}).status_code == 404
