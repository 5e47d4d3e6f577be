"""Contract: the client against the TikTok sandbox over HTTP — authorization, reference data, products."""

from __future__ import annotations

import time
import uuid
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tokbridge.channels.tiktok import models as m
from tokbridge.channels.tiktok.auth import StateSigner, authorization_url
from tokbridge.channels.tiktok.errors import InvalidTokenError, ValidationError

from .builders import default_warehouse, tshirt, tshirt_category, upload


def test_seller_authorization_round_trip(tiktok):
    """Consent page -> redirect with code and our state -> token -> authorized shops with cipher."""
    signer = StateSigner("app-secret-key")
    link = authorization_url(tiktok.app, signer.issue("merchant-7"))
    assert link.startswith(tiktok.base_url + "/open/authorize?service_id=")
    with httpx.Client() as browser:
        assert browser.get(link).status_code == 200  # the consent page
        redirect = browser.post(link, data={"decision": "allow"})
    assert redirect.status_code == 302
    params = parse_qs(urlparse(redirect.headers["location"]).query)
    assert signer.verify(params["state"][0]) == "merchant-7"

    grant = tiktok.auth.get_token(params["code"][0])
    now = time.time()
    # Absolute timestamps: about 7 days and about a year from now, not durations.
    assert now + 6 * 86400 < grant.access_token_expire_in < now + 8 * 86400
    assert grant.refresh_token_expire_in > now + 300 * 86400
    assert grant.granted_scopes
    shops = tiktok.auth.authorized_shops(grant.access_token)
    assert [shop.id for shop in shops] == [tiktok.shop.id]
    assert shops[0].cipher.startswith("GCP_") and shops[0].region == "US"

    with pytest.raises(InvalidTokenError) as used_twice:  # an auth code works once
        tiktok.auth.get_token(params["code"][0])
    assert used_twice.value.code == 36004005


def test_reference_data(tiktok):
    client = tiktok.client
    categories = client.get_categories(category_version="v2")
    assert categories and all(isinstance(c.id, str) for c in categories)
    assert any(c.parent_id == "0" for c in categories) and any(c.is_leaf for c in categories)
    leaf = tshirt_category(client)
    rules = client.get_category_rules(leaf.id, category_version="v2")
    assert rules.size_chart is not None
    attributes = client.get_attributes(leaf.id, category_version="v2")
    assert {"SALES_PROPERTY", "PRODUCT_PROPERTY"} <= {a.type for a in attributes}
    assert any(a.is_required for a in attributes)

    first_page = client.get_brands(page_size=2)
    assert len(first_page.brands) == 2 and first_page.next_page_token
    every_brand = list(client.iter_brands(page_size=2))
    assert len(every_brand) == len({b.id for b in every_brand}) > 2
    authorized = list(client.iter_brands(page_size=2, is_authorized=True))
    assert authorized and {b.authorized_status for b in authorized} == {"AUTHORIZED"}
    assert len(authorized) < len(every_brand)

    recommended = client.recommend_category(
        m.RecommendCategoryInput(product_title="Men's cotton crew neck t-shirt", category_version="v2")
    )
    assert recommended.leaf_category_id == leaf.id


def test_wrong_category_version_is_a_validation_error(tiktok):
    leaf = tshirt_category(tiktok.client)
    with pytest.raises(ValidationError) as error:
        tiktok.client.get_category_rules(leaf.id, category_version="v1")
    assert error.value.request_id and error.value.code


def test_listing_prerequisites_follow_the_shop(tiktok):
    checks = tiktok.client.check_listing_prerequisites()
    assert checks and not any(c.is_failed for c in checks)
    tiktok.sandbox_control("PUT", f"/sandbox/shops/{tiktok.shop.id}/prerequisites", {"failing": ["RETURN_WAREHOUSE"]})
    failed = {c.check_item: c for c in tiktok.client.check_listing_prerequisites()}
    assert failed["RETURN_WAREHOUSE"].is_failed and failed["RETURN_WAREHOUSE"].fail_reasons
    assert not failed["SHOP_STATUS"].is_failed


