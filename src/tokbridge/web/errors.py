"""What a request answers when a platform (TikTok or the merchant's store) refuses it or does not answer,
and the page or API route did not handle that itself (web/app.py turns the error into this answer).
It reads the error's kind from `kit.errors`, never a vendor's exception class."""

from __future__ import annotations

import math

from tokbridge.kit import errors as kinds


def channel_problem(error: kinds.ChannelError) -> tuple[int, str, dict[str, str] | None]:
    """(HTTP status, what to tell the merchant, headers) for a platform's error."""
    platform = error.platform
    if isinstance(error, kinds.RetryableError):
        wait = max(1, math.ceil(error.retry_after or 30))
        return 503, f"{platform} is not answering right now; try again in a minute.", {"Retry-After": str(wait)}
    if isinstance(error, kinds.NeedsReconnect):
        return (
            409,
            (f"{platform} no longer accepts TokBridge's access to your {error.account}: reconnect it in Settings."),
            None,
        )
    if isinstance(error, kinds.RefusedWithFix):
        return 422, f"{platform} refused the request: {'; '.join(error.reasons)}", None
    return 502, f"{platform} answered with an error: {error}", None
