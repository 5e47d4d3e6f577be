"""What can go wrong talking to Etsy, as the kit's error kinds (the domain never sees another class)."""

from __future__ import annotations

from tokbridge.kit import errors as kit_errors


class EtsyError(kit_errors.ChannelError):
    platform = "Etsy"
    account = "shop"


class RetryableError(EtsyError, kit_errors.RetryableError):
    pass


class RateLimited(RetryableError):
    """Etsy's 429, our own limiter, or a quota header at zero: waiting is not a failure."""

    consumes_attempt = False
    waiting_for = "its turn under Etsy's rate limit"


class EtsyUnavailable(RetryableError):
    """A 5xx answer, a timeout, a connection that failed."""


class PermanentError(EtsyError, kit_errors.PermanentError):
    pass


class AuthenticationError(PermanentError, kit_errors.NeedsReconnect):
    """401 (or a refused token or refresh token): the merchant must connect the shop again."""


class NotFound(PermanentError, kit_errors.NotFound):
    pass


class Refused(PermanentError, kit_errors.RefusedWithFix):
    """Etsy refused the input (400, 409) and changed nothing; `reasons` in its own words."""

    def __init__(self, message: str, reasons: list[str] | None = None):
        super().__init__(message)
        self._reasons = reasons or [message]

    @property
    def reasons(self) -> list[str]:
        return list(self._reasons)


class StockChangedMeanwhile(Refused):
    """The stock read before a write was not the one expected, or changed while we wrote: read again."""
