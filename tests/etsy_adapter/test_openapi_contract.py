"""Every request the Etsy plugin sends, and every answer it gets, is what Etsy's OpenAPI document
(2026-08) describes: the plugin runs its whole life against the sandbox (connect, catalog, changes, one
product, stock set and adjusted) while an httpx event hook records its real traffic, then openapi-core
validates each request and response of every operation it used.

The document is read from ../shared/reference at test time (never copied into the repository); two of
its quirks are corrected in memory so that the validator accepts it (see `patched_document`)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tokbridge.channels import registry
from tokbridge.channels.base import InventoryChange, InventoryQuantity
from tokbridge.channels.models import ChannelConnection
from tokbridge.config import get_settings
from tokbridge_sandboxes.etsy.published import DOCUMENT_NAME, document_path, patched_document

# openapi-core checks the api_key scheme (`x-api-key`) and warns that it cannot check oauth2's.
pytestmark = pytest.mark.filterwarnings("ignore:Unsupported scheme type")

ETSY_HOST = "https://openapi.etsy.com"  # the document's server
# What the plugin must have used, at least: the operations of its port.
OPERATIONS = {
    "getMe",
    "getShop",
    "tokenScopes",
    "getListingsByShop",
    "getListingsInventoryByListingIds",
    "getListing",
    "getListingInventory",
    "updateListingInventory",
}


@pytest.fixture(scope="module")
def document() -> dict:
    path = document_path()
    if path is None:
        pytest.skip(f"Etsy's OpenAPI document ({DOCUMENT_NAME}) is not in ../shared/reference")
    return patched_document(path)


def operation_of(document: dict, method: str, path: str) -> str | None:
    """The operationId of a request path, literal paths before templated ones (as the document routes)."""
    candidates = []
    for template, operations in document["paths"].items():
        pattern = "^" + re.sub(r"\{[^}/]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            candidates.append((template.count("{"), operations[method.lower()]["operationId"]))
    return min(candidates)[1] if candidates else None


class Recorder:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.exchanges: list[tuple[httpx.Request, httpx.Response]] = []

        self.token_requests: list[httpx.Request] = []

    def hook(self, response: httpx.Response) -> None:
        url = str(response.request.url)
        if url.startswith(self.base_url + "/v3/application/"):
            response.read()
            self.exchanges.append((response.request, response))
        elif url.startswith(self.base_url + "/v3/public/oauth/token"):
            # The token endpoint is the document's OAuth flow (`tokenUrl`), not one of its paths.
            self.token_requests.append(response.request)


def validate(openapi, request: httpx.Request, response: httpx.Response) -> None:
    from openapi_core.testing import MockRequest, MockResponse

    args: dict[str, list[str]] = {}
    for key, value in parse_qsl(urlsplit(str(request.url)).query, keep_blank_values=True):
        args.setdefault(key, []).append(value)
    content_type = request.headers.get("content-type", "application/json").split(";")[0]
    mock_request = MockRequest(
        ETSY_HOST,
        request.method.lower(),
        request.url.path,
        args=args,
        headers=dict(request.headers),
        data=request.content or None,
        content_type=content_type,
    )
    openapi.validate_request(mock_request)
    mock_response = MockResponse(
        response.content,
        status_code=response.status_code,
        content_type=response.headers.get("content-type", "application/json"),
        headers=dict(response.headers),
    )
    openapi.validate_response(mock_request, mock_response)


def test_every_request_and_answer_of_the_plugin_matches_etsys_document(
    live_etsy, document, monkeypatch, sqlite_url, tmp_path
):
    from openapi_core import OpenAPI

    openapi = OpenAPI.from_dict(document)
    etsy = live_etsy(auto_approve=True)
    recorder = Recorder(etsy.base_url)

    class RecordingClient(httpx.Client):
        def __init__(self, *args, **kwargs):
            kwargs["event_hooks"] = {"response": [recorder.hook]}
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(httpx, "Client", RecordingClient)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ETSY_PAGE_SIZE", "10")
    get_settings.cache_clear()
    settings = get_settings()
    plugin = registry.plugin("etsy")
    connector = plugin.connector

    # Connect: the consent page approves at once (auto_approve) and sends the seller back with a code.
    callback = "https://tokbridge.test/connect/etsy/callback"
    start = connector.begin(
        settings, account=connector.account_of({}), state="signed-state-1", callback_url=callback, answers={}
    )
    with httpx.Client(follow_redirects=False) as browser:
        back = browser.get(start.redirect_url).headers["location"]
    returned = connector.read_return(settings, dict(parse_qsl(urlsplit(back).query)))
    grant = connector.finish(settings, returned, callback_url=callback)
    assert grant.external_id == str(etsy.config.shop_id) and not connector.missing_scopes(grant.scopes)

    connection = ChannelConnection(
        merchant_id=1, channel="etsy", external_id=grant.external_id, name=grant.name, data={}, scopes=grant.scopes
    )
    connection.access_token = grant.access_token
    with plugin.store(settings, None, connection) as store:
        assert store.shop_details()["currency"] == etsy.config.currency
        catalog = [item for item in store.read_catalog(None).items if hasattr(item, "variants")]
        assert len(catalog) == etsy.config.catalog_size
        variant = next(
            v
            for product in catalog
            if product.status == "active"
            for v in product.variants
            if v.inventory_item_external_id and v.inventory_levels[0].available > 2
        )
        product_id = next(p.external_id for p in catalog if variant in p.variants)
        etsy.control("PATCH", f"/sandbox/listings/{product_id}", json={"title": "Changed"})
        changed = store.products_changed_since(max(p.updated_at for p in catalog if p.external_id != product_id))
        assert product_id in {p.external_id for p in changed.products}
        assert store.product(product_id).title == "Changed"
        shop = str(etsy.config.shop_id)
        store.set_inventory(
            [
                InventoryQuantity(
                    variant.inventory_item_external_id,
                    shop,
                    9,
                    change_from_quantity=variant.inventory_levels[0].available,
                )
            ],
            idempotency_key="contract",
        )
        store.adjust_inventory(
            [InventoryChange(variant.inventory_item_external_id, shop, -2)],
            reason="correction",
            idempotency_key="contract-order",
        )
        assert (
            store.product(product_id)
            .variants[product_variant_index(store, product_id, variant)]
            .inventory_levels[0]
            .available
            == 7
        )

    used = {operation_of(document, request.method, request.url.path) for request, _ in recorder.exchanges}
    assert OPERATIONS <= used, f"not exercised: {sorted(OPERATIONS - used)}"
    for request, response in recorder.exchanges:
        assert response.status_code < 400, (request.url.path, response.text)
        validate(openapi, request, response)
    assert len(recorder.exchanges) >= len(OPERATIONS)
    [exchange] = recorder.token_requests
    assert exchange.headers["content-type"] == "application/x-www-form-urlencoded"
    sent = dict(parse_qsl(exchange.content.decode()))
    assert sent["grant_type"] == "authorization_code" and sent["redirect_uri"] == callback
    assert {"client_id", "code", "code_verifier"} <= set(sent)


def product_variant_index(store, product_id: str, variant) -> int:
    return [v.external_id for v in store.product(product_id).variants].index(variant.external_id)


def test_the_check_catches_a_request_the_document_refuses(document):
    """The validation itself can fail: a comma-joined id list where the document wants repeated ids."""
    from openapi_core import OpenAPI

    openapi = OpenAPI.from_dict(document)
    request = httpx.Request(
        "GET",
        f"{ETSY_HOST}/v3/application/listings/batch/inventory?listing_ids=1,2",
        headers={"x-api-key": "k:s", "authorization": "Bearer 1.t"},
    )
    response = httpx.Response(200, json={"count": 0, "results": []}, request=request)
    with pytest.raises(Exception, match="listing_ids|parameter|Invalid"):
        validate(openapi, request, response)
