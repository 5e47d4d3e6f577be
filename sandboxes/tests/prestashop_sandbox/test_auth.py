"""Keys and permissions answer with PrestaShop's statuses, codes and messages (WebserviceRequest)."""

from __future__ import annotations

import httpx
import pytest
from lxml import etree

from .conftest import KEY, entity, error_of

REALM = (
    'Basic realm="Welcome to PrestaShop Webservice, please enter the authentication key as the login. '
    'No password required."'
)
LIMITED = "L" * 32


def test_no_key_is_the_dispatchers_bare_401_with_the_realm(shop):
    response = httpx.get(shop.url + "/api/products")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == REALM
    assert response.text == "401 Unauthorized"


@pytest.mark.parametrize(
    ("key", "code", "message"),
    [
        ("U" * 32, 20, "Authentification key is not active"),
        ("short", 18, "Invalid authentication key format"),
    ],
)
def test_a_wrong_key_gets_the_error_body_and_the_realm(shop, key, code, message):
    with shop.client(key) as client:
        response = client.get("/products")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == REALM
    assert response.headers["psws-version"] == "8.1.7"
    assert error_of(response) == (code, message)
    assert b"<![CDATA[" in response.content  # PrestaShop's XML writes values as CDATA


def test_a_key_with_every_permission(shop):
    shop.grant(LIMITED, "*")
    with shop.client(LIMITED) as client:
        api = etree.fromstring(client.get("/").content).find("api")
    assert len(api) > 25 and all(node.get(m) == "true" for node in api for m in ("get", "patch", "delete"))


def test_the_key_works_as_ws_key_too(shop):
    response = httpx.get(shop.url + "/api/languages", params={"ws_key": KEY})
    assert response.status_code == 200


def test_a_disabled_key_stops_working(shop):
    shop.grant(LIMITED, {"products": ["GET"]})
    with shop.client(LIMITED) as client:
        assert client.get("/products").status_code == 200
        with shop.control() as control:
            assert control.delete(f"/keys/{LIMITED}").status_code == 204
        response = client.get("/products")
    assert response.status_code == 401 and error_of(response)[0] == 20


def test_a_resource_not_granted_is_401_code_26(shop):
    shop.grant(LIMITED, {"products": ["GET"]})
    with shop.client(LIMITED) as client:
        response = client.get("/orders")
    assert response.status_code == 401
    assert error_of(response) == (26, 'Resource of type "orders" is not allowed with this authentication key')
    assert "www-authenticate" not in response.headers


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_a_method_the_key_lacks_is_405_code_25(shop, method):
    others = [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m != method]
    shop.grant(LIMITED, {"customers": others})
    body = etree.tostring(entity("customer", {"id": 1}))
    with shop.client(LIMITED, json=True) as client:
        response = client.request(method, "/customers/1", content=body)
    assert response.status_code == 405
    assert error_of(response) == (
        25,
        f"Method {method} is not allowed for the resource customers with this authentication key",
    )


def test_a_method_the_resource_never_takes_is_405_code_101(shop):
    with shop.client() as client:
        response = client.delete("/stock_availables/1")
    assert response.status_code == 405 and error_of(response)[0] == 101


def test_the_index_lists_granted_resources_with_a_flag_per_method(shop):
    shop.grant(LIMITED, {"products": ["GET", "HEAD"], "stock_availables": ["GET", "PUT", "PATCH"]})
    with shop.client(LIMITED) as client:
        response = client.get("/")
    api = etree.fromstring(response.content).find("api")
    assert [child.tag for child in api] == ["products", "stock_availables"]
    stock = api.find("stock_availables")
    assert {m: stock.get(m) for m in ("get", "put", "post", "patch", "delete", "head")} == {
        "get": "true",
        "put": "true",
        "post": "false",
        "patch": "true",
        "delete": "false",
        "head": "false",
    }


def test_an_unknown_resource_is_400_code_27_with_a_suggestion(shop):
    with shop.client(json=True) as client:
        response = client.get("/prodcts")
    assert response.status_code == 400
    code, message = error_of(response)
    assert code == 27 and 'Did you mean: "products"' in message


def test_a_shop_outside_the_key_is_403(make_shop):
    shop = make_shop(shops=2)
    with shop.client() as client:
        assert client.get("/products", params={"id_shop": 2}).status_code == 200
        response = client.get("/products", params={"id_shop": 5})
    assert response.status_code == 403 and error_of(response) == (132, "No permission for this key on this shop")


def test_errors_come_as_json_when_asked(shop):
    with shop.client(json=True) as client:
        response = client.get("/products/9999")
    assert response.status_code == 404
    assert response.json() == {"errors": [{"code": 87, "message": "Id(s) not exists: 9999"}]}
