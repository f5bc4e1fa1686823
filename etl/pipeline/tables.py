"""Tables etl makes from a definition: a pipeline that says `create = true` (and the ones
`etl import --table NAME --create` infers), created when missing, never altered.

The table gets an `id` integer primary key and one column per pipeline column, typed by
its kind: text as VARCHAR of its `max_length` (else unbounded; VARCHAR(255) on MariaDB),
integer, decimal (its `precision`/`scale` when inferred), date, datetime, boolean, uuid,
time, json. A `required` column is NOT NULL. Times and date-times keep microseconds on
every database (MariaDB's bare TIME and DATETIME keep whole seconds: there they are
TIME(6) and DATETIME(6)).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON, BigInteger, Boolean, Column, Date, DateTime, Engine, Integer, MetaData, Numeric, String, Table,
    Time, Uuid, inspect,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeEngine

SqlType = TypeEngine[Any]

from etl.errors import ConfigError
from etl.models import TARGET_MODELS, UnboundedString
from etl.pipeline.definition import Column as PipelineColumn
from etl.pipeline.definition import Pipeline

PRIMARY_KEY = "id"
DEFAULT_DECIMAL = Numeric(36, 10)
"""A decimal column without a known size: MariaDB's bare DECIMAL would be DECIMAL(10,0)."""
MICROSECONDS = 6
"""Digits of a second a created time or date-time column keeps (PostgreSQL's default)."""
_MYSQL = ("mysql", "mariadb")


def pipeline_table(pipeline: Pipeline, metadata: MetaData | None = None) -> Table:
    """The table a `create = true` pipeline describes."""
    columns = [Column(PRIMARY_KEY, Integer, primary_key=True, autoincrement=True)]
    for column in pipeline.columns:
        if column.name == PRIMARY_KEY:
            raise ConfigError(f"pipeline {pipeline.name!r}: a column named {PRIMARY_KEY!r} is the primary key "
                              "etl creates; a file's id column is always accepted, so leave it out")
        columns.append(Column(column.name, _sql_type(pipeline, column), nullable=not column.required))
    return Table(pipeline.table, metadata or MetaData(), *columns)


def _sql_type(pipeline: Pipeline, column: PipelineColumn) -> SqlType:
    kind = column.kind
    if kind == "text":
        return String(column.max_length) if column.max_length else UnboundedString
    if kind == "integer":
        big = column.maximum is not None and column.maximum >= 2**31 or (
            column.minimum is not None and column.minimum < -(2**31))
        return BigInteger() if big else Integer()
    if kind == "decimal":
        if column.precision is not None:
            return Numeric(column.precision, column.scale or 0)
        return DEFAULT_DECIMAL
    simple: dict[str, SqlType] = {
        "date": Date(), "datetime": DateTime().with_variant(mysql.DATETIME(fsp=MICROSECONDS), *_MYSQL),
        "boolean": Boolean(), "uuid": Uuid(), "time": Time().with_variant(mysql.TIME(fsp=MICROSECONDS), *_MYSQL),
        "json": JSON()}
    if kind in simple:
        return simple[kind]
    raise ConfigError(f"pipeline {pipeline.name!r}: etl cannot create a column of type {kind!r} "
                      f"({column.name}); create the table {pipeline.table!r} yourself")


def ensure_pipeline_table(engine: Engine, pipeline: Pipeline) -> bool:
    """Create the table of a `create = true` pipeline if missing; True when this call made it.
    Another process creating it at the same moment is fine: the table exists afterwards."""
    if inspect(engine).has_table(pipeline.table):
        return False
    table = pipeline_table(pipeline)
    try:
        table.create(engine.execution_options(sqlite_begin="IMMEDIATE"), checkfirst=True)
    except DBAPIError:
        if inspect(engine).has_table(pipeline.table):
            return False
        raise
    return True


def missing_table_hint(pipeline: Pipeline) -> str:
    """What makes a pipeline's missing table exist: the command, or the definition's key."""
    if pipeline.table in TARGET_MODELS:
        return "run `etl init` (or import into it: etl creates it)"
    where = f" --pipelines-dir {pipeline.source.parent}" if pipeline.source is not None else ""
    if pipeline.create:
        return f"run `etl init{where}` (or import into it: etl creates it)"
    shown = pipeline.source or f"pipeline {pipeline.name!r}"
    return (f"create it in the database, or add `create = true` to {shown} "
            f"and run `etl init{where}`")
