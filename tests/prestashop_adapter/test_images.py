"""Product images are Webservice URLs the shop serves only to a key holder: the plugin gives the publisher
the key for them (`image_headers`), and for no other address."""

from __future__ import annotations

import httpx

from tokbridge.channels import registry


def test_an_image_is_downloaded_with_the_key_and_the_key_goes_nowhere_else(live_prestashop, sqlite_engine):
    live = live_prestashop()
    store = live.store(sqlite_engine)
    plugin = registry.plugin("prestashop")
    product = store.product(str(live.products()[0]["id_product"]))
    url = product.images[0].url

    headers = plugin.image_headers(live.connection, url)
    with httpx.Client() as http:
        assert http.get(url).status_code == 401
        answer = http.get(url, headers=headers)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("image/")
    assert answer.content[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xdb", b"\xff\xd8\xff\xe1")

    assert plugin.image_headers(live.connection, "https://cdn.example.com/api/images/products/1/1") == {}
    assert plugin.image_headers(live.connection, live.base_url + "/api/products/1") == {}
