"""The dashboard and products pages show what the API reports, and their buttons work."""

from __future__ import annotations

import re

from tests.pipeline.helpers import check_prerequisites, run_jobs, sales_warehouse, tee_template
from tests.pipeline.test_api import api  # noqa: F401  (fixture)


def page_counts(html: str) -> dict[str, int]:
    return {key: int(count) for key, count in
            re.findall(r'data-status="(\w+)"><span class="count">(\d+)</span>', html)}


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
