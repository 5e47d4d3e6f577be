"""Local imitations of TikTok Shop's, Shopify's and Etsy's APIs and PrestaShop's Webservice for TokBridge's tests and demo.

A distribution of its own that never imports `tokbridge` (see ../../README.md). `SANDBOXES` names each one
with the module holding its `create_app` and the port the demo gives it.
"""

from __future__ import annotations

import importlib

SANDBOXES: dict[str, tuple[str, int]] = {
    "tiktok": ("tokbridge_sandboxes.tiktok", 8101),
    "shopify": ("tokbridge_sandboxes.shopify", 8102),
    "etsy": ("tokbridge_sandboxes.etsy", 8103),
    "prestashop": ("tokbridge_sandboxes.prestashop", 8104),
}


def create_app(name: str):
    """The ASGI app of the sandbox called `name`, with its settings read from the environment."""
    module_name, _port = SANDBOXES[name]
    return importlib.import_module(module_name).create_app()
