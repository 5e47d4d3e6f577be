"""Notification emails end to end: domain changes -> events (session hooks) -> the digest job through the
real job runner -> a real SMTP server (aiosmtpd) over TCP. Each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from tests.conftest import create_account, sign_in
from tokbridge.activity.repository import ActivityRepository
from tokbridge.catalog.models import CatalogProduct
from tokbridge.channels.models import ChannelConnection
from tokbridge.config import get_settings
from tokbridge.db.base import utcnow
from tokbridge.db.engine import get_engine, session_scope
from tokbridge.jobs.models import Job, JobState
from tokbridge.jobs.runner import run_job
from tokbridge.listings.models import Listing, ListingStatus
from tokbridge.notifications.hooks import DIGEST_JOB, digest_identity
from tokbridge.notifications.models import DigestState, NotificationDigest
from tokbridge.orders import service as orders
from tokbridge.orders.models import Order, StoreSync
from tokbridge.tenancy.scoping import bind_merchant

EMAIL = "owner@shop.example"


class Inbox:
    """A real SMTP server (aiosmtpd) on a local port, keeping what it receives."""

    def __init__(self, port: int):
        self.port = port
        self.messages = []
        self.controller = None

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)  # a stopped one cannot restart
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def inbox(smtp_port):
    box = Inbox(smtp_port)
    box.start()
    yield box
    box.stop()


@pytest.fixture
def mail_settings(app_settings, smtp_port, monkeypatch):
    monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{smtp_port}")
    monkeypatch.setenv("MAIL_FROM", "TokBridge <alerts@tokbridge.example>")
    monkeypatch.setenv("BASE_URL", "https://app.tokbridge.example")
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture
def shop(mail_settings):
    """A merchant with a TikTok connection, a product whose upload is in progress and an order on its
    way to the store. Returns (merchant id, listing id, order id, product id)."""
    merchant_id = create_account(mail_settings, "Notified Shop", EMAIL)
    with session_scope(get_engine(mail_settings.database_url)) as session:
        connection = ChannelConnection(merchant_id=merchant_id, channel="tiktok", external_id="shop-1")
        product = CatalogProduct(
            merchant_id=merchant_id,
            channel="shopify",
            external_id="gid://p/1",
            title="Linen Shirt",
            status="active",
            content_hash="x",
            synced_at=utcnow(),
        )
        session.add_all([connection, product])
        session.flush()
        listing = Listing(
            merchant_id=merchant_id,
            connection_id=connection.id,
            product_id=product.id,
            status=ListingStatus.IN_PROGRESS,
            problems=[],
            review_reasons=[],
        )
        order = Order(
            merchant_id=merchant_id,
            connection_id=connection.id,
            tiktok_order_id="576000111",
            tiktok_status="AWAITING_SHIPMENT",
            status="awaiting_shipment",
            store_sync=StoreSync.PENDING,
        )
        session.add_all([listing, order])
        session.flush()
        return merchant_id, listing.id, order.id, product.id


def merchant_session(settings, merchant_id):
    from tokbridge.db.engine import sessionmaker_for

    return bind_merchant(sessionmaker_for(get_engine(settings.database_url))(), merchant_id)


def fail_both(settings, merchant_id, listing_id, order_id):
    """What the upload job and the order job do when TikTok refuses the product and the store the order."""
    with merchant_session(settings, merchant_id) as session:
        listing = session.get(Listing, listing_id)
        listing.status = ListingStatus.FAILED
        listing.review_reasons = [
            {
                "position": "images",
                "reasons": ["The main image has a watermark"],
                "suggestions": ["Upload a main image without text or logos"],
            }
        ]
        listing.last_error = "TikTok's review rejected this product."
        orders.record_store_failure(session, order_id, "Unknown SKU: Linen Shirt (LS-1) is not linked.")
        session.commit()


def run_digest(settings, merchant_id) -> str | None:
    """Run the merchant's digest job now (it was queued a few minutes ahead)."""
    with session_scope(get_engine(settings.database_url)) as session:
        job = session.scalar(
            select(Job).where(Job.identity_key == digest_identity(merchant_id)).order_by(Job.id.desc()).limit(1)
        )
        assert job is not None and job.kind == DIGEST_JOB
        job.next_run_at = utcnow()
        job_id = job.id
    return run_job(settings, job_id)


def requeue(settings, merchant_id) -> None:
    """What the runner does with a job to retry (or maintenance with an expired lease)."""
    with session_scope(get_engine(settings.database_url)) as session:
        session.execute(
            update(Job)
            .where(Job.identity_key == digest_identity(merchant_id))
            .values(state=JobState.QUEUED, next_run_at=utcnow())
        )


