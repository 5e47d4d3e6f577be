"""Reading: ids-only lists, display, filter, sort, limit, languages, JSON's shapes, images, schemas."""

from __future__ import annotations

import struct

import httpx
import pytest
from lxml import etree

from tokbridge_sandboxes.prestashop import SandboxConfig
from tokbridge_sandboxes.prestashop.webservice import matches

from .conftest import KEY, error_of

XLINK = "{http://www.w3.org/1999/xlink}href"


def product_with_combinations(shop) -> dict:
    return next(p for p in shop.store.tables["products"].values() if p["product_type"] == "combinations")


def test_a_list_gives_ids_only_unless_display_is_asked(shop):
    assert shop.get_json("/products", limit=2) == {"products": [{"id": 1}, {"id": 2}]}
    with shop.client() as client:
        root = etree.fromstring(client.get("/products", params={"limit": "1"}).content)
    item = root.find("products/product")
    assert item.get("id") == "1" and item.get(XLINK).endswith("/api/products/1") and len(item) == 0


def test_display_full_gives_strings_multilingual_lists_and_associations(shop):
    product = product_with_combinations(shop)
    full = shop.get_json("/products", display="full", **{"filter[id]": f"[{product['id']}]"})["products"][0]
    assert full["id"] == int(product["id"])
    assert isinstance(full["price"], str) and full["price"].endswith("0000") and "." in full["price"]
    assert [n["id"] for n in full["name"]] == ["1", "2"]
    combinations = full["associations"]["combinations"]
    assert combinations and all(isinstance(c["id"], str) for c in combinations)
    stock = full["associations"]["stock_availables"]
    assert {s["id_product_attribute"] for s in stock} == {"0", *[c["id"] for c in combinations]}


def test_display_picks_fields_and_refuses_unknown_ones(shop):
    rows = shop.get_json("/combinations", display="[id,id_product,reference]", limit=1)["combinations"]
    assert set(rows[0]) == {"id", "id_product", "reference"}
    with shop.client(json=True) as client:
        response = client.get("/combinations", params={"display": "[id,colour]"})
    assert response.status_code == 400 and error_of(response)[0] == 35


def test_a_language_makes_json_names_plain_strings(shop):
    row = shop.get_json("/products/1", language=2)["product"]
    assert row["name"] == shop.store.tables["products"][1]["name"][2]
    with shop.client() as client:
        root = etree.fromstring(client.get("/products/1", params={"language": "2"}).content)
    assert [lang.get("id") for lang in root.find("product/name")] == ["2"]


def test_filters_take_prestashops_forms(shop):
    ids = [int(r["id"]) for r in shop.get_json("/products", **{"filter[id]": "[2|5|7]"})["products"]]
    assert ids == [2, 5, 7]
    ids = [int(r["id"]) for r in shop.get_json("/products", **{"filter[id]": "[3,6]"})["products"]]
    assert ids == [3, 4, 5, 6]
    name = shop.store.tables["products"][4]["name"][1]
    rows = shop.get_json("/products", display="[id,name]", language=1, **{"filter[name]": f"[{name[:4]}]%"})["products"]
    assert rows and all(r["name"].startswith(name[:4]) for r in rows)
    assert shop.get_json("/products", **{"filter[reference]": "[no-such-thing]"}) == []


def test_an_empty_json_list_is_a_bare_array(shop):
    with shop.client(json=True) as client:
        response = client.get("/orders")
    assert response.status_code == 200 and response.content == b"[]"
    with shop.client() as client:
        root = etree.fromstring(client.get("/orders").content)
    assert root.find("orders") is not None and len(root.find("orders")) == 0


def test_sort_and_limit_with_an_offset(shop):
    everything = shop.get_json("/products", display="[id,price]", sort="[price_DESC,id_ASC]")["products"]
    prices = [float(p["price"]) for p in everything]
    assert prices == sorted(prices, reverse=True)
    page = shop.get_json("/products", display="[id,price]", sort="[price_DESC,id_ASC]", limit="3,4")["products"]
    assert page == everything[3:7]
    with shop.client(json=True) as client:
        assert error_of(client.get("/products", params={"limit": "x"}))[0] == 33
        assert error_of(client.get("/products", params={"sort": "[price_UP]"}))[0] == 38


