"""The sandbox's Seller Center page: a shop configured with a failing prerequisite, fixed there."""

from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError

from .conftest import make_config


def _failing(client) -> set[str]:
    checks = client.ok("GET", "/product/202312/prerequisites")["check_results"]
    return {c["check_item"] for c in checks if c["is_failed"]}


def test_a_prerequisite_configured_as_failing_is_fixed_in_seller_center(sandbox_factory):
    _, base_url, client = sandbox_factory(failing_checks=["RETURN_WAREHOUSE"])
    assert _failing(client) == {"RETURN_WAREHOUSE"}

    # The connector links to Seller Center paths such as /account/warehouse; all land on the page.
    page = httpx.get(base_url + "/seller/account/warehouse")
    assert page.status_code == 200 and "RETURN_WAREHOUSE" in page.text and "Mark as done" in page.text

    shop_id = client.control("GET", "/sandbox/state")["shops"][0]["id"]
    fixed = httpx.post(
        base_url + "/seller/fix", data={"shop_id": shop_id, "item": "RETURN_WAREHOUSE"}, follow_redirects=True
    )
    assert fixed.status_code == 200 and "RETURN_WAREHOUSE is done" in fixed.text
    assert "Every listing prerequisite is met" in fixed.text
    assert _failing(client) == set()


def test_unknown_shop_or_item_is_refused(sandbox_factory):
    _, base_url, client = sandbox_factory(failing_checks=["SHOP_TAX"])
    shop_id = client.control("GET", "/sandbox/state")["shops"][0]["id"]
    assert httpx.post(base_url + "/seller/fix", data={"shop_id": shop_id, "item": "NOPE"}).status_code == 400
    assert httpx.post(base_url + "/seller/fix", data={"shop_id": "0", "item": "SHOP_TAX"}).status_code == 400
    assert _failing(client) == {"SHOP_TAX"}


def test_unknown_items_in_the_setting_stop_start_up():
    with pytest.raises(ValidationError, match="unknown prerequisite items"):
        make_config(failing_checks=["RETURN_WAREHOUS"])