def test_failed_upload_and_failed_order_make_one_digest(inbox, mail_settings, shop):
    merchant_id, listing_id, order_id, product_id = shop
    fail_both(mail_settings, merchant_id, listing_id, order_id)

    with session_scope(get_engine(mail_settings.database_url)) as session:
        job = session.scalar(select(Job).where(Job.identity_key == digest_identity(merchant_id)))
        assert job.state == JobState.QUEUED and job.next_run_at > utcnow()  # a digest, a few minutes later
    assert run_digest(mail_settings, merchant_id) == JobState.SUCCEEDED

    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == [EMAIL] and message["To"] == EMAIL
    assert "alerts@tokbridge.example" in message["From"]
    assert "1 product failed" in message["Subject"] and "1 order not in your store" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "Linen Shirt" in text and "The main image has a watermark" in text
    assert "Upload a main image without text or logos" in text
    assert "576000111" in text and "Unknown SKU" in text
    assert f"https://app.tokbridge.example/products/{product_id}" in text
    assert f"https://app.tokbridge.example/orders/{order_id}" in text
    html = message.get_body(("html",)).get_content()
    assert f'href="https://app.tokbridge.example/products/{product_id}"' in html and "576000111" in html


def test_nothing_is_sent_twice_when_the_job_runs_again(inbox, mail_settings, shop):
    merchant_id, listing_id, order_id, _ = shop
    fail_both(mail_settings, merchant_id, listing_id, order_id)
    assert run_digest(mail_settings, merchant_id) == JobState.SUCCEEDED
    requeue(mail_settings, merchant_id)
    assert run_digest(mail_settings, merchant_id) == JobState.SUCCEEDED
    assert len(inbox.messages) == 1


def test_refused_by_the_server_is_sent_once_on_retry_and_a_crash_mid_send_is_not_resent(inbox, mail_settings, shop):
    merchant_id, listing_id, order_id, _ = shop
    fail_both(mail_settings, merchant_id, listing_id, order_id)
    inbox.stop()  # connection refused: the message certainly did not go out
    assert run_digest(mail_settings, merchant_id) == JobState.QUEUED  # retried later
    with session_scope(get_engine(mail_settings.database_url)) as session:
        assert session.scalar(select(NotificationDigest.state)) == DigestState.PENDING
    inbox.start()
    requeue(mail_settings, merchant_id)
    assert run_digest(mail_settings, merchant_id) == JobState.SUCCEEDED
    assert len(inbox.messages) == 1

    # A job that died while the server had the message: the retry does not send it again.
    with session_scope(get_engine(mail_settings.database_url)) as session:
        session.execute(update(NotificationDigest).values(state=DigestState.SENDING))
    requeue(mail_settings, merchant_id)
    assert run_digest(mail_settings, merchant_id) == JobState.SUCCEEDED
    assert len(inbox.messages) == 1
    with session_scope(get_engine(mail_settings.database_url)) as session:
        assert session.scalar(select(NotificationDigest.state)) == DigestState.UNCERTAIN


def test_nothing_is_sent_for_preferences_that_are_off(inbox, mail_settings, shop):
    merchant_id, listing_id, order_id, _ = shop
    with merchant_session(mail_settings, merchant_id) as session:
        preferences = ActivityRepository(session).notification_settings(merchant_id)
        preferences.on_failed_upload = False
        preferences.on_failed_order = False
        session.commit()
    fail_both(mail_settings, merchant_id, listing_id, order_id)
    assert run_digest(mail_settings, merchant_id) == JobState.SUCCEEDED
    assert inbox.messages == []

    # Turned on again later: what happened while it was off is not sent afterwards.
    with merchant_session(mail_settings, merchant_id) as session:
        ActivityRepository(session).notification_settings(merchant_id).on_failed_order = True
        session.commit()
    requeue(mail_settings, merchant_id)
    assert run_digest(mail_settings, merchant_id) == JobState.SUCCEEDED
    assert inbox.messages == []


def test_only_the_wanted_part_goes_to_the_chosen_address(inbox, mail_settings, shop):
    merchant_id, listing_id, order_id, _ = shop
    with merchant_session(mail_settings, merchant_id) as session:
        preferences = ActivityRepository(session).notification_settings(merchant_id)
        preferences.on_failed_upload = False
        preferences.email = "ops@shop.example"
        session.commit()
    fail_both(mail_settings, merchant_id, listing_id, order_id)
    assert run_digest(mail_settings, merchant_id) == JobState.SUCCEEDED
    [(recipients, message)] = inbox.messages
    assert recipients == ["ops@shop.example"]
    text = message.get_body(("plain",)).get_content()
    assert "576000111" in text and "Products that failed" not in text and "watermark" not in text


