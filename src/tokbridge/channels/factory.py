"""Builds the adapters for a stored connection: the one place that knows how credentials, base URLs
and the shared rate limiter fit together. Production and the sandboxes differ only in settings."""

from __future__ import annotations

import threading
from functools import lru_cache

from sqlalchemy import Engine

from tokbridge.channels.connections import DatabaseTokenStore
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.tiktok.auth import AuthClient, TokenManager
from tokbridge.channels.tiktok.client import TikTokClient
from tokbridge.channels.tiktok.settings import TikTokAppSettings
from tokbridge.channels.tiktok.transport import SignedTransport, make_limiter
from tokbridge.config import Settings


@lru_cache(maxsize=1)
def tiktok_app() -> TikTokAppSettings:
    return TikTokAppSettings()


_transports_by_settings: dict[tuple, tuple[SignedTransport, SignedTransport]] = {}
_lock = threading.Lock()


def _transports(settings: Settings) -> tuple[SignedTransport, SignedTransport]:
    """(API transport with the shared limiter, auth transport), one pair per process and configuration:
    their HTTP connection pools are reused by every job."""
    key = (
        settings.tiktok_api_base_url,
        settings.tiktok_auth_base_url,
        settings.redis_url,
        settings.queue_name,
        str(settings.data_dir),
    )
    with _lock:
        if key not in _transports_by_settings:
            app = tiktok_app()
            _transports_by_settings[key] = (
                SignedTransport(app, settings.tiktok_api_base_url, limiter=make_limiter(app, settings)),
                SignedTransport(app, settings.tiktok_auth_base_url),
            )
        return _transports_by_settings[key]


def tiktok_auth(settings: Settings) -> AuthClient:
    _api, auth_transport = _transports(settings)
    return AuthClient(tiktok_app(), settings.tiktok_auth_base_url, auth_transport)


def tiktok_tokens(settings: Settings, engine: Engine) -> TokenManager:
    return TokenManager(
        tiktok_auth(settings), DatabaseTokenStore(engine), refresh_margin_seconds=tiktok_app().refresh_margin_seconds
    )


def tiktok_client(settings: Settings, engine: Engine, connection: ChannelConnection) -> TikTokClient:
    """A client for one connected TikTok shop; tokens are read (and refreshed) through the database."""
    api_transport, _auth = _transports(settings)
    return TikTokClient(
        api_transport,
        shop_id=connection.external_id,
        shop_cipher=connection.data["cipher"],
        tokens=tiktok_tokens(settings, engine),
    )
