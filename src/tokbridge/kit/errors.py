"""The error kinds every layer distinguishes (OCA's RetryableJobError vs a permanent one).

Adapters (a store plugin, the TikTok client) raise only these kinds, or subclasses of them, so web pages and
jobs decide what to do from the kind, never from a vendor's exception class:

    RetryableError          try again later (a rate limit, a timeout, a 5xx)
    PermanentError          retrying cannot help; the message says what is wrong and how to fix it
    ├── NeedsReconnect      the platform no longer accepts our access: the merchant must reconnect
    ├── RefusedWithFix      the platform refused the input; `reasons` say why, in the platform's words
    └── NotFound            the record is gone on the platform

`ChannelError` marks an error that came from an external platform; `platform` names it for the merchant
(the plugin's display name) so a page can say who is not answering.
"""

from __future__ import annotations


class ChannelError(Exception):
    """Mixin of every error an adapter raises: which platform it came from, in words for the merchant."""

    platform: str = "the platform"
    account: str = "account"  # what the merchant calls their account there: "store", "shop"


class RetryableError(Exception):
    """Try again later: a rate limit, a timeout, a 5xx.

    `retry_after` (seconds) says when, if known. `consumes_attempt=False` for waits that are not
    failures (a rate limit we chose to respect), so they never exhaust a job's attempts.
    """

    consumes_attempt = True
    # What a wait that is not a failure waits for, in plain words ("its turn under the rate limit").
    waiting_for: str | None = None

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(Exception):
    """Retrying cannot help; the message tells the merchant what is wrong and how to fix it."""


class NeedsReconnect(PermanentError):
    """Our access was revoked, expired for good or lacks a permission: the merchant must reconnect."""


class RefusedWithFix(PermanentError):
    """The platform refused the input and changed nothing; `reasons` are its own words, one per problem."""

    @property
    def reasons(self) -> list[str]:
        return [str(self)]


class NotFound(PermanentError):
    """The record does not exist (any more) on the platform."""
