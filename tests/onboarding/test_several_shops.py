"""Several TikTok shops per merchant, through the browser, against the sandboxes over HTTP: TikTok's
consent covers a US and a UK shop; the merchant connects both (or one, then the other with a second
authorization), switches between them in the header, and each shop lists the merchant's store."""

from __future__ import annotations

import re

from sqlalchemy import select

from tokbridge.db.engine import session_scope
from tokbridge.listings import prerequisites as steps
from tokbridge.listings.models import SyncSettings
from tokbridge.onboarding.service import prerequisite_checks
from tokbridge.orders.models import OrderSettings
from tokbridge.tenancy.models import WebSession

TWO_SHOPS = {"shop_regions": ["US", "GB"]}
OTHER_STORE = "second-store.myshopify.com"


def _sandbox_shops(world) -> dict[str, dict]:
    return {shop["region"]: shop for shop in world.tiktok_control("GET", "/sandbox/state")["shops"]}


def _by_region(world) -> dict:
    return {c.region: c for c in world.connections("tiktok")}


def _checkboxes(page: str) -> list[str]:
    return re.findall(r'name="connection_id" value="([^"]+)"', page)


def _current_shop(world, merchant) -> str | None:
    with session_scope(world.engine) as session:
        return session.scalar(
            select(WebSession.shop_connection_id)
            .where(WebSession.merchant_id == merchant.merchant_id)
            .order_by(WebSession.created_at.desc())
            .limit(1)
        )


def test_connect_both_shops_at_once_then_switch(start_world):
    world = start_world(catalog=3, tiktok=TWO_SHOPS)
    merchant = world.browser()
    world.connect_shopify(merchant)
    [store] = world.connections("shopify")
    # Configuration saved before any shop exists belongs to no shop yet.
    with session_scope(world.engine) as session:
        session.add_all(
            [
                SyncSettings(
                    merchant_id=merchant.merchant_id,
                    sync_product_info=False,
                    sync_price=True,
                    sync_inventory=True,
                    on_store_delete="delete",
                ),
                OrderSettings(
                    merchant_id=merchant.merchant_id,
                    restock_on_cancel=False,
                    restock_on_return=True,
                    unknown_sku="fail",
                    carrier_map={},
                ),
            ]
        )

    page = world.connect_tiktok(merchant)
    assert page.status_code == 200 and "Choose the shops to connect" in page.text
    choices = _checkboxes(page.text)
    assert len(choices) == 2 and page.text.count("checked") >= 2
    done = merchant.http.post("/connect/tiktok/choose", data={"connection_id": choices, "csrf_token": merchant.csrf()})
    assert done.status_code == 303 and done.headers["location"] == "/dashboard"

    shops = _by_region(world)
    assert {c.status for c in shops.values()} == {"active"} and set(shops) == {"US", "GB"}
    # Each shop lists the merchant's only store; the first connected became the session's shop.
    assert {c.store_connection_id for c in shops.values()} == {store.id}
    assert _current_shop(world, merchant) == choices[0]
    # The first shop adopted what was saved before it.
    with session_scope(world.engine) as session:
        assert session.scalar(select(SyncSettings.connection_id)) == choices[0]
        assert session.scalar(select(OrderSettings.connection_id)) == choices[0]

    listed = merchant.http.get("/api/v1/shops").json()
    assert [(s["region"], s["currency"], s["store_id"], s["current"]) for s in listed] == [
        (shops[region].region, currency, store.id, shops[region].id == choices[0])
        for region, currency in sorted(
            (("US", "USD"), ("GB", "GBP")), key=lambda rc: (shops[rc[0]].created_at, shops[rc[0]].id)
        )
    ]

    # The header's switcher, without JavaScript: a form per other shop.
    gb, us = shops["GB"], shops["US"]
    for target, other in ((gb, us), (us, gb)):  # and back again: the second pass
        header = merchant.http.get("/settings").text
        switched = merchant.http.post(
            "/shops/current", data={"csrf_token": merchant.csrf(), "shop": target.id, "next": "/settings"}
        )
        assert switched.status_code == 303 and switched.headers["location"] == "/settings"
        assert _current_shop(world, merchant) == target.id
        page = merchant.http.get("/settings").text
        current = re.search(r'data-testid="current-shop">([^<]+)<', page).group(1)
        assert target.name in current and f'value="{other.id}"' in page
        assert f"You are working on your TikTok shop {target.name}" in page
        assert target.name not in re.search(r'data-testid="current-shop">([^<]+)<', header).group(1)

    # Settings belong to the chosen shop: switches saved for GB leave US's as they were.
    merchant.http.post("/shops/current", data={"csrf_token": merchant.csrf(), "shop": gb.id, "next": "/settings"})
    saved = merchant.http.post(
        "/settings/sync", data={"csrf_token": merchant.csrf(), "sync_price": "on", "on_store_delete": "deactivate"}
    )
    assert saved.status_code == 303
    assert merchant.http.get("/api/v1/settings/sync").json() == {
        "sync_product_info": False,
        "sync_price": True,
        "sync_inventory": False,
        "on_store_delete": "deactivate",
    }
    assert merchant.http.get(f"/api/v1/settings/sync?shop={us.id}").json() == {
        "sync_product_info": False,
        "sync_price": True,
        "sync_inventory": True,
        "on_store_delete": "delete",
    }
    # The JSON API chooses too.
    chosen = merchant.http.post(
        "/api/v1/shops/current",
        json={"shop": us.id},
        headers={"X-CSRF-Token": merchant.http.get("/api/v1/me").json()["csrf_token"]},
    )
    assert chosen.status_code == 200 and chosen.json()["current"] is True and chosen.json()["currency"] == "USD"
    assert _current_shop(world, merchant) == us.id

    # "Check again" asks TikTok about the chosen shop, not the first one.
    regions = _sandbox_shops(world)
    world.tiktok_control(
        "PUT", f"/sandbox/shops/{regions['GB']['id']}/prerequisites", json={"failing": ["RETURN_WAREHOUSE"]}
    )
    for shop_id, checked in ((gb.id, "GB"), (us.id, "US")):  # both shops, one after the other
        before = {c.region: c.data["prerequisites"]["checked_at"] for c in world.connections("tiktok")}
        merchant.http.post("/shops/current", data={"csrf_token": merchant.csrf(), "shop": shop_id, "next": "/"})
        assert merchant.http.post("/prerequisites/check", data={"csrf_token": merchant.csrf()}).status_code == 303
        after = {c.region: c for c in world.connections("tiktok")}
        assert after[checked].data["prerequisites"]["checked_at"] > before[checked]
        unchecked = "US" if checked == "GB" else "GB"
        assert after[unchecked].data["prerequisites"]["checked_at"] == before[unchecked]
    assert steps.summary(prerequisite_checks(after["GB"]))["complete"] is False
    assert steps.summary(prerequisite_checks(after["US"]))["complete"] is True

    # A fresh sign-in has not chosen: pages working on one shop ask for the choice.
    fresh = _sign_in_again(world, merchant)
    assert fresh.get("/settings").headers["location"] == "/shops?next=/settings"
    assert 'data-testid="choose-shop"' in fresh.get("/shops").text


