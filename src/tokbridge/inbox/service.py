"""Webhook intake: verify the signature on the raw body, route the event to its connection, record
it once in the inbox and enqueue its processing. No API calls here: the platform gets its answer
within milliseconds, and everything slow happens in the `inbox.process` job.

Answers: 401 for a missing or wrong signature, 400 for a body that is not the platform's envelope
(or whose ids or topic could not be stored: too long, control characters), 200 for everything else
(an unknown shop or a duplicate is acknowledged and dropped, so the platform does not retry it for days).
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from tokbridge.channels import registry
from tokbridge.channels.base import InvalidDelivery
from tokbridge.channels.connections import TIKTOK, ConnectionRepository
from tokbridge.channels.factory import tiktok_app
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.tiktok import webhooks as tiktok_webhooks
from tokbridge.config import Settings, get_settings
from tokbridge.db.engine import for_writing
from tokbridge.inbox.repository import InboxRepository
from tokbridge.jobs import kinds
from tokbridge.jobs.service import enqueue_or_add
from tokbridge.kit import strict_json

log = logging.getLogger(__name__)

PROCESS_JOB = kinds.INBOX_PROCESS
PROCESS_BATCH = 200  # webhooks one processing job carries at most
# The longest values the inbox and connection columns hold (inbound_event, channel_connection).
MAX_KEY, MAX_TOPIC, MAX_SHOP = 255, 100, 255


@dataclass(frozen=True)
class Intake:
    """What to answer the platform, and the inbox row created (None when nothing was recorded)."""

    status: int
    detail: str
    event_id: int | None = None


@dataclass(frozen=True)
class Verified:
    """A webhook whose signature and envelope are good, not recorded yet."""

    source: str  # the connection kind: a store plugin's kind, or TikTok
    shop: str  # the account it is for (a store's domain, the TikTok shop id): finds the connection
    key: str  # dedup key: the platform's event id, or a digest of the body
    topic: str
    body: dict


def verify_store(
    kind: str, body: bytes, headers: Mapping[str, str], settings: Settings | None = None
) -> Verified | Intake:
    """Check a store's webhook without touching the database: a `Verified` event, or the answer to give.
    The store's plugin checks the signature and opens the envelope; nothing here knows which store it is."""
    try:
        events = registry.plugin(kind).events
    except registry.UnknownStore:
        events = None
    if events is None:
        return Intake(404, "Not found.")
    if not events.verify(settings or get_settings(), headers, body):
        log.warning("%s webhook refused: missing or invalid signature (%d bytes)", kind, len(body))
        return Intake(401, "The webhook signature is missing or invalid.")
    try:
        delivery = events.open(headers, body)
    except InvalidDelivery as exc:
        log.warning("%s webhook refused as malformed: %s", kind, exc)
        return Intake(400, f"Malformed webhook: {exc}")
    key = delivery.key or "sha256:" + _digest(delivery.topic.encode(), delivery.account.encode(), body)
    return _checked(
        Verified(kind, delivery.account, key, delivery.topic, delivery.payload), id_name="event id", shop_name="account"
    )


def verify_tiktok(body: bytes, headers: Mapping[str, str]) -> Verified | Intake:
    app = tiktok_app()
    signature = headers.get("authorization", "")
    if not tiktok_webhooks.verify_signature(app.app_key, app.app_secret.get_secret_value(), body, signature):
        log.warning("tiktok webhook refused: missing or invalid signature (%d bytes)", len(body))
        return Intake(401, "The webhook signature is missing or invalid.")
    try:
        event = tiktok_webhooks.parse_event(body)
    except tiktok_webhooks.InvalidWebhook as exc:
        log.warning("tiktok webhook refused as malformed: %s", exc)
        return Intake(400, f"Malformed webhook: {exc}")
    key = event.tts_notification_id or "sha256:" + _digest(body)
    return _checked(
        Verified(TIKTOK, event.shop_id or "", key, str(event.type), strict_json.loads(body)),
        id_name="tts_notification_id",
        shop_name="shop_id",
    )


