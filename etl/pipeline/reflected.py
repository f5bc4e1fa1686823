"""A pipeline for any existing table, without a definition file (`etl import --table NAME`):
one column per table column (the primary key aside, which a file's `id` column always
matches), its type from the reflected column, its header the column name (matched ignoring
case, accents, spaces and `_`, as every header is).

Rows match on `--key`, else on a unique constraint of the table the file gives every column
of, else on every column the file gives: an identical row is `unchanged`, a changed one is
new (name a key to update rows in place).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from uuid import UUID

from sqlalchemy import Connection, Table, inspect
from sqlalchemy import Column as SqlColumn
from sqlalchemy.dialects.mysql import TINYINT

from etl.errors import UsageError
from etl.pipeline.definition import Column, ColumnKind, Pipeline
from etl.pipeline.infer import resolve_key
from etl.pipeline.target import reflect_table
from etl.readers.headers import normalize_header

TABLE_PIPELINE_PREFIX = "table:"
"""Ledger name of `--table` imports: `table:ventas`, apart from any pipeline's own name."""


def table_pipeline(connection: Connection, name: str, header: Sequence[str], key: Sequence[str] = ()) -> Pipeline:
    """The pipeline that imports a file with `header` into the existing table `name`."""
    table = reflect_table(connection, name)
    primary = [c.name for c in table.primary_key.columns]
    columns = tuple(Column(name=c.name, headers=(c.name,), kind=column_kind(c)) for c in table.columns
                    if c.name not in primary)
    if not columns:
        raise UsageError(f"table {name!r} has no column besides its primary key to import into")
    given = {normalize_header(cell) for cell in header}
    present = [c for c in columns if normalize_header(c.name) in given]
    chosen = resolve_key(key, columns) if key else _default_key(connection, table, present)
    return Pipeline(name=f"{TABLE_PIPELINE_PREFIX}{name}", table=name, key=chosen or (columns[0].name,),
                    columns=columns, description=f"Any file into the table {name}")


def _default_key(connection: Connection, table: Table, present: Sequence[Column]) -> tuple[str, ...]:
    names = {c.name for c in present}
    for unique in inspect(connection).get_unique_constraints(table.name):
        wanted = tuple(unique["column_names"])
        if wanted and set(wanted) <= names:
            return wanted
    return tuple(c.name for c in present)


def column_kind(column: SqlColumn[object]) -> ColumnKind:
    if isinstance(column.type, TINYINT) and column.type.display_width == 1:
        return "boolean"  # MySQL/MariaDB store BOOLEAN as TINYINT(1), and reflect it so
    try:
        python = column.type.python_type
    except NotImplementedError:
        return "text"
    for kind, types in (("boolean", (bool,)), ("integer", (int,)), ("decimal", (Decimal, float)),
                        ("datetime", (datetime,)), ("date", (date,)), ("time", (time,)),
                        ("uuid", (UUID,)), ("json", (dict, list))):
        if issubclass(python, types):
            return kind  # type: ignore[return-value]
    return "text"
