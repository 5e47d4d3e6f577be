"""Key rotation: re-encrypt every encrypted column with the newest key."""

from __future__ import annotations

from sqlalchemy import Engine, select, update

import tokbridge.db.models  # noqa: F401  (registers every encrypted field)
from tokbridge.db.encrypted import ENCRYPTED_FIELDS
from tokbridge.db.engine import session_scope
from tokbridge.kit.crypto import current_vault


def rotate_all(engine: Engine, batch_size: int = 500) -> int:
    vault = current_vault()
    rotated = 0
    for model, column_name in ENCRYPTED_FIELDS:
        column = getattr(model, column_name)
        last_id = None
        while True:
            with session_scope(engine) as session:
                query = select(model.id, column).where(column.is_not(None)).order_by(model.id).limit(batch_size)
                if last_id is not None:
                    query = query.where(model.id > last_id)
                rows = session.execute(query).all()
                for row_id, token in rows:
                    session.execute(update(model).where(model.id == row_id).values({column_name: vault.rotate(token)}))
                rotated += len(rows)
            if len(rows) < batch_size:
                break
            last_id = rows[-1][0]
    return rotated
