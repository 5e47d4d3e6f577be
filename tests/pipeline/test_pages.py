"""The dashboard and products pages show what the API reports, and their buttons work."""

from __future__ import annotations

import html
import re

from tests.pipeline.helpers import check_prerequisites, run_jobs, sales_warehouse, tee_template
from tests.pipeline.test_api import api  # noqa: F401  (fixture)


def page_counts(html: str) -> dict[str, int]:
    return {key: int(count) for key, count in re.findall(r'data-status="(\w+)"><span class="count">(\d+)</span>', html)}


def test_dashboard_counts_and_bulk_upload_button(api):  # noqa: F811
    world, client = api
    world.import_catalog()
    page = client.get("/dashboard")
    assert "TikTok Shop is not ready for listings yet" in page.text  # prerequisites not checked yet
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    refused = client.post("/dashboard/upload", data={"csrf_token": token})
    assert "prerequisites" in refused.text and refused.url.path == "/dashboard"

    check_prerequisites(world)
    tee_template(world, sales_warehouse(world))
    accepted = client.post("/dashboard/upload", data={"csrf_token": token})
    assert "on their way to TikTok" in accepted.text
    run_jobs(world)

    page = client.get("/dashboard")
    assert "not ready for listings" not in page.text
    assert page_counts(page.text) == client.get("/api/v1/dashboard").json()["products"]

    reviewing = client.get("/products?status=reviewing")
    assert reviewing.text.count('data-product-id="') == page_counts(page.text)["reviewing"] > 0


def test_a_template_made_in_the_browser_links_products(api):  # noqa: F811
    world, client = api
    world.import_catalog()
    assert "No templates yet" in client.get("/templates").text
    step_one = client.get("/templates/new")
    assert "T-Shirts" in step_one.text and "T-shirts" in step_one.text  # store types and TikTok leaves
    step_two = client.get(
        "/templates/new", params={"name": "Tees", "product_type": "T-Shirts", "category_id": "9601302", "markup": "10"}
    )
    material = re.search(r'name="attr_100347"[^>]*>\s*<option value="(\d+)"', step_two.text)
    assert material, "the category's required attribute is asked for"
    warehouse = re.search(r'name="warehouse_id"[^>]*>\s*<option value="(\d+)"', step_two.text).group(1)
    form = {
        name: value for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', step_two.text)
    }
    saved = client.post(
        "/templates/new", data={**form, "attr_100347": material.group(1), "warehouse_id": warehouse, "weight": "0.5"}
    )
    assert saved.url.path == "/templates" and "Template saved" in saved.text
    templates = client.get("/api/v1/templates").json()
    assert templates[0]["name"] == "Tees" and templates[0]["linked_products"] > 0
    spec = client.get(f"/api/v1/templates/{templates[0]['id']}").json()
    assert spec["price"]["amount"] == "10" and spec["inventory"]["default_warehouse_id"] == warehouse


def _checked_category(page: str) -> list[str]:
    return re.findall(r'<input type="radio" name="category_id" value="(\d+)" checked>', page)


def test_the_recommended_category_follows_the_products_and_a_chosen_one_stays_in_view(api):  # noqa: F811
    """Changing which products a new template takes changes TikTok's recommendation: a category taken from
    the earlier recommendation follows it, and one the merchant chose stays chosen and shown, never carried
    along out of sight (step two once named the category recommended for other products)."""
    world, client = api
    world.import_catalog()
    first = client.get("/templates/new", params={"name": "Hoodies", "product_type": "Hoodies"})
    earlier = re.search(r'name="recommended_id" value="(\d+)"', first.text).group(1)
    assert _checked_category(first.text) == [earlier]  # a new template starts from TikTok's recommendation

    # The merchant now asks for T-shirts and counts them: the page reloads with a new recommendation.
    tees = {"name": "Tees", "rule_field": "product_type", "rule_operator": "equals", "rule_value": "T-Shirts"}
    counted = client.get(
        "/templates/new", params={**tees, "category_id": earlier, "recommended_id": earlier, "step": "search"}
    )
    now = re.search(r'name="recommended_id" value="(\d+)"', counted.text).group(1)
    assert now != earlier and _checked_category(counted.text) == [now]
    assert 'data-testid="chosen-category"' not in counted.text

    # A category the merchant picked (from a search, say) is kept through the count, and shown as chosen.
    kept = client.get("/templates/new", params={**tees, "category_id": earlier, "step": "search"})
    assert _checked_category(kept.text) == [earlier]
    chosen = re.search(r'data-testid="chosen-category">(.*?)</p>', kept.text, re.DOTALL).group(1)
    assert "Your choice so far" in chosen and f'value="{earlier}" checked' in chosen
    step_two = client.get("/templates/new", params={**tees, "category_id": now, "step": "next"})
    assert "T-shirts" in re.search(r"products? go(?:es)? to <strong>([^<]+)</strong>", step_two.text).group(1)


def test_a_shop_that_refuses_tokbridges_access_asks_to_be_reconnected_not_waited_for(api):  # noqa: F811
    """The seller removed the app on TikTok: the template pages say to reconnect the shop; before, they said
    TikTok did not answer and to wait a minute, which never helps."""
    world, client = api
    world.import_catalog()
    world.tiktok_control("POST", "/sandbox/seller/deauthorize")
    page = client.get("/templates/new")
    assert page.status_code == 409, page.text
    shown = html.unescape(page.text)
    assert "TikTok no longer accepts TokBridge's access to your shop: reconnect it in Settings." in shown
    assert "did not answer" not in shown and "Traceback" not in shown
