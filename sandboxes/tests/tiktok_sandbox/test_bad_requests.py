"""A table of bad requests the sandbox rejects as TikTok does: each signed correctly, sent over
real HTTP, answered with TikTok's code (and the product is not created)."""

from __future__ import annotations

import copy
import json

import pytest

from tokbridge_sandboxes.serving import serve_in_thread as serve
from tokbridge_sandboxes.tiktok import create_app

from .builders import COLOR, SIZE, sales_warehouse, tshirt
from .conftest import make_config
from .support import SignedClient

EARPHONES_V2 = "9824331"
BATTERY, LITHIUM = "102001", "1009001"


@pytest.fixture(scope="module")
def shop():
    app = create_app(make_config(shop_regions=["US", "MY"]))
    with serve(app) as base_url:
        sandbox = app.state.sandbox
        us, my = list(sandbox.state.shops.values())
        client = SignedClient(base_url, "test_key", "test_secret", sandbox.state.bootstrap.access_token, us.cipher)
        warehouse = sales_warehouse(client)
        uri = client.upload()
        return_warehouse = next(w.id for w in us.warehouses if w.type == "RETURN_WAREHOUSE")
        yield {
            "client": client,
            "warehouse": warehouse,
            "uri": uri,
            "return_warehouse": return_warehouse,
            "sandbox": sandbox,
            "my_cipher": my.cipher,
        }


def _set(path: str, value):
    """A mutation that sets body[path] (dotted, with list indexes) to value."""

    def mutate(body, ctx):
        keys = path.split(".")
        target = body
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        last = keys[-1]
        if value is _DELETE:
            del target[int(last) if last.isdigit() else last]
        else:
            resolved = value(ctx) if callable(value) else value
            if last.isdigit():
                target[int(last)] = resolved
            else:
                target[last] = resolved

    return mutate


_DELETE = object()


def _four_sales_attributes(body, ctx):
    for n, sku in enumerate(body["skus"]):
        sku["sales_attributes"] += [
            {"name": "Fit", "value_name": f"Fit {n}"},
            {"name": "Sleeve", "value_name": "Short"},
        ]


def _many_skus(body, ctx):
    template = body["skus"][0]
    body["skus"] = [
        {
            **copy.deepcopy(template),
            "seller_sku": f"TEE-{n}",
            "sales_attributes": [{"id": COLOR, "value_name": f"Shade {n}"}],
        }
        for n in range(301)
    ]


def _earphones_without_certificate(body, ctx):
    body.update(
        {
            "category_id": EARPHONES_V2,
            "product_attributes": [{"id": BATTERY, "values": [{"id": LITHIUM}]}],
            "package_dimensions": {"length": "10", "width": "8", "height": "4", "unit": "CENTIMETER"},
        }
    )
    for sku in body["skus"]:
        sku["sales_attributes"] = [a for a in sku["sales_attributes"] if a["id"] == COLOR]


CASES = [
    ("missing title", _set("title", _DELETE), 12052261),
    ("title over 255 in US", _set("title", "T" * 256), 12052051),
    ("title with an emoji", _set("title", "Crew T-shirt \U0001f525"), 12052931),
    ("title only symbols", _set("title", "!!!///"), 12052931),
    ("missing description", _set("description", _DELETE), 12052015),
    ("description too long", _set("description", "<p>" + "x" * 10_001 + "</p>"), 12052013),
    ("category not numeric", _set("category_id", "t-shirts"), 12052002),
    ("unknown category", _set("category_id", "9123456"), 12052023),
    ("category not a leaf", _set("category_id", "9601226"), 12052024),
    ("US shop without category_version v2", _set("category_version", "v1"), 12052217),
    ("unknown brand", _set("brand_id", "7082427311584340000"), 12052026),
    ("no main images", _set("main_images", []), 12052028),
    ("ten main images", _set("main_images", lambda ctx: [{"uri": ctx["uri"]}] * 10), 12052306),
    ("image never uploaded", _set("main_images", [{"uri": "tos-maliva-i-o3syd03w52-us/not-uploaded"}]), 12052300),
    ("required attribute missing", _set("product_attributes", []), 12052104),
    ("unknown attribute value", _set("product_attributes.0.values.0.id", "999"), 12052529),
    ("four sales attributes", _four_sales_attributes, 12052525),
    (
        "SKUs with different attributes",
        _set("skus.1.sales_attributes", [{"id": COLOR, "value_id": "1001004"}]),
        12052550,
    ),
    (
        "duplicate variant",
        _set(
            "skus.1.sales_attributes",
            lambda ctx: [{"id": COLOR, "value_id": "1001003"}, {"id": SIZE, "value_id": "1002003"}],
        ),
        12052560,
    ),
    ("unknown sales attribute", _set("skus.0.sales_attributes.0.id", "123"), 12052527),
    ("301 SKUs", _many_skus, 12052050),
    ("zero price", _set("skus.0.price.amount", "0"), 12052073),
    ("price above the range", _set("skus.0.price.amount", "7600.01"), 12052570),
    ("price not a number", _set("skus.0.price.amount", "cheap"), 12052073),
    ("wrong currency", _set("skus.0.price.currency", "GBP"), 12052084),
    ("quantity above 99,999", _set("skus.0.inventory.0.quantity", 100_000), 12052055),
    ("negative quantity", _set("skus.0.inventory.0.quantity", -1), 12052055),
    ("unknown warehouse", _set("skus.0.inventory.0.warehouse_id", "7000000000000000001"), 12052097),
    (
        "return warehouse as stock",
        _set("skus.0.inventory.0.warehouse_id", lambda ctx: ctx["return_warehouse"]),
        12052532,
    ),
    ("no inventory", _set("skus.0.inventory", []), 12019022),
    ("seller SKU with a space", _set("skus.0.seller_sku", "TEE RED M"), 12052054),
    ("no SKUs", _set("skus", []), 12052902),
    ("missing package weight", _set("package_weight", _DELETE), 12019011),
    ("zero package weight", _set("package_weight.value", "0"), 12052181),
    (
        "inches with kilograms",
        _set("package_dimensions", {"length": "10", "width": "8", "height": "2", "unit": "INCH"}),
        12052915,
    ),
    ("certification required", _earphones_without_certificate, 12052105),
    ("sales attribute without value", _set("skus.0.sales_attributes.0", {"id": COLOR}), 12052248),
    ("idempotency key too long", _set("idempotency_key", "k" * 129), 12052910),
]


