"""The store plugins, found by looking, not by name: every `tokbridge.channels.<folder>.plugin` module that
exposes `PLUGIN` is a source store. The domain asks this registry for a connection's plugin and store;
adding a store is adding a folder.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from sqlalchemy import Engine

import tokbridge.channels as channels_package
from tokbridge.channels.base import SourceStore, StorePlugin
from tokbridge.channels.models import ChannelConnection
from tokbridge.config import Settings


class UnknownStore(LookupError):
    """A connection or webhook names a store kind no installed plugin declares."""


@cache
def plugins() -> dict[str, StorePlugin]:
    """Every installed store plugin by its connection kind."""
    found: dict[str, StorePlugin] = {}
    for module_info in pkgutil.iter_modules(channels_package.__path__):
        if not module_info.ispkg:
            continue
        try:
            module = importlib.import_module(f"{channels_package.__name__}.{module_info.name}.plugin")
        except ModuleNotFoundError as missing:
            if missing.name != f"{channels_package.__name__}.{module_info.name}.plugin":
                raise
            continue  # a channel that is not a source store (the TikTok side)
        plugin = module.PLUGIN
        found[plugin.kind] = plugin
    return found


def store_kinds() -> frozenset[str]:
    return frozenset(plugins())


def plugin(kind: str) -> StorePlugin:
    try:
        return plugins()[kind]
    except KeyError:
        raise UnknownStore(kind) from None


def plugin_of(connection: ChannelConnection) -> StorePlugin:
    return plugin(connection.channel)


def store_for(settings: Settings, engine: Engine, connection: ChannelConnection) -> SourceStore:
    """The store's API for a merchant's store connection."""
    return plugin_of(connection).store(settings, engine, connection)
