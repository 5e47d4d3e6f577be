"""Hostile and broken webhooks, one table per platform, delivered over HTTP to the live app.

Every case of a table is sent at once, together with valid webhooks, so that the bad ones meet the
good ones in the same recording batch: each case must get its own answer, and a bad one must never
fail the others. The whole table is then sent a second time (the platforms' retries): the valid ones
are answered as duplicates and nothing is recorded or processed twice.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field

import httpx
from sqlalchemy import func, select

from tests.onboarding.conftest import SHOP, SHOPIFY_SECRET, TIKTOK_KEY, TIKTOK_SECRET
from tests.onboarding.test_webhooks import _connected_store, _inbox
from tokbridge.activity.models import Activity
from tokbridge.channels.tiktok.webhooks import compute_signature
from tokbridge.db.engine import session_scope
from tokbridge_sandboxes.shopify import sign_body

VALID_ALONGSIDE = 30  # valid webhooks sent at the same time as the table's cases
TOO_BIG = b"{" + b'"x": "' + b"a" * (2 * 1024 * 1024) + b'"}'


@dataclass
class Case:
    name: str
    body: bytes
    status: int  # the answer expected, on the first delivery and on the retry alike
    headers: dict = field(default_factory=dict)
    recorded: bool = False  # a valid event: kept once in the inbox, a duplicate when sent again


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def _send_all_at_once(url: str, requests: list[tuple[bytes, dict]]) -> list[httpx.Response]:
    """POST every request from its own thread, all released together."""
    answers: list[httpx.Response | BaseException | None] = [None] * len(requests)
    start = threading.Barrier(len(requests))

    def send(index: int, body: bytes, headers: dict) -> None:
        try:
            with httpx.Client(timeout=60) as http:
                start.wait()
                answers[index] = http.post(url, content=body, headers=headers)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            answers[index] = exc

    threads = [threading.Thread(target=send, args=(i, body, headers)) for i, (body, headers) in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failed = [answer for answer in answers if not isinstance(answer, httpx.Response)]
    assert not failed, failed
    return answers  # type: ignore[return-value]


def _check_answers(cases: list[Case], answers: list[httpx.Response], first_delivery: bool) -> None:
    wrong = []
    for case, answer in zip(cases, answers, strict=True):
        expected = case.status
        detail = answer.json().get("detail", "") if answer.headers.get("content-type") == "application/json" else ""
        if answer.status_code != expected:
            wrong.append(f"{case.name}: {answer.status_code} {answer.text[:200]!r}, expected {expected}")
        elif case.recorded and not detail.startswith("Received" if first_delivery else "Duplicate"):
            wrong.append(f"{case.name}: {detail!r}")
    assert not wrong, "\n".join(wrong)


# --- TikTok -----------------------------------------------------------------------------------


def _tiktok_request(body: bytes, signature: str | None = None) -> tuple[bytes, dict]:
    headers = {"Content-Type": "application/json"}
    signature = compute_signature(TIKTOK_KEY, TIKTOK_SECRET, body) if signature is None else signature
    if signature:
        headers["Authorization"] = signature
    return body, headers


def _tiktok_cases(shop_id: str) -> list[Case]:
    def envelope(notification_id: str = "", product_id: str = "1729592969712207001", **changes) -> dict:
        return {
            "type": 5,
            "tts_notification_id": notification_id or uuid.uuid4().hex,
            "shop_id": shop_id,
            "timestamp": 1700000000,
            "data": {"product_id": product_id, "status": "PRODUCT_STATUS_CHANGED"},
            **changes,
        }

    def body(value: dict) -> bytes:
        return json.dumps(value).encode()

    good = body(envelope("7327"))
    nan = body(envelope()).replace(b'"timestamp": 1700000000', b'"timestamp": NaN')
    infinity = body(envelope()).replace(b'"timestamp": 1700000000', b'"timestamp": -Infinity')
    no_id = body({k: v for k, v in envelope(product_id="1729592969712207002").items() if k != "tts_notification_id"})
    cases = [
        Case("valid", good, 200, recorded=True),
        Case("valid, no notification id (deduplicated on its body)", no_id, 200, recorded=True),
        Case("signature missing", good, 401, {"signature": ""}),
        Case("signature wrong", good, 401, {"signature": "00" * 32}),
        Case(
            "signature of another body",
            body(envelope("7328")),
            401,
            {"signature": compute_signature(TIKTOK_KEY, TIKTOK_SECRET, good)},
        ),
        Case(
            "signed with another secret",
            good,
            401,
            {"signature": compute_signature(TIKTOK_KEY, "not-the-secret", good)},
        ),
        Case("not JSON", b"{not json", 400),
        Case("not UTF-8", b'{"type": 5, "x": "\xff"}', 400),
        Case("a JSON array", b"[1, 2]", 400),
        Case("type is not an integer", body({"type": "five", "shop_id": shop_id}), 400),
        Case("data of the wrong shape", body(envelope(data={"status": "PRODUCT_STATUS_CHANGED"})), 400),
        Case("NaN", nan, 400),
        Case("Infinity", infinity, 400),
        Case("a 5,000-digit number", body(envelope()).replace(b"1700000000", b"9" * 5000), 400),
        Case("notification id of 300 characters", body(envelope("n" * 300)), 400),
        Case("notification id with a NUL", body(envelope("73\u00002")), 400),
        Case("notification id with a lone surrogate", body(envelope("\ud800x")), 400),
        Case("shop id of 300 characters", body(envelope(shop_id="9" * 300)), 400),
        Case("product id of 300 characters", body(envelope(product_id="9" * 300)), 400),
        Case(
            "order id with a NUL",
            body({**envelope(), "type": 1, "data": {"order_id": "5764\u00001", "order_status": "AWAITING_SHIPMENT"}}),
            400,
        ),
        Case("type of 200 digits", body(envelope(type=10**199)), 400),
        Case("nested 100,000 levels deep", body(envelope(data=None)).replace(b"null", _deep(100_000).encode()), 400),
        Case("nested 500 levels deep", body(envelope(data=None)).replace(b"null", _deep(500).encode()), 400),
        Case("body over 2 MB", TOO_BIG, 413),
        Case("unknown shop", body(envelope(shop_id="999")), 200),
    ]
    fillers = [
        Case(f"valid #{n}", body(envelope(product_id=str(1729592969712208000 + n))), 200, recorded=True)
        for n in range(VALID_ALONGSIDE)
    ]
    return cases + fillers


def test_tiktok_webhook_cases(start_world):
    world = start_world(catalog=0)
    merchant = world.browser()
    assert world.connect_tiktok(merchant).status_code == 303
    [connection] = world.connections("tiktok")
    cases = _tiktok_cases(connection.external_id)
    requests = [_tiktok_request(case.body, case.headers.get("signature")) for case in cases]
    url = f"{world.base_url}/webhooks/tiktok"

    _check_answers(cases, _send_all_at_once(url, requests), first_delivery=True)
    recorded = _inbox(world, "tiktok")
    assert len(recorded) == sum(case.recorded for case in cases)
    assert all(event.merchant_id == merchant.merchant_id for event in recorded)

    # The platform delivers everything again: the answers are the same, nothing new is recorded.
    _check_answers(cases, _send_all_at_once(url, requests), first_delivery=False)
    assert [event.id for event in _inbox(world, "tiktok")] == [event.id for event in recorded]

    world.settle(("inbox.process",))
    assert all(event.processed_at is not None for event in _inbox(world, "tiktok"))
    refreshed = [job.payload["tiktok_product_ids"] for job in world.jobs("listings.refresh_status")]
    # One status refresh per product: the valid case and the one without an id, plus the fillers.
    assert sorted(ids for [ids] in refreshed) == sorted(
        ["1729592969712207001", "1729592969712207002"] + [str(1729592969712208000 + n) for n in range(VALID_ALONGSIDE)]
    )


# --- Shopify ----------------------------------------------------------------------------------


def _shopify_request(case: Case) -> tuple[bytes, dict]:
    options = dict(case.headers)
    secret = options.pop("secret", SHOPIFY_SECRET)
    signed = options.pop("signed_body", case.body)
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "customers/data_request",
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Event-Id": options.pop("event_id", str(uuid.uuid4())),
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-API-Version": "2026-10",
    }
    for name in options.pop("without", ()):
        headers.pop(name)
    headers.update(options)
    if secret is not None:
        headers["X-Shopify-Hmac-Sha256"] = sign_body(secret, signed)
    return case.body, headers


def _shopify_cases() -> list[Case]:
    def request(customer: int) -> bytes:
        return json.dumps({"shop_domain": SHOP, "customer": {"id": customer}, "orders_requested": [1001]}).encode()

    good = request(1)
    cases = [
        Case("valid", good, 200, {"event_id": "event-1"}, recorded=True),
        Case(
            "valid, no event id (deduplicated on its body)",
            request(2),
            200,
            {"without": ["X-Shopify-Event-Id", "X-Shopify-Webhook-Id"]},
            recorded=True,
        ),
        Case("signature missing", good, 401, {"secret": None}),
        Case("signed with another secret", good, 401, {"secret": "not-the-app-secret"}),
        Case("changed after signing", good, 401, {"signed_body": request(3)}),
        Case("topic missing", good, 400, {"without": ["X-Shopify-Topic"]}),
        Case("shop domain missing", good, 400, {"without": ["X-Shopify-Shop-Domain"]}),
        Case("not JSON", b"{not json", 400),
        Case("not UTF-8", b'{"x": "\xff"}', 400),
        Case("a JSON array", b"[1, 2]", 400),
        Case("NaN", good.replace(b"1001", b"NaN"), 400),
        Case("Infinity", good.replace(b"1001", b"Infinity"), 400),
        Case("a 5,000-digit number", good.replace(b"1001", b"9" * 5000), 400),
        Case("topic of 101 characters", good, 400, {"X-Shopify-Topic": "products/" + "u" * 92}),
        Case("event id of 256 characters", good, 400, {"event_id": "e" * 256}),
        Case("shop domain of 300 characters", good, 400, {"X-Shopify-Shop-Domain": "s" * 286 + ".myshopify.com"}),
        Case("nested 100,000 levels deep", good.replace(b"[1001]", _deep(100_000).encode()), 400),
        Case("nested 500 levels deep", good.replace(b"[1001]", _deep(500).encode()), 400),
        Case("body over 2 MB", TOO_BIG, 413),
        Case("unknown shop", request(4), 200, {"X-Shopify-Shop-Domain": "someone-else.myshopify.com"}),
    ]
    fillers = [Case(f"valid #{n}", request(100 + n), 200, recorded=True) for n in range(VALID_ALONGSIDE)]
    return cases + fillers


def test_shopify_webhook_cases(start_world):
    world, merchant = _connected_store(start_world)
    before = len(_inbox(world, "shopify"))
    cases = _shopify_cases()
    requests = [_shopify_request(case) for case in cases]
    url = f"{world.base_url}/webhooks/shopify"

    _check_answers(cases, _send_all_at_once(url, requests), first_delivery=True)
    recorded = _inbox(world, "shopify")[before:]
    assert len(recorded) == sum(case.recorded for case in cases)
    assert {event.topic for event in recorded} == {"customers/data_request"}

    # Shopify retries every delivery (same event id, new body bytes are not possible: same signature).
    _check_answers(cases, _send_all_at_once(url, requests), first_delivery=False)
    assert [event.id for event in _inbox(world, "shopify")[before:]] == [event.id for event in recorded]

    world.settle()
    with session_scope(world.engine) as session:
        notes = session.scalar(
            select(func.count())
            .select_from(Activity)
            .where(Activity.kind == "privacy.data_request", Activity.merchant_id == merchant.merchant_id)
        )
    assert notes == len(recorded)  # each request noted once, never twice


# --- a failure nobody foresaw ---------------------------------------------------------------

_REFUSE_POISON = {
    "sqlite": [
        """CREATE TRIGGER refuse_poison BEFORE INSERT ON inbound_event WHEN NEW.external_id = 'poison'
                  BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"""
    ],
    "postgresql": [
        """CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
                      IF NEW.external_id = 'poison' THEN RAISE EXCEPTION 'refused by the test'; END IF;
                      RETURN NEW; END $$""",
        """CREATE TRIGGER refuse_poison BEFORE INSERT ON inbound_event FOR EACH ROW
                      EXECUTE FUNCTION refuse_poison()""",
    ],
}


def test_a_webhook_the_database_refuses_fails_alone(start_world):
    """Should the database refuse an event that intake let through, only that event is refused."""
    world = start_world(catalog=0)
    merchant = world.browser()
    assert world.connect_tiktok(merchant).status_code == 303
    [connection] = world.connections("tiktok")
    with world.engine.begin() as conn:
        for statement in _REFUSE_POISON[world.engine.dialect.name]:
            conn.exec_driver_sql(statement)
    cases = [case for case in _tiktok_cases(connection.external_id) if case.name.startswith("valid #")]
    poison = json.dumps(
        {
            "type": 5,
            "tts_notification_id": "poison",
            "shop_id": connection.external_id,
            "data": {"product_id": "1", "status": "PRODUCT_STATUS_CHANGED"},
        }
    ).encode()
    cases.append(Case("refused by the database", poison, 503))

    answers = _send_all_at_once(f"{world.base_url}/webhooks/tiktok", [_tiktok_request(case.body) for case in cases])
    _check_answers(cases, answers, first_delivery=True)
    assert len(_inbox(world, "tiktok")) == VALID_ALONGSIDE


# --- a webhook that can never be processed ----------------------------------------------------


def test_a_shopify_webhook_that_cannot_be_processed_fails_at_once(start_world):
    """Shopify retries any answer but a 2xx, so a signed webhook whose body lacks what its processing
    needs is recorded, then fails for good on its first attempt, with a plain reason; the webhooks that
    came with it are processed."""
    world, merchant = _connected_store(start_world)
    world.settle()
    good = json.dumps({"shop_domain": SHOP, "customer": {"id": 7}, "orders_requested": [1001]}).encode()

    def deliver(topic: str, body: dict | bytes) -> None:
        case = Case(
            topic, body if isinstance(body, bytes) else json.dumps(body).encode(), 200, {"X-Shopify-Topic": topic}
        )
        answer = httpx.post(
            f"{world.base_url}/webhooks/shopify", content=case.body, headers=_shopify_request(case)[1], timeout=10
        )
        assert answer.status_code == 200, answer.text

    def processing_jobs():
        return [job for job in world.jobs("inbox.process") if job.merchant_id == merchant.merchant_id]

    already = len(processing_jobs())
    deliver("products/update", {"title": "No id here", "updated_at": "2026-12-06T10:00:00Z"})
    deliver("customers/data_request", good)
    world.run_jobs(("inbox.process",))
    [job] = processing_jobs()[already:]
    assert (job.state, job.attempts) == ("failed", 1), (job.state, job.attempts, job.last_error)
    assert job.last_error == "Shopify's product update notification has no product id; it cannot be processed."
    with session_scope(world.engine) as session:
        assert (
            session.scalar(select(func.count()).select_from(Activity).where(Activity.kind == "privacy.data_request"))
            == 1
        )

    # Again, with the other topics whose processing needs an id: each fails at once, and says why.
    for topic, body, reason in [
        (
            "inventory_levels/update",
            {"location_id": 1, "available": 3},
            "stock update notification has no inventory item id",
        ),
        ("products/delete", {"id": {"not": "an id"}}, "product deletion notification has no product id"),
        ("fulfillments/create", {"id": 5, "order_id": None}, "fulfilment notification has no order id"),
        ("orders/cancelled", {"cancel_reason": "customer"}, "order cancellation notification has no order id"),
    ]:
        already = len(processing_jobs())
        deliver(topic, body)
        world.run_jobs(("inbox.process",))
        [job] = processing_jobs()[already:]
        assert (job.state, job.attempts) == ("failed", 1), (topic, job.state, job.last_error)
        assert reason in job.last_error
