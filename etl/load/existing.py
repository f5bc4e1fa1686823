"""Reading what a chunk's rows match in the table: rows by primary key, and every row's key.

A Core `select(...).where(pk.in_(ids))` of ten thousand ids spent more time compiling and
processing rows than the database spent answering; these statements are plain SQL built
once, run on the session's own DB-API connection, and apply only the result processors the
dialect really has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect


IN_LIST_LIMIT = 30_000
"""Ids per `IN (…)` query: under SQLite's 32 766 bound parameters, PostgreSQL's and MySQL's 65 535."""

class ExistingRowReader:
    """Reads a chunk's matched rows by primary key, and a whole table's keys, with plain SQL.

    A Core `select(...).where(pk.in_(ids))` of ten thousand ids spent more time compiling and
    processing rows than the database spent answering; these statements are built once and
    apply only the result processors the dialect really has."""

    def __init__(self, dialect: Dialect, table: Table, columns: Sequence[str], primary_key: str) -> None:
        quote = dialect.identifier_preparer.quote
        self._mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self._table = dialect.identifier_preparer.format_table(table)
        self._pk = quote(primary_key)
        self._names = [primary_key, *columns]
        self._select = f"SELECT {', '.join(quote(c) for c in self._names)} FROM {self._table}"
        self._dialect = dialect
        self._table_obj = table
        self._processors: dict[Any, Callable[[Sequence[Any]], Sequence[Any]]] = {}

    def by_ids(self, connection: Connection, ids: Sequence[Any], limit: int) -> dict[Any, tuple[Any, ...]]:
        """id → (id, *columns) for the rows among `ids` (sorted). A dense run of ids (a re-import)
        is read as one `BETWEEN` range instead of a long `IN` list."""
        found: dict[Any, tuple[Any, ...]] = {}
        if not ids:
            return found
        low, high = ids[0], ids[-1]
        cursor = connection.connection.cursor()  # the session's own DB-API connection and transaction
        try:
            if isinstance(low, int) and isinstance(high, int) and high - low < 2 * len(ids):
                cursor.execute(f"{self._select} WHERE {self._pk} BETWEEN {self._mark} AND {self._mark}",
                               (low, high))
                wanted = set(ids)
                for row in self._process(cursor.description, self._names, cursor.fetchall()):
                    if row[0] in wanted:
                        found[row[0]] = row
                return found
            for start in range(0, len(ids), limit):
                batch = tuple(ids[start:start + limit])
                marks = ", ".join([self._mark] * len(batch))
                cursor.execute(f"{self._select} WHERE {self._pk} IN ({marks})", batch)
                for row in self._process(cursor.description, self._names, cursor.fetchall()):
                    found[row[0]] = row
        finally:
            cursor.close()
        return found

    def keys(self, connection: Connection, key_columns: Sequence[str], batch: int = 50_000
             ) -> Iterator[list[tuple[Any, ...]]]:
        """Every row's (id, *key columns), streamed in batches."""
        quote = self._dialect.identifier_preparer.quote
        names = [self._names[0], *key_columns]
        sql = f"SELECT {', '.join(quote(c) for c in names)} FROM {self._table}"
        if self._dialect.name == "sqlite":
            # sqlite3's own cursor streams; server drivers need SQLAlchemy's server-side cursors.
            cursor = connection.connection.cursor()
            try:
                cursor.execute(sql)
                while rows := cursor.fetchmany(batch):
                    yield self._process(cursor.description, names, rows, keep_rows=True)
            finally:
                cursor.close()
            return
        # Per statement: Connection.execution_options() would switch the whole connection to
        # server-side cursors, and PostgreSQL cannot DECLARE a cursor for an INSERT.
        result = connection.exec_driver_sql(sql, execution_options={"stream_results": True})
        description = result.cursor.description  # the result lets go of its cursor once exhausted
        try:
            while rows := result.fetchmany(batch):
                yield self._process(description, names, rows, keep_rows=True)
        finally:
            result.close()

    def _process(self, description: Any, names: Sequence[str], rows: Sequence[Any],
                 keep_rows: bool = False) -> Any:
        """Apply the result processors the dialect has for these columns (built once per query
        shape, from the driver's own type codes); plain rows pass through untouched."""
        shape = (tuple(names), tuple(d[1] for d in description))
        process = self._processors.get(shape)
        if process is None:
            process = _result_processor(self._dialect, self._table_obj, names, [d[1] for d in description])
            if process is _as_tuples and keep_rows:
                process = _rows_as_they_are  # DB-API tuples and SQLAlchemy Rows both slice to tuples
            self._processors[shape] = process
        return process(rows)


def _result_processor(
    dialect: Dialect, table: Table, columns: Sequence[str], type_codes: Sequence[Any]
) -> Callable[[Sequence[Any]], list[tuple[Any, ...]]]:
    processors = [table.c[n].type.dialect_impl(dialect).result_processor(dialect, code)
                  for n, code in zip(columns, type_codes)]
    active = [(i, p) for i, p in enumerate(processors) if p is not None]
    if not active:
        return _as_tuples

    def process(rows: Sequence[Any]) -> list[tuple[Any, ...]]:
        out = []
        for row in rows:
            values = list(row)
            for index, processor in active:
                values[index] = processor(values[index])
            out.append(tuple(values))
        return out

    return process


def _as_tuples(rows: Sequence[Any]) -> list[tuple[Any, ...]]:
    """DB-API rows are tuples already (sqlite3, psycopg, PyMySQL); Row objects slice to tuples."""
    return rows if isinstance(rows, list) and (not rows or type(rows[0]) is tuple) else [tuple(r) for r in rows]


def _rows_as_they_are(rows: Sequence[Any]) -> Sequence[Any]:
    return rows
