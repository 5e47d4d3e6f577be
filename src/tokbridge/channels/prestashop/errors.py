"""What can go wrong talking to a PrestaShop Webservice, as the kit's error kinds (the domain never sees
another class)."""

from __future__ import annotations

from tokbridge.kit import errors as kit_errors


class PrestaShopError(kit_errors.ChannelError):
    platform = "PrestaShop"
    account = "shop"


class RetryableError(PrestaShopError, kit_errors.RetryableError):
    pass


class ShopUnavailable(RetryableError):
    """A 5xx answer, a timeout, a connection that failed."""


class PermanentError(PrestaShopError, kit_errors.PermanentError):
    pass


class AuthenticationError(PermanentError, kit_errors.NeedsReconnect):
    """401: the key is unknown, disabled, or lacks a permission TokBridge needs."""


class NotFound(PermanentError, kit_errors.NotFound):
    pass


class Refused(PermanentError, kit_errors.RefusedWithFix):
    """The shop refused the input (400, 405) and changed nothing; `reasons` in its own words."""

    def __init__(self, message: str, reasons: list[str] | None = None):
        super().__init__(message)
        self._reasons = reasons or [message]

    @property
    def reasons(self) -> list[str]:
        return list(self._reasons)


class StockChangedMeanwhile(Refused):
    """The stock read before a write was not the one expected: read again, decide again."""
