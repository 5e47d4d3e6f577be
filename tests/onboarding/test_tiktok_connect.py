"""Connecting a TikTok shop through the browser, and its listing prerequisites, against the TikTok sandbox."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import select

from tokbridge.activity.models import Activity
from tokbridge.channels.connections import DatabaseTokenStore
from tokbridge.db.engine import session_scope
from tokbridge.jobs.models import JobState
from tokbridge.listings import prerequisites as steps
from tokbridge.onboarding.service import TIKTOK_WEBHOOK_EVENTS, prerequisite_checks


def _shops(world) -> list[dict]:
    return world.tiktok_control("GET", "/sandbox/state")["shops"]


def _titles(world, merchant_id: int) -> list[str]:
    with session_scope(world.engine) as session:
        return list(
            session.scalars(select(Activity.title).where(Activity.merchant_id == merchant_id).order_by(Activity.id))
        )


def test_one_shop_connects_subscribes_and_checks_prerequisites(start_world):
    world = start_world(catalog=0)
    merchant = world.browser()
    [shop] = _shops(world)

    done = world.connect_tiktok(merchant)
    assert done.status_code == 303 and done.headers["location"] == "/dashboard"

    [connection] = world.connections("tiktok")
    assert connection.merchant_id == merchant.merchant_id and connection.status == "active"
    assert connection.external_id == shop["id"]
    assert connection.data["cipher"] == shop["cipher"] and connection.data["region"] == shop["region"]
    assert connection.data["name"] == shop["name"]
    # The tokens are stored encrypted and usable through the token store.
    grant = DatabaseTokenStore(world.engine).load(shop["id"])
    assert grant is not None and grant.access_token not in connection.access_token_ciphertext

    # The check ran at once: every step passes in a fresh sandbox shop.
    checks = prerequisite_checks(connection)
    assert checks is not None and steps.summary(checks)["complete"] is True
    assert connection.data["prerequisites"]["checked_at"]
    assert "TikTok Shop is ready for listings" in _titles(world, merchant.merchant_id)

    world.settle()
    assert world.jobs("onboarding.subscribe_webhooks")[0].state == JobState.SUCCEEDED
    [shop] = _shops(world)
    assert shop["webhooks"] == {event: f"{world.base_url}/webhooks/tiktok" for event in TIKTOK_WEBHOOK_EVENTS}


def test_several_shops_let_the_merchant_choose(start_world):
    world = start_world(catalog=0, tiktok={"shop_regions": ["US", "GB"]})
    merchant = world.browser()
    us, gb = _shops(world)

    page = world.connect_tiktok(merchant)
    assert page.status_code == 200 and "Choose the shops to connect" in page.text
    pending = world.connections("tiktok")
    assert {c.status for c in pending} == {"pending"} and len(pending) == 2
    # While pending, no shop is usable.
    assert DatabaseTokenStore(world.engine).load(us["id"]) is None
    assert prerequisite_checks(pending[0]) is None

    # Another account authorizes the same shops before the first one chose: an unfinished choice holds nothing.
    other = world.browser("Other", "other@example.com")
    assert "Choose the shops to connect" in world.connect_tiktok(other).text
    stale = merchant.http.post(
        "/connect/tiktok/choose", data={"connection_id": pending[0].id, "csrf_token": merchant.csrf()}
    )
    assert stale.status_code == 400 and "What to do next" in stale.text

    choices = world.connections("tiktok")
    assert {c.merchant_id for c in choices} == {other.merchant_id}
    chosen = next(c for c in choices if c.external_id == gb["id"])
    done = other.http.post("/connect/tiktok/choose", data={"connection_id": chosen.id, "csrf_token": other.csrf()})
    assert done.status_code == 303
    [connection] = world.connections("tiktok")
    assert connection.external_id == gb["id"] and connection.status == "active"
    assert connection.data["cipher"] == gb["cipher"] and connection.region == "GB"
    assert prerequisite_checks(connection) is not None
    assert DatabaseTokenStore(world.engine).load(gb["id"]) is not None


def test_prerequisites_fail_then_pass_after_check_again(start_world):
    world = start_world(catalog=0)
    merchant = world.browser()
    [shop] = _shops(world)
    world.tiktok_control(
        "PUT", f"/sandbox/shops/{shop['id']}/prerequisites", json={"failing": ["BANk_ACCOUNT", "RETURN_WAREHOUSE"]}
    )

    world.connect_tiktok(merchant)
    [connection] = world.connections("tiktok")
    checks = prerequisite_checks(connection)
    summary = steps.summary(checks)
    assert summary["complete"] is False
    failing = {s["key"]: s for s in summary["steps"] if not s["complete"]}
    assert set(failing) == {"bank", "warehouses"}
    assert failing["bank"]["reasons"] and failing["bank"]["link"].startswith("https://seller.tiktokshop.com")
    message = steps.blocking_message(checks)
    assert "Bank account" in message and "Pickup and return warehouses" in message
    assert "TikTok Shop needs 2 steps before listing" in _titles(world, merchant.merchant_id)

    # "Check again" is a CSRF-protected form.
    forged = merchant.http.post("/prerequisites/check")
    assert forged.status_code == 403
    world.tiktok_control("PUT", f"/sandbox/shops/{shop['id']}/prerequisites", json={"failing": []})
    first_checked = connection.data["prerequisites"]["checked_at"]
    again = merchant.http.post("/prerequisites/check", data={"csrf_token": merchant.csrf()})
    assert again.status_code == 303
    [connection] = world.connections("tiktok")
    assert steps.summary(prerequisite_checks(connection))["complete"] is True
    assert steps.blocking_message(prerequisite_checks(connection)) is None
    assert connection.data["prerequisites"]["checked_at"] > first_checked


def _with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_tiktok_errors_end_on_a_page(start_world):
    world = start_world(catalog=0)
    merchant = world.browser()
    other = world.browser("Other", "other@example.com")

    # Cancelled on TikTok's page.
    denied = merchant.http.get(world.authorize_on_tiktok(merchant, decision="deny"))
    assert denied.status_code == 400 and "was not authorized" in denied.text

    # A forged state, then another merchant's state.
    callback = world.authorize_on_tiktok(merchant)
    forged = merchant.http.get(_with_query(callback, state="abc.def"))
    assert forged.status_code == 400 and "does not belong to this session" in forged.text
    stolen = other.http.get(callback)
    assert stolen.status_code == 400 and "does not belong to this session" in stolen.text

    # A code TikTok does not know (a reload of a callback that went through says connected instead:
    # test_connect_reload.py).
    reused = merchant.http.get(_with_query(callback, code="not-a-code-tiktok-gave"))
    assert reused.status_code == 400 and "refused the authorization code" in reused.text
    assert merchant.http.get(callback).status_code == 303

    # The shop is now the first merchant's: the other cannot take it.
    taken = other.http.get(world.authorize_on_tiktok(other))
    assert taken.status_code == 409 and "connected to another TokBridge account" in taken.text
    [connection] = world.connections("tiktok")
    assert connection.merchant_id == merchant.merchant_id
    assert "Traceback" not in taken.text + reused.text + stolen.text

    # "Check again" without a TikTok shop says what to do.
    nothing = other.http.post("/prerequisites/check", data={"csrf_token": other.csrf()})
    assert nothing.status_code == 409 and "Connect your TikTok Shop first" in nothing.text
