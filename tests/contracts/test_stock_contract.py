"""Stock through the port: set quantities (compare-and-set, idempotency keys) and relative changes."""

from __future__ import annotations

import pytest

from tests.contracts.pairs import pairs
from tokbridge.channels.base import InventoryChange, InventoryQuantity
from tokbridge.kit import errors


@pytest.mark.parametrize("pair", pairs(), indirect=True)
def test_set_stock_is_what_the_store_shows(pair):
    variant, level = pair.catalog().stocked_variant()
    item, location = variant.inventory_item_external_id, level.location_external_id
    store = pair.store()

    store.set_inventory([InventoryQuantity(item, location, level.available + 7)], idempotency_key="contract-set-1")
    assert pair.admin.stock(item, location) == level.available + 7
    store.set_inventory([InventoryQuantity(item, location, 0)], idempotency_key="contract-set-2")
    assert pair.admin.stock(item, location) == 0


@pytest.mark.parametrize("pair", pairs(), indirect=True)
def test_a_stale_expected_quantity_is_refused_and_changes_nothing(pair):
    """Every plugin honours `change_from_quantity`: atomically where the store compares and sets
    (`compare_and_set_stock`), else by reading first (the plugin documents the window in between)."""
    variant, level = pair.catalog().stocked_variant()
    item, location = variant.inventory_item_external_id, level.location_external_id
    store = pair.store()
    pair.admin.set_stock(item, location, level.available + 3)  # a sale in the store meanwhile

    with pytest.raises(errors.PermanentError):
        store.set_inventory(
            [InventoryQuantity(item, location, 1, change_from_quantity=level.available)],
            idempotency_key="contract-stale",
        )
    assert pair.admin.stock(item, location) == level.available + 3

    store.set_inventory(
        [InventoryQuantity(item, location, 1, change_from_quantity=level.available + 3)],
        idempotency_key="contract-fresh",
    )
    assert pair.admin.stock(item, location) == 1


@pytest.mark.parametrize("pair", pairs(), indirect=True)
def test_a_repeated_stock_write_applies_once_where_the_store_takes_keys(pair):
    variant, level = pair.catalog().stocked_variant()
    item, location = variant.inventory_item_external_id, level.location_external_id
    store = pair.store()

    store.set_inventory([InventoryQuantity(item, location, 40)], idempotency_key="contract-repeat")
    pair.admin.set_stock(item, location, 39)  # a sale right after
    store.set_inventory([InventoryQuantity(item, location, 40)], idempotency_key="contract-repeat")  # a retry
    if pair.plugin.capabilities.idempotent_stock:
        assert pair.admin.stock(item, location) == 39, "the retry was applied a second time"
    else:
        assert pair.admin.stock(item, location) == 40


@pytest.mark.parametrize("pair", pairs(), indirect=True)
def test_a_relative_change_adds_to_the_stock_once_per_key(pair):
    variant, level = pair.catalog().stocked_variant()
    item, location = variant.inventory_item_external_id, level.location_external_id
    store = pair.store()
    before = pair.admin.stock(item, location)

    store.adjust_inventory([InventoryChange(item, location, 2)], reason="restock", idempotency_key="contract-adjust")
    assert pair.admin.stock(item, location) == before + 2
    store.adjust_inventory([InventoryChange(item, location, 2)], reason="restock", idempotency_key="contract-adjust")
    expected = before + 2 if pair.plugin.capabilities.idempotent_stock else before + 4
    assert pair.admin.stock(item, location) == expected
