"""The plain write strategy: driver-level executemany of plain tuples through the session's connection.

Measured on a million rows (see the import report), SQLAlchemy's ORM bulk INSERT and Core
`insert()` with lists of dicts spend most of their time building and processing one dict
per row; this path compiles the statement once, applies each column's bind processor
only where the dialect has one (dates on SQLite, …), and hands tuples to the driver's
executemany (PyMySQL rewrites it into multi-row INSERTs, psycopg pipelines it). It runs
inside the session's transaction like any other statement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect


class ExecutemanyWriter:
    """INSERT and UPDATE ... WHERE primary key of tuples in a fixed column order."""

    def __init__(self, dialect: Dialect, table: Table, columns: Sequence[str], primary_key: str) -> None:
        quote = dialect.identifier_preparer.quote
        name = dialect.identifier_preparer.format_table(table)
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        if dialect.paramstyle not in ("qmark", "format", "pyformat"):
            raise ValueError(f"unsupported DB-API paramstyle {dialect.paramstyle}")
        with_id = [*columns, primary_key]
        self._insert_sql = _insert_sql(name, [quote(c) for c in columns], mark)
        self._insert_id_sql = _insert_sql(name, [quote(c) for c in with_id], mark)
        assignments = ", ".join(f"{quote(c)} = {mark}" for c in columns)
        self._update_sql = f"UPDATE {name} SET {assignments} WHERE {quote(primary_key)} = {mark}"
        self._process = _row_processor(dialect, table, with_id)

    def insert(self, connection: Connection, rows: list[tuple[Any, ...]], with_id: bool) -> None:
        if rows:
            sql = self._insert_id_sql if with_id else self._insert_sql
            connection.exec_driver_sql(sql, self._process(rows))

    def update(self, connection: Connection, rows: list[tuple[Any, ...]]) -> None:
        """`rows` are (*values, primary key)."""
        if rows:
            connection.exec_driver_sql(self._update_sql, self._process(rows))


def _insert_sql(table: str, columns: list[str], mark: str) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"


def _row_processor(
    dialect: Dialect, table: Table, columns: Sequence[str]
) -> Callable[[list[tuple[Any, ...]]], list[tuple[Any, ...]]]:
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
    if not any(processors):
        return _unchanged
    active = [(i, p) for i, p in enumerate(processors) if p is not None]

    def process(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        out = []
        for row in rows:
            values = list(row)
            for index, processor in active:
                if index < len(values) and values[index] is not None:
                    values[index] = processor(values[index])
            out.append(tuple(values))
        return out

    return process


def _unchanged(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return rows
