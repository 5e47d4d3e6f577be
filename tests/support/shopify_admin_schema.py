"""Shopify's published Admin GraphQL schema, for the version the adapter pins.

Shopify ships each Admin API version's introspection in its own npm package `@shopify/dev-mcp`
(`dist/data/admin_<version>.json.gz`). The tests fetch that package with npm at setup, pinned to one
release and checked against the registry's integrity hash like any locked dependency, and cache it
outside the repository: the schema is Shopify's document and is never committed.

`admin_schema()` is the schema; `SHOPIFY_SCHEMA_CACHE` moves the cache (default
`~/.cache/tokbridge/<package>-<version>`).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from functools import cache
from pathlib import Path

from graphql import GraphQLSchema, build_client_schema

PACKAGE = "@shopify/dev-mcp"
VERSION = "1.16.0"
# `npm view @shopify/dev-mcp@1.16.0 dist.integrity`: a tarball that is not this release is refused.
INTEGRITY = "sha512-tqgRnK7sQhjew+htxtleTH23nXB5fZcsrhWgEkomsorGXvLOB2mh2upwZm8uzuTDNTZnqtLMe64yIwh6s2awtw=="


class SchemaUnavailable(RuntimeError):
    """The published schema could not be fetched (no npm, no registry): the message says what to do."""


def _cache_dir() -> Path:
    configured = os.environ.get("SHOPIFY_SCHEMA_CACHE")
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "tokbridge" / f"shopify-dev-mcp-{VERSION}"


def _matches_integrity(tarball: Path) -> bool:
    algorithm, _, expected = INTEGRITY.partition("-")
    digest = hashlib.new(algorithm, tarball.read_bytes()).digest()
    return base64.b64encode(digest).decode() == expected


def _fetch(into: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise SchemaUnavailable("npm is needed to fetch Shopify's published schema (Debian: apt-get install npm)")
    with tempfile.TemporaryDirectory() as work:
        done = subprocess.run(
            [npm, "pack", f"{PACKAGE}@{VERSION}", "--silent", "--pack-destination", work],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise SchemaUnavailable(f"npm pack {PACKAGE}@{VERSION} failed: {done.stderr.strip()[-500:]}")
        tarball = Path(work) / done.stdout.strip().splitlines()[-1]
        if not _matches_integrity(tarball):
            raise SchemaUnavailable(f"{tarball.name} does not match the pinned integrity of {PACKAGE}@{VERSION}")
        staging = Path(tempfile.mkdtemp(dir=into.parent, prefix=".fetching-"))
        with tarfile.open(tarball) as archive:
            for member in archive.getmembers():
                if member.isfile() and member.name.startswith("package/dist/data/admin_"):
                    member.name = Path(member.name).name  # flat, and nothing outside `staging`
                    archive.extract(member, staging, filter="data")
        try:
            staging.rename(into)  # atomic: a parallel fetch either wins or finds the directory there
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)


def published_introspection(api_version: str) -> dict:
    """The `__schema` introspection Shopify publishes for `api_version` (e.g. "2026-10")."""
    cache_dir = _cache_dir()
    if not cache_dir.is_dir():
        cache_dir.parent.mkdir(parents=True, exist_ok=True)
        _fetch(cache_dir)
    path = cache_dir / f"admin_{api_version}.json.gz"
    if not path.exists():
        raise SchemaUnavailable(f"{PACKAGE}@{VERSION} has no Admin schema for {api_version}")
    with gzip.open(path) as stream:
        return json.load(stream)["data"]


@cache
def admin_schema(api_version: str) -> GraphQLSchema:
    # assume_valid: Shopify's schema deprecates some fields that implement undeprecated interface fields,
    # which graphql-core's newer schema rules refuse; the schema is Shopify's to define, not ours to judge.
    return build_client_schema(published_introspection(api_version), assume_valid=True)
