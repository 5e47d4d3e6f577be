"""Secrets at rest.

Values are encrypted with MultiFernet: the first key of ENCRYPTION_KEYS encrypts, every key decrypts,
so keys rotate without downtime (`tokbridge rotate-keys` re-encrypts with the newest).

Each ciphertext is bound to the row and column it was written for: the plaintext carries a binding
string ("channel_connection:ab12…:access_token"), checked on decryption. A ciphertext copied onto
another row therefore does not decrypt there.
"""

from __future__ import annotations

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class DecryptionError(RuntimeError):
    """The value was not encrypted for this row, or with none of the configured keys."""


class Vault:
    def __init__(self, keys: list[str]):
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def encrypt(self, value: str, binding: str) -> str:
        payload = json.dumps({"b": binding, "v": value}, separators=(",", ":")).encode()
        return self._fernet.encrypt(payload).decode()

    def decrypt(self, token: str, binding: str) -> str:
        try:
            payload = json.loads(self._fernet.decrypt(token.encode()))
        except (InvalidToken, ValueError) as exc:
            raise DecryptionError("value cannot be decrypted with the configured keys") from exc
        if payload.get("b") != binding:
            raise DecryptionError(f"value was encrypted for another record, not {binding.split(':')[0]}")
        return payload["v"]

    def rotate(self, token: str) -> str:
        """Re-encrypt with the first (newest) key, keeping the plaintext and its binding."""
        return self._fernet.rotate(token.encode()).decode()


def generate_key() -> str:
    return Fernet.generate_key().decode()


@lru_cache(maxsize=4)
def _vault_for(keys: tuple[str, ...]) -> Vault:
    return Vault(list(keys))


def current_vault() -> Vault:
    from tokbridge.config import get_settings

    settings = get_settings()
    settings.require_secrets()
    return _vault_for(tuple(settings.key_list))
