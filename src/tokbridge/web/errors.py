"""What a request answers when TikTok or Shopify refuses it or does not answer, and the page or API
route did not handle that itself (web/app.py turns the error into this answer)."""

from __future__ import annotations

import math

from tokbridge.channels.shopify import errors as shopify
from tokbridge.channels.tiktok import errors as tiktok


def channel_problem(error: Exception) -> tuple[int, str, dict[str, str] | None]:
    """(HTTP status, what to tell the merchant, headers) for a platform's error."""
    platform = "TikTok" if isinstance(error, tiktok.TikTokError) else "Shopify"
    if isinstance(error, tiktok.RetryableError | shopify.RetryableError):
        wait = max(1, math.ceil(error.retry_after or 30))
        return 503, f"{platform} is not answering right now; try again in a minute.", {"Retry-After": str(wait)}
    if isinstance(error, tiktok.AuthorizationError | shopify.AuthenticationError):
        place = "shop" if platform == "TikTok" else "store"
        return 409, (f"{platform} no longer accepts TokBridge's access to your {place}: "
                     f"reconnect it in Settings."), None
    if isinstance(error, tiktok.ValidationError):
        return 422, f"TikTok refused the request: {error.message}", None
    if isinstance(error, shopify.ShopifyValidationError):
        return 422, f"Shopify refused the request: {'; '.join(e.message for e in error.user_errors)}", None
    return 502, f"{platform} answered with an error: {error}", None