def _checked(event: Verified, *, id_name: str, shop_name: str) -> Verified | Intake:
    """Refuse, alone and before it joins a batch, an event whose fields the database could not store:
    a batch is one transaction, so one such event would fail every webhook recorded with it."""
    problem = (
        _text_problem(id_name, event.key, MAX_KEY)
        or _text_problem("topic", event.topic, MAX_TOPIC)
        or _text_problem(shop_name, event.shop, MAX_SHOP)
    )
    if problem is None:
        return event
    log.warning("%s webhook refused as malformed: %s", event.source, problem)
    return Intake(400, f"Malformed webhook: {problem}")


def _text_problem(name: str, value: str, max_length: int) -> str | None:
    if len(value) > max_length:
        return f"{name} is longer than {max_length} characters"
    if any(unicodedata.category(character) in ("Cc", "Cs") for character in value):
        return f"{name} contains control characters"
    return None


def receive_store(session: Session, kind: str, body: bytes, headers: Mapping[str, str]) -> Intake:
    checked = verify_store(kind, body, headers)
    return checked if isinstance(checked, Intake) else record(session, [checked])[0]


def receive_tiktok(session: Session, body: bytes, headers: Mapping[str, str]) -> Intake:
    checked = verify_tiktok(body, headers)
    return checked if isinstance(checked, Intake) else record(session, [checked])[0]


def record(session: Session, events: Sequence[Verified]) -> list[Intake]:
    """Record verified events in one transaction: one inbox row per new event (a repeat of one recorded
    before, or earlier in the same batch, is answered as a duplicate) and one processing job per merchant
    for its new events. The caller commits; the jobs are dispatched after the commit."""
    connections: dict[tuple[str, str], ChannelConnection | None] = {}
    repository = ConnectionRepository(session)
    for event in events:
        if (event.source, event.shop) not in connections:
            connections[(event.source, event.shop)] = (
                repository.by_external_id(event.source, event.shop) if event.shop else None
            )
    # End the lookups' read transaction and start a writing one: on SQLite, a transaction that reads,
    # then writes fails at once if another connection wrote meanwhile, while one declared as writing
    # waits its turn (busy timeout).
    session.commit()
    for_writing(session)
    results: list[Intake | None] = [None] * len(events)
    rows: list[dict] = []
    first_of: dict[tuple[str, str], int] = {}
    for index, event in enumerate(events):
        connection = connections[(event.source, event.shop)]
        if connection is None:
            log.info("%s webhook %s for unknown shop %s ignored", event.source, event.topic, event.shop)
            results[index] = Intake(200, "Unknown shop; ignored.")
        elif (event.source, event.key) in first_of:
            results[index] = _duplicate(event)
        else:
            first_of[(event.source, event.key)] = index
            rows.append(
                {
                    "source": event.source,
                    "external_id": event.key,
                    "merchant_id": connection.merchant_id,
                    "topic": event.topic,
                    "payload": {"connection_id": connection.id, "body": event.body},
                }
            )
    recorded = InboxRepository(session).record_many(rows)
    new_by_merchant: dict[int, list[int]] = {}
    for (source, key), index in first_of.items():
        event_id = recorded.get((source, key))
        if event_id is None:
            results[index] = _duplicate(events[index])
            continue
        connection = connections[(source, events[index].shop)]
        assert connection is not None  # first_of holds the events of known shops only
        merchant_id = connection.merchant_id
        new_by_merchant.setdefault(merchant_id, []).append(event_id)
        results[index] = Intake(200, "Received.", event_id)
    for merchant_id, event_ids in new_by_merchant.items():
        # Webhooks mostly arrive one at a time: while the merchant's last batch still waits for a worker,
        # new ones join it (up to PROCESS_BATCH) instead of each costing a job of its own.
        enqueue_or_add(
            session,
            PROCESS_JOB,
            merchant_id=merchant_id,
            key="event_ids",
            items=sorted(event_ids),
            limit=PROCESS_BATCH,
            title=_process_title,
        )
    return results  # type: ignore[return-value]


def _process_title(count: int) -> str:
    return f"Process {count} webhook{'s' if count != 1 else ''}"


def _duplicate(event: Verified) -> Intake:
    log.info("%s webhook %s (%s) already received; duplicate ignored", event.source, event.key, event.topic)
    return Intake(200, "Duplicate; already received.")


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()
