"""A request body carrying a NUL character is refused before any route reads it: PostgreSQL cannot
store one in text, so it would otherwise end as a database error, whichever field it sat in. (Query
parameters are checked by their types, `web/params.py`.)"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REFUSAL = {
    "detail": "The request is malformed.",
    "errors": [{"loc": ["body"], "msg": "Text must not contain a NUL character (\\u0000)."}],
}
# What a NUL looks like in each kind of body read as text: escaped in JSON, percent-encoded in a form.
_NUL_BY_KIND = {"application/json": (b"\\u0000", b"\x00"), "application/x-www-form-urlencoded": (b"%00", b"\x00")}


class RefuseNulInBodies:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        forms = _nul_forms(scope) if scope["type"] == "http" and not scope["path"].startswith("/webhooks/") else None
        if not forms:
            return await self.app(scope, receive, send)
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, _replay(b"", message, receive), send)
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if any(form in body for form in forms):
            await _refuse(send)
            return
        await self.app(scope, _replay(bytes(body), None, receive), send)


def _nul_forms(scope: Scope) -> tuple[bytes, ...] | None:
    content_type = dict(scope.get("headers") or ()).get(b"content-type", b"").decode("latin-1")
    media_type = content_type.split(";", 1)[0].strip().lower()
    return _NUL_BY_KIND.get("application/json" if media_type.endswith("+json") else media_type)


def _replay(body: bytes, first: Message | None, receive: Receive) -> Receive:
    pending = [first or {"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


async def _refuse(send: Send) -> None:
    payload = json.dumps(REFUSAL).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload})
