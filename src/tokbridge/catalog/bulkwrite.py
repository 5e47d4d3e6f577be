"""Fast batched INSERT .. ON CONFLICT for both dialects.

SQLAlchemy's executemany processes every parameter of every row in Python, which costs more
than the database's own work on import-sized batches. Here the statement is compiled once per
(table, columns, conflict rule) and dialect, each column's bind processor (JSON, UTC datetime,
boolean) is looked up once, and rows go to the driver's executemany as plain tuples or dicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import Connection, Dialect, Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite


def upsert_many(
    conn: Connection,
    table: Table,
    columns: tuple[str, ...],
    rows: Sequence[tuple],
    conflict: tuple[str, ...],
    update: tuple[str, ...] | None = None,
) -> None:
    """Insert `rows` (tuples in `columns` order); on a `conflict` key clash update `update` columns
    (default: every column outside the key). `update=()` inserts only (plain INSERT)."""
    if not rows:
        return
    if update is None:
        update = tuple(c for c in columns if c not in conflict)
    sql, order, processors = _compiled(conn.dialect, table, columns, conflict, update)
    converted = rows
    if processors:
        converted = []
        # Many rows share one value object (the import's `synced_at`): convert it once.
        last_in = [object()] * len(processors)
        last_out = [None] * len(processors)
        for row in rows:
            values = list(row)
            for slot, (index, process) in enumerate(processors):
                value = values[index]
                if value is not last_in[slot]:
                    last_in[slot] = value
                    last_out[slot] = process(value)
                values[index] = last_out[slot]
            converted.append(tuple(values))
    if order is None:  # named parameters (psycopg)
        params = [dict(zip(columns, values)) for values in converted]
    elif order == columns:
        params = converted
    else:  # callers pass table order; this only guards against a mistake
        position = [columns.index(name) for name in order]
        params = [tuple(values[i] for i in position) for values in converted]
    conn.exec_driver_sql(sql, params)


@lru_cache(maxsize=64)
def _compiled(dialect: Dialect, table: Table, columns, conflict, update):
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table).values({name: bindparam(name, type_=table.c[name].type) for name in columns})
    if update:
        stmt = stmt.on_conflict_do_update(index_elements=list(conflict), set_={n: stmt.excluded[n] for n in update})
    elif conflict:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict))
    compiled = stmt.compile(dialect=dialect)
    order = tuple(compiled.positiontup) if compiled.positional else None
    processors = []
    for index, name in enumerate(columns):
        process = table.c[name].type._cached_bind_processor(dialect)
        if process is not None:
            processors.append((index, process))
    return str(compiled), order, tuple(processors)
