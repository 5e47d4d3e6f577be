from __future__ import annotations

from collections.abc import Iterator

import pytest

from tokbridge_sandboxes.serving import serve_in_thread as serve
from tokbridge_sandboxes.tiktok import SandboxConfig, create_app

from .support import Receiver, SignedClient


def make_config(**overrides) -> SandboxConfig:
    base = {
        "app_key": "test_key",
        "app_secret": "test_secret",
        "review_delay_seconds": 300,
        "tick_seconds": 0.05,
        "seed": 11,
    }
    return SandboxConfig(**{**base, **overrides})


@pytest.fixture
def sandbox_factory():
    """Start sandboxes with chosen settings; yields (app, base_url, client) per call."""
    contexts = []

    def start(**overrides):
        app = create_app(make_config(**overrides))
        context = serve(app)
        base_url = context.__enter__()
        contexts.append(context)
        sandbox = app.state.sandbox
        shop = next(iter(sandbox.state.shops.values()))
        client = SignedClient(
            base_url,
            sandbox.config.app_key,
            sandbox.config.app_secret,
            sandbox.state.bootstrap.access_token,
            shop.cipher,
        )
        return app, base_url, client

    yield start
    for context in reversed(contexts):
        context.__exit__(None, None, None)


@pytest.fixture
def tiktok(sandbox_factory):
    return sandbox_factory()


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    hook = Receiver()
    with serve(hook.app) as base_url:
        yield hook, base_url + "/hook"
