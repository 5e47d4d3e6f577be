"""The dashboard and products pages show what the API reports, and their buttons work."""

from __future__ import annotations

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
