"""Etsy's webhooks at /webhooks/etsy: signed the Standard Webhooks way by the sandbox's own signer, verified
by the plugin, recorded in the inbox for the shop's merchant once per webhook-id; tampered, unsigned or
stale ones are refused."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from tests.conftest import create_account
from tokbridge.channels.etsy.settings import get_etsy_settings
from tokbridge.channels.models import ChannelConnection
from tokbridge.db.engine import get_engine, session_scope
from tokbridge.inbox.models import InboundEvent
from tokbridge_sandboxes.etsy import SandboxConfig, sign

SECRET = SandboxConfig().webhook_secret
SHOP_ID = 40123456


@pytest.fixture
def etsy_shop(app_settings, monkeypatch):
    monkeypatch.setenv("ETSY_WEBHOOK_SECRET", SECRET)
    get_etsy_settings.cache_clear()
    merchant_id = create_account(app_settings, "Pottery", "owner@pottery.test")
    with session_scope(get_engine(app_settings.database_url)) as session:
        connection = ChannelConnection(
            merchant_id=merchant_id, channel="etsy", external_id=str(SHOP_ID), name="Pottery", data={}, scopes=[]
        )
        connection.access_token = "81234567.token"
        connection.status = "active"
        session.add(connection)
    return merchant_id


def delivery(
    event_type: str = "listing.updated", *, webhook_id: str = "msg_1", at: int | None = None, secret: str = SECRET
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {
            "event_type": event_type,
            "shop_id": SHOP_ID,
            "resource_url": "https://openapi.etsy.com/v3/application/listings/777",
        }
    ).encode()
    timestamp = str(int(time.time()) if at is None else at)
    return body, {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": sign(secret, webhook_id, timestamp, body),
    }


def inbox(app_settings) -> list[InboundEvent]:
    with session_scope(get_engine(app_settings.database_url)) as session:
        rows = list(session.scalars(select(InboundEvent).order_by(InboundEvent.id)))
        session.expunge_all()
        return rows


def test_a_signed_etsy_webhook_is_recorded_once_for_the_shops_merchant(client, app_settings, etsy_shop):
    body, headers = delivery()
    assert client.post("/webhooks/etsy", content=body, headers=headers).status_code == 200
    assert client.post("/webhooks/etsy", content=body, headers=headers).status_code == 200  # Etsy's retry

    [event] = inbox(app_settings)
    assert (event.source, event.topic, event.merchant_id) == ("etsy", "listing.updated", etsy_shop)
    assert event.external_id == "msg_1" and event.payload["body"]["resource_url"].endswith("/listings/777")


@pytest.mark.parametrize("spoil", ["tampered", "unsigned", "stale", "other secret"])
def test_an_etsy_webhook_not_signed_by_etsy_now_is_refused(client, app_settings, etsy_shop, spoil):
    body, headers = delivery(
        at=int(time.time()) - 3600 if spoil == "stale" else None,
        secret=SandboxConfig(webhook_secret="whsec_b3RoZXI=").webhook_secret if spoil == "other secret" else SECRET,
    )
    if spoil == "tampered":
        body = body.replace(b"777", b"778")
    if spoil == "unsigned":
        del headers["webhook-signature"]

    assert client.post("/webhooks/etsy", content=body, headers=headers).status_code == 401
    assert inbox(app_settings) == []
