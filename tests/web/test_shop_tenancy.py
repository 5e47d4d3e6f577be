"""A merchant's shop context never reaches another merchant's TikTok shop: `?shop=` on every page and
`/api/v1` route that works on a shop, the header's switcher and `POST /api/v1/shops/current` all refuse
another merchant's shop id with a 404 that names nothing of it. And no implicit "first connection"
look-up is left in the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from tests.conftest import create_account, sign_in
from tokbridge.channels.models import ChannelConnection
from tokbridge.db.engine import get_engine, session_scope
from tokbridge.tenancy.models import WebSession
from tokbridge.web.deps import optional_shop

SECRET = "Bravo secret shop"


def _shop(session, merchant_id: int, external_id: str, name: str, region: str = "US") -> str:
    row = ChannelConnection(
        merchant_id=merchant_id,
        channel="tiktok",
        external_id=external_id,
        name=name,
        region=region,
        status="active",
        data={"cipher": f"cipher-{external_id}"},
        scopes=[],
    )
    session.add(row)
    session.flush()
    return row.id


@pytest.fixture
def shops(app_settings):
    a = create_account(app_settings, "Alpha", "a@alpha.test")
    b = create_account(app_settings, "Bravo", "b@bravo.test")
    with session_scope(get_engine(app_settings.database_url)) as session:
        return {
            "a_us": _shop(session, a, "7001", "Alpha US shop"),
            "a_gb": _shop(session, a, "7002", "Alpha UK shop", "GB"),
            "b": _shop(session, b, "8001", SECRET),
        }


def _uses_shop(route: APIRoute) -> bool:
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if dependant.call is optional_shop:
            return True
        stack.extend(dependant.dependencies)
    return False


def _api_routes(routes, prefix: str = ""):
    """Every APIRoute, also inside included routers (FastAPI keeps those as one route each)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            yield from _api_routes(route.original_router.routes, prefix + route.include_context.prefix)


def _shop_routes(app) -> list[tuple[str, str]]:
    found = []
    for path, route in _api_routes(app.routes):
        if _uses_shop(route):
            path = re.sub(r"\{[^}]+\}", "1", path)
            found.extend((method, path) for method in sorted(route.methods) if method != "HEAD")
    return found


def _current(app_settings) -> set:
    with session_scope(get_engine(app_settings.database_url)) as session:
        return set(session.scalars(select(WebSession.shop_connection_id)))


def test_every_route_taking_a_shop_refuses_another_merchants_shop(client, shops, web_app, app_settings):
    routes = _shop_routes(web_app)
    # The routes of this slice at least; the other slices' routes join as they take the shop context.
    assert {
        ("GET", "/settings"),
        ("POST", "/settings/sync"),
        ("POST", "/prerequisites/check"),
        ("GET", "/api/v1/settings/sync"),
    } <= set(routes)
    sign_in(client, "a@alpha.test")
    token = client.get("/api/v1/me").json()["csrf_token"]
    for method, path in routes:
        answer = client.request(
            method, f"{path}?shop={shops['b']}", headers={"X-CSRF-Token": token}, follow_redirects=False
        )
        assert answer.status_code == 404, (method, path, answer.status_code, answer.text[:300])
        assert SECRET not in answer.text and "8001" not in answer.text, (method, path)
        if method == "GET":  # the merchant's own shop by the same parameter is not refused
            own = client.get(f"{path}?shop={shops['a_gb']}", follow_redirects=False)
            assert "not one of your connected shops" not in own.text, (method, path)
    # An id that names nothing at all is refused the same way.
    assert client.get("/settings?shop=nothing").status_code == 404
    # Nor does an id no database could hold (a NUL byte, or far too long): the same 404, not a 500.
    for odd in ("\x00" + "a" * 31, "a" * 5000):
        answer = client.get("/api/v1/dashboard", params={"shop": odd})
        assert (answer.status_code, answer.json()["detail"]) == (
            404,
            "That TikTok shop is not one of your connected shops.",
        )


