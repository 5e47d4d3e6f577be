"""A small signing HTTP client for the sandbox tests, and a webhook receiver to point it at."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tokbridge.channels.tiktok.signing import sign
from tokbridge.sandbox.tiktok.images import png_bytes


class SignedClient:
    """Signs every call the way TikTok documents; each argument can be overridden to send bad requests."""

    def __init__(self, base_url: str, app_key: str, app_secret: str, access_token: str, shop_cipher: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10)
        self.app_key, self.app_secret = app_key, app_secret
        self.access_token, self.shop_cipher = access_token, shop_cipher

    def call(self, method: str, path: str, *, body: Any = None, query: Mapping[str, str] | None = None,
             shop: bool = True, files: dict | None = None, data: dict | None = None,
             timestamp: int | None = None, token: str | None = None, secret: str | None = None,
             app_key: str | None = None, drop: tuple[str, ...] = (), timeout: float = 10.0) -> httpx.Response:
        params = {"app_key": app_key or self.app_key, "timestamp": str(timestamp or int(time.time()))}
        if shop:
            params["shop_cipher"] = self.shop_cipher
        params.update(query or {})
        raw = b""
        headers = {"x-tts-access-token": self.access_token if token is None else token}
        if files is None:
            headers["content-type"] = "application/json"
            if body is not None:
                raw = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
        params["sign"] = sign(secret or self.app_secret, path, params, raw)
        for key in drop:
            params.pop(key, None)
        if files is not None:
            return self.http.request(method, path, params=params, headers=headers, files=files, data=data,
                                     timeout=timeout)
        return self.http.request(method, path, params=params, headers=headers, content=raw, timeout=timeout)

    def ok(self, method: str, path: str, **kwargs) -> Any:
        response = self.call(method, path, **kwargs)
        payload = response.json()
        assert response.status_code == 200 and payload["code"] == 0, payload
        return payload["data"]

    def upload(self, width: int = 800, height: int = 800, use_case: str = "MAIN_IMAGE") -> str:
        data = self.ok("POST", "/product/202309/images/upload", shop=False,
                       files={"data": ("image.png", png_bytes(width, height), "image/png")},
                       data={"use_case": use_case})
        return data["uri"]

    def control(self, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(method, path, json=body)
        assert response.status_code == 200, response.text
        return response.json()


class Receiver:
    """A webhook endpoint that records what it gets and answers with the queued statuses (then 200)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self._lock = threading.Lock()

        async def hook(request: Request) -> Response:
            body = await request.body()
            with self._lock:
                self.received.append({"body": body, "authorization": request.headers.get("authorization", "")})
                status = self.statuses.pop(0) if self.statuses else 200
            return Response(status_code=status)

        self.app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])

    def bodies(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(r["body"]) for r in self.received]

    def wait_for(self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 5.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            bodies = self.bodies()
            if predicate(bodies):
                return bodies
            time.sleep(0.02)
        raise AssertionError(f"condition not met; received {self.bodies()}")


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")
