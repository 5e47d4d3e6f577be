"""TikTok Shop's signatures, written here from TikTok's documentation rather than imported from the
connector: a signing bug in the client must be caught by the fake, not copied into it.

Open API requests ("Sign your API request", API 202309+): the query parameters other than `sign` and
`access_token`, sorted by name and concatenated as name + value, go between the path and the body;
the whole is wrapped in the app secret on both sides, then HMAC-SHA256 keyed with the app secret,
lowercase hex. A multipart upload signs no body.

Webhooks: the `Authorization` header is the lowercase hex HMAC-SHA256 of app_key + raw body, keyed
with the app secret.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

UNSIGNED_PARAMETERS = ("sign", "access_token")


def request_signature(app_secret: str, path: str, query: Mapping[str, str], body: bytes = b"") -> str:
    signed_parameters = sorted((name, value) for name, value in query.items() if name not in UNSIGNED_PARAMETERS)
    wrapped = b"".join(
        [
            app_secret.encode(),
            path.encode(),
            *(name.encode() + value.encode() for name, value in signed_parameters),
            body,
            app_secret.encode(),
        ]
    )
    return hmac.new(app_secret.encode(), wrapped, hashlib.sha256).hexdigest()


def request_signature_is_valid(app_secret: str, path: str, query: Mapping[str, str], body: bytes, given: str) -> bool:
    # TikTok rejects an uppercase signature, so the comparison is exact; constant time all the same.
    return hmac.compare_digest(request_signature(app_secret, path, query, body).encode(), (given or "").encode())


def webhook_signature(app_key: str, app_secret: str, body: bytes) -> str:
    return hmac.new(app_secret.encode(), app_key.encode() + body, hashlib.sha256).hexdigest()