def test_the_switcher_refuses_another_merchants_shop(client, shops, app_settings):
    sign_in(client, "a@alpha.test")
    token = client.get("/api/v1/me").json()["csrf_token"]
    page = client.post(
        "/shops/current", data={"csrf_token": token, "shop": shops["b"], "next": "/settings"}, follow_redirects=False
    )
    assert page.status_code == 404 and SECRET not in page.text
    api = client.post("/api/v1/shops/current", json={"shop": shops["b"]}, headers={"X-CSRF-Token": token})
    assert api.status_code == 404 and api.json() == {"detail": "That TikTok shop is not one of your connected shops."}
    assert _current(app_settings) == {None}
    assert [s["name"] for s in client.get("/api/v1/shops").json()] == ["Alpha US shop", "Alpha UK shop"]
    assert SECRET not in client.get(f"/shops?shop={shops['b']}").text

    # Its own shop is accepted, then another of its own (the second pass).
    for shop in (shops["a_gb"], shops["a_us"]):
        chosen = client.post(
            "/shops/current", data={"csrf_token": token, "shop": shop, "next": "/settings"}, follow_redirects=False
        )
        assert chosen.status_code == 303 and chosen.headers["location"] == "/settings"
        assert _current(app_settings) == {shop}


def test_several_shops_and_none_chosen_ask_to_choose(client, shops):
    sign_in(client, "a@alpha.test")
    page = client.get("/settings", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/shops?next=/settings"
    api = client.get("/api/v1/settings/sync")
    assert api.status_code == 409 and "choose one" in api.json()["detail"]
    shops_page = client.get(page.headers["location"]).text
    assert 'data-testid="choose-shop"' in shops_page and "Alpha US shop (US)" in shops_page
    assert "choose the one to work on" in shops_page and 'name="next" value="/settings"' in shops_page
    # A form sent meanwhile is not lost in an error page: back to the choice, in plain words.
    token = client.get("/api/v1/me").json()["csrf_token"]
    sent = client.post(
        "/settings/sync",
        data={"csrf_token": token},
        headers={"referer": "http://127.0.0.1/settings"},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"] == "/shops?next=/settings"
    assert "?shop=" not in client.get("/shops").text
    # `?shop=` names one for a single request without choosing it.
    assert client.get(f"/api/v1/settings/sync?shop={shops['a_gb']}").status_code == 200
    assert client.get("/settings", follow_redirects=False).status_code == 303
    chosen = client.post(
        "/shops/current", data={"csrf_token": token, "shop": shops["a_gb"], "next": "/settings"}, follow_redirects=False
    )
    assert chosen.headers["location"] == "/settings"
    assert "Alpha UK shop" in client.get("/settings").text
    # A `next` leading elsewhere is not followed.
    for elsewhere in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        away = client.post(
            "/shops/current",
            data={"csrf_token": token, "shop": shops["a_us"], "next": elsewhere},
            follow_redirects=False,
        )
        assert away.headers["location"] == "/dashboard", elsewhere


IMPLICIT = (
    re.compile(r"\.first\(\s*(TIKTOK|SHOPIFY|STORE)"),
    re.compile(r"""\.first\(\s*["']tiktok["']"""),
    re.compile(r"ConnectionRepository\([^)]*\)\s*\.store\(\)"),
    re.compile(r"\btiktok_connection\("),
)


def implicit_lookups() -> list[str]:
    """Every line of the app and its benches that picks "the first" TikTok shop or store."""
    project = Path(__file__).resolve().parents[2]
    found = []
    for root in (project / "src" / "tokbridge", project / "bench"):
        for path in sorted(root.rglob("*.py")):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if any(pattern.search(line) for pattern in IMPLICIT) and not line.lstrip().startswith("def "):
                    found.append(f"{path.relative_to(project)}:{number}: {line.strip()}")
    return found


def test_no_implicit_first_connection_lookup_is_left():
    assert implicit_lookups() == []


def test_the_api_documents_the_shop_parameter_and_its_answers(client):
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/settings/sync"]["get"]
    assert [p["name"] for p in operation["parameters"] if p["in"] == "query"] == ["shop"]
    assert {"404", "409"} <= set(operation["responses"])
    assert {"/api/v1/shops", "/api/v1/shops/current"} <= set(document["paths"])
    assert "shop" not in [p["name"] for p in document["paths"]["/api/v1/shops"]["get"].get("parameters", [])]
