"""The generic store connect routes: `/connect/{kind}` for every kind the plugin registry knows, plain
words for a kind it does not."""

from __future__ import annotations

import re

import pytest

from tests.conftest import create_account, sign_in
from tokbridge.channels import registry
from tokbridge.onboarding.service import connects_with_key


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def merchant(client, app_settings):
    create_account(app_settings, "Acme", "owner@acme.test")
    sign_in(client, "owner@acme.test")
    return client


def in_words(names: list[str]) -> str:
    """How a person lists choices: "A or B", "A, B or C"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


@pytest.mark.parametrize(
    "path", ["/connect/nostore", "/connect/nostore/callback?code=1&state=x", "/connect/%3Cscript%3E"]
)
def test_an_unknown_store_kind_is_a_404_in_plain_words(merchant, path):
    page = merchant.get(path, follow_redirects=False)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "TokBridge does not connect to that store" in page.text
    names = in_words([plugin.display_name for plugin in registry.plugins().values()])
    assert "What to do next" in page.text and f"Connect your {names} store from the dashboard" in page.text
    assert "Traceback" not in page.text and "<script>" not in page.text
    assert 'aria-label="Main"' in page.text  # the app's own page, with its navigation


def test_posting_to_an_unknown_store_kind_starts_nothing(merchant):
    form = merchant.get("/connect/shopify").text
    sent = merchant.post(
        "/connect/nostore", data={"shop": "x.myshopify.com", "csrf_token": csrf(form)}, follow_redirects=False
    )
    assert sent.status_code == 404 and "TokBridge does not connect to that store" in sent.text


def test_every_registered_store_has_its_connect_form(merchant):
    for plugin in registry.plugins().values():
        page = merchant.get(f"/connect/{plugin.kind}")
        assert page.status_code == 200
        assert f"Connect your {plugin.display_name} store" in page.text
        # A store approved on its own pages is continued to; one connected with a key on the form is not.
        assert (f"Continue to {plugin.display_name}" in page.text) != connects_with_key(plugin), plugin.kind
        for field in plugin.connector.form_fields:
            assert f'name="{field.name}"' in page.text and field.label in page.text


def test_the_tiktok_pages_are_not_taken_for_a_store_kind(merchant):
    # /connect/tiktok is no store plugin: TikTok's own page answers it (here: the app is not set up).
    page = merchant.get("/connect/tiktok")
    assert "TokBridge does not connect to that store" not in page.text
    assert "TikTok Shop is not set up on this server" in page.text


def test_the_checklist_offers_every_store_and_a_page_to_choose(merchant):
    """With several store plugins, a merchant without a store is offered each of them by name, not the first."""
    plugins = sorted(registry.plugins().values(), key=lambda plugin: plugin.display_name)
    assert len(plugins) > 1
    dashboard = merchant.get("/dashboard").text
    names = in_words([plugin.display_name for plugin in plugins])
    assert f"Connect your {names} store" in dashboard
    for plugin in plugins:  # and the store row links each store by its name
        assert f'<a href="/connect/{plugin.kind}">{plugin.display_name}</a>' in dashboard
    chooser = merchant.get("/connect")
    assert chooser.status_code == 200
    for plugin in plugins:
        assert f'href="/connect/{plugin.kind}"' in chooser.text
        assert f"Connect your {plugin.display_name} store" in chooser.text