def _sign_in_again(world, merchant):
    import httpx

    from tests.onboarding.conftest import PASSWORD

    http = httpx.Client(base_url=world.base_url, timeout=30, follow_redirects=False)
    world.browsers.append(type(merchant)(http, merchant.merchant_id))
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/login").text).group(1)
    email = "owner0@example.com"
    assert (
        http.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": token, "next": "/dashboard"}
        ).status_code
        == 303
    )
    return http


def test_a_second_authorization_adds_a_shop_and_keeps_the_first(start_world):
    world = start_world(catalog=0, tiktok=TWO_SHOPS)
    merchant = world.browser()
    regions = _sandbox_shops(world)

    page = world.connect_tiktok(merchant)
    first = next(c for c in world.connections("tiktok") if c.external_id == regions["US"]["id"])
    done = merchant.http.post(
        "/connect/tiktok/choose", data={"connection_id": [first.id], "csrf_token": merchant.csrf()}
    )
    assert done.status_code == 303 and "Choose the shops" in page.text
    [only] = world.connections("tiktok")
    assert only.id == first.id and only.status == "active" and only.store_connection_id is None

    # Later: the same seller authorizes again; the US shop shows as connected, the UK one can be ticked.
    page = world.connect_tiktok(merchant)
    assert page.status_code == 200 and "already connected" in page.text
    [gb_id] = _checkboxes(page.text)
    nothing = merchant.http.post("/connect/tiktok/choose", data={"csrf_token": merchant.csrf()})
    assert nothing.status_code == 400 and "Tick at least one shop" in nothing.text
    done = merchant.http.post("/connect/tiktok/choose", data={"connection_id": [gb_id], "csrf_token": merchant.csrf()})
    assert done.status_code == 303
    shops = _by_region(world)
    assert {c.status for c in shops.values()} == {"active"} and shops["US"].id == first.id
    assert shops["GB"].id == gb_id and _current_shop(world, merchant) == gb_id
    # Both shops have usable tokens, and the switcher lists them.
    header = merchant.http.get("/shops").text
    assert "(US)" in header and "(GB)" in header and "no store linked yet" in header

    # A store connected afterwards is linked to both shops (the merchant's only store).
    world.connect_shopify(merchant)
    [store] = world.connections("shopify")
    assert {c.store_connection_id for c in world.connections("tiktok")} == {store.id}

    # With a second store, the merchant picks on the Shops page which one each shop lists.
    world.shopify_control("POST", "/sandbox/shops", json={"shop": OTHER_STORE, "count": 0})
    world.connect_shopify(merchant, OTHER_STORE)
    second = next(c for c in world.connections("shopify") if c.external_id == OTHER_STORE)
    assert {c.store_connection_id for c in world.connections("tiktok")} == {store.id}  # nothing guessed
    page = merchant.http.get("/shops").text
    assert f'action="/shops/{gb_id}/store"' in page
    linked = merchant.http.post(f"/shops/{gb_id}/store", data={"csrf_token": merchant.csrf(), "store": second.id})
    assert linked.status_code == 303 and linked.headers["location"] == "/shops"
    assert _by_region(world)["GB"].store_connection_id == second.id
    assert _by_region(world)["US"].store_connection_id == store.id
    assert "now lists the catalog" in merchant.http.get("/shops").text
    refused = merchant.http.post(f"/shops/{gb_id}/store", data={"csrf_token": merchant.csrf(), "store": "nope"})
    assert refused.status_code == 303 and "not one of your connected stores" in merchant.http.get("/shops").text
    assert _by_region(world)["GB"].store_connection_id == second.id


def test_a_shop_of_another_account_is_not_connected_again(start_world):
    world = start_world(catalog=0, tiktok=TWO_SHOPS)
    first = world.browser()
    page = world.connect_tiktok(first)
    merchant_choices = _checkboxes(page.text)
    assert (
        first.http.post(
            "/connect/tiktok/choose", data={"connection_id": merchant_choices, "csrf_token": first.csrf()}
        ).status_code
        == 303
    )
    other = world.browser("Other", "other@example.com")
    refused = world.connect_tiktok(other)
    assert refused.status_code == 409 and "connected to another TokBridge account" in refused.text
    assert {c.merchant_id for c in world.connections("tiktok")} == {first.merchant_id}
    assert other.http.get("/api/v1/shops").json() == []
