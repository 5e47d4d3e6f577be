"""The (store plugin, its sandbox) pairs the conformance suite runs over: one row per store plugin.

The tests speak only the port (`registry.plugin(kind)` and the `SourceStore` it gives) and the neutral
`SandboxAdmin` (admin.py): what a merchant does in the store's own admin, which TokBridge must then see.
Each pair's admin knows its sandbox's control API and how the plugin spells external ids (the tests
take ids from the port and hand them back unchanged).

Adding a store: write its `SandboxAdmin` in `<store>_pair.py` and add one row to `PAIRS`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

import pytest

from tests.contracts.admin import SandboxAdmin
from tests.contracts.etsy_pair import start_etsy_sandbox
from tests.contracts.prestashop_pair import start_prestashop_sandbox
from tests.contracts.shopify_pair import start_shopify_sandbox
from tokbridge.channels import registry
from tokbridge.channels.base import Capabilities

# kind -> how to start that plugin's sandbox (it stops when the stack closes).
PAIRS: dict[str, Callable[[ExitStack], SandboxAdmin]] = {
    "shopify": start_shopify_sandbox,
    "etsy": start_etsy_sandbox,
    "prestashop": start_prestashop_sandbox,
}


def pairs(where: Callable[[Capabilities], bool] = lambda capabilities: True) -> list:
    """The pairs whose plugin declares what `where` asks, for `parametrize("pair", ..., indirect=True)`.
    Every registered store plugin must have a pair: a plugin without one fails here, not silently."""
    missing = registry.store_kinds() - set(PAIRS)
    assert not missing, f"store plugins without a sandbox pair in tests/contracts/pairs.py: {sorted(missing)}"
    chosen = [kind for kind in sorted(PAIRS) if where(registry.plugin(kind).capabilities)]
    assert chosen, "no store plugin declares this capability: the test would not run"
    return [pytest.param(kind, id=kind) for kind in chosen]
