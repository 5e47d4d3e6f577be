"""Request signing for TikTok Shop Open API 202309+ ("Sign your API request").

sign = hex(HMAC-SHA256(app_secret, app_secret + path + sorted(k + v) + body + app_secret)),
with `sign` and `access_token` left out of the query and no body for multipart uploads.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

EXCLUDED_KEYS = frozenset({"sign", "access_token"})


def string_to_sign(app_secret: str, path: str, query: Mapping[str, str], body: bytes = b"") -> bytes:
    params = "".join(f"{key}{query[key]}" for key in sorted(query) if key not in EXCLUDED_KEYS)
    return app_secret.encode() + path.encode() + params.encode() + body + app_secret.encode()


def sign(app_secret: str, path: str, query: Mapping[str, str], body: bytes = b"") -> str:
    """The lowercase hex signature of one request; `body` is the exact bytes sent (b"" for multipart)."""
    message = string_to_sign(app_secret, path, query, body)
    return hmac.new(app_secret.encode(), message, hashlib.sha256).hexdigest()


def signature_matches(app_secret: str, path: str, query: Mapping[str, str], body: bytes, given: str) -> bool:
    """Constant-time check of a request's `sign` parameter."""
    return hmac.compare_digest(sign(app_secret, path, query, body), given or "")
