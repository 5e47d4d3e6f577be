"""The connect flow through the port, for a store that is not Shopify: a store whose connect form carries
the credentials (an address and an API key, as PrestaShop's will), with no webhooks and no billing.

Its plugin here is a stand-in for a store TokBridge does not have yet: it implements the port in a few
lines and answers like a store would (it holds one valid key). It proves the domain, the routes and the
pages go only through the registry and the declared capabilities."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pytest
from sqlalchemy import select

from tests.conftest import create_account, sign_in
from tokbridge.activity.models import Activity
from tokbridge.channels import registry
from tokbridge.channels.base import (
    Capabilities,
    ConnectField,
    ConnectionGrant,
    ConnectRefused,
    ConnectReturn,
    ConnectStart,
)
from tokbridge.channels.connections import ConnectionRepository
from tokbridge.channels.models import ChannelConnection
from tokbridge.db.engine import get_engine, session_scope
from tokbridge.jobs.models import Job
from tokbridge.kit.errors import NeedsReconnect
from tokbridge.tenancy.scoping import bind_merchant

GOOD_KEY = "key-that-the-store-accepts"


class KeyedConnector:
    required_scopes = ("products", "stock")
    form_fields = (
        ConnectField("address", "Shop address", placeholder="https://shop.example"),
        ConnectField("api_key", "API key", secret=True),
    )
    state_max_age_seconds = 600

    def account_of(self, answers: Mapping[str, str]) -> str:
        address = answers.get("address", "").strip().rstrip("/").lower()
        if not address.startswith("https://"):
            raise ConnectRefused(
                "That is not a shop address",
                "The address must start with https://.",
                "Copy it from your browser's address bar.",
            )
        return address

    def begin(self, settings, *, account, state, callback_url, answers) -> ConnectStart:
        return ConnectStart()  # no page to send the merchant to: the form carries the key

    def read_launch(self, settings, params):
        return None

    def read_return(self, settings, params):
        raise AssertionError("a keyed store has no redirect back")

    def finish(self, settings, returned: ConnectReturn, *, callback_url: str) -> ConnectionGrant:
        if returned.answers.get("api_key") != GOOD_KEY:
            raise NeedsReconnect("key refused")
        return ConnectionGrant(
            external_id=returned.account, name="Keyed Shop", access_token=GOOD_KEY, scopes=["products", "stock"]
        )

    def needs_refresh(self, connection) -> bool:
        return False

    def refresh(self, settings, connection):
        raise NeedsReconnect("keys do not expire")

    def missing_scopes(self, granted: Sequence[str]) -> list[str]:
        return [f"{scope} access" for scope in self.required_scopes if scope not in granted]

    def disconnect(self, settings, connection) -> None:
        pass

    def subscribe_events(self, settings, connection, address):
        raise AssertionError("not called: the store has no webhooks")


class KeyedPlugin:
    kind = "keyed"
    display_name = "Keyed Shop"
    capabilities = Capabilities()  # no webhooks, no billing
    connector = KeyedConnector()
    events = None

    def store(self, settings, engine, connection):
        raise AssertionError("the catalog is not imported in this test")


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def keyed_store(monkeypatch):
    monkeypatch.setitem(registry.plugins(), KeyedPlugin.kind, KeyedPlugin())


@pytest.fixture
def merchant(keyed_store, client, app_settings):
    merchant_id = create_account(app_settings, "Acme", "owner@acme.test")
    sign_in(client, "owner@acme.test")
    return client, merchant_id


def _send(client, **answers):
    return client.post(
        "/connect/keyed",
        data={**answers, "csrf_token": csrf(client.get("/connect/keyed").text)},
        follow_redirects=False,
    )


def test_a_store_connected_with_a_key_on_the_form(merchant, app_settings):
    client, merchant_id = merchant
    form = client.get("/connect/keyed")
    assert form.status_code == 200 and "Connect your Keyed Shop store" in form.text
    assert 'name="address"' in form.text and 'type="password" name="api_key"' in form.text

    bad_address = _send(client, address="shop.example", api_key=GOOD_KEY)
    assert bad_address.status_code == 400 and "That is not a shop address" in bad_address.text

    refused = _send(client, address="https://shop.example", api_key="wrong")
    assert refused.status_code == 400 and "Keyed Shop refused these details" in refused.text
    assert "wrong" not in refused.text  # a typed key is never shown back

    done = _send(client, address="https://Shop.example/", api_key=GOOD_KEY)
    assert done.status_code == 303 and done.headers["location"].startswith("/dashboard")
    engine = get_engine(app_settings.database_url)
    with session_scope(engine) as session:
        bind_merchant(session, merchant_id)
        [connection] = ConnectionRepository(session).stores()
        assert (connection.channel, connection.external_id, connection.name) == (
            "keyed",
            "https://shop.example",
            "Keyed Shop",
        )
        assert connection.access_token == GOOD_KEY and GOOD_KEY not in (connection.access_token_ciphertext or "")
        titles = [a.title for a in session.scalars(select(Activity).where(Activity.merchant_id == merchant_id))]
        assert "Keyed Shop store Keyed Shop connected" in titles
        kinds = {job.kind for job in session.scalars(select(Job).where(Job.merchant_id == merchant_id))}
        assert {"catalog.import", "onboarding.subscribe_webhooks"} <= kinds


def test_missing_permissions_of_any_store_are_refused_in_its_words(merchant, monkeypatch):
    client, _merchant_id = merchant
    monkeypatch.setattr(KeyedConnector, "required_scopes", ("products", "stock", "orders"))
    refused = _send(client, address="https://shop.example", api_key=GOOD_KEY)
    # A key typed on the form is given permissions in the store, not approved on its pages: said so.
    assert refused.status_code == 400 and "The key lacks some permissions" in refused.text
    assert "needs these permissions on your store: orders access. Nothing was saved." in refused.text
    assert "Give the key these permissions in your Keyed Shop back office" in refused.text


def test_a_store_that_does_not_bill_leaves_the_plan_to_tokbridge(merchant, app_settings):
    client, merchant_id = merchant
    assert _send(client, address="https://shop.example", api_key=GOOD_KEY).status_code == 303
    plans = client.get("/plans").text
    assert "bills paid plans" not in plans  # no store bills here
    changed = client.post("/plans/starter", data={"csrf_token": csrf(plans)}, follow_redirects=False)
    assert changed.status_code == 303 and changed.headers["location"].startswith("/plans")
    assert "You are on the Starter plan now." in client.get(changed.headers["location"]).text


def test_the_settings_page_names_the_store_and_disconnects_it(merchant, app_settings):
    client, merchant_id = merchant
    assert _send(client, address="https://shop.example", api_key=GOOD_KEY).status_code == 303
    page = client.get("/settings").text
    assert "<strong>Keyed Shop</strong>: Keyed Shop" in page
    with session_scope(get_engine(app_settings.database_url)) as session:
        [connection] = session.scalars(select(ChannelConnection).where(ChannelConnection.merchant_id == merchant_id))
    gone = client.post(
        f"/settings/connections/{connection.id}/disconnect", data={"csrf_token": csrf(page)}, follow_redirects=False
    )
    assert gone.status_code == 303
    assert "Keyed Shop store disconnected" in client.get(gone.headers["location"]).text


def test_settings_say_which_permissions_a_connected_store_lacks(merchant, app_settings):
    client, merchant_id = merchant
    assert _send(client, address="https://shop.example", api_key=GOOD_KEY).status_code == 303
    assert 'data-testid="missing-permissions"' not in client.get("/settings").text
    # The merchant took a permission back in the store's admin; the store reported it.
    with session_scope(get_engine(app_settings.database_url)) as session:
        [connection] = session.scalars(select(ChannelConnection).where(ChannelConnection.merchant_id == merchant_id))
        connection.scopes = ["products"]
    words = " ".join(client.get("/settings").text.split())
    assert "TokBridge lacks these permissions on this store: stock access. Reconnect it and approve them." in words