def test_plan_limit_email_for_orders_waiting(inbox, mail_settings, shop):
    merchant_id, _, order_id, _ = shop
    with merchant_session(mail_settings, merchant_id) as session:
        orders.prepare_for_store(session, order_id)  # the real check; the plan's orders are used up below
        session.rollback()
        order = session.get(Order, order_id)
        order.store_sync = StoreSync.WAITING_FOR_PLAN
        order.failure_reason = "Waiting for the plan: the Free plan's 50 orders this month are used."
        session.commit()
    assert run_digest(mail_settings, merchant_id) == JobState.SUCCEEDED
    [(_, message)] = inbox.messages
    assert "plan limit reached" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "Free plan's 50 orders" in text and "https://app.tokbridge.example/plans" in text


def test_without_smtp_nothing_is_sent_and_the_settings_page_says_so(inbox, app_settings, monkeypatch, shop):
    merchant_id, listing_id, order_id, _ = shop
    monkeypatch.delenv("SMTP_URL")
    monkeypatch.setenv("BASE_URL", "http://127.0.0.1")  # plain-HTTP test client: no Secure cookies
    get_settings.cache_clear()
    settings = get_settings()
    fail_both(settings, merchant_id, listing_id, order_id)
    assert run_digest(settings, merchant_id) == JobState.SUCCEEDED
    assert inbox.messages == []

    from fastapi.testclient import TestClient

    from tokbridge.web.app import create_app

    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        sign_in(client, EMAIL)
        page = client.get("/settings")
    assert page.status_code == 200
    assert "Email is not configured on this server" in page.text and "SMTP_URL" in page.text


def test_the_settings_page_does_not_warn_when_smtp_is_set(mail_settings, monkeypatch, shop):
    from fastapi.testclient import TestClient

    from tokbridge.web.app import create_app

    monkeypatch.setenv("BASE_URL", "http://127.0.0.1")  # plain-HTTP test client: no Secure cookies
    get_settings.cache_clear()
    with TestClient(create_app(get_settings()), base_url="http://127.0.0.1") as client:
        sign_in(client, EMAIL)
        page = client.get("/settings")
    assert page.status_code == 200 and 'id="notifications-title"' in page.text
    assert "Email is not configured" not in page.text


def test_old_handled_events_and_sent_digests_are_pruned(engine, merchant_id):
    from datetime import timedelta

    from tokbridge.notifications.models import NotificationEvent
    from tokbridge.notifications.repository import prune

    long_ago, lately = utcnow() - timedelta(days=100), utcnow() - timedelta(days=1)
    with session_scope(engine) as session:
        session.add_all(
            [
                NotificationEvent(merchant_id=merchant_id, kind="failed_upload", subject_id=1, handled_at=long_ago),
                NotificationEvent(merchant_id=merchant_id, kind="failed_upload", subject_id=2, handled_at=lately),
                NotificationEvent(merchant_id=merchant_id, kind="failed_upload", subject_id=3),  # not yet handled
                NotificationDigest(
                    merchant_id=merchant_id,
                    recipient=EMAIL,
                    subject="s",
                    text_body="t",
                    html_body="h",
                    state=DigestState.SENT,
                    created_at=long_ago,
                ),
                NotificationDigest(
                    merchant_id=merchant_id,
                    recipient=EMAIL,
                    subject="s",
                    text_body="t",
                    html_body="h",
                    state=DigestState.PENDING,
                    created_at=long_ago,
                ),
            ]
        )  # still to send: kept
    with session_scope(engine) as session:
        assert prune(session, utcnow() - timedelta(days=90)) == 2
    with session_scope(engine) as session:
        assert sorted(e.subject_id for e in session.scalars(select(NotificationEvent))) == [2, 3]
        assert [d.state for d in session.scalars(select(NotificationDigest))] == [DigestState.PENDING]


def test_names_from_the_store_are_escaped_in_the_html_email_and_kept_in_the_text():
    """A product title or a reason may contain markup: the HTML part shows it as text."""
    from tokbridge.notifications.service import Item, Section, _html, _text

    sections = [
        Section(
            "Failed uploads",
            "https://app.example/products?status=failed",
            "See them",
            "1 failed",
            [
                Item(
                    '<script>alert("x")</script> Tee',
                    "https://app.example/products/1",
                    reason="Title < 25 & too short",
                    fix="Lengthen it",
                )
            ],
            total=1,
        )
    ]
    page = _html(sections)
    assert "<script>" not in page and "&lt;script&gt;" in page and "Title &lt; 25 &amp; too short" in page
    assert '<script>alert("x")</script> Tee: https://app.example/products/1' in _text(sections, "https://app.example")
