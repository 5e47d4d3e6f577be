"""Order status mapping, for a store whose orders carry a state of its own list (`capabilities.order_states`):
which store state a new TikTok order is created in, and which ones a delivered and a cancelled order move
to. The merchant chooses among the store's own states (read through the port, kept a minute); a state left
unchosen is the one whose meaning fits (the store's paid, delivered and cancelled states)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import cast

from tokbridge.catalog.tasks import with_store
from tokbridge.channels import registry
from tokbridge.channels.base import (
    STATE_CANCELLED,
    STATE_DELIVERED,
    STATE_PAID,
    STATE_PAYMENT_ERROR,
    OrderStateStore,
    StoreOrderState,
)
from tokbridge.channels.models import ChannelConnection
from tokbridge.orders.models import OrderSettings

# How long the store's list of states is kept: the settings page is opened, saved and opened again
# without asking the store three times, and a state added in the store shows a minute later.
STATES_KEPT_SECONDS = 60.0


@dataclass(frozen=True)
class MappedStatus:
    """One TikTok status the merchant maps: the settings column, its words, the meaning of its default."""

    column: str
    label: str
    default_meaning: str


MAPPED = (
    MappedStatus("new_order_state", "A new TikTok order (Awaiting Shipment)", STATE_PAID),
    MappedStatus("delivered_state", "A TikTok order delivered to the buyer", STATE_DELIVERED),
    MappedStatus("cancelled_state", "A TikTok order cancelled", STATE_CANCELLED),
)


def keeps_order_states(store_connection: ChannelConnection | None) -> bool:
    """Whether the store's orders carry a state the merchant maps."""
    return store_connection is not None and registry.plugin_of(store_connection).capabilities.order_states


_kept: dict[str, tuple[float, list[StoreOrderState]]] = {}
_kept_lock = threading.Lock()


def store_order_states(settings, store_connection: ChannelConnection) -> list[StoreOrderState]:
    """The store's order states, read through its plugin and kept `STATES_KEPT_SECONDS` per store
    connection. Raises the kit's error kinds when the store does not answer."""
    now = time.monotonic()
    with _kept_lock:
        found = _kept.get(store_connection.id)
    if found is not None and now - found[0] < STATES_KEPT_SECONDS:
        return found[1]
    states = with_store(settings, store_connection, lambda store: list(cast(OrderStateStore, store).order_states()))
    with _kept_lock:
        _kept[store_connection.id] = (now, states)
    return states


def state_meaning(states: list[StoreOrderState], meaning: str) -> str | None:
    """The first state the store says is for `meaning` (None: the store names none)."""
    return next((state.external_id for state in states if state.meaning == meaning), None)


def choices_for(mapped: MappedStatus, states: list[StoreOrderState]) -> list[StoreOrderState]:
    """The states the merchant may choose for a status: never one meaning a payment error for a new order
    (the store would hold it as unpaid)."""
    if mapped.column == "new_order_state":
        return [state for state in states if state.meaning != STATE_PAYMENT_ERROR]
    return list(states)


def chosen(settings_row: OrderSettings, states: list[StoreOrderState]) -> dict[str, str | None]:
    """Each mapped status's state: the merchant's choice while the store still has it, else the default."""
    known = {state.external_id for state in states}
    picked: dict[str, str | None] = {}
    for mapped in MAPPED:
        saved = getattr(settings_row, mapped.column)
        picked[mapped.column] = saved if saved in known else state_meaning(states, mapped.default_meaning)
    return picked


def check_mapping(states: list[StoreOrderState], answers: dict[str, str | None]) -> list[str]:
    """What is wrong with the merchant's choices, in plain words (empty: nothing). An empty answer keeps the
    default."""
    by_id = {state.external_id: state for state in states}
    problems = []
    for mapped in MAPPED:
        answer = answers.get(mapped.column)
        if not answer:
            continue
        state = by_id.get(answer)
        if state is None:
            problems.append(
                f"Choose one of your store's order states for “{mapped.label}”; the one sent is "
                "not in your store's list (refresh the page to see the current list)."
            )
        elif mapped.column == "new_order_state" and state.meaning == STATE_PAYMENT_ERROR:
            problems.append(
                f"A new order cannot start in “{state.name}”: that state says the payment went "
                "wrong, and TikTok has taken the buyer's payment. Choose the state your store uses "
                "for paid orders."
            )
    return problems
