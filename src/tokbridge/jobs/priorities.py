"""Which work a free worker takes first when the queue holds more than the workers can do, by job kind.

Orders go ahead of bulk work: one merchant's 5,000-product upload must not hold back another merchant's
orders (nor their webhooks, which is how orders arrive). Higher runs first; within a priority, the queue
keeps the order work was queued in. Priorities order what waits; they never stop a job already running.
"""

from __future__ import annotations

from tokbridge.jobs import kinds

URGENT = 20  # a buyer or the platform is waiting: orders, shipping, cancellations, webhooks
NORMAL = 10  # everything not named below
BULK = 0  # long work a merchant started and expects to take a while

PRIORITY_BY_KIND: dict[str, int] = {
    kinds.INBOX_PROCESS: URGENT,
    kinds.ORDERS_INTAKE: URGENT,
    kinds.ORDERS_TO_STORE: URGENT,
    kinds.ORDERS_SHIP: URGENT,
    kinds.ORDERS_CANCEL: URGENT,
    kinds.ORDERS_CANCEL_IN_STORE: URGENT,
    kinds.ORDERS_DECIDE_CANCELLATION: URGENT,
    kinds.ORDERS_DECIDE_RETURN: URGENT,
    kinds.ORDERS_REFUND_IN_STORE: URGENT,
    kinds.ORDERS_RESTOCK_RETURN: URGENT,
    kinds.ORDERS_POLL: URGENT,
    kinds.ORDERS_POLL_ALL: URGENT,
    kinds.ORDERS_POLL_STORE: URGENT,
    kinds.ORDERS_POLL_STORES: URGENT,
    kinds.LISTINGS_UPLOAD: BULK,
    kinds.LISTINGS_SYNC_SHOP: BULK,
    kinds.LISTINGS_BATCH_ACTION: BULK,
    kinds.UNDO_APPLY: BULK,
    kinds.CATALOG_IMPORT: BULK,
    kinds.CATALOG_RECONCILE: BULK,
    kinds.CATALOG_RECONCILE_ALL: BULK,
}


def priority_of(kind: str) -> int:
    return PRIORITY_BY_KIND.get(kind, NORMAL)
