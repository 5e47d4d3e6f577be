"""TikTok's response envelope and the error codes the sandbox answers with.

Codes and messages are TikTok's (common-errors page and each endpoint's error list). The docs do
not give HTTP statuses except 401 for a bad `sign` and 429 for throttling; the sandbox answers
credential failures with 401, scope/IP denials with 403, malformed requests with 400, throttling
with 429, internal errors with 500, and business errors with HTTP 200 and a non-zero `code`
(success is always read from `code == 0`).
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from starlette.responses import Response


class ApiError(Exception):
    def __init__(self, code: int, message: str, http_status: int = 200, data: Any = None) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.http_status = http_status
        self.data = data


def request_id() -> str:
    """Like TikTok's: the UTC time to the second, then random hex (34 characters)."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(10).upper()


def envelope(data: Any = None, code: int = 0, message: str = "Success", http_status: int = 200) -> Response:
    body = {"code": code, "message": message, "request_id": request_id(), "data": data}
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status_code=http_status,
        media_type="application/json",
    )


def error_response(error: ApiError) -> Response:
    return envelope(error.data, error.code, error.message, error.http_status)


# -- common errors (before business logic) -------------------------------------------------------
TOO_MANY_REQUESTS = (36009002, "Too many requests. You've made too many requests in a short period of time.")
REQUEST_TIMEOUT = (36009007, "Request timeout. The request to the endpoint timed out.")
INVALID_PATH = (36009009, "Invalid path. The specified path does not match any available endpoint.")
INVALID_METHOD = (36009010, "Invalid method. The HTTP method used is not supported by this endpoint.")
FILE_TOO_LARGE = (36009021, "Invalid file size. The uploaded file size exceeds the maximum limit.")
BAD_BODY_FORMAT = (
    36009022,
    "Invalid request format. The request body format must be application/json for structured data "
    "or multipart/form-data for binary files.",
)
NOT_MULTIPART = (36009023, "Invalid request format. The value of the content-type header must be multipart/form-data.")
INVALID_TOKEN_FOR_SHOP = (
    101000,
    "Invalid query or header. The category_asset_cipher query parameter or x-tts-access-token header is invalid.",
)
SCOPE_DENIED = (
    105005,
    "Access denied. The app is not authorized to access the endpoint because the access scopes granted "
    "for the app or the access token do not contain the required access scope for the endpoint.",
)
TOKEN_EXPIRED = (105002, "Expired credentials. The access_token or x-tts-access-token header has expired.")
BAD_SIGN = (106001, "Invalid credentials. The sign query parameter is invalid.")
MISSING_SIGN = (36009004, "Missing credentials. The request does not include a required signature in the query.")
INVALID_ACCESS_TOKEN = (36009004, "Invalid credentials. The x-tts-access-token header is invalid.")
INVALID_APP_KEY = (36009004, "Invalid credentials. Invalid app_key query parameter.")
TIMESTAMP_NEGATIVE = (
    36009004,
    "Invalid timestamp. The value of the timestamp query parameter must not be lesser than 0.",
)
TIMESTAMP_TOO_OLD = (
    36009004,
    "Invalid timestamp. The value of the timestamp query parameter must not be earlier than 5 minutes "
    "before the current time.",
)
TIMESTAMP_TOO_NEW = (
    36009004,
    "Invalid timestamp. The value of the timestamp query parameter must not exceed the current time by "
    "more than 30 seconds.",
)
MISSING_SHOP_CIPHER = (
    106013,
    "Missing identifier. The shop_cipher query parameter is required to identify the target shop.",
)
UNEXPECTED_SHOP_CIPHER = (
    36009004,
    "Unexpected identifier. The shop_cipher query parameter is not required for this request.",
)
INVALID_SHOP_ID = (36009004, "Invalid identifier. The shop_id query parameter is invalid.")
INTERNAL = (
    36009003,
    "Internal error. Please try again. If the issue persists after multiple attempts, please contact platform support.",
)


def fail(pair: tuple[int, str], http_status: int = 200, data: Any = None, message: str | None = None) -> ApiError:
    code, text = pair
    return ApiError(code, message or text, http_status, data)


def parameter_error(detail: str) -> ApiError:
    """A missing or malformed parameter that no endpoint-specific code covers."""
    return ApiError(36009004, f"Invalid parameter. {detail}", 400)


def load_json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise fail(BAD_BODY_FORMAT, 400) from None
    if not isinstance(value, dict):
        raise fail(BAD_BODY_FORMAT, 400)
    return value


def text(value: Any) -> str | None:
    """The value when it is a string; request fields of any other type count as absent/invalid."""
    return value if isinstance(value, str) else None


def text_list(value: Any, error: ApiError) -> list[str]:
    """A list-of-strings filter; absent means empty, any other shape raises `error`."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise error
    return value
