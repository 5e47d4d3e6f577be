"""Order jobs, one module per concern: `intake` (TikTok's orders in, webhooks and the periodic search),
`to_store` (the order recorded in the store, or kept here where the store takes no outside orders),
`shipping` (store fulfilments to TikTok as tracking), `cancellations` (both ways, and buyers' requests),
`delivery` (a delivered order's store state),
`returns` (decisions, restocks, refunds recorded in the store), `from_store` (what the store says happened
to an order, by webhook event or by the poll that finds the same without webhooks).

Each job reads in a short transaction, calls the APIs with none open, and records the outcome in another;
every step is safe to repeat (stale updates ignored, the store order bound right after creation and looked
up before creating, TikTok refusing to ship a package twice). Importing this package registers them all.
"""

from tokbridge.orders.tasks import cancellations, delivery, from_store, intake, returns, shipping, to_store

__all__ = ["cancellations", "delivery", "from_store", "intake", "returns", "shipping", "to_store"]
