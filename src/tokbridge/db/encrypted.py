"""Encrypted columns bound to their row.

    class ChannelConnection(Base):
        id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
        access_token_ciphertext: Mapped[str | None] = encrypted_column()
        access_token = EncryptedField("access_token_ciphertext")

Reading `obj.access_token` decrypts; assigning encrypts for this row (its `id` is set first if needed).
Queries never see plaintext. `ENCRYPTED_FIELDS` lists every field for `tokbridge rotate-keys`.
"""

from __future__ import annotations

from sqlalchemy import Text
from sqlalchemy.orm import mapped_column

from tokbridge.db.base import new_id
from tokbridge.kit.crypto import current_vault

ENCRYPTED_FIELDS: list[tuple[type, str]] = []


def encrypted_column():
    return mapped_column(Text, nullable=True)


class EncryptedField:
    def __init__(self, column_attr: str):
        self.column_attr = column_attr

    def __set_name__(self, owner, name):
        self.name = name
        ENCRYPTED_FIELDS.append((owner, self.column_attr))

    def binding(self, obj) -> str:
        return f"{obj.__tablename__}:{obj.id}:{self.name}"

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        token = getattr(obj, self.column_attr)
        return None if token is None else current_vault().decrypt(token, self.binding(obj))

    def __set__(self, obj, value: str | None):
        if value is None:
            setattr(obj, self.column_attr, None)
            return
        if getattr(obj, "id", None) is None:
            obj.id = new_id()
        setattr(obj, self.column_attr, current_vault().encrypt(value, self.binding(obj)))
