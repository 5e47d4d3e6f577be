"""Fixtures for the Etsy sandbox tests: a served sandbox with a frozen clock, clients for it, and
Etsy's OpenAPI document to check its answers against.

The document is never copied into the repository: it is read from `../shared/reference/` beside the
repository root (or from the path in ETSY_OPENAPI_DOCUMENT).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tokbridge_sandboxes.etsy import Sandbox, SandboxConfig, create_app
from tokbridge_sandboxes.serving import serve_in_thread

DOCUMENT_NAME = "etsy-openapi-v3-2026-08-17.json"
REPO_ROOT = Path(__file__).resolve().parents[3]


def document_path() -> Path | None:
    candidates = [os.environ.get("ETSY_OPENAPI_DOCUMENT"), REPO_ROOT.parent / "shared" / "reference" / DOCUMENT_NAME]
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


def patched_document(path: Path) -> dict:
    """The document with its quirks fixed in memory, so openapi-core accepts it:
    - 44 schemas say `default: null` without `nullable: true` (array `includes` parameters, `language`,
      `currency`, `buyer_country`, ...): the spec validator rejects a default its own schema refuses, so
      those defaults are dropped;
    - nullable enums (`item_weight_unit`, `item_dimensions_unit`, `who_made`, `when_made`, ...) do not list
      null, so under OAS 3.0.3's reading the null Etsy sends for an unset unit fails: null is added to them.
    """
    document = json.loads(path.read_text())

    def walk(node) -> None:
        if isinstance(node, dict):
            if "default" in node and node["default"] is None and not node.get("nullable"):
                del node["default"]
            if node.get("nullable") and isinstance(node.get("enum"), list) and None not in node["enum"]:
                node["enum"].append(None)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    return document


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
    base = {"catalog_size": 60, "catalog_seed": 1, "frozen_clock": True,
            "rate_limit_per_second": 10_000, "rate_limit_per_day": 1_000_000}
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
