"""The inventory rule: what a variant's store stock becomes on TikTok, per TikTok warehouse.

Store locations map to TikTok warehouses; stock of the locations mapped to one warehouse is added up
(a location with negative stock counts as 0, so an oversold location does not eat another's stock).
Locations not in the map go to `default_warehouse_id` when set, otherwise they are not offered.
Then, per warehouse and in this order: keep back `reserve_percent` (rounded down), send 0 at or below
`out_of_stock_threshold`, cap at `max_quantity`, and clamp to TikTok's range.

Untracked variants (the store does not count them) get `untracked_quantity` in every warehouse the
rule targets.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Create Product documents [1, 99,999]; 0 is accepted too so a sold-out SKU can be sent as such.
MAX_QUANTITY = 99_999


class InventoryRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reserve_percent: int = Field(default=0, ge=0, le=100)
    max_quantity: int | None = Field(default=None, ge=0, le=MAX_QUANTITY)
    out_of_stock_threshold: int = Field(default=0, ge=0, le=MAX_QUANTITY)
    untracked_quantity: int = Field(default=0, ge=0, le=MAX_QUANTITY)
    # store location id (the plugin's opaque external id) -> TikTok warehouse id
    warehouse_map: dict[str, str] = Field(default_factory=dict)
    default_warehouse_id: str | None = None

    @model_validator(mode="after")
    def _check(self) -> InventoryRule:
        for location, warehouse in self.warehouse_map.items():
            if not location.strip() or not str(warehouse).strip():
                raise ValueError("Every store location must be mapped to a TikTok warehouse id")
        if self.default_warehouse_id is not None and not self.default_warehouse_id.strip():
            self.default_warehouse_id = None
        return self

    def target_warehouses(self) -> list[str]:
        """Every warehouse this rule can send stock to, in a stable order."""
        targets = list(dict.fromkeys(self.warehouse_map.values()))
        if self.default_warehouse_id and self.default_warehouse_id not in targets:
            targets.append(self.default_warehouse_id)
        return targets


def warehouse_quantities(rule: InventoryRule, levels: Mapping[str, int], *, tracked: bool = True) -> dict[str, int]:
    """TikTok warehouse id -> quantity for one variant, from its `location id -> available` levels."""
    if not tracked:
        return {warehouse: rule.untracked_quantity for warehouse in rule.target_warehouses()}
    totals: dict[str, int] = {}
    for location, available in levels.items():
        warehouse = rule.warehouse_map.get(location) or rule.default_warehouse_id
        if warehouse:
            totals[warehouse] = totals.get(warehouse, 0) + max(available, 0)
    # A warehouse the rule targets but no location feeds still gets 0, so TikTok's view is complete.
    for warehouse in rule.target_warehouses():
        totals.setdefault(warehouse, 0)
    return {warehouse: sellable(rule, quantity) for warehouse, quantity in totals.items()}


def sellable(rule: InventoryRule, quantity: int) -> int:
    quantity = max(quantity, 0)
    quantity = quantity * (100 - rule.reserve_percent) // 100
    if quantity <= rule.out_of_stock_threshold:
        return 0
    if rule.max_quantity is not None:
        quantity = min(quantity, rule.max_quantity)
    return min(quantity, MAX_QUANTITY)
