"""Webhook intake: verify the signature on the raw body, route the event to its connection, record
it once in the inbox and enqueue its processing. No API calls here: the platform gets its answer
within milliseconds, and everything slow happens in the `inbox.process` job.

Answers: 401 for a missing or wrong signature, 400 for a body that is not the platform's envelope,
200 for everything else (an unknown shop or a duplicate is acknowledged and dropped, so the
platform does not retry it for days).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from tokbridge.channels.connections import SHOPIFY, TIKTOK, ConnectionRepository
from tokbridge.channels.factory import tiktok_app
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.shopify import webhooks as shopify_webhooks
from tokbridge.channels.shopify.settings import get_shopify_settings
from tokbridge.channels.tiktok import webhooks as tiktok_webhooks
from tokbridge.db.engine import for_writing
from tokbridge.inbox.repository import InboxRepository
from tokbridge.jobs.service import enqueue

log = logging.getLogger(__name__)

PROCESS_JOB = "inbox.process"


@dataclass(frozen=True)
class Intake:
    """What to answer the platform, and the inbox row created (None when nothing was recorded)."""

    status: int
    detail: str
    event_id: int | None = None


def receive_shopify(session: Session, body: bytes, headers: Mapping[str, str]) -> Intake:
    found = shopify_webhooks.shopify_headers(headers)
    topic, shop = found.get("topic", "?"), found.get("shop-domain", "?")
    if not shopify_webhooks.verify_request(body, headers, get_shopify_settings().secrets):
        log.warning("shopify webhook refused: missing or invalid signature (topic=%s, shop=%s)", topic, shop)
        return Intake(401, "The webhook signature is missing or invalid.")
    try:
        envelope = shopify_webhooks.parse(body, headers)
    except shopify_webhooks.InvalidWebhook as exc:
        log.warning("shopify webhook refused as malformed (topic=%s, shop=%s): %s", topic, shop, exc)
        return Intake(400, f"Malformed webhook: {exc}")
    connection = ConnectionRepository(session).by_external_id(SHOPIFY, envelope.shop_domain)
    if connection is None:
        log.info("shopify webhook %s for unknown shop %s ignored", envelope.topic, envelope.shop_domain)
        return Intake(200, "Unknown shop; ignored.")
    key = envelope.dedup_key or "sha256:" + _digest(envelope.topic.encode(), envelope.shop_domain.encode(), body)
    return _record(session, SHOPIFY, key, connection, envelope.topic, envelope.payload)


def receive_tiktok(session: Session, body: bytes, headers: Mapping[str, str]) -> Intake:
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
    connection = ConnectionRepository(session).by_external_id(TIKTOK, event.shop_id) if event.shop_id else None
    if connection is None:
        log.info("tiktok webhook type %s for unknown shop %s ignored", event.type, event.shop_id)
        return Intake(200, "Unknown shop; ignored.")
    key = event.tts_notification_id or "sha256:" + _digest(body)
    return _record(session, TIKTOK, key, connection, str(event.type), json.loads(body))


def _record(session: Session, source: str, key: str, connection: ChannelConnection, topic: str,
            body: dict) -> Intake:
    merchant_id, connection_id = connection.merchant_id, connection.id
    # End the lookup's read transaction and start a writing one: on SQLite, a transaction that reads,
    # then writes fails at once if another connection wrote meanwhile, while one declared as writing
    # waits its turn (busy timeout). Webhooks arrive in bursts, so this matters here.
    session.commit()
    for_writing(session)
    event_id = InboxRepository(session).record(
        source=source, external_id=key, merchant_id=merchant_id, topic=topic,
        payload={"connection_id": connection_id, "body": body},
    )
    if event_id is None:
        log.info("%s webhook %s (%s) already received; duplicate ignored", source, key, topic)
        return Intake(200, "Duplicate; already received.")
    enqueue(session, PROCESS_JOB, merchant_id=merchant_id, payload={"event_id": event_id},
            identity_key=f"inbox:{event_id}", title=f"Process {source} webhook {topic}")
    return Intake(200, "Received.", event_id)


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()
