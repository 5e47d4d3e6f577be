"""What leaves the app besides pages: the sign-in form's CSRF cookie, and the log lines of a real server."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import httpx

from tests.support.live_server import free_port


def test_the_sign_in_csrf_cookie_is_secure_under_an_https_base_url(client, app_settings, monkeypatch):
    # Behind a TLS proxy the request reaching the app is plain http; BASE_URL says what the browser sees.
    monkeypatch.setattr(app_settings, "base_url", "https://tokbridge.example")
    for _ in range(2):  # every form shown sets a fresh cookie, the second one too
        answer = client.get("/login")
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith("tb_csrf=") and "secure" in cookie.lower(), cookie
    failed = client.post("/login", data={"email": "a@b.test", "password": "x", "csrf_token": "nope"})
    assert failed.status_code == 403


def test_the_sign_in_csrf_cookie_is_not_secure_under_an_http_base_url(client, app_settings):
    assert app_settings.base_url.startswith("http://")
    assert "secure" not in client.get("/login").headers["set-cookie"].lower()


SERVER = textwrap.dedent("""
    import sys
    import uvicorn
    from tokbridge.kit.logs import UVICORN_LOGGING, configure

    async def app(scope, receive, send):
        if scope["type"] == "http":
            raise RuntimeError("token refresh failed: app_secret=SHH-123 "
                               "[parameters: {'email': 'owner@acme.test', 'name': 'Owner'}]")
        if scope["type"] == "lifespan":
            message = await receive()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})

    configure("INFO")
    # The options `tokbridge serve` passes to uvicorn, with its access log on.
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="info", **UVICORN_LOGGING)
""")


def test_server_tracebacks_and_access_lines_are_masked():
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], stderr=subprocess.PIPE, text=True)
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", timeout=10, transport=httpx.HTTPTransport(retries=50)
        ) as client:
            for _ in range(2):  # the second request is logged the same way
                assert client.get("/oauth?access_token=TTP_live&email=owner@acme.test").status_code == 500
    finally:
        server.terminate()
        _, log = server.communicate(timeout=20)
    assert "Exception in ASGI application" in log and "Traceback" in log  # the lines are there…
    assert "GET /oauth?access_token=***" in log
    for secret in ("SHH-123", "TTP_live", "owner@acme.test", "'Owner'"):  # …without what they carried
        assert secret not in log, log
