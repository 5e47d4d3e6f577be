"""Every job kind that more than one module names, declared once: the handlers register under these, the
callers enqueue them and `priorities` ranks them. A kind is "<domain>.<what>", stored in the queue as is,
so a renamed constant must keep its value while queued jobs may still carry it."""

from __future__ import annotations

INBOX_PROCESS = "inbox.process"

ORDERS_INTAKE = "orders.intake"
ORDERS_TO_STORE = "orders.to_store"
ORDERS_SHIP = "orders.ship"
ORDERS_CANCEL = "orders.cancel"
ORDERS_CANCEL_IN_STORE = "orders.cancel_in_store"
ORDERS_DELIVER_IN_STORE = "orders.deliver_in_store"
ORDERS_DECIDE_CANCELLATION = "orders.decide_cancellation"
ORDERS_POLL_ALL = "orders.poll_all"
ORDERS_POLL = "orders.poll"
ORDERS_POLL_STORES = "orders.poll_stores"
ORDERS_POLL_STORE = "orders.poll_store"
ORDERS_RELEASE_WAITING = "orders.release_waiting"
ORDERS_SYNC_RETURNS = "orders.sync_returns"
ORDERS_RESTOCK_RETURN = "orders.restock_return"
ORDERS_DECIDE_RETURN = "orders.decide_return"
ORDERS_REFUND_IN_STORE = "orders.refund_in_store"
ORDERS_RECOUNT_SALES = "orders.recount_sales"

# Kinds the other domains still declare in their own modules (until they move here): named for priorities.
LISTINGS_UPLOAD = "listings.upload"
LISTINGS_SYNC_SHOP = "listings.sync_shop"
LISTINGS_BATCH_ACTION = "listings.batch_action"
LISTINGS_REFRESH_STATUS = "listings.refresh_status"
TEMPLATES_LINK_NEW = "templates.link_new"
CATALOG_IMPORT = "catalog.import"
CATALOG_RECONCILE = "catalog.reconcile"
CATALOG_RECONCILE_ALL = "catalog.reconcile_all"
