"""Sandbox settings: every field has a default; `SandboxConfig.from_env()` reads PRESTASHOP_SANDBOX_*."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

ENV_PREFIX = "PRESTASHOP_SANDBOX_"


@dataclass(frozen=True)
class SandboxConfig:
    # Answered in PSWS-Version. "1.7.x" refuses PATCH as 1.7 did; "9.x" behaves as 8 for the Webservice,
    # except that 9.0.2 also filters and sorts on date fields without `date=1`.
    version: str = "8.1.7"
    shop_name: str = "TokBridge Sandbox Shop"
    currency: str = "EUR"  # the default currency; USD and GBP exist too
    timezone: str = "Europe/Paris"  # PS_TIMEZONE: every date_add/date_upd is written in this zone
    languages: tuple[tuple[str, int], ...] = (("en", 1), ("fr", 2))  # (iso_code, id); the first is default
    shops: int = 1  # 2 or more: a multistore, each shop with its own stock rows
    catalog_size: int = 20
    seed: int = 7
    bootstrap_key: str | None = None  # a 32-character key with every permission, created at start
    frozen_clock: bool = False  # the shop's clock moves only through the control API (for tests)

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    @property
    def supports_patch(self) -> bool:
        return self.major >= 8

    @property
    def dates_filter_without_flag(self) -> bool:
        return tuple(int(p) for p in self.version.split(".")[:3]) >= (9, 0, 2)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> SandboxConfig:
        """PRESTASHOP_SANDBOX_VERSION=1.7.8.11, ..._LANGUAGES=en:1,fr:2, ..._SHOPS=2, and so on."""
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field in fields(cls):
            raw = environ.get(ENV_PREFIX + field.name.upper())
            if raw is None:
                continue
            if field.name == "languages":
                values[field.name] = tuple(
                    (iso.strip(), int(n)) for iso, n in (pair.split(":") for pair in raw.split(",") if pair.strip())
                )
            elif field.name in ("shops", "catalog_size", "seed"):
                values[field.name] = int(raw)
            elif field.name == "frozen_clock":
                values[field.name] = raw.lower() in ("1", "true", "yes")
            else:
                values[field.name] = raw or None if field.name == "bootstrap_key" else raw
        return cls(**values)
