"""Writing: XML only, required fields, PUT replaces and PATCH patches (8 and later), and which writes
move a product's date_upd (shop-local time, across daylight saving)."""

from __future__ import annotations

from lxml import etree

from .conftest import entity, error_of


def stock_row(shop, id_product: int = 1) -> dict:
    return shop.get_json(
        "/stock_availables",
        display="full",
        **{"filter[id_product]": f"[{id_product}]", "filter[id_product_attribute]": "[0]"},
    )["stock_availables"][0]


def product_with_combinations(shop) -> dict:
    return next(p for p in shop.store.tables["products"].values() if p["product_type"] == "combinations")


def test_stock_put_takes_the_full_entity(shop):
    row = stock_row(shop)
    fields = {k: v for k, v in row.items()}
    fields["quantity"] = "17"
    response = shop.write("PUT", f"/stock_availables/{row['id']}", entity("stock_available", fields))
    assert response.status_code == 200 and response.json()["stock_available"]["quantity"] == "17"
    assert shop.stock(1) == 17
    partial = {"id": row["id"], "quantity": "3"}
    response = shop.write("PUT", f"/stock_availables/{row['id']}", entity("stock_available", partial))
    assert response.status_code == 400 and error_of(response) == (41, 'parameter "id_product" required')
    assert shop.stock(1) == 17


def test_stock_patch_takes_only_the_quantity_and_keeps_the_rest(shop):
    row = stock_row(shop)
    shop.store.tables["stock_availables"][int(row["id"])]["location"] = "Aisle 4"
    response = shop.write(
        "PATCH", f"/stock_availables/{row['id']}", entity("stock_available", {"id": row["id"], "quantity": "9"})
    )
    assert response.status_code == 200
    after = stock_row(shop)
    assert after["quantity"] == "9" and after["location"] == "Aisle 4" and after["out_of_stock"] == row["out_of_stock"]


def test_put_resets_what_it_leaves_out(shop):
    product = shop.get_json("/products/1")["product"]
    fields = {k: v for k, v in product.items() if k not in ("associations", "quantity", "manufacturer_name", "id")}
    fields = {k: ({int(n["id"]): n["value"] for n in v} if isinstance(v, list) else v) for k, v in fields.items()}
    fields.pop("reference")
    response = shop.write("PUT", "/products/1", entity("product", {"id": 1, **fields}))
    assert response.status_code == 200, response.text
    assert shop.get_json("/products/1")["product"]["reference"] == ""


def test_read_only_fields_are_refused(shop):
    response = shop.write("PATCH", "/products/1", entity("product", {"id": 1, "quantity": 5}))
    assert response.status_code == 400
    assert error_of(response) == (93, 'parameter "quantity" not writable. Please remove this attribute of this XML')


def test_patch_is_refused_on_1_7(make_shop):
    shop = make_shop(version="1.7.8.11")
    row = stock_row(shop)
    response = shop.write(
        "PATCH", f"/stock_availables/{row['id']}", entity("stock_available", {"id": row["id"], "quantity": "9"})
    )
    assert response.status_code == 405 and error_of(response) == (23, "Method PATCH is not valid")
    assert response.headers["psws-version"] == "1.7.8.11"
    assert shop.stock(1) == int(row["quantity"])


def test_a_json_body_is_an_xml_error(shop):
    with shop.client(json=True) as client:
        response = client.post("/customers", json={"customer": {"email": "a@example.com"}})
    assert response.status_code == 500
    code, message = error_of(response)
    assert code == 127 and message.startswith("XML error")
    assert shop.store.tables["customers"] == {}


def test_entities_without_or_with_ids(shop):
    response = shop.write("POST", "/zones", entity("zone", {"id": 3, "name": "Asia"}))
    assert response.status_code == 400 and error_of(response)[0] == 91
    response = shop.write("PUT", "/zones/1", entity("zone", {"name": "Asia"}))
    assert response.status_code == 400 and error_of(response)[0] == 90
    response = shop.write("PUT", "/zones/99", entity("zone", {"id": 99, "name": "Asia"}))
    assert response.status_code == 404 and error_of(response)[0] == 92


