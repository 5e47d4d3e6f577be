"""The two kinds of failure every layer distinguishes (OCA's RetryableJobError vs a permanent one)."""

from __future__ import annotations


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
