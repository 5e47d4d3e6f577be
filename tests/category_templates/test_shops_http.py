"""Templates per shop over HTTP: one merchant, one store, a US shop (v2 tree) and a GB shop (v1 tree),
both served by the TikTok sandbox. The JSON API and the pages work on the shop named by `?shop=`, and
"Copy to another shop" reads the other shop's tree from TikTok."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import add_user, sign_in
from tests.pipeline.helpers import add_shop, sales_warehouse
from tests.support.world import world_factory  # noqa: F401  (fixture)
from tokbridge.channels.connections import TIKTOK
from tokbridge.channels.models import ChannelConnection
from tokbridge.db.engine import session_scope
from tokbridge.tenancy.models import Merchant
from tokbridge.web.app import create_app

GB_TEES = {"id": "601302", "version": "v1"}


@pytest.fixture
def two_shop_api(world_factory):  # noqa: F811
    world = world_factory(products=30, tiktok={"shop_regions": ["US", "GB"]})
    gb = add_shop(world, "GB")
    add_user(world.settings, world.merchant_id, "owner@shops.test")
    with TestClient(create_app(world.settings), base_url="http://127.0.0.1") as client:
        sign_in(client, "owner@shops.test")
        client.headers["X-CSRF-Token"] = client.get("/api/v1/me").json()["csrf_token"]
        yield world, client, world.tiktok_connection_id, gb


def tee_body(warehouse: str) -> dict:
    return {
        "name": "T-shirts",
        "selection": {"match": "all", "rules": [{"field": "product_type", "operator": "equals", "value": "T-Shirts"}]},
        "category": {"id": "9601302", "version": "v2"},
        "attributes": [
            {"attribute_id": "100347", "attribute_name": "Material", "source": "fixed", "value_names": ["Cotton"]},
            {"attribute_id": "100392", "attribute_name": "Occasion", "source": "fixed", "value_names": ["Casual"]},
        ],
        "variants": [{"option_name": "Size", "attribute_id": "100007"}],
        "inventory": {"default_warehouse_id": warehouse},
        "listing": {"package_weight": {"value": "0.5", "unit": "POUND"}},
    }


def test_templates_and_their_copy_through_the_api(two_shop_api):
    world, client, us, gb = two_shop_api
    world.import_catalog()
    # Two shops and none chosen: a route that works on one shop asks which.
    assert client.get("/api/v1/templates").status_code == 409

    created = client.post(f"/api/v1/templates?shop={us}", json=tee_body(sales_warehouse(world)))
    assert created.status_code == 201, created.text
    template_id = created.json()["id"]
    [listed] = client.get(f"/api/v1/templates?shop={us}").json()
    assert listed["linked_products"] > 0
    assert client.get(f"/api/v1/templates?shop={gb}").json() == []
    assert client.get(f"/api/v1/templates/{template_id}?shop={gb}").status_code == 404
    linked = client.post(f"/api/v1/templates/{template_id}/products?shop={gb}", json={"product_ids": [1]})
    assert linked.status_code == 404

    # GB lists in its own (v1) tree: the category cannot be carried over without one of that tree.
    refused = client.post(f"/api/v1/templates/{template_id}/copy?shop={us}", json={"shop": gb})
    assert refused.status_code == 422
    assert "GB category tree (v1)" in refused.json()["detail"]
    wrong_tree = client.post(
        f"/api/v1/templates/{template_id}/copy?shop={us}",
        json={"shop": gb, "category": {"id": "9601302", "version": "v2"}},
    )
    assert wrong_tree.status_code == 422 and "v1 category tree" in wrong_tree.json()["detail"]
    not_a_leaf = client.post(
        f"/api/v1/templates/{template_id}/copy?shop={us}",
        json={"shop": gb, "category": {"id": "601226", "version": "v1"}},
    )
    assert not_a_leaf.status_code == 422 and "last-level category" in not_a_leaf.json()["detail"]

    copied = client.post(f"/api/v1/templates/{template_id}/copy?shop={us}", json={"shop": gb, "category": GB_TEES})
    assert copied.status_code == 201, copied.text
    body = copied.json()
    assert body["shop"] == gb and body["name"] == "T-shirts"
    assert body["category"]["id"] == "601302" and body["category"]["name_path"][-1] == "T-shirts"
    assert [a["attribute_id"] for a in body["attributes"]] == ["100347", "100392"]  # all exist in the GB tree
    assert body["inventory"]["default_warehouse_id"] is None
    assert any("Warehouses belong to a shop" in note for note in body["notes"])
    [gb_listed] = client.get(f"/api/v1/templates?shop={gb}").json()
    assert gb_listed["id"] == body["id"] and gb_listed["linked_products"] == listed["linked_products"]
    assert [t["id"] for t in client.get(f"/api/v1/templates?shop={us}").json()] == [template_id]

    # Copying again: the name is taken in GB (409, plain words); under another name into Mugs, the
    # attributes Mugs lacks are left out and named.
    again = client.post(f"/api/v1/templates/{template_id}/copy?shop={us}", json={"shop": gb, "category": GB_TEES})
    assert again.status_code == 409 and "already has a template named “T-shirts”" in again.json()["detail"]
    mugs = client.post(
        f"/api/v1/templates/{template_id}/copy?shop={us}",
        json={"shop": gb, "name": "Tees as mugs", "category": {"id": "600011", "version": "v1"}},
    )
    assert mugs.status_code == 201, mugs.text
    assert mugs.json()["attributes"] == []
    assert "Left out 2 attribute mappings the new category does not have: Material, Occasion." in mugs.json()["notes"]
    assert len(client.get(f"/api/v1/templates?shop={gb}").json()) == 2

    # Another merchant's shop, or a made-up one, is not one of this merchant's: 404, nothing copied.
    with session_scope(world.engine) as session:
        other = Merchant(name="Other")
        session.add(other)
        session.flush()
        other_id = other.id
    theirs = _other_merchants_shop(world, other_id)
    for target in (theirs, "nope"):
        foreign = client.post(
            f"/api/v1/templates/{template_id}/copy?shop={us}", json={"shop": target, "category": GB_TEES}
        )
        assert foreign.status_code == 404 and foreign.json()["detail"] == "No such TikTok shop among yours."
    assert client.get(f"/api/v1/templates?shop={theirs}").status_code == 404
    assert len(client.get(f"/api/v1/templates?shop={gb}").json()) == 2


def _other_merchants_shop(world, merchant_id: int) -> str:
    with session_scope(world.engine) as session:
        connection = ChannelConnection(
            merchant_id=merchant_id,
            channel=TIKTOK,
            external_id="7494000000000000999",
            name="Their shop",
            region="GB",
            data={},
            scopes=[],
        )
        session.add(connection)
        session.flush()
        return connection.id


def test_copy_to_another_shop_through_the_pages(two_shop_api):
    world, client, us, gb = two_shop_api
    world.import_catalog()
    template_id = client.post(f"/api/v1/templates?shop={us}", json=tee_body(sales_warehouse(world))).json()["id"]
    token = client.headers["X-CSRF-Token"]

    listing = client.get(f"/templates?shop={us}")
    assert f'href="/templates/{template_id}/copy?shop={us}"' in listing.text

    choose = client.get(f"/templates/{template_id}/copy?shop={us}")
    assert choose.status_code == 200
    assert f'<option value="{gb}"' in choose.text and f'<option value="{us}"' not in choose.text
    # GB lists in another tree: the page offers GB's categories (v1 ids) to choose from.
    picker = client.get(f"/templates/{template_id}/copy?shop={us}&target={gb}")
    assert picker.status_code == 200 and "cannot be carried over" in picker.text
    assert '<option value="601302"' in picker.text and 'value="9601302"' not in picker.text

    missing = client.post(
        f"/templates/{template_id}/copy?shop={us}", data={"csrf_token": token, "target": gb, "name": "T-shirts"}
    )
    assert missing.status_code == 422 and "Choose the category of the GB tree" in missing.text

    done = client.post(
        f"/templates/{template_id}/copy?shop={us}",
        follow_redirects=False,
        data={"csrf_token": token, "target": gb, "name": "T-shirts", "category_id": "601302"},
    )
    assert done.status_code == 303 and done.headers["location"] == f"/templates?shop={gb}"
    page = client.get(done.headers["location"])
    assert "Template copied to" in page.text and "Warehouses belong to a shop" in page.text
    assert "T-shirts" in page.text and re.search(r"Category templates\s*<small>in [^<]*\(GB\)</small>", page.text)

    # The second copy under the same name is refused in plain words, with everything else kept.
    again = client.post(
        f"/templates/{template_id}/copy?shop={us}",
        data={"csrf_token": token, "target": gb, "name": "T-shirts", "category_id": "601302"},
    )
    assert again.status_code == 409 and "already has a template named" in again.text
    assert len(client.get(f"/api/v1/templates?shop={gb}").json()) == 1

    foreign = client.get(f"/templates/{template_id}/copy?shop={us}&target=nope")
    assert foreign.status_code == 404


def test_the_template_form_uses_the_category_tree_of_the_shop_it_works_on(two_shop_api):
    world, client, us, gb = two_shop_api
    world.import_catalog()
    us_form = client.get(f"/templates/new?shop={us}&category_q=T-shirts")
    gb_form = client.get(f"/templates/new?shop={gb}&category_q=T-shirts")
    assert us_form.status_code == gb_form.status_code == 200
    assert 'value="9601302"' in us_form.text and 'value="601302"' not in us_form.text
    assert 'value="601302"' in gb_form.text and 'value="9601302"' not in gb_form.text
    # The form keeps working on the shop it was opened for, whichever shop the session chose.
    assert f'<input type="hidden" name="shop" value="{gb}">' in gb_form.text

    template_id = client.post(f"/api/v1/templates?shop={us}", json=tee_body(sales_warehouse(world))).json()["id"]
    assert client.get(f"/templates/{template_id}/edit?shop={us}").status_code == 200
    assert client.get(f"/templates/{template_id}/edit?shop={gb}").status_code == 404
    gone = client.post(
        f"/templates/{template_id}/delete?shop={gb}",
        follow_redirects=False,
        data={"csrf_token": client.headers["X-CSRF-Token"]},
    )
    assert gone.status_code == 303 and gone.headers["location"] == f"/templates?shop={gb}"
    assert [t["id"] for t in client.get(f"/api/v1/templates?shop={us}").json()] == [template_id]
