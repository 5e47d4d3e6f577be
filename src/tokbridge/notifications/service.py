"""The digest: everything that happened since the merchant's last email, in one email.

Nothing goes out twice, even when the job is retried or dies half-way: the email is composed and
recorded (`NotificationDigest`, the events marked handled) in one transaction BEFORE sending, and marked
`sending` while the SMTP server has it. A retry then

- sends a `pending` digest again: it was refused before the server took it (`mailer.NotSent`);
- never sends a `sending` one again (the job died mid-send) nor an `uncertain` one (the connection broke
  while the server held it): it may have arrived, and a lost notice is better than a duplicate.

Sending first and recording after would risk a second email after every crash between the two.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from urllib.parse import urlsplit

import jinja2
from sqlalchemy.orm import Session

from tokbridge.activity.repository import ActivityRepository
from tokbridge.config import Settings
from tokbridge.db.base import utcnow
from tokbridge.db.engine import for_writing
from tokbridge.kit.errors import RetryableError
from tokbridge.listings.models import Listing
from tokbridge.notifications import hooks, mailer  # noqa: F401  (hooks: the session events load with this)
from tokbridge.notifications.models import DigestState, EventKind, NotificationDigest, NotificationEvent
from tokbridge.notifications.repository import NotificationRepository

log = logging.getLogger(__name__)

SHOWN_PER_SECTION = 20  # a bulk upload can fail hundreds: the rest is a link
RETRY_REFUSED_AFTER_SECONDS = 120
_not_configured_logged = False

PREFERENCE_OF: dict[str, str] = {
    EventKind.FAILED_UPLOAD: "on_failed_upload",
    EventKind.FAILED_ORDER: "on_failed_order",
    EventKind.ORDER_WAITING_FOR_PLAN: "on_plan_limit",
}


@dataclass
class Item:
    label: str
    link: str
    reason: str = ""
    fix: str = ""


@dataclass
class Section:
    title: str
    link: str
    link_text: str
    summary: str  # its part of the subject line
    items: list[Item] = field(default_factory=list)
    total: int = 0


def email_configured(settings: Settings) -> bool:
    return bool(settings.smtp_url)


def send_digest(open_session: Callable[[], Session], merchant_id: int, settings: Settings) -> str:
    """Send the merchant's digest, if anything wanted happened. `open_session` gives sessions bound to
    the merchant. Returns what was done (for logs and tests). Raises RetryableError when the server
    refused it for now."""
    session = open_session()
    try:
        for_writing(session)
        smtp_url = settings.smtp_url if email_configured(settings) else None
        if not smtp_url:
            repository = NotificationRepository(session)
            left = repository.mark_handled(merchant_id, [e.id for e in repository.unhandled(merchant_id)])
            session.commit()
            _log_not_configured_once()
            return f"email not configured; {left} events left out"
        digest = NotificationRepository(session).unfinished_digest()
        if digest is not None and digest.state == DigestState.SENDING:
            digest.state = DigestState.UNCERTAIN
            digest.last_error = "The job stopped while the mail server had this email; not sent again."
            log.warning("notification digest %s may not have gone out; not sending it twice", digest.id)
            digest = None
        if digest is None:
            digest = _compose(session, merchant_id, settings)
        if digest is None:
            session.commit()
            return "nothing to send"
        digest.state = DigestState.SENDING
        digest.attempts += 1
        session.flush()
        digest_id, message = digest.id, _message(digest, settings)
        session.commit()
    finally:
        session.close()

    try:
        mailer.send(smtp_url, message)
    except mailer.NotSent as refused:
        _finish(open_session, digest_id, DigestState.PENDING, str(refused))
        raise RetryableError(
            f"The mail server did not take the email: {refused}", retry_after=RETRY_REFUSED_AFTER_SECONDS
        ) from None
    except mailer.MaybeSent as broken:
        _finish(open_session, digest_id, DigestState.UNCERTAIN, str(broken))
        log.warning("notification digest %s may not have gone out (%s); not sending it twice", digest_id, broken)
        return "uncertain"
    _finish(open_session, digest_id, DigestState.SENT, None)
    return "sent"


def _finish(open_session: Callable[[], Session], digest_id: int, state: str, error: str | None) -> None:
    session = open_session()
    try:
        for_writing(session)
        digest = session.get(NotificationDigest, digest_id)
        if digest is None:  # deleted with its merchant meanwhile
            return
        digest.state = state
        digest.last_error = error
        if state == DigestState.SENT:
            digest.sent_at = utcnow()
        session.commit()
    finally:
        session.close()


def _log_not_configured_once() -> None:
    global _not_configured_logged
    if not _not_configured_logged:
        _not_configured_logged = True
        log.warning("Notification emails are not sent: SMTP_URL is not set (see README, settings).")


def recipient(session: Session, merchant_id: int, chosen: str | None) -> str | None:
    """The address from Settings, or the account's (its first user's) email."""
    return chosen or NotificationRepository(session).first_user_email(merchant_id)


def _compose(session: Session, merchant_id: int, settings: Settings) -> NotificationDigest | None:
    """Take the unhandled events (all of them: those the merchant opted out of are dropped, never kept
    for later) and record the digest email made of the wanted ones, or None."""
    repository = NotificationRepository(session)
    events = repository.unhandled(merchant_id)
    if not events:
        return None
    preferences = ActivityRepository(session).notification_settings(merchant_id, create=False)
    wanted = [e for e in events if getattr(preferences, PREFERENCE_OF.get(e.kind, ""), False)]
    address = recipient(session, merchant_id, preferences.email)
    sections = _sections(session, wanted, settings.base_url.rstrip("/")) if wanted and address else []
    if not sections:
        repository.mark_handled(merchant_id, [e.id for e in events])
        return None
    digest = NotificationDigest(
        merchant_id=merchant_id,
        recipient=address,
        subject=_subject(sections),
        text_body=_text(sections, settings.base_url),
        html_body=_html(sections),
        state=DigestState.PENDING,
        attempts=0,
    )
    session.add(digest)
    session.flush()
    repository.mark_handled(merchant_id, [e.id for e in events], digest_id=digest.id)
    return digest


def _subjects(events: list[NotificationEvent], kind: str) -> list[int]:
    return list(dict.fromkeys(e.subject_id for e in events if e.kind == kind))  # first seen first, once each


def _sections(session: Session, events: list[NotificationEvent], base: str) -> list[Section]:
    sections = []
    if listing_ids := _subjects(events, EventKind.FAILED_UPLOAD):
        section = Section(
            "Products that failed",
            f"{base}/products?status=failed",
            "See all failed products",
            _counted(len(listing_ids), "product", "failed"),
            total=len(listing_ids),
        )
        by_id = NotificationRepository(session).listings_with_titles(listing_ids[:SHOWN_PER_SECTION])
        for listing_id in listing_ids[:SHOWN_PER_SECTION]:
            if listing_id in by_id:
                listing, title = by_id[listing_id]
                reason, fix = listing_reason(listing)
                section.items.append(Item(title, f"{base}/products/{listing.product_id}", reason, fix))
        sections.append(section)
    if order_ids := _subjects(events, EventKind.FAILED_ORDER):
        section = Section(
            "Orders not created in your store",
            f"{base}/orders?status=failed",
            "See all failed orders",
            _counted(len(order_ids), "order", "not in your store"),
            total=len(order_ids),
        )
        for order in NotificationRepository(session).orders(order_ids[:SHOWN_PER_SECTION]):
            section.items.append(
                Item(
                    f"TikTok order {order.tiktok_order_id}",
                    f"{base}/orders/{order.id}",
                    order.failure_reason or "",
                    "Fix the reason, then press Retry on the order.",
                )
            )
        sections.append(section)
    if order_ids := _subjects(events, EventKind.ORDER_WAITING_FOR_PLAN):
        section = Section(
            "Plan limit reached: orders waiting",
            f"{base}/plans",
            "Compare plans and upgrade",
            f"plan limit reached ({_counted(len(order_ids), 'order', 'waiting')})",
            total=len(order_ids),
        )
        for order in NotificationRepository(session).orders(order_ids[:SHOWN_PER_SECTION]):
            section.items.append(
                Item(
                    f"TikTok order {order.tiktok_order_id}",
                    f"{base}/orders/{order.id}",
                    order.failure_reason or "The plan's orders for this month are used.",
                    "Upgrade your plan: waiting orders then go to your store.",
                )
            )
        sections.append(section)
    return [s for s in sections if s.items]


def listing_reason(listing: Listing) -> tuple[str, str]:
    """Why it failed and how to fix it, from TikTok's review or from the validation problems."""
    reasons, fixes = [], []
    for entry in listing.review_reasons or []:
        reasons += [str(r) for r in entry.get("reasons") or []]
        fixes += [str(s) for s in entry.get("suggestions") or []]
    for problem in listing.problems or []:
        if problem.get("message"):
            reasons.append(str(problem["message"]))
        if problem.get("fix"):
            fixes.append(str(problem["fix"]))
    if not reasons and listing.last_error:
        reasons.append(listing.last_error)
    return "; ".join(reasons), "; ".join(fixes)


