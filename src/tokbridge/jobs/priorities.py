"""Which work a free worker takes first when the queue holds more than the workers can do, by job kind.

Orders go ahead of bulk work: one merchant's 5,000-product upload must not hold back another merchant's
orders (nor their webhooks, which is how orders arrive). Higher runs first; within a priority, the queue
keeps the order work was queued in. Priorities order what waits; they never stop a job already running.
"""

from __future__ import annotations

URGENT = 20  # a buyer or the platform is waiting: orders, shipping, cancellations, webhooks
NORMAL = 10  # everything not named below
BULK = 0  # long work a merchant started and expects to take a while

PRIORITY_BY_KIND: dict[str, int] = {
    "inbox.process": URGENT,
    "orders.intake": URGENT,
    "orders.to_store": URGENT,
    "orders.ship": URGENT,
    "orders.cancel": URGENT,
    "orders.cancel_in_store": URGENT,
    "orders.decide_cancellation": URGENT,
    "orders.decide_return": URGENT,
    "orders.refund_in_store": URGENT,
    "orders.restock_return": URGENT,
    "orders.poll": URGENT,
    "orders.poll_all": URGENT,
    "listings.upload": BULK,
    "listings.sync_shop": BULK,
    "listings.batch_action": BULK,
    "catalog.import": BULK,
    "catalog.reconcile": BULK,
    "catalog.reconcile_all": BULK,
}


def priority_of(kind: str) -> int:
    return PRIORITY_BY_KIND.get(kind, NORMAL)