@pytest.mark.parametrize(("mutate", "code"), [(m, c) for _, m, c in CASES], ids=[name for name, _, _ in CASES])
def test_create_product_rejects(shop, mutate, code):
    client = shop["client"]
    body = tshirt(client, shop["warehouse"], shop["uri"])
    mutate(body, shop)
    before = len(shop["sandbox"].state.products)
    response = client.call("POST", "/product/202309/products", body=body)
    payload = response.json()
    assert (response.status_code, payload["code"]) == (200, code), payload
    assert payload["data"] is None and payload["request_id"]
    assert len(shop["sandbox"].state.products) == before


def test_the_valid_body_is_accepted(shop):
    client = shop["client"]
    created = client.ok(
        "POST",
        "/product/202309/products",
        body=tshirt(client, shop["warehouse"], shop["uri"], external_product_id="valid-1"),
    )
    assert [s["seller_sku"] for s in created["skus"]] == ["TEE-RED-M", "TEE-BLUE-L"]


def test_title_length_depends_on_the_region(shop):
    client = shop["client"]
    my = SignedClient(str(client.http.base_url), "test_key", "test_secret", client.access_token, shop["my_cipher"])
    warehouses = my.ok("GET", "/logistics/202309/warehouses")["warehouses"]
    warehouse = next(w["id"] for w in warehouses if w["type"] == "SALES_WAREHOUSE")
    body = tshirt(my, warehouse, shop["uri"], title="Short tee", category_id="601302", category_version="v1")
    for sku in body["skus"]:
        sku["price"]["currency"] = "MYR"
    response = my.call("POST", "/product/202309/products", body=body).json()
    assert response["code"] == 12052910  # MY titles are 25-255 characters
    body["title"] = "Organic Cotton Crew T-shirt for everyday wear"
    assert my.call("POST", "/product/202309/products", body=body).json()["code"] == 0


def test_malformed_json_body(shop):
    response = shop["client"].call("POST", "/product/202309/products", body=b"{not json")
    assert (response.status_code, response.json()["code"]) == (400, 36009022)


def test_listing_check_reports_every_problem(shop):
    client = shop["client"]
    body = tshirt(client, shop["warehouse"], shop["uri"], title="", product_attributes=[])
    body["skus"][0]["price"]["amount"] = "0"
    result = client.ok("POST", "/product/202309/products/listing_check", body=body)
    assert result["check_result"] == "FAILED"
    assert {r["code"] for r in result["fail_reasons"]} == {12052261, 12052104, 12052073}
    good = client.ok(
        "POST", "/product/202309/products/listing_check", body=tshirt(client, shop["warehouse"], shop["uri"])
    )
    assert good["check_result"] == "PASS" and good["fail_reasons"] == []


def test_batch_limits_and_unknown_products(shop):
    client = shop["client"]
    ids = [str(1729592969712207000 + n) for n in range(21)]
    response = client.call("POST", "/product/202309/products/deactivate", body={"product_ids": ids}).json()
    assert response["code"] == 12019120
    data = client.ok("POST", "/product/202309/products/deactivate", body={"product_ids": ids[:2]})
    assert [e["code"] for e in data["errors"]] == [12052032, 12052032]
    assert json.dumps(data["errors"][0]["detail"]) == json.dumps({"product_id": ids[0]})
