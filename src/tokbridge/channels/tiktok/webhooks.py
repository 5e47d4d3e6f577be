"""TikTok Shop webhook signatures: the `Authorization` header is the lowercase hex
HMAC-SHA256 of `app_key + raw body`, keyed with the app secret."""

from __future__ import annotations

import hashlib
import hmac


def compute_signature(app_key: str, app_secret: str, body: bytes) -> str:
    return hmac.new(app_secret.encode(), app_key.encode() + body, hashlib.sha256).hexdigest()


def verify_signature(app_key: str, app_secret: str, body: bytes, authorization: str) -> bool:
    """True when `authorization` signs `body`; compared in constant time."""
    if not authorization:
        return False
    return hmac.compare_digest(compute_signature(app_key, app_secret, body), authorization.strip())
