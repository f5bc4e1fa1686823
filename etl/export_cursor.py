"""An export query's rows straight from the driver's streaming cursor, every value exact.

Values come out as the database holds them, never approximated and never a crash:
- PostgreSQL runs the query in UTC (so every `timestamptz` from year 1 on has a Python
  value, written with its `+00:00` offset) with ISO 8601 intervals; intervals and JSON
  documents arrive as the server's own text (psycopg would turn a month into 30 days and
  parse `null` documents into SQL NULL's None), and a date or time Python cannot hold
  (`infinity`, years BC or past 9999) as PostgreSQL's text of it.
- JSON columns keep the text the database returns (SQLAlchemy's JSON types would parse it).
- A value a column type's result processor cannot convert (text in a SQLite DATE column)
  is exported as the driver gave it. A MariaDB TIME is a duration: one within a day is its
  time of day, any other (`-838:59:59`, `25:00:00`) its ISO 8601 duration, never the time
  of day SQLAlchemy's TIME would wrap it to.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import JSON, Connection
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from etl.db import error_reason, is_read_only_refusal, loader_or
from etl.errors import ReadOnlyViolation, UsageError
from etl.pipeline.exact_types import time_of_duration

STREAM_CHUNK_ROWS = 5_000
_AS_SERVER_TEXT = ("interval", "json", "jsonb")
_DATE_TYPES = ("date", "timestamp", "timestamptz")
_POSTGRES_SETTINGS = "SELECT set_config('TimeZone', 'UTC', true), set_config('IntervalStyle', 'iso_8601', true)"


def stream_rows(connection: Connection, statement: Any) -> RowStream:
    """Run `statement` and stream its rows; a refused or invalid query is an EtlError. Use
    the stream as a context manager so an unfinished cursor is closed."""
    return RowStream(connection, statement)


class RowStream:
    """A query's rows straight from the driver's cursor, fetched `STREAM_CHUNK_ROWS` at a time.

    SQLAlchemy's result objects cost about 0.3 µs a row on top of the driver (a Python-level
    row buffer and a `Row` per row): a third of the time of a million-row SQLite export
    after start-up. This runs the compiled statement on the connection's own DB-API
    connection, inside its read-only transaction, with the same kind of cursor SQLAlchemy's
    `stream_results` uses (a psycopg named cursor, a PyMySQL `SSCursor`; SQLite's cursor
    already steps through the result as rows are fetched), and applies SQLAlchemy's result
    processors only to the columns whose type has one (dates, booleans and decimals on
    SQLite, …). Statements carry no bound parameters: the only values the export query
    has (its LIMIT) are rendered as literals.
    """

    def __init__(self, connection: Connection, statement: Any) -> None:
        dialect = connection.dialect
        self._dialect = dialect
        self._sql = _literal_sql(statement, dialect)
        self._cursor = _streaming_cursor(connection)
        try:
            # An empty parameter set, as SQLAlchemy passes it, so "%%" in a pyformat statement
            # reaches the server as "%".
            parameters: Any = () if dialect.paramstyle in ("qmark", "numeric") else {}
            with self._refusals():
                self._cursor.execute(self._sql, parameters)
            description = self._cursor.description
            self._keys = tuple(column[0] for column in description)
            self._processors = _result_processors(statement, dialect, description)
        except BaseException:
            self._cursor.close()
            raise

    def keys(self) -> tuple[str, ...]:
        return self._keys

    def __iter__(self) -> Iterator[Sequence[Any]]:
        return itertools.chain.from_iterable(self.chunks())

    def chunks(self) -> Iterator[Sequence[Sequence[Any]]]:
        """The rows in chunks, as the driver returns them (tuples), processed where needed."""
        fetchmany, processors = self._cursor.fetchmany, self._processors
        while True:
            with self._refusals():
                rows = fetchmany(STREAM_CHUNK_ROWS)
            if not rows:
                return
            yield _processed(rows, processors) if processors else rows

    def close(self) -> None:
        self._cursor.close()

    def __enter__(self) -> RowStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _refusals(self) -> Iterator[None]:
        """A driver error as the EtlError `query_error` makes of SQLAlchemy's wrapping of it."""
        dbapi_error = self._dialect.loaded_dbapi.Error
        try:
            yield
        except dbapi_error as err:
            wrapped = DBAPIError.instance(self._sql, None, err, dbapi_error, dialect=self._dialect)
            raise query_error(wrapped) from None


