"""Webhook intake, as a thin ASGI layer in front of the app. CSRF-exempt (see csrf.py): each request is
authenticated by its HMAC, checked on the raw body before anything else. The answer comes as soon as
the event is recorded; concurrent webhooks are recorded together, one transaction per batch
(`inbox.batch`). Platforms send bursts of thousands, so these requests skip the page machinery
(sessions, CSRF, templates, HTTP middleware) that they never need."""

from __future__ import annotations

import logging

import orjson

from tokbridge.channels import registry
from tokbridge.channels.connections import TIKTOK
from tokbridge.config import Settings
from tokbridge.inbox import batch, service
from tokbridge.jobs.fairness import GATE
from tokbridge.kit import metrics

log = logging.getLogger(__name__)

PREFIX = "/webhooks/"
MAX_BODY_BYTES = 2 * 1024 * 1024  # platforms' payloads are kilobytes; a bigger body is not theirs


class WebhookIntake:
    """ASGI middleware: POST /webhooks/tiktok and /webhooks/{kind} of every store plugin that has webhooks
    handled here, everything else passed on."""

    def __init__(self, app, settings: Settings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope, receive, send):
        verify = self._verifier(scope.get("path", "")) if scope["type"] == "http" else None
        if verify is None:
            return await self.app(scope, receive, send)
        status, detail = await self._take(scope, receive, verify)
        platform = scope["path"][len(PREFIX) :]  # the plugin's kind (or TikTok's), checked by _verifier
        if status < 400:
            metrics.webhook_received(platform)
        else:
            metrics.webhook_refused(platform, status)
        await _answer(send, status, detail)

    async def _take(self, scope, receive, verify) -> tuple[int, str]:
        """Verify and record one webhook: the answer's status and words."""
        if scope["method"] != "POST":
            return 405, "Method not allowed."
        body, too_big = await _body(receive)
        if too_big:
            log.warning("webhook to %s refused: body over %d bytes", scope["path"], MAX_BODY_BYTES)
            return 413, "The body is too large."
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        checked = verify(body, headers)
        if isinstance(checked, service.Intake):
            return checked.status, checked.detail
        try:
            with GATE.urgent():  # orders arrive this way: bulk work in this process makes way meanwhile
                result = await batch.recorder_for(self.settings.database_url).record(checked)
        except Exception:  # noqa: BLE001 - logged by the recorder; the platform retries a 503
            return 503, "Not recorded; try again."
        return result.status, result.detail

    def _verifier(self, path: str):
        """The check for a webhook path, or None for a path that is not one."""
        if not path.startswith(PREFIX):
            return None
        kind = path[len(PREFIX) :]
        if kind == TIKTOK:
            return service.verify_tiktok
        if kind in registry.store_kinds() and registry.plugin(kind).events is not None:
            return lambda body, headers: service.verify_store(kind, body, headers, self.settings)
        return None


async def _body(receive) -> tuple[bytes, bool]:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks), False


async def _answer(send, status: int, detail: str) -> None:
    content = orjson.dumps({"detail": detail})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": content})
