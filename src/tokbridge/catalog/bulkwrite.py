"""Fast batched INSERT .. ON CONFLICT for SQLite and PostgreSQL.

SQLAlchemy's executemany processes every parameter of every row in Python, which costs more
than the database's own work on import-sized batches. Here each statement is compiled once per
(table, columns, conflict rule) and dialect, each column's bind processor (JSON, UTC datetime)
is looked up once (JSON is serialised with orjson), and rows go to the driver as plain tuples:
- SQLite: the driver's executemany, which loops in C;
- PostgreSQL: one statement per batch, `INSERT .. SELECT * FROM unnest(<one array per column>)`
  (psycopg's executemany would be one statement per row).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import orjson
from sqlalchemy import JSON, Connection, Dialect, Table, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite


def upsert_many(
    conn: Connection,
    table: Table,
    columns: tuple[str, ...],
    rows: Sequence[tuple],
    conflict: tuple[str, ...],
    update: tuple[str, ...] | None = None,
) -> None:
    """Insert `rows` (tuples in `columns` order, which must be the table's column order); on a
    `conflict` key clash update the `update` columns (default: all outside the key).
    `conflict=()` and `update=()` make a plain INSERT."""
    if not rows:
        return
    if update is None:
        update = tuple(c for c in columns if c not in conflict)
    if conn.dialect.name == "postgresql":
        if conflict:
            # A batch may name a row twice (a product edited while being paged through): keep the
            # last, as SQLite's row-by-row upserts do; PostgreSQL refuses to update a row twice in
            # one statement.
            key = [columns.index(name) for name in conflict]
            rows = list({tuple(row[i] for i in key): row for row in rows}.values())
        sql, processors = _postgresql_statement(conn.dialect, table, columns, conflict, update)
        values = [list(column) for column in zip(*rows)]
        for index, process in processors:
            values[index] = [process(v) for v in values[index]]
        conn.exec_driver_sql(sql, tuple(values))
        return
    sql, processors = _sqlite_statement(conn.dialect, table, columns, conflict, update)
    conn.exec_driver_sql(sql, _converted(rows, processors) if processors else rows)


def _converted(rows: Sequence[tuple], processors) -> list[tuple]:
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
    return converted


def _on_conflict(stmt, conflict, update):
    if update:
        return stmt.on_conflict_do_update(index_elements=list(conflict), set_={n: stmt.excluded[n] for n in update})
    if conflict:
        return stmt.on_conflict_do_nothing(index_elements=list(conflict))
    return stmt


def _processors(dialect: Dialect, table: Table, columns) -> tuple:
    found = []
    for index, name in enumerate(columns):
        if isinstance(table.c[name].type, JSON):
            found.append((index, _json_text))
            continue
        process = table.c[name].type._cached_bind_processor(dialect)
        if process is not None:
            found.append((index, process))
    return tuple(found)


def _json_text(value) -> str | None:
    # orjson: several times faster than json.dumps on the many small values of a catalog.
    return None if value is None else orjson.dumps(value).decode()


@lru_cache(maxsize=64)
def _sqlite_statement(dialect: Dialect, table: Table, columns, conflict, update):
    stmt = sqlite.insert(table).values({name: bindparam(name, type_=table.c[name].type) for name in columns})
    compiled = _on_conflict(stmt, conflict, update).compile(dialect=dialect)
    if tuple(compiled.positiontup) != columns:
        raise ValueError(f"columns must be given in the table's order: {compiled.positiontup}")
    return str(compiled), _processors(dialect, table, columns)


@lru_cache(maxsize=64)
def _postgresql_statement(dialect: Dialect, table: Table, columns, conflict, update):
    marker = "UNNEST_ARRAYS"
    source = text(f"SELECT * FROM {marker}").columns()
    stmt = _on_conflict(postgresql.insert(table).from_select(list(columns), source), conflict, update)
    # Compiled on its own, PostgreSQL's insert asks for the new primary key back; we don't need it.
    sql = str(stmt.compile(dialect=dialect)).partition(" RETURNING ")[0]
    arrays = ", ".join(f"%s::{table.c[name].type.compile(dialect=dialect)}[]" for name in columns)
    return sql.replace(marker, f"unnest({arrays})"), _processors(dialect, table, columns)
