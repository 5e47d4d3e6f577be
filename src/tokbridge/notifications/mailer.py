"""Sending one email over SMTP with the standard library.

`SMTP_URL`: `smtp://user:password@host:587` (STARTTLS when the server offers it) or `smtps://…` (TLS from
the first byte); user and password percent-encoded. The URL is never logged, only `server_label`.

Failures are split by whether the message could have gone out: `NotSent` (refused before the server took
the message: safe to try again) and `MaybeSent` (the connection broke while the server held it).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

TIMEOUT_SECONDS = 30


class NotSent(Exception):
    """The server never accepted the message; sending again cannot duplicate it."""


class MaybeSent(Exception):
    """The server may have accepted the message; sending again could duplicate it."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    tls: bool  # smtps: TLS from the start
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:password@host:587 or smtps://user:password@host")
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if tls else 25),
            tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    @property
    def label(self) -> str:
        """For logs: no credentials."""
        return f"{'smtps' if self.tls else 'smtp'}://{self.host}:{self.port}"


def server_label(url: str) -> str:
    try:
        return SmtpServer.from_url(url).label
    except ValueError:
        return "an unreadable SMTP_URL"


def send(url: str, message: EmailMessage) -> None:
    """Send `message` (From and To set). Raises NotSent or MaybeSent."""
    server = SmtpServer.from_url(url)
    handed_over = False
    try:
        smtp: smtplib.SMTP
        if server.tls:
            smtp = smtplib.SMTP_SSL(
                server.host, server.port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
        with smtp:
            smtp.ehlo()
            if not server.tls and smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if server.username:
                smtp.login(server.username, server.password or "")
            # sendmail's steps one by one, to know when the server starts holding the message.
            code, reply = smtp.mail(message["From"])
            if code != 250:
                raise NotSent(f"sender refused: {code} {reply!r}")
            code, reply = smtp.rcpt(message["To"])
            if code not in (250, 251):
                raise NotSent(f"recipient refused: {code} {reply!r}")
            handed_over = True
            # CRLF line ends: smtplib passes bytes through as they are.
            code, reply = smtp.data(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
            if code != 250:  # a refusal is an answer: the message was not taken
                raise NotSent(f"message refused: {code} {reply!r}")
    except (NotSent, MaybeSent):
        raise
    except smtplib.SMTPDataError as refused:
        raise NotSent(f"message refused: {refused.smtp_code} {refused.smtp_error!r}") from None
    except (smtplib.SMTPException, OSError) as failed:
        # The password never appears in these (smtplib does not put it in its exceptions).
        error = f"{server.label}: {type(failed).__name__}: {failed}"
        raise (MaybeSent(error) if handed_over else NotSent(error)) from None
