"""TikTok app credentials and client tuning, from `TIKTOK_*` environment variables.

Kept apart from `tokbridge.config.Settings` so the core settings stay platform-free;
base URLs still come from there (`tiktok_api_base_url`, `tiktok_auth_base_url`).
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class TikTokAppSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIKTOK_", env_file=".env", extra="ignore")

    app_key: str = ""
    # SecretStr keeps the secret out of reprs and logs.
    app_secret: SecretStr = SecretStr("")
    # Service id of the app in Partner Center; used to build the seller authorization link.
    service_id: str = ""
    # Where TikTok sends sellers to authorise: Partner Center gives the exact link per market.
    authorize_url: str = "https://services.tiktokshop.com/open/authorize"

    # TikTok allows 50 requests per second per app, shop and endpoint.
    rate_limit_per_second: int = Field(default=50, ge=1)
    # Requests that may go back to back before the even spacing applies. Kept to a tenth of a
    # second's worth, so TikTok's own bucket always has room left for network jitter.
    rate_limit_burst: int = Field(default=5, ge=1)
    timeout_seconds: float = Field(default=20.0, gt=0)
    connect_timeout_seconds: float = Field(default=5.0, gt=0)
    # Refresh an access token this long before it expires (it lives 7 days).
    refresh_margin_seconds: int = Field(default=24 * 3600, ge=0)
    # How long a seller may take on TikTok's consent page before the `state` expires.
    state_max_age_seconds: int = Field(default=30 * 60, ge=1)
    # Products a shop may create per UTC day, to plan uploads with until TikTok refuses one: TikTok's
    # documented figure for new shops (1,000 after probation; no API tells which applies).
    daily_listing_limit: int = Field(default=100, ge=1)
    # Wait suggested to the job layer after a 429 when TikTok sends no Retry-After.
    default_retry_after_seconds: float = Field(default=1.0, gt=0)