def test_create_is_idempotent_and_goes_live_after_review(tiktok):
    client = tiktok.client
    product = tshirt(client)
    assert client.check_product_listing(product).passed
    key = str(uuid.uuid4())
    created = client.create_product(product.model_copy(update={"idempotency_key": key}))
    assert created.product_id.isdigit() and len(created.skus) == 2
    assert {sku.external_sku_id for sku in created.skus} == {
        "gid://shopify/ProductVariant/1000",
        "gid://shopify/ProductVariant/1001",
    }
    # A retried job sends the same key: TikTok answers with the first product, no duplicate.
    assert client.create_product(product.model_copy(update={"idempotency_key": key})).product_id == created.product_id
    assert sum(1 for _ in client.iter_products()) == 1

    pending = client.get_product(created.product_id)
    assert pending.status == "PENDING" and pending.external_product_id == "gid://shopify/Product/1"
    tiktok.sandbox_control("POST", f"/sandbox/products/{created.product_id}/review", {"outcome": "APPROVED"})
    assert client.get_product(created.product_id).status == "ACTIVATE"


def test_edit_partial_edit_inventory_and_price(tiktok):
    client = tiktok.client
    created = client.create_product(tshirt(client))
    tiktok.sandbox_control("POST", f"/sandbox/products/{created.product_id}/review", {"outcome": "APPROVED"})
    warehouse = default_warehouse(client)

    edited = client.edit_product(created.product_id, tshirt(client, title="Organic Cotton Crew T-shirt, relaxed fit"))
    assert edited.product_id == created.product_id
    partial = client.partial_edit_product(created.product_id, {"description": "<p>Now even softer.</p>"})
    assert partial.product_id == created.product_id

    sku_ids = [sku.id for sku in client.get_product(created.product_id).skus]
    result = client.update_inventory(
        created.product_id,
        [m.InventoryUpdate(id=sku_ids[0], inventory=[m.WarehouseStock(warehouse_id=warehouse.id, quantity=7)])],
    )
    assert result.errors == []
    client.update_price(
        created.product_id, [m.PriceUpdate(id=sku_ids[0], price=m.Price(amount="24.00", currency="USD"))]
    )
    sku = next(s for s in client.get_product(created.product_id).skus if s.id == sku_ids[0])
    assert sku.inventory[0].quantity == 7
    assert sku.price["currency"] == "USD" and "24" in str(sku.price)


def test_upload_rejects_a_tiny_image_with_its_field(tiktok):
    with pytest.raises(ValidationError) as error:
        upload(tiktok.client, width=50, height=50)
    assert error.value.code == 12038014


def test_search_pages_and_batch_operations_chunk_by_twenty(tiktok):
    client = tiktok.client
    image = upload(client)
    ids = [
        client.create_product(tshirt(client, sku_count=1, number=n, main_images=[m.ImageRef(uri=image)])).product_id
        for n in range(1, 24)
    ]
    # 23 products, 5 per page: the iterator follows next_page_token to the end.
    page = client.search_products(page_size=5)
    assert len(page.products) == 5 and page.next_page_token
    assert sorted(p.id for p in client.iter_products(page_size=5)) == sorted(ids)

    for product_id in ids:
        tiktok.sandbox_control("POST", f"/sandbox/products/{product_id}/review", {"outcome": "APPROVED"})
    unknown = "1729000000000000001"
    result = client.deactivate_products([*ids, unknown])  # 24 ids: two calls of 20 and 4
    assert result.failed_ids() == {unknown}
    assert {p.status for p in client.iter_products(m.ProductSearch(status="SELLER_DEACTIVATED"))} == {
        "SELLER_DEACTIVATED"
    }
    assert client.activate_products(ids).errors == []
    assert client.delete_products(ids[:21]).errors == []
    assert {p.id for p in client.iter_products(m.ProductSearch(status="DELETED"))} == set(ids[:21])
    assert client.recover_products(ids[:21]).errors == []
    assert not list(client.iter_products(m.ProductSearch(status="DELETED")))


def test_create_validation_error_names_the_field(tiktok):
    product = tshirt(tiktok.client, title="")
    with pytest.raises(ValidationError) as error:
        tiktok.client.create_product(product)
    assert error.value.code == 12052261 and error.value.field == "title"
    assert error.value.message == "product name is empty" and error.value.request_id

    unknown_warehouse = tshirt(tiktok.client)
    unknown_warehouse.skus[0].inventory[0].warehouse_id = "1"
    with pytest.raises(ValidationError) as error:
        tiktok.client.create_product(unknown_warehouse)
    assert error.value.field == "skus.inventory.warehouse_id"
