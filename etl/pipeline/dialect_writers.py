"""Dialect fast paths for writing a chunk's planned inserts and updates.

`writer_for` picks the strategy; every one of them has `ExecutemanyWriter`'s interface and
writes through the session's own connection, inside the file's one transaction.

- PostgreSQL: inserts with `COPY … FROM STDIN` (ids the file does not give come from the
  column's default, as with INSERT; the loader moves the sequence past explicit ones),
  updates by COPY into a temporary table and one `UPDATE … FROM` per chunk. psycopg's
  executemany still costs a statement execution per row, even pipelined.
- MySQL/MariaDB: inserts stay on executemany, which PyMySQL already rewrites into multi-row
  `INSERT … VALUES (…), (…)` statements; updates become multi-row
  `INSERT … ON DUPLICATE KEY UPDATE` on the primary key, which every table has, so no
  unique index is needed. `LOAD DATA LOCAL INFILE` is not used: it needs a client flag and
  server permission, and with LOCAL the server turns errors (bad values, duplicate keys)
  into warnings, so a bad chunk would half-land instead of rolling the file back.
- SQLite and anything else: plain executemany.

A driver error raised outside SQLAlchemy (psycopg's COPY) is wrapped into SQLAlchemy's
matching `DBAPIError`, so the loader reports it as it reports any refused chunk.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from etl.pipeline.bulk import ExecutemanyWriter


def writer_for(dialect: Dialect, table: Table, columns: Sequence[str], primary_key: str) -> ExecutemanyWriter:
    """The fastest robust write strategy for `dialect`."""
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        return PostgresCopyWriter(dialect, table, columns, primary_key)
    if dialect.name in ("mysql", "mariadb"):
        return MysqlUpsertWriter(dialect, table, columns, primary_key)
    return ExecutemanyWriter(dialect, table, columns, primary_key)


class PostgresCopyWriter(ExecutemanyWriter):
    """COPY for inserts; COPY into a temporary table plus one UPDATE … FROM for updates."""

    def __init__(self, dialect: Dialect, table: Table, columns: Sequence[str], primary_key: str) -> None:
        super().__init__(dialect, table, columns, primary_key)
        quote = dialect.identifier_preparer.quote
        name = dialect.identifier_preparer.format_table(table)
        names = [quote(c) for c in columns]
        with_id = [*names, quote(primary_key)]
        self._dialect = dialect
        self._copy_sql = f"COPY {name} ({', '.join(names)}) FROM STDIN"
        self._copy_id_sql = f"COPY {name} ({', '.join(with_id)}) FROM STDIN"
        # A name of our own per target; the table lives until the transaction ends, either way.
        staging = quote(f"etl_update_{table.name}"[:63])
        self._create_staging_sql = (
            f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
            f"SELECT {', '.join(with_id)} FROM {name} WITH NO DATA"
        )
        self._clear_staging_sql = f"TRUNCATE {staging}"
        self._copy_staging_sql = f"COPY {staging} ({', '.join(with_id)}) FROM STDIN"
        assignments = ", ".join(f"{c} = s.{c}" for c in names)
        pk = quote(primary_key)
        self._update_from_sql = f"UPDATE {name} AS t SET {assignments} FROM {staging} AS s WHERE t.{pk} = s.{pk}"
        self._staging_ready = False

    def insert(self, connection: Connection, rows: list[tuple[Any, ...]], with_id: bool) -> None:
        if rows:
            sql = self._copy_id_sql if with_id else self._copy_sql
            with self._cursor(connection, sql) as cursor:
                _copy_rows(cursor, sql, self._process(rows))

    def update(self, connection: Connection, rows: list[tuple[Any, ...]]) -> None:
        """`rows` are (*values, primary key)."""
        if not rows:
            return
        with self._cursor(connection, self._update_from_sql) as cursor:
            if self._staging_ready:
                cursor.execute(self._clear_staging_sql)
            else:
                cursor.execute(self._create_staging_sql)
                self._staging_ready = True
            _copy_rows(cursor, self._copy_staging_sql, self._process(rows))
            cursor.execute(self._update_from_sql)

    @contextmanager
    def _cursor(self, connection: Connection, statement: str) -> Iterator[Any]:
        """A cursor of the session's own DB-API connection; driver errors come out as SQLAlchemy's."""
        cursor = connection.connection.cursor()
        try:
            yield cursor
        except self._dialect.loaded_dbapi.Error as err:
            raise DBAPIError.instance(statement, None, err, self._dialect.loaded_dbapi.Error,
                                      dialect=self._dialect) from err
        finally:
            cursor.close()


def _copy_rows(cursor: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
    with cursor.copy(sql) as copy:
        write_row = copy.write_row
        for row in rows:
            write_row(row)


class MysqlUpsertWriter(ExecutemanyWriter):
    """Multi-row INSERT for inserts (PyMySQL's executemany rewrite); updates as multi-row
    `INSERT … ON DUPLICATE KEY UPDATE` on the primary key instead of one UPDATE per row.

    The loader only updates rows it has just read by primary key inside this transaction, so
    every row of an update hits an existing key."""

    def __init__(self, dialect: Dialect, table: Table, columns: Sequence[str], primary_key: str) -> None:
        super().__init__(dialect, table, columns, primary_key)
        quote = dialect.identifier_preparer.quote
        name = dialect.identifier_preparer.format_table(table)
        with_id = [quote(c) for c in (*columns, primary_key)]
        # VALUES(col) in the update clause is deprecated on MySQL 8.0.20+ but the only
        # spelling MariaDB has; both accept it.
        assignments = ", ".join(f"{c} = VALUES({c})" for c in with_id[:-1])
        self._upsert_sql = (
            f"INSERT INTO {name} ({', '.join(with_id)}) VALUES ({', '.join(['%s'] * len(with_id))}) "
            f"ON DUPLICATE KEY UPDATE {assignments}"
        )

    def update(self, connection: Connection, rows: list[tuple[Any, ...]]) -> None:
        """`rows` are (*values, primary key)."""
        if rows:
            connection.exec_driver_sql(self._upsert_sql, self._process(rows))
