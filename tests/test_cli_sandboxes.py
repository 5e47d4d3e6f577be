"""`tokbridge sandbox <name>` starts a sandbox from the separate tokbridge-sandboxes distribution,
and says in plain words how to install it when it is missing."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from typer.testing import CliRunner

from tests.support.live_server import free_port
from tests.support.waiting import wait_for
from tokbridge.cli import app


@pytest.mark.parametrize(
    ("name", "method", "path"),
    [
        ("tiktok", "GET", "/authorization/202309/shops"),
        ("shopify", "POST", "/admin/api/2026-07/graphql.json"),
        ("prestashop", "GET", "/api/products"),
    ],
)
def test_tokbridge_sandbox_starts_the_sandbox(tmp_path, name, method, path):
    port = free_port()
    log = tmp_path / "sandbox.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "tokbridge.cli", "sandbox", name, "--port", str(port)],
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:

        def answer():
            try:
                return httpx.request(method, f"http://127.0.0.1:{port}{path}", json={}, timeout=2)
            except httpx.TransportError:
                assert server.poll() is None, log.read_text()
                return None

        # Both refuse a call without credentials, in their API's own words.
        assert wait_for(answer, timeout=30, what=f"the {name} sandbox").status_code in (401, 403)
    finally:
        server.terminate()
        server.wait(15)


class _SandboxesNotInstalled:
    """An import hook that makes `tokbridge_sandboxes` unimportable, as in `pip install .` alone."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] == "tokbridge_sandboxes":
            raise ModuleNotFoundError(f"No module named {fullname!r}", name="tokbridge_sandboxes")
        return None


def test_a_missing_sandboxes_package_is_explained_in_plain_words(monkeypatch):
    for module in [m for m in sys.modules if m.split(".")[0] == "tokbridge_sandboxes"]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setattr(sys, "meta_path", [_SandboxesNotInstalled(), *sys.meta_path])

    result = CliRunner().invoke(app, ["sandbox", "tiktok", "--port", str(free_port())])

    assert result.exit_code == 2
    said = " ".join(result.output.split())  # the console wraps long lines
    assert "The sandboxes are not installed" in said and "pip install -e ./sandboxes" in said
    assert "Traceback" not in said
