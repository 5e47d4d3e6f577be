"""What the conformance suite needs from a store's sandbox: the merchant's own actions in the store's
admin (`SandboxAdmin`), which TokBridge must then see through the port."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Account:
    """What a finished connection stores for the merchant's store (as the connect flow would)."""

    external_id: str
    name: str
    access_token: str
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SeenOrder:
    """An order as the merchant sees it in the store's admin."""

    source_order_id: str | None
    cancelled: bool
    line_quantities: list[int]


@dataclass(frozen=True)
class Delivery:
    """One webhook request as the store sent it."""

    headers: Mapping[str, str]
    body: bytes


class SandboxAdmin(Protocol):
    account: Account
    # What a deployment against this sandbox sets in its environment.
    env: Mapping[str, str]

    def clear_cached_settings(self) -> None:
        """Forget settings read before `env` was set (the plugin's own settings caches)."""

    def product_ids(self) -> set[str]:
        """Every product in the store, as the plugin's external ids."""

    def edit_product(self, product_external_id: str, title: str) -> None: ...

    def delete_product(self, product_external_id: str) -> None: ...

    def stock(self, inventory_item_external_id: str, location_external_id: str) -> int:
        """Available quantity as the store's admin shows it."""

    def set_stock(self, inventory_item_external_id: str, location_external_id: str, available: int) -> None: ...

    def order(self, order_external_id: str) -> SeenOrder: ...

    def ship(self, order_external_id: str, *, carrier: str, tracking_number: str) -> None:
        """The merchant fulfils the whole order."""

    def cancel(self, order_external_id: str) -> None:
        """The merchant cancels the order in the store's admin."""

    def disconnect(self) -> None:
        """The merchant removes TokBridge from the store."""

    def send_webhooks_to(self, url: str) -> None: ...

    def webhooks_settled(self) -> bool:
        """True once every webhook due so far was delivered (bounded wait inside the sandbox)."""

    def topic_of(self, delivery: Delivery) -> str:
        """The webhook's topic, as the plugin's `events.translate` takes it."""
