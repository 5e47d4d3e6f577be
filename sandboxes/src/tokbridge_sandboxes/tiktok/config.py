"""Sandbox settings, read from `TIKTOK_SANDBOX_*` environment variables when not passed in."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SandboxConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIKTOK_SANDBOX_", extra="ignore")

    # The one partner app the sandbox knows (Partner Center would hold these).
    app_key: str = "sandbox_app_key"
    app_secret: str = "sandbox_app_secret"
    service_id: str = "7431458374265161478"
    # Where the authorize page sends the seller back (Partner Center "Redirect URL").
    redirect_url: str = "http://127.0.0.1:8000/tiktok/callback"

    seed: int = 7
    # One shop per region, all owned by the same seller; the first is the seller's base region.
    shop_regions: list[str] = Field(default_factory=lambda: ["US"], min_length=1)
    # Pre-authorized access for tests and demos: a token for the seed seller with every scope.
    bootstrap_token: bool = True
    # Fixed values for that token (a demo can put them in its own configuration); random when unset.
    bootstrap_access_token: str | None = None
    bootstrap_refresh_token: str | None = None

    access_token_lifetime_seconds: int = Field(default=7 * 24 * 3600, ge=1)
    refresh_token_lifetime_seconds: int = Field(default=365 * 24 * 3600, ge=1)
    auth_code_lifetime_seconds: int = Field(default=30 * 60, ge=1)

    # Product review: how long a product stays PENDING, and the share of random rejections.
    review_delay_seconds: float = Field(default=300.0, ge=0)
    review_rejection_rate: float = Field(default=0.0, ge=0, le=1)
    # Main images whose shorter side is below this fail review as low quality.
    review_min_image_side: int = Field(default=600, ge=1)
    prohibited_title_words: list[str] = Field(default_factory=lambda: ["replica", "counterfeit", "weapon"])
    daily_listing_limit: int = Field(default=100, ge=0)
    # Listing prerequisites every shop starts without (e.g. ["RETURN_WAREHOUSE"]); fixed in /seller.
    failing_checks: list[str] = Field(default_factory=list)

    # Orders: the remorse window, carrier timings and how long after delivery an order completes.
    on_hold_seconds: float = Field(default=3600.0, ge=0)
    in_transit_to_delivered_seconds: float = Field(default=2 * 24 * 3600.0, ge=0)
    delivered_to_completed_seconds: float = Field(default=14 * 24 * 3600.0, ge=0)
    unpaid_to_paid_seconds: float = Field(default=60.0, ge=0)
    # Simulated buyers: orders per sandbox hour (0 = only orders placed through the control API),
    # and what share of them are cancelled by the buyer or returned after delivery.
    orders_per_hour: float = Field(default=0.0, ge=0)
    buyer_cancel_rate: float = Field(default=0.0, ge=0, le=1)
    return_rate: float = Field(default=0.0, ge=0, le=1)

    # Requests per second per (app, shop, endpoint), as TikTok's default.
    rate_limit_per_second: float = Field(default=50.0, gt=0)
    # Random faults: shares of requests answered with a 5xx, a 429, a timeout or slowly.
    fault_error_rate: float = Field(default=0.0, ge=0, le=1)
    fault_throttle_rate: float = Field(default=0.0, ge=0, le=1)
    fault_timeout_rate: float = Field(default=0.0, ge=0, le=1)
    fault_slow_rate: float = Field(default=0.0, ge=0, le=1)
    slow_seconds: float = Field(default=2.0, ge=0)
    timeout_seconds: float = Field(default=15.0, ge=0)

    # The app's webhook URL from Partner Center: every shop starts subscribed to every event type here.
    webhook_url: str | None = None
    webhook_timeout_seconds: float = Field(default=3.0, gt=0)
    # TikTok only calls https addresses without a port; a local sandbox must reach http://127.0.0.1:port.
    webhook_allow_http: bool = True
    # How often the background thread applies time-driven transitions and delivers webhooks.
    tick_seconds: float = Field(default=0.2, gt=0)
    background: bool = True

    @field_validator("failing_checks")
    @classmethod
    def _known_checks(cls, value: list[str]) -> list[str]:
        from .state import PREREQUISITE_ITEMS

        unknown = [item for item in value if item not in PREREQUISITE_ITEMS]
        if unknown:
            raise ValueError(f"unknown prerequisite items {unknown}; known: {list(PREREQUISITE_ITEMS)}")
        return value
