"""Fixtures for the PrestaShop sandbox tests: a served sandbox with a frozen clock, a key with every
permission, and clients that speak XML (lxml) or JSON to it over HTTP."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest
from lxml import etree

from tokbridge_sandboxes.prestashop import SandboxConfig, Store, create_app
from tokbridge_sandboxes.serving import serve_in_thread

KEY = "K" * 32


@dataclass
class Shop:
    url: str
    store: Store

    def client(self, key: str | None = KEY, json: bool = False) -> httpx.Client:
        return httpx.Client(
            base_url=self.url + "/api",
            auth=(key, "") if key is not None else None,
            timeout=10,
            params={"output_format": "JSON"} if json else None,
        )

    def control(self) -> httpx.Client:
        return httpx.Client(base_url=self.url + "/sandbox", timeout=10)

    def grant(self, key: str, permissions: dict) -> None:
        with self.control() as control:
            assert control.post("/keys", json={"key": key, "permissions": permissions}).status_code == 201

    def get_json(self, path: str, **params) -> dict | list:
        with self.client(json=True) as client:
            response = client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def write(self, method: str, path: str, root: etree._Element, **params) -> httpx.Response:
        with self.client(json=True) as client:
            return client.request(
                method, path, params=params, content=etree.tostring(root), headers={"content-type": "text/xml"}
            )

    def stock(self, id_product: int, id_product_attribute: int = 0, id_shop: int = 1) -> int:
        with self.control() as control:
            return control.get(
                "/stock",
                params={"id_product": id_product, "id_product_attribute": id_product_attribute, "id_shop": id_shop},
            ).json()["quantity"]


def entity(tag: str, fields: dict, associations: dict | None = None) -> etree._Element:
    """A write body: <prestashop><tag><field>value</field>...</tag></prestashop>, built with lxml."""
    root = etree.Element("prestashop")
    node = etree.SubElement(root, tag)
    for name, value in fields.items():
        child = etree.SubElement(node, name)
        if isinstance(value, dict):
            for lang, text in value.items():
                etree.SubElement(child, "language", id=str(lang)).text = text
        else:
            child.text = str(value)
    if associations:
        group = etree.SubElement(node, "associations")
        for name, (element, rows) in associations.items():
            holder = etree.SubElement(group, name)
            for row in rows:
                row_node = etree.SubElement(holder, element)
                for field_name, value in row.items():
                    etree.SubElement(row_node, field_name).text = str(value)
    return root


def error_of(response: httpx.Response) -> tuple[int, str]:
    """PrestaShop's error body, XML or JSON: (code, message) of the first error."""
    if response.headers["content-type"].startswith("application/json"):
        error = response.json()["errors"][0]
        return int(error["code"]), error["message"]
    root = etree.fromstring(response.content)
    return int(root.findtext("errors/error/code")), root.findtext("errors/error/message")


def serve(**settings):
    base = {"catalog_size": 20, "seed": 7, "bootstrap_key": KEY, "frozen_clock": True}
    app = create_app(SandboxConfig(**{**base, **settings}))
    return app, serve_in_thread(app)


@pytest.fixture
def shop():
    app, server = serve()
    with server as url:
        yield Shop(url, app.state.sandbox)


@pytest.fixture
def make_shop():
    """A sandbox with other settings: `make_shop(version="1.7.8.11")`."""
    with ExitStack() as stack:

        def make(**settings) -> Shop:
            app, server = serve(**settings)
            return Shop(stack.enter_context(server), app.state.sandbox)

        yield make
