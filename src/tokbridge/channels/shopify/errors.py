"""What can go wrong talking to Shopify, split by what the caller should do about it.

`RetryableError` subclasses mean "try again later" (a job layer reschedules after `retry_after`
seconds); everything else is permanent until someone changes the input or the connection.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokbridge.kit import errors as kit_errors


class ShopifyError(kit_errors.ChannelError):
    """Base of every error raised by the Shopify adapter."""

    platform = "Shopify"
    account = "store"


class RetryableError(ShopifyError, kit_errors.RetryableError):
    def __init__(self, message: str, retry_after: float = 1.0):
        super().__init__(message)
        self.retry_after = retry_after


class Throttled(RetryableError):
    """The cost bucket is empty (THROTTLED in a 200 answer, or HTTP 429)."""

    consumes_attempt = False  # waiting for the bucket to refill is not a failure


class ShopifyUnavailable(RetryableError):
    """5xx answers or timeouts, after the client's own bounded retries."""


class ShopifyUnreachable(ShopifyUnavailable):
    """The connection failed: nothing reached Shopify, so even a mutation may be repeated."""


class PermanentError(ShopifyError, kit_errors.PermanentError):
    pass


class AuthenticationError(PermanentError, kit_errors.NeedsReconnect):
    """401/403, or an access token that was revoked: the merchant must reconnect."""


class NotFound(PermanentError, kit_errors.NotFound):
    pass


class GraphQLError(PermanentError):
    """Top-level GraphQL `errors` (bad query, MAX_COST_EXCEEDED, ACCESS_DENIED...)."""

    def __init__(self, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.errors = errors or []

    @property
    def codes(self) -> list[str]:
        return [str((e.get("extensions") or {}).get("code", "")) for e in self.errors]


@dataclass(frozen=True, slots=True)
class UserError:
    field: list[str] | None
    message: str
    code: str | None = None


class ShopifyValidationError(PermanentError, kit_errors.RefusedWithFix):
    """A mutation answered `userErrors`: the input was refused, nothing was changed."""

    def __init__(self, mutation: str, user_errors: list[UserError]):
        self.mutation = mutation
        self.user_errors = user_errors
        detail = "; ".join(f"{'.'.join(e.field) if e.field else '(input)'}: {e.message}" for e in user_errors)
        super().__init__(f"{mutation} refused: {detail}")

    @property
    def codes(self) -> list[str | None]:
        return [e.code for e in self.user_errors]

    @property
    def reasons(self) -> list[str]:
        return [e.message for e in self.user_errors]
