"""Settings, read from environment variables, `.env` and the key file `tokbridge init` writes.

Every setting is an upper-case environment variable of the same name (DATABASE_URL, REDIS_URL, ...).
A malformed value stops start-up with a message naming the setting (see `load_settings`).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DATA_DIR = Path("var")
KEY_FILE = DATA_DIR / "secrets.env"


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=(".env", str(KEY_FILE)),
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    data_dir: Path = DATA_DIR
    database_url: str = f"sqlite:///{DATA_DIR}/tokbridge.db"
    # Unset: the embedded queue (Huey on SQLite, consumer inside `tokbridge serve`).
    redis_url: str | None = None

    secret_key: str = ""
    # Comma-separated Fernet keys; the first one encrypts, all of them decrypt.
    encryption_keys: str = ""

    base_url: str = "http://127.0.0.1:8000"
    # Notification emails: smtp://user:password@host:587 (STARTTLS when offered) or smtps://…; unset: none sent.
    smtp_url: str | None = None
    mail_from: str = "TokBridge <no-reply@localhost>"
    # Marks cookies Secure; on by default when base_url is https.
    cookie_secure: bool | None = None
    session_lifetime_hours: int = Field(default=24 * 14, ge=1)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_seconds: int = Field(default=15 * 60, ge=1)

    tiktok_api_base_url: str = "https://open-api.tiktokglobalshop.com"
    tiktok_auth_base_url: str = "https://auth.tiktok-shops.com"
    # Where the prerequisite steps send a seller to fix them (the sandbox's page in the demo).
    tiktok_seller_center_url: str = "https://seller.tiktokshop.com"

    # Jobs: a claimed job is its worker's for this long, renewed every third of it while the worker lives
    # (jobs/leases.py); a killed worker's job is taken over by another once its lease runs out.
    job_lease_seconds: int = Field(default=30, ge=1)
    job_max_attempts: int = Field(default=8, ge=1)
    # Finished jobs are deleted this many days after they finished (their outcome stays in Recent Activity).
    job_keep_days: int = Field(default=30, ge=1)
    job_retry_base_seconds: float = Field(default=5.0, gt=0)
    job_retry_max_seconds: float = Field(default=3600.0, gt=0)
    # A job that has only waited (rate limits) without progress this long says so in Recent Activity.
    job_stalled_seconds: float = Field(default=900.0, gt=0)
    # How often each worker runs its maintenance pass (reclaim expired leases, fire periodic jobs).
    job_maintenance_seconds: float = Field(default=5.0, gt=0)
    worker_threads: int = Field(default=4, ge=1)
    # Longest a bulk job's step waits for urgent work (orders) running beside it to finish (jobs/fairness.py):
    # bulk work slows down under a stream of orders, it never stops.
    bulk_max_pause_seconds: float = Field(default=2.0, ge=0)
    # Products one upload job sends at the same time; the shared rate limiter still paces the calls.
    upload_concurrency: int = Field(default=8, ge=1, le=64)
    # Prefix of every queue and rate-limit key in Redis, so several deployments can share one server.
    queue_name: str = "tokbridge"
    # Extra modules imported by workers to register job handlers (plugins, tests).
    job_modules: list[str] = Field(default_factory=list)

    log_level: str = "INFO"

    # Prometheus metrics at /metrics (README, "Metrics"): off until one of the next two is set. A scraper
    # sends `Authorization: Bearer <METRICS_TOKEN>`, or comes from an address of METRICS_ALLOW_FROM
    # (comma-separated addresses or networks, e.g. "127.0.0.1,10.0.0.0/8").
    metrics_token: str = ""
    metrics_allow_from: str = ""
    # A folder every process (web, workers) of this machine writes its counts to, so /metrics adds them
    # up; unset: /metrics shows what the web process counted itself.
    metrics_dir: Path | None = None

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("encryption_keys")
    @classmethod
    def _fernet_keys(cls, value: str) -> str:
        for key in filter(None, (k.strip() for k in value.split(","))):
            try:
                raw = base64.urlsafe_b64decode(key.encode())
            except (binascii.Error, ValueError):
                raw = b""
            if len(raw) != 32:
                raise ValueError("each key must be a url-safe base64 Fernet key of 32 bytes (run `tokbridge init`)")
        return value

    @field_validator("metrics_allow_from")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"{part!r} is not an address or a network such as 10.0.0.0/8") from None
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return value.upper()

    @property
    def metrics_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(p.strip(), strict=False) for p in self.metrics_allow_from.split(",") if p.strip()]

    @property
    def key_list(self) -> list[str]:
        return [k.strip() for k in self.encryption_keys.split(",") if k.strip()]

    @property
    def secure_cookies(self) -> bool:
        return self.cookie_secure if self.cookie_secure is not None else self.base_url.startswith("https://")

    @property
    def embedded(self) -> bool:
        return self.redis_url is None

    def require_secrets(self) -> None:
        """Secrets are needed to serve or to work; not to print help or run `init`."""
        if not self.secret_key:
            raise SettingsError("SECRET_KEY is not set: run `tokbridge init` or set it in the environment")
        if not self.key_list:
            raise SettingsError("ENCRYPTION_KEYS is not set: run `tokbridge init` or set it in the environment")


def load_settings(**overrides) -> Settings:
    """Build settings, turning pydantic's error into one line per bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "?"
            lines.append(f"invalid setting {name}: {err['msg']}")
        raise SettingsError("; ".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