def query_error(err: SQLAlchemyError) -> UsageError | ReadOnlyViolation:
    """The one-line error of a query the database refused."""
    reason = error_reason(err)
    if is_read_only_refusal(err):
        return ReadOnlyViolation(f"refused: exports are read-only ({reason})")
    return UsageError(f"export query failed: {reason}")


def _literal_sql(statement: Any, dialect: Dialect) -> str:
    """The statement's SQL with its values inline; a `:name` in a --where or --sql text is a
    parameter nobody gives a value, refused as SQLAlchemy refuses it at execution."""
    for bind in statement.compile(dialect=dialect).binds.values():
        if bind.required and bind.value is None and bind.callable is None:
            raise UsageError(f"export query failed: a value is required for bind parameter {bind.key!r}")
    return str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _streaming_cursor(connection: Connection) -> Any:
    """A DB-API cursor that fetches rows from the server as they are asked for."""
    dialect = connection.dialect
    driver_connection: Any = connection.connection.driver_connection  # psycopg, PyMySQL or sqlite3
    if dialect.driver == "psycopg":
        driver_connection.execute(_POSTGRES_SETTINGS)  # for this transaction only
        cursor = driver_connection.cursor(name="etl_export")
        _load_exactly(cursor)
        return cursor
    if dialect.driver == "pymysql":
        from pymysql.cursors import SSCursor

        return driver_connection.cursor(SSCursor)
    return driver_connection.cursor()


def _load_exactly(cursor: Any) -> None:
    """psycopg loaders on this cursor only: server text for intervals and JSON documents, and
    PostgreSQL's text for a date or timestamp that has no Python value."""
    from psycopg.pq import Format
    from psycopg.types.string import TextLoader

    adapters = cursor.adapters
    for name in _AS_SERVER_TEXT:
        adapters.register_loader(name, TextLoader)
    for name in _DATE_TYPES:
        oid = adapters.types[name].oid
        adapters.register_loader(oid, _or_server_text(adapters.get_loader(oid, Format.TEXT)))


def _or_server_text(standard: type) -> type:
    """Loads as `standard`, or gives PostgreSQL's text of a value no Python date holds."""
    return loader_or(standard, lambda text, err: text)


def _result_processors(statement: Any, dialect: Dialect, description: Sequence[Any]) -> list[tuple[int, Any]]:
    """(position, processor) of the selected columns whose type converts the driver's value,
    as SQLAlchemy's result would; a textual query (`--sql`) has no typed columns, and
    SQLAlchemy leaves its values as the driver returns them too."""
    columns = getattr(statement, "selected_columns", ())
    processors = []
    for position, (column, described) in enumerate(zip(columns, description)):
        if isinstance(column.type, JSON):
            continue  # a JSON document stays its text: parsed, `null` would become SQL NULL's None
        implementation = column.type.dialect_impl(dialect)
        if isinstance(implementation, mysql.TIME):  # a duration: SQLAlchemy's would wrap it into one day
            processors.append((position, time_of_duration))
            continue
        processor = implementation.result_processor(dialect, described[1])
        if processor is not None:
            processors.append((position, processor))
    return processors


def _processed(rows: Sequence[Sequence[Any]], processors: list[tuple[int, Any]]) -> list[tuple[Any, ...]]:
    """Each processed column converted with one `map`; a column where a value does not
    convert, value by value, keeping what does not as the driver gave it."""
    columns = list(zip(*rows))
    for position, processor in processors:
        try:
            columns[position] = tuple(map(processor, columns[position]))
        except (ValueError, TypeError):
            columns[position] = tuple(_processed_or_raw(processor, value) for value in columns[position])
    return list(zip(*columns))


def _processed_or_raw(processor: Callable[[Any], Any], value: Any) -> Any:
    try:
        return processor(value)
    except (ValueError, TypeError):  # e.g. "31/12/2024" in a SQLite DATE column
        return value