def _counted(total: int, noun: str, what: str) -> str:
    return f"{total} {noun}{'s' if total != 1 else ''} {what}"


def _subject(sections: list[Section]) -> str:
    return "TokBridge: " + ", ".join(section.summary for section in sections)


# The email's two renderings; autoescaped in HTML only (names and reasons come from the store and TikTok).
_emails = jinja2.Environment(
    loader=jinja2.PackageLoader("tokbridge.notifications", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    keep_trailing_newline=True,
)


def _text(sections: list[Section], base_url: str) -> str:
    return _emails.get_template("digest.txt").render(
        sections=sections, settings_link=f"{base_url.rstrip('/')}/settings#notifications-title"
    )


def _html(sections: list[Section]) -> str:
    return _emails.get_template("digest.html").render(sections=sections)


def _message(digest: NotificationDigest, settings: Settings) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = digest.subject
    name, address = parseaddr(settings.mail_from)
    message["From"] = formataddr((name, address))
    message["To"] = digest.recipient
    # The same id on every attempt of this digest: a mail system that sees it twice can drop the copy.
    host = urlsplit(settings.base_url).hostname or "tokbridge.local"
    message["Message-ID"] = f"<tokbridge-digest-{digest.id}@{host}>"
    # Quoted-printable: SMTP refuses lines over 1,000 characters, and reasons can be long.
    message.set_content(digest.text_body, cte="quoted-printable")
    message.add_alternative(digest.html_body, subtype="html", cte="quoted-printable")
    return message
