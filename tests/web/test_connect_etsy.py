"""Connecting an Etsy shop through the generic /connect/{kind} flow, against the Etsy sandbox's consent page
over HTTP: OAuth with PKCE (S256), TokBridge's state checked, the shop found through getMe, the tokens
stored encrypted with their expiry, and the import queued. Then the second pass (a reload of Etsy's
return), a return that is not this session's, and a declined approval."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import select

from tests.conftest import create_account, sign_in
from tests.contracts.etsy_pair import etsy_config
from tests.support.live_server import serve
from tokbridge.activity.models import Activity
from tokbridge.channels.connections import ConnectionRepository
from tokbridge.channels.etsy.settings import get_etsy_settings
from tokbridge.db.base import utcnow
from tokbridge.db.engine import get_engine, session_scope
from tokbridge.jobs.models import Job
from tokbridge.tenancy.scoping import bind_merchant
from tokbridge_sandboxes.etsy import create_app


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def etsy(monkeypatch):
    config = etsy_config()
    app = create_app(config)
    with serve(app) as url:
        for name, value in {
            "ETSY_API_BASE_URL": url,
            "ETSY_OAUTH_URL": url + "/oauth/connect",
            "ETSY_KEYSTRING": config.keystring,
            "ETSY_SHARED_SECRET": config.shared_secret,
        }.items():
            monkeypatch.setenv(name, value)
        get_etsy_settings.cache_clear()
        yield url, app.state.sandbox


@pytest.fixture
def seller(etsy, client, app_settings):
    merchant_id = create_account(app_settings, "Pottery", "owner@pottery.test")
    sign_in(client, "owner@pottery.test")
    return client, merchant_id


def consent(client, decision: str = "allow") -> dict[str, str]:
    """The merchant continues to Etsy, sees its consent page and answers it; Etsy's redirect back."""
    page = client.get("/connect/etsy")
    assert page.status_code == 200 and "Connect your Etsy store" in page.text
    started = client.post("/connect/etsy", data={"csrf_token": csrf(page.text)}, follow_redirects=False)
    assert started.status_code == 303
    etsy_page = started.headers["location"]
    asked = dict(parse_qsl(urlsplit(etsy_page).query))
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        shown = browser.get(etsy_page)
        assert shown.status_code == 200 and "Grant access" in shown.text
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', shown.text))
        answered = browser.post(
            etsy_page.split("?")[0],
            data={**{k: v.replace("&amp;", "&") for k, v in hidden.items()}, "decision": decision},
        )
    assert answered.status_code == 302
    back = urlsplit(answered.headers["location"])
    assert back.path == "/connect/etsy/callback"
    return dict(parse_qsl(back.query))


def test_an_etsy_shop_connects_through_etsys_consent_page(seller, etsy, app_settings):
    client, merchant_id = seller
    _url, sandbox = etsy
    returned = consent(client)

    done = client.get("/connect/etsy/callback", params=returned, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/dashboard")
    assert f"Your Etsy store {sandbox.config.shop_name} is connected" in client.get(done.headers["location"]).text
    with session_scope(get_engine(app_settings.database_url)) as session:
        bind_merchant(session, merchant_id)
        [connection] = ConnectionRepository(session).stores()
        assert (connection.channel, connection.external_id) == ("etsy", str(sandbox.config.shop_id))
        assert connection.name == sandbox.config.shop_name
        assert connection.access_token in sandbox.grants and connection.refresh_token in sandbox.refresh
        assert connection.access_token not in (connection.access_token_ciphertext or "")
        assert utcnow() + timedelta(minutes=50) < connection.access_expires_at <= utcnow() + timedelta(hours=1)
        assert {"listings_r", "listings_w", "shops_r", "transactions_r"} <= set(connection.scopes)
        kinds = {job.kind for job in session.scalars(select(Job).where(Job.merchant_id == merchant_id))}
        assert "catalog.import" in kinds
        # Recent Activity names the shop as the merchant knows it, not Etsy's numeric id.
        titles = [a.title for a in session.scalars(select(Activity).where(Activity.merchant_id == merchant_id))]
        assert f"Etsy store {sandbox.config.shop_name} connected" in titles

    # The second pass: the merchant reloads the page Etsy sent them back to; the code is spent already.
    again = client.get("/connect/etsy/callback", params=returned, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/dashboard")
    with session_scope(get_engine(app_settings.database_url)) as session:
        bind_merchant(session, merchant_id)
        assert len(ConnectionRepository(session).stores()) == 1


def test_a_return_with_another_state_is_refused_and_exchanges_nothing(seller, etsy):
    client, _merchant_id = seller
    _url, sandbox = etsy
    returned = consent(client)
    forged = {**returned, "state": returned["state"][:-4] + "AAAA"}

    refused = client.get("/connect/etsy/callback?" + urlencode(forged), follow_redirects=False)
    assert refused.status_code == 400 and "This approval does not belong to this session" in refused.text
    assert returned["code"] in sandbox.codes, "the code was not spent on a return TokBridge did not trust"


def test_a_declined_approval_says_so_in_words(seller):
    client, _merchant_id = seller
    returned = consent(client, decision="deny")

    declined = client.get("/connect/etsy/callback", params=returned, follow_redirects=False)
    assert declined.status_code == 400 and "Etsy did not give TokBridge access" in declined.text
    assert "access_denied" not in declined.text