def test_date_fields_need_date_1_before_9_0_2(shop, make_shop):
    with shop.client(json=True) as client:
        refused = client.get("/products", params={"filter[date_upd]": "[2020-01-01 00:00:00,2030-01-01 00:00:00]"})
        assert refused.status_code == 400 and error_of(refused)[0] == 32
        allowed = client.get(
            "/products", params={"filter[date_upd]": "[2020-01-01 00:00:00,2030-01-01 00:00:00]", "date": "1"}
        )
    assert allowed.status_code == 200 and len(allowed.json()["products"]) == 20
    newer = make_shop(version="9.0.2")
    assert (
        len(
            newer.get_json("/products", **{"filter[date_upd]": "[2020-01-01 00:00:00,2030-01-01 00:00:00]"})["products"]
        )
        == 20
    )


def test_one_stock_row_per_product_and_combination_per_shop(make_shop):
    shop = make_shop(shops=2)
    product = product_with_combinations(shop)
    combinations = shop.store.rows("combinations", id_product=product["id"])
    for id_shop in (1, 2):
        rows = shop.get_json(
            "/stock_availables", display="full", id_shop=id_shop, **{"filter[id_product]": f"[{product['id']}]"}
        )["stock_availables"]
        assert sorted(int(r["id_product_attribute"]) for r in rows) == sorted(
            [0, *[int(c["id"]) for c in combinations]]
        )
        assert {r["id_shop"] for r in rows} == {str(id_shop)}


def test_images_are_real_files_behind_the_key(shop):
    product = shop.store.tables["products"][1]
    with shop.client() as client:
        listing = etree.fromstring(client.get("/images/products/1").content)
        ids = [d.get("id") for d in listing.find("image")]
        assert ids and product["id_default_image"] in ids
        picture = client.get(f"/images/products/1/{ids[0]}")
        assert client.get("/images/products/1/99999").status_code == 404
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    assert picture.content.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", picture.content[16:24])
    assert width >= 300 and height >= 300  # large enough for a marketplace to take
    assert httpx.get(f"{shop.url}/api/images/products/1/{ids[0]}").status_code == 401


def test_schema_blank_and_synopsis(shop):
    blank = shop.get_json("/orders", schema="blank")["order"]
    assert blank["id_cart"] == "" and blank["associations"]["order_rows"][0]["product_id"] == ""
    with shop.client() as client:
        synopsis = etree.fromstring(client.get("/orders", params={"schema": "synopsis"}).content)
        assert error_of(client.get("/orders", params={"schema": "other"}))[0] == 28
    assert synopsis.find("order/id_cart").get("required") == "true"
    assert synopsis.find("order/note").get("required") is None


def test_reference_data_the_plugin_reads(shop):
    configuration = {c["name"]: c["value"] for c in shop.get_json("/configurations", display="full")["configurations"]}
    assert configuration["PS_OS_ERROR"] == "8" and configuration["PS_OS_SHIPPING"] == "4"
    assert configuration["PS_TIMEZONE"] == "Europe/Paris" and configuration["PS_LANG_DEFAULT"] == "1"
    currencies = shop.get_json("/currencies", display="[id,iso_code]")["currencies"]
    assert [c["iso_code"] for c in currencies] == ["EUR", "USD", "GBP"]
    states = {s["id"]: s for s in shop.get_json("/order_states", display="full", language=1)["order_states"]}
    assert states[8]["name"] == "Payment error" and states[2]["logable"] == "1" and states[8]["logable"] == "0"
    carriers = shop.get_json("/carriers", display="[id,is_free]")["carriers"]
    assert {c["is_free"] for c in carriers} == {"0", "1"}
    languages = shop.get_json("/languages", display="[id,iso_code]")["languages"]
    assert [(lang["iso_code"], lang["id"]) for lang in languages] == [("en", 1), ("fr", 2)]
    response = httpx.head(shop.url + "/api/products/1", auth=(KEY, ""))
    assert response.status_code == 200 and response.content == b""


@pytest.mark.parametrize(
    ("value", "rule", "expected"),
    [
        ("12", "[12]", True),
        ("12.000000", "[12]", True),
        ("Mug", "[mug]", True),
        ("12", "[3|12]", True),
        ("12", "[3,20]", True),
        ("25", "[3,20]", False),
        ("2026-03-29 03:00:30", "[2026-03-29 03:00:00,2026-03-29 04:00:00]", True),
        ("Striped mug", "[str]%", True),
        ("Striped mug", "%[mug]", True),
        ("Striped mug", "%[ped m]%", True),
        ("Striped mug", "[mug]%", False),
        ("5", ">[4]", True),
        ("5", "<[4]", False),
        ("5", "![4|6]", True),
        ("4", "![4|6]", False),
        ("7", "7", True),
    ],
)
def test_filter_rules(value, rule, expected):
    assert matches(value, rule) is expected