def test_required_and_invalid_fields_are_named(shop):
    response = shop.write(
        "POST", "/customers", entity("customer", {"lastname": "Doe", "firstname": "Jo", "passwd": "secret123"})
    )
    assert response.status_code == 400 and error_of(response) == (41, 'parameter "email" required')
    response = shop.write(
        "POST",
        "/customers",
        entity("customer", {"lastname": "Doe", "firstname": "Jo", "passwd": "secret123", "email": "not-an-email"}),
    )
    assert response.status_code == 400
    assert error_of(response) == (85, 'Validation error: "Property Customer->email is not valid"')
    response = shop.write("POST", "/products", entity("product", {"price": "3", "link_rewrite": {1: "x"}}))
    assert response.status_code == 400
    assert error_of(response) == (84, 'Validation error: "Property Product->name is empty."')


def test_a_new_product_and_combination_get_their_stock_rows(shop):
    response = shop.write(
        "POST",
        "/products",
        entity("product", {"price": "10", "name": {1: "Mug", 2: "Tasse"}, "link_rewrite": {1: "mug", 2: "tasse"}}),
    )
    assert response.status_code == 201
    product_id = response.json()["product"]["id"]
    response = shop.write(
        "POST",
        "/combinations",
        entity("combination", {"id_product": product_id, "minimal_quantity": 1, "price": "-1.5"}),
    )
    assert response.status_code == 201 and response.json()["combination"]["price"] == "-1.500000"
    combination_id = response.json()["combination"]["id"]
    assert shop.stock(product_id) == 0 and shop.stock(product_id, combination_id) == 0


def test_date_upd_moves_with_the_product_not_its_combinations_or_stock(shop):
    product = product_with_combinations(shop)
    product_id = int(product["id"])
    combination = shop.store.rows("combinations", id_product=product_id)[0]
    before = shop.get_json(f"/products/{product_id}")["product"]["date_upd"]
    with shop.control() as control:
        control.post("/clock", json={"set": "2026-06-01T10:00:00+00:00"})
        assert control.patch(f"/combinations/{combination['id']}", json={"reference": "NEW-REF"}).status_code == 200
        assert (
            control.put(
                "/stock", json={"id_product": product_id, "id_product_attribute": int(combination["id"]), "quantity": 4}
            ).status_code
            == 200
        )
    assert (
        shop.write(
            "PATCH",
            f"/combinations/{combination['id']}",
            entity("combination", {"id": combination["id"], "ean13": "4006381333931"}),
        ).status_code
        == 200
    )
    row = shop.store.stock_row(product_id, 0)
    assert (
        shop.write(
            "PATCH", f"/stock_availables/{row['id']}", entity("stock_available", {"id": row["id"], "quantity": "1"})
        ).status_code
        == 200
    )
    assert shop.get_json(f"/products/{product_id}")["product"]["date_upd"] == before
    with shop.control() as control:
        assert control.patch(f"/products/{product_id}", json={"name": "Renamed"}).status_code == 200
    assert shop.get_json(f"/products/{product_id}")["product"]["date_upd"] == "2026-06-01 12:00:00"


def test_date_upd_is_shop_time_across_the_spring_change(shop):
    with shop.control() as control:
        control.post("/clock", json={"set": "2026-03-29T00:59:30+00:00"})
        control.patch("/products/1", json={"price": "12.50"})
        first = shop.get_json("/products/1")["product"]["date_upd"]
        control.post("/clock", json={"advance_seconds": 60})
        control.patch("/products/2", json={"active": False})
    second = shop.get_json("/products/2")["product"]
    assert first == "2026-03-29 01:59:30"  # CET, UTC+1
    assert second["date_upd"] == "2026-03-29 03:00:30" and second["active"] == "0"  # CEST, UTC+2
    changed = shop.get_json("/products", date=1, **{"filter[date_upd]": "[2026-03-29 03:00:00,2026-03-29 04:00:00]"})
    assert changed == {"products": [{"id": 2}]}
    assert shop.get_json("/products/1")["product"]["price"] == "12.500000"


