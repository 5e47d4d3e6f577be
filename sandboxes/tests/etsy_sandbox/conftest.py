"""Fixtures for the Etsy sandbox tests: a served sandbox with a frozen clock, clients for it, and
Etsy's OpenAPI document to check its answers against.

The document is never copied into the repository: it is read from `../shared/reference/` beside the
repository root (or from the path in ETSY_OPENAPI_DOCUMENT).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tokbridge_sandboxes.etsy import Sandbox, SandboxConfig, create_app
from tokbridge_sandboxes.etsy.published import DOCUMENT_NAME, document_path, patched_document
from tokbridge_sandboxes.serving import serve_in_thread


@pytest.fixture(scope="session")
def openapi():
    path = document_path()
    if path is None:
        pytest.skip(f"Etsy's OpenAPI document ({DOCUMENT_NAME}) is not in ../shared/reference")
    from openapi_core import OpenAPI

    return OpenAPI.from_dict(patched_document(path))


@dataclass
class Etsy:
    url: str
    sandbox: Sandbox

    @property
    def config(self) -> SandboxConfig:
        return self.sandbox.config

    @property
    def api_key(self) -> str:
        return f"{self.config.keystring}:{self.config.shared_secret}"

    @property
    def token(self) -> str:
        return self.sandbox.bootstrap.access_token

    def client(self, token: str | None = "default", api_key: str | None = "default") -> httpx.Client:
        headers = {}
        if api_key is not None:
            headers["x-api-key"] = self.api_key if api_key == "default" else api_key
        if token is not None:
            headers["authorization"] = f"Bearer {self.token if token == 'default' else token}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)

    def control(self) -> httpx.Client:
        return httpx.Client(base_url=self.url + "/sandbox", timeout=30)

    def listing_ids(self, state: str = "active") -> list[int]:
        return [i for i, item in self.sandbox.listings.items() if item.state == state]

    def listing_with(self, predicate) -> int:
        return next(i for i, item in self.sandbox.listings.items() if predicate(item))


def serve(**settings):
    base = {
        "catalog_size": 60,
        "catalog_seed": 1,
        "frozen_clock": True,
        "rate_limit_per_second": 10_000,
        "rate_limit_per_day": 1_000_000,
    }
    app = create_app(SandboxConfig(**{**base, **settings}))
    return app, serve_in_thread(app)


@pytest.fixture
def etsy():
    app, server = serve()
    with server as url:
        yield Etsy(url, app.state.sandbox)


@pytest.fixture
def make_etsy():
    """A sandbox with other settings: `make_etsy(rate_limit_per_second=3)`."""
    from contextlib import ExitStack

    with ExitStack() as stack:

        def make(**settings) -> Etsy:
            app, server = serve(**settings)
            return Etsy(stack.enter_context(server), app.state.sandbox)

        yield make