def test_the_io_format_header_asks_for_json_too(shop):
    response = httpx.get(shop.url + "/api/languages", auth=(KEY, ""), headers={"Io-Format": "JSON"})
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"languages": [{"id": 1}, {"id": 2}]}


def test_each_shop_has_its_own_stock(make_shop):
    shop = make_shop(shops=2)
    with shop.control() as control:
        control.put("/stock", json={"id_product": 1, "id_product_attribute": 0, "quantity": 33, "id_shop": 2})
    assert shop.stock(1, 0, 2) == 33 and shop.stock(1, 0, 1) != 33
    assert shop.get_json("/products/1", id_shop=2)["product"]["quantity"] == "33"
    assert shop.get_json("/shops", display="[id,name]")["shops"][1]["name"] == "TokBridge Sandbox Shop 2"


def test_settings_come_from_the_environment():
    config = SandboxConfig.from_env(
        {
            "PRESTASHOP_SANDBOX_VERSION": "1.7.8.11",
            "PRESTASHOP_SANDBOX_SHOPS": "2",
            "PRESTASHOP_SANDBOX_LANGUAGES": "fr:1,en:3",
            "PRESTASHOP_SANDBOX_BOOTSTRAP_KEY": "B" * 32,
        }
    )
    assert (config.version, config.shops, config.languages) == ("1.7.8.11", 2, (("fr", 1), ("en", 3)))
    assert config.bootstrap_key == "B" * 32 and not config.supports_patch and config.currency == "EUR"
    assert SandboxConfig.from_env({}) == SandboxConfig()


def test_a_computed_price_with_tax_and_sale(shop):
    store = shop.store
    sale = next(iter(store.tables["specific_prices"].values()))
    product = store.get("products", sale["id_product"])
    params = {
        "display": "[id,price,my,base]",
        "price[my][use_tax]": "1",
        "price[my][country]": "8",
        "price[base][use_tax]": "0",
        "price[base][use_reduction]": "0",
    }
    row = shop.get_json(f"/products/{product['id']}", **params)["product"]
    rate = {"1": 1.2, "2": 1.1, "0": 1.0}[product["id_tax_rules_group"]]
    expected = float(product["price"]) * (1 - float(sale["reduction"])) * rate
    assert abs(float(row["my"]) - expected) < 0.000001 and row["base"] == product["price"]


def test_the_seeded_catalog(shop, make_shop):
    products = shop.get_json("/products", display="full")["products"]
    with_combinations = [p for p in products if p["associations"]["combinations"]]
    assert 5 <= len(with_combinations) <= 15 and len(products) == 20
    assert all(2 <= len(p["associations"]["combinations"]) <= 6 for p in with_combinations)
    assert all(1 <= len(p["associations"]["images"]) <= 4 for p in products)
    assert any(p["active"] == "0" for p in products) and any(p["id_tax_rules_group"] == "1" for p in products)
    assert all(p["name"][0]["value"] != p["name"][1]["value"] for p in products)
    assert shop.get_json("/specific_prices", **{"filter[id_cart]": "[0]"})["specific_prices"]
    quantities = [int(r["quantity"]) for r in shop.get_json("/stock_availables", display="full")["stock_availables"]]
    assert 0 in quantities and max(quantities) > 0
    again = make_shop().get_json("/products", display="[id,name,price,reference]")
    assert again == shop.get_json("/products", display="[id,name,price,reference]")
    other = make_shop(seed=8).get_json("/products", display="[id,name,price,reference]")
    assert other != again


def test_a_sale_counts_only_between_its_dates(shop):
    store = shop.store
    sale = next(iter(store.tables["specific_prices"].values()))
    product = store.get("products", sale["id_product"])
    sale.update({"from": "2026-05-01 00:00:00", "to": "2026-05-31 23:59:59"})
    params = {"display": "[id,my]", "price[my][use_tax]": "0"}
    with shop.control() as control:
        control.post("/clock", json={"set": "2026-05-10T10:00:00+00:00"})
        during = shop.get_json(f"/products/{product['id']}", **params)["product"]["my"]
        control.post("/clock", json={"set": "2026-06-10T10:00:00+00:00"})
        after = shop.get_json(f"/products/{product['id']}", **params)["product"]["my"]
    assert after == product["price"] and float(during) < float(after)
