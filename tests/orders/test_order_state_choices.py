"""The order status mapping's rules, store-neutral: defaults from the states' meaning, a saved choice kept
while the store still has that state, never a payment-error state for a new order (refused in words)."""

from __future__ import annotations

from tokbridge.channels.base import (
    STATE_CANCELLED,
    STATE_DELIVERED,
    STATE_PAID,
    STATE_PAYMENT_ERROR,
    STATE_PROCESSING,
    StoreOrderState,
)
from tokbridge.orders import store_states
from tokbridge.orders.models import OrderSettings

STATES = [
    StoreOrderState("1", "Awaiting check payment"),
    StoreOrderState("2", "Payment accepted", STATE_PAID),
    StoreOrderState("3", "Processing in progress", STATE_PROCESSING),
    StoreOrderState("5", "Delivered", STATE_DELIVERED),
    StoreOrderState("6", "Canceled", STATE_CANCELLED),
    StoreOrderState("8", "Payment error", STATE_PAYMENT_ERROR),
]
NEW, DELIVERED, CANCELLED = store_states.MAPPED


def test_defaults_come_from_the_meaning_and_a_saved_choice_wins_while_the_store_has_it():
    unset = OrderSettings(new_order_state=None, delivered_state=None, cancelled_state=None)
    assert store_states.chosen(unset, STATES) == {
        "new_order_state": "2",
        "delivered_state": "5",
        "cancelled_state": "6",
    }
    saved = OrderSettings(new_order_state="3", delivered_state="gone", cancelled_state="1")
    assert store_states.chosen(saved, STATES) == {
        "new_order_state": "3",
        "delivered_state": "5",
        "cancelled_state": "1",
    }
    # A store that says what none of its states is for: nothing chosen, the store decides.
    plain = [StoreOrderState("10", "Open"), StoreOrderState("11", "Closed")]
    assert store_states.chosen(unset, plain) == dict.fromkeys(("new_order_state", "delivered_state", "cancelled_state"))


def test_a_new_order_is_never_offered_nor_saved_in_a_payment_error_state():
    assert "8" not in {state.external_id for state in store_states.choices_for(NEW, STATES)}
    assert "8" in {state.external_id for state in store_states.choices_for(DELIVERED, STATES)}
    problems = store_states.check_mapping(
        STATES, {"new_order_state": "8", "delivered_state": "5", "cancelled_state": ""}
    )
    assert len(problems) == 1 and "“Payment error”" in problems[0] and "paid orders" in problems[0]
    assert (
        store_states.check_mapping(STATES, {"new_order_state": "3", "delivered_state": "", "cancelled_state": "6"})
        == []
    )


def test_a_state_the_store_does_not_have_is_refused_in_words():
    problems = store_states.check_mapping(STATES, {"cancelled_state": "99"})
    assert problems == [
        "Choose one of your store's order states for “A TikTok order cancelled”; the one sent is "
        "not in your store's list (refresh the page to see the current list)."
    ]
    assert CANCELLED.default_meaning == STATE_CANCELLED