def test_ps_method_overrides_the_http_method(shop):
    body = etree.tostring(entity("zone", {"name": "Asia"}))
    with shop.client(json=True) as client:
        response = client.post("/zones", params={"ps_method": "GET"}, content=body)
        assert response.status_code == 200 and {"id": 7} in response.json()["zones"]


def test_delete_one_or_several_ids(shop):
    with shop.client(json=True) as client:
        assert client.delete("/products/1").status_code == 200
        assert client.delete("/products", params={"id": "[2,3]"}).status_code == 200
        response = client.delete("/products", params={"id": "[4,999]"})
    assert response.status_code == 404 and error_of(response) == (87, "Id(s) not exists: 999")
    assert [p["id"] for p in shop.get_json("/products", limit=1)["products"]] == [4]
    assert shop.get_json("/stock_availables", **{"filter[id_product]": "[1]"}) == []


def test_an_uploaded_image_is_served_back(shop):
    picture = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    with shop.client() as client:
        refused = client.post("/images/products/1", files={"image": ("a.webp", b"RIFF", "image/webp")})
        assert refused.status_code == 400
        response = client.post("/images/products/1", files={"image": ("a.png", picture, "image/png")})
        assert response.status_code == 200
        image_id = etree.fromstring(response.content).findtext("image/id")
        assert client.get(f"/images/products/1/{image_id}").content == picture
    ids = [i["id"] for i in shop.get_json("/products/1")["product"]["associations"]["images"]]
    assert image_id in ids


def test_writing_an_orders_current_state_goes_through_its_history(shop):
    from .test_orders import place_order

    order, product_id = place_order(shop)
    response = shop.write("PATCH", f"/orders/{order['id']}", entity("order", {"id": order["id"], "current_state": 6}))
    assert response.status_code == 200 and response.json()["order"]["current_state"] == "6"
    histories = shop.get_json("/order_histories", display="full", **{"filter[id_order]": f"[{order['id']}]"})
    assert [h["id_order_state"] for h in histories["order_histories"]] == ["2", "6"]
    assert shop.stock(product_id) == 10


def test_a_refused_write_changes_nothing_and_other_languages_stay(shop):
    before = shop.get_json("/products/1")["product"]
    response = shop.write(
        "PATCH", "/products/1", entity("product", {"id": 1, "reference": "CHANGED", "price": "not-a-price"})
    )
    assert response.status_code == 400 and error_of(response)[0] == 85
    assert shop.get_json("/products/1")["product"]["reference"] == before["reference"]
    response = shop.write("PATCH", "/products/1", entity("product", {"id": 1, "name": {2: "Nouveau nom"}}))
    names = {n["id"]: n["value"] for n in response.json()["product"]["name"]}
    assert names == {"1": before["name"][0]["value"], "2": "Nouveau nom"}


def test_a_products_own_stock_row_is_the_sum_of_its_combinations(shop):
    product = product_with_combinations(shop)
    product_id = int(product["id"])
    first, *others = shop.store.rows("combinations", id_product=product_id)
    row = shop.store.stock_row(product_id, first["id"])
    assert (
        shop.write(
            "PATCH", f"/stock_availables/{row['id']}", entity("stock_available", {"id": row["id"], "quantity": "50"})
        ).status_code
        == 200
    )
    with shop.control() as control:
        control.put(
            "/stock", json={"id_product": product_id, "id_product_attribute": int(others[0]["id"]), "quantity": 7}
        )
    rest = sum(shop.stock(product_id, int(c["id"])) for c in others[1:])
    assert shop.stock(product_id) == 57 + rest
    assert shop.get_json(f"/products/{product_id}")["product"]["quantity"] == str(57 + rest)
