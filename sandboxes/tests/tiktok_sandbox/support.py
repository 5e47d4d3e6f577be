"""A small signing HTTP client for the sandbox tests, and an independent check of webhook signatures."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from tokbridge_sandboxes.tiktok.images import png_bytes
from tokbridge_sandboxes.tiktok.receiver import Receiver
from tokbridge_sandboxes.tiktok.signing import request_signature as sign

__all__ = ["Receiver", "SignedClient", "signed_webhook"]


class SignedClient:
    """Signs every call the way TikTok documents; each argument can be overridden to send bad requests."""

    def __init__(self, base_url: str, app_key: str, app_secret: str, access_token: str, shop_cipher: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10)
        self.app_key, self.app_secret = app_key, app_secret
        self.access_token, self.shop_cipher = access_token, shop_cipher

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, str] | None = None,
        shop: bool = True,
        files: dict | None = None,
        data: dict | None = None,
        timestamp: int | None = None,
        token: str | None = None,
        secret: str | None = None,
        app_key: str | None = None,
        drop: tuple[str, ...] = (),
        timeout: float = 10.0,
    ) -> httpx.Response:
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
            return self.http.request(
                method, path, params=params, headers=headers, files=files, data=data, timeout=timeout
            )
        return self.http.request(method, path, params=params, headers=headers, content=raw, timeout=timeout)

    def ok(self, method: str, path: str, **kwargs) -> Any:
        response = self.call(method, path, **kwargs)
        payload = response.json()
        assert response.status_code == 200 and payload["code"] == 0, payload
        return payload["data"]

    def upload(self, width: int = 800, height: int = 800, use_case: str = "MAIN_IMAGE") -> str:
        data = self.ok(
            "POST",
            "/product/202309/images/upload",
            shop=False,
            files={"data": ("image.png", png_bytes(width, height), "image/png")},
            data={"use_case": use_case},
        )
        return data["uri"]

    def control(self, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(method, path, json=body)
        assert response.status_code == 200, response.text
        return response.json()


def signed_webhook(app_key: str, app_secret: str, body: bytes, authorization: str) -> bool:
    """TikTok's webhook signature, computed here and not by the sandbox under test: hex HMAC-SHA256
    of app_key + raw body, keyed with the app secret."""
    expected = hmac.new(app_secret.encode(), app_key.encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, authorization)
