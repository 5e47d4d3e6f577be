"""Every operation the sandbox serves answers what Etsy's OpenAPI document promises (openapi-core),
for its successes and the documented refusals."""

from __future__ import annotations

import pytest

from .support import check_contract


def inventory_body(inventory: dict) -> dict:
    """A getListingInventory answer turned into an updateListingInventory body."""
    return {
        "products": [
            {
                "sku": p["sku"],
                "property_values": p["property_values"],
                "offerings": [
                    {
                        "price": o["price"]["amount"] / o["price"]["divisor"],
                        "quantity": o["quantity"],
                        "is_enabled": o["is_enabled"],
                        "readiness_state_id": o["readiness_state_id"],
                    }
                    for o in p["offerings"]
                ],
            }
            for p in inventory["products"]
        ],
        **{
            k: inventory[k]
            for k in ("price_on_property", "quantity_on_property", "sku_on_property", "readiness_state_on_property")
        },
    }


def test_shop_and_user_operations(etsy, openapi):
    with etsy.client() as client:
        shop_id, user_id = etsy.config.shop_id, etsy.config.user_id
        for path in (
            "/v3/application/openapi-ping",
            "/v3/application/users/me",
            f"/v3/application/shops/{shop_id}",
            f"/v3/application/users/{user_id}/shops",
            f"/v3/application/shops/{shop_id}/shipping-profiles",
            f"/v3/application/shops/{shop_id}/readiness-state-definitions",
            (
                f"/v3/application/shops/{shop_id}/readiness-state-definitions/"
                f"{etsy.sandbox.profiles[0].readiness_state_id}"
            ),
        ):
            response = client.get(path)
            assert response.status_code == 200, (path, response.text)
            check_contract(openapi, response)
        me = client.get("/v3/application/users/me").json()
        assert me == {"user_id": user_id, "shop_id": shop_id}
        scopes = client.post("/v3/application/scopes", data={"token": etsy.token})
        assert scopes.status_code == 200 and "listings_w" in scopes.json()["scopes"]
        check_contract(openapi, scopes)


@pytest.mark.parametrize("state", ["active", "inactive", "draft", "sold_out", "expired"])
def test_listings_by_shop_in_every_state_with_images_and_inventory(etsy, openapi, state):
    with etsy.client() as client:
        response = client.get(
            f"/v3/application/shops/{etsy.config.shop_id}/listings",
            params={"state": state, "limit": 100, "includes": ["Images", "Inventory"]},
        )
        assert response.status_code == 200
        check_contract(openapi, response)
        body = response.json()
        assert body["count"] == len(etsy.listing_ids(state)) == len(body["results"]) > 0
        assert {item["state"] for item in body["results"]} == {state}
        assert all("inventory" in item and "images" in item for item in body["results"])


def test_listings_by_shop_pages_and_sorts_by_updated(etsy, openapi):
    with etsy.client() as client:
        pages = []
        for offset in range(0, len(etsy.listing_ids()), 10):
            response = client.get(
                f"/v3/application/shops/{etsy.config.shop_id}/listings",
                params={
                    "limit": 10,
                    "offset": offset,
                    "sort_on": "updated",
                    "sort_order": "asc",
                    "includes": "Shop,Shipping",
                },
            )
            check_contract(openapi, response)
            pages += response.json()["results"]
        assert [p["listing_id"] for p in pages] == sorted(
            etsy.listing_ids(), key=lambda i: (etsy.sandbox.listings[i].updated, i)
        )
        stamps = [p["updated_timestamp"] for p in pages]
        assert stamps == sorted(stamps)


def test_listing_reads(etsy, openapi):
    listing_id = etsy.listing_with(lambda item: item.state == "active" and item.images and item.properties)
    with etsy.client() as client:
        image_id = etsy.sandbox.listings[listing_id].images[0].listing_image_id
        product_id = etsy.sandbox.listings[listing_id].inventory.products[0].product_id
        shop_id = etsy.config.shop_id
        for path, params in [
            (f"/v3/application/listings/{listing_id}", {"includes": "Images,Shop"}),
            (
                "/v3/application/listings/batch",
                {"listing_ids": ",".join(map(str, etsy.listing_ids()[:5])), "includes": "Images"},
            ),
            ("/v3/application/listings/batch/inventory", {"listing_ids": ",".join(map(str, etsy.listing_ids()[:5]))}),
            (f"/v3/application/listings/{listing_id}/inventory", {"includes": "Listing"}),
            (f"/v3/application/listings/{listing_id}/inventory/products/{product_id}", {}),
            (f"/v3/application/listings/{listing_id}/images", {}),
            (f"/v3/application/listings/{listing_id}/images/{image_id}", {}),
            (f"/v3/application/shops/{shop_id}/listings/{listing_id}/properties", {}),
        ]:
            response = client.get(path, params=params)
            assert response.status_code == 200, (path, response.text)
            check_contract(openapi, response)
        batch = client.get("/v3/application/listings/batch/inventory", params={"listing_ids": f"{listing_id}"}).json()
        assert batch["results"][0]["listing_id"] == listing_id
        assert batch["results"][0]["inventory"]["products"][0]["product_id"] == product_id


def test_update_listing_inventory_answer_and_refusal_match_the_document(etsy, openapi):
    listing_id = etsy.listing_with(lambda item: item.state == "active" and item.has_variations())
    with etsy.client() as client:
        inventory = client.get(f"/v3/application/listings/{listing_id}/inventory").json()
        response = client.put(f"/v3/application/listings/{listing_id}/inventory", json=inventory_body(inventory))
        assert response.status_code == 200, response.text
        check_contract(openapi, response)
        body = inventory_body(inventory)
        del body["products"][0]["offerings"][0]["readiness_state_id"]
        refused = client.put(f"/v3/application/listings/{listing_id}/inventory", json=body)
        assert refused.status_code == 400
        check_contract(openapi, refused)


def test_documented_refusals(etsy, openapi):
    with etsy.client() as client:
        missing = client.get("/v3/application/listings/999/inventory")
        assert missing.status_code == 404
        check_contract(openapi, missing)
        gone = client.get("/v3/application/listings/999")
        assert gone.status_code == 404
        check_contract(openapi, gone)
        too_many = client.get(f"/v3/application/shops/{etsy.config.shop_id}/listings", params={"limit": 101})
        assert too_many.status_code == 400
        check_contract(openapi, too_many)
        batch_missing = client.get(
            "/v3/application/listings/batch/inventory", params={"listing_ids": f"{etsy.listing_ids()[0]},999"}
        )
        assert batch_missing.status_code == 404
        check_contract(openapi, batch_missing)
    with etsy.client(token="12.unknown") as client:
        unauthorized = client.get("/v3/application/users/me")
        assert unauthorized.status_code == 401
        check_contract(openapi, unauthorized)


def test_the_contract_check_catches_a_wrong_answer(etsy, openapi):
    """The check itself can fail: a body with a string where the document wants an integer."""
    import httpx
    from openapi_core.validation.response.exceptions import InvalidData

    request = httpx.Request("GET", f"{etsy.url}/v3/application/users/me")
    wrong = httpx.Response(200, json={"user_id": "not a number"}, request=request)
    with pytest.raises(InvalidData):
        check_contract(openapi, wrong)
