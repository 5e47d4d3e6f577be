"""A delivered TikTok order moves its store order to the merchant's delivered state, once, where the store's
orders carry a state of its own list (`capabilities.order_states`)."""

from __future__ import annotations

import logging
from typing import cast

from tokbridge.catalog.tasks import with_store
from tokbridge.channels.base import STATE_DELIVERED, OrderStateStore
from tokbridge.jobs.registry import job_handler
from tokbridge.jobs.runner import JobContext
from tokbridge.kit.errors import RefusedWithFix
from tokbridge.orders import service
from tokbridge.orders.repository import OrderRepository
from tokbridge.orders.store_states import keeps_order_states, state_meaning, store_order_states
from tokbridge.orders.tasks.common import job_shop, record_store_outcome, shop_store

log = logging.getLogger(__name__)


@job_handler(service.DELIVER_IN_STORE_JOB, title="Mark a delivered TikTok order delivered in the store", visible=False)
def deliver_in_store(ctx: JobContext) -> None:
    """payload: {connection_id, order_id}. The mapped delivered state (else the store's own delivered
    state), set once: `store_delivered` records it, and the store leaves an order already in it alone."""
    order_id = ctx.payload["order_id"]
    with ctx.session() as session:
        repository = OrderRepository(session)
        order = repository.get(order_id)
        if order is None or not order.store_order_id or order.store_delivered or order.store_cancelled:
            return
        connection_id, held_by, store_order_id = order.connection_id, order.store_connection_id, order.store_order_id
        mapped = repository.settings(ctx.required_merchant_id, connection_id, create=False).delivered_state
    store_connection = shop_store(
        ctx, job_shop(ctx, connection_id), "the store order could not be marked delivered", held_by
    )
    error = None
    if keeps_order_states(store_connection):
        state = mapped or state_meaning(store_order_states(ctx.settings, store_connection), STATE_DELIVERED)
        try:
            if state is not None:
                with_store(
                    ctx.settings,
                    store_connection,
                    lambda store: cast(OrderStateStore, store).set_order_state(store_order_id, state),
                )
        except RefusedWithFix as exc:
            error = f"The store refused to mark its order delivered: {exc}"

    record_store_outcome(ctx, order_id, error, "store_delivered")
