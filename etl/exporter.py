"""Exports: a read-only, streamed query → a writer → a file or stream.

A pipeline exports `id` and then each column under its first header, with lookups turned
back into the looked-up name (contacts export their group's name), so that importing the
file again changes nothing. A plain table exports its columns as they are; `--sql` exports
any single SELECT. Every query runs on a read-only engine inside one transaction, and rows
travel from a server-side cursor to the writer in chunks, so memory stays flat.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine, MetaData, Select, Table, inspect, select, text
from sqlalchemy.exc import NoSuchTableError

from etl.errors import UsageError
from etl.export_cursor import RowStream as RowStream
from etl.export_cursor import stream_rows as stream_rows
from etl.pipeline import Pipeline
from etl.query_guard import check_fragment, check_select
from etl.readers.headers import normalize_header
from etl.writers import FORMATS, get_writer



@dataclass(frozen=True)
class ExportRequest:
    """What to export: a pipeline or table name shaped by options, or one SELECT."""

    source: str | None = None
    sql: str | None = None
    columns: tuple[str, ...] = ()
    where: str | None = None
    order_by: str | None = None
    limit: int | None = None


@dataclass(frozen=True)
class ExportQuery:
    """A statement ready to run and the header its rows are written under."""

    statement: Any
    header: tuple[str, ...] | None
    name: str
    date_formats: tuple[str | None, ...] = ()


def export_format(output: str, fmt: str | None) -> str:
    """`--format` if given, else the output's extension; `-` means CSV on stdout."""
    if fmt is not None:
        chosen = fmt.lower().lstrip(".")
    elif output == "-":
        chosen = "csv"
    else:
        chosen = Path(output).suffix.lower().lstrip(".")
    if chosen not in FORMATS:
        raise UsageError(
            f"cannot tell the export format of {output!r}; use a .csv, .xlsx or .jsonl name "
            "or --format csv|xlsx|jsonl"
        )
    return chosen


def build_export_query(
    connection: Connection, request: ExportRequest, pipelines: Mapping[str, Pipeline]
) -> ExportQuery:
    """Turn a request into a checked statement, without running it."""
    if request.sql is not None:
        shaping = request.columns or request.where or request.order_by or request.limit is not None
        if request.source is not None or shaping:
            raise UsageError("--sql exports its own query: give only OUTPUT, and put columns, "
                             "conditions, order and limit in the query")
        check_select(request.sql)
        return ExportQuery(text(request.sql), None, "query")
    if request.source is None:
        raise UsageError("name a pipeline or table to export, or give --sql")
    for fragment, option in ((request.where, "--where"), (request.order_by, "--order-by")):
        if fragment is not None:
            check_fragment(fragment, option)
    selection = _selection(connection, request.source, pipelines)
    picked = _pick_columns(selection, request.columns)
    headers = tuple(header for header, _ in picked)
    date_formats = tuple(selection.date_formats.get(header) for header in headers)
    return ExportQuery(_shaped(selection, picked, request), headers, request.source, date_formats)


def _selection(connection: Connection, source: str, pipelines: Mapping[str, Pipeline]) -> _Selection:
    """What a pipeline (by its definition) or a plain table (all its columns) exports."""
    if source in pipelines:
        pipeline = pipelines[source]
        base = _reflect(connection, pipeline.table, f"pipeline {pipeline.name!r}")
        return _pipeline_selection(connection, pipeline, base)
    selection = _Selection(_reflect(connection, source, None, pipelines))
    for column in selection.base.columns:
        selection.add(column.name, column)
    return selection


def _shaped(selection: _Selection, picked: Sequence[tuple[str, Any]], request: ExportRequest) -> Select[Any]:
    """The exported columns as a subquery, then the picked ones filtered, ordered and limited.
    The subquery lets --where/--order-by name any exported column (e.g. a contact's `grupo`
    name), picked or not, without ambiguity between joined tables."""
    exported = (
        select(*(column.label(header) for header, column in selection.columns))
        .select_from(selection.from_clause())
        .subquery("export")
    )
    statement = select(*(exported.c[header] for header, _ in picked))
    if request.where:
        statement = statement.where(text(request.where))
    if request.order_by:
        statement = statement.order_by(text(request.order_by))
    else:
        statement = statement.order_by(*(exported.c[h] for h in selection.primary_key_headers()))
    if request.limit is not None:
        statement = statement.limit(request.limit)
    return statement


def export(
    engine: Engine,
    request: ExportRequest,
    pipelines: Mapping[str, Pipeline],
    output: str | Path | BinaryIO,
    fmt: str,
    *,
    excel_compatible: bool = False,
) -> int:
    """Run the request read-only and write its rows; returns the number of rows written.
    A file is written under a temporary name and renamed at the end, so a failed export
    leaves any previous file untouched."""
    with engine.connect() as connection, connection.begin(), open_output(output) as stream:
        query = build_export_query(connection, request, pipelines)
        writer = get_writer(fmt, excel_compatible=excel_compatible, sheet_name=query.name)
        with stream_rows(connection, query.statement) as result:
            rows: Iterable[Sequence[Any]] = result
            if fmt == "csv" and any(query.date_formats):
                rows = _with_date_formats(result, query.date_formats)
            return writer(query.header or result.keys(), rows, stream)


def _with_date_formats(rows: Iterable[Sequence[Any]], formats: Sequence[str | None]) -> Iterator[list[Any]]:
    """CSV dates in the pipeline's `date_format`, the form its importer reads back."""
    for row in rows:
        values = list(row)
        for index, fmt in enumerate(formats):
            if fmt is not None and isinstance(values[index], date):  # text a date did not parse from stays
                values[index] = values[index].strftime(fmt)
        yield values


@contextmanager
def open_output(output: str | Path | BinaryIO) -> Iterator[BinaryIO]:
    """A stream passed in is used as is; a path is written via a temporary file renamed at the end."""
    if not isinstance(output, (str, Path)):
        yield output
        return
    path = Path(output)
    if not path.parent.is_dir():
        raise UsageError(f"cannot write {path}: folder {path.parent} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _reflect(
    connection: Connection, name: str, owner: str | None, pipelines: Mapping[str, Pipeline] | None = None
) -> Table:
    try:
        return Table(name, MetaData(), autoload_with=connection)
    except NoSuchTableError:
        if owner is not None:
            raise UsageError(f"table {name!r} of {owner} does not exist yet; run `etl init` "
                             "or import into it first") from None
        known = ", ".join(sorted(pipelines or {})) or "none"
        tables = ", ".join(sorted(inspect(connection).get_table_names())) or "none"
        raise UsageError(f"unknown pipeline or table {name!r}; pipelines: {known}; "
                         f"tables: {tables}") from None


@dataclass
class _Selection:
    """The exported columns as (header, SQL column) pairs and the joins their lookups need."""

    base: Table
    columns: list[tuple[str, Any]] = field(default_factory=list)
    joins: list[tuple[Any, Any]] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    date_formats: dict[str, str] = field(default_factory=dict)

    def add(self, header: str, column: Any, also: Sequence[str] = ()) -> None:
        """Export `column` under `header`; `--columns` may name it by any of `also` too."""
        self.columns.append((header, column))
        for name in (header, column.name, *also):
            self.aliases.setdefault(normalize_header(name), header)

    def from_clause(self) -> Any:
        joined: Any = self.base
        for target, on in self.joins:
            joined = joined.outerjoin(target, on)
        return joined

    def primary_key_headers(self) -> list[str]:
        """Headers to sort on for a stable order: the primary key, when it is exported."""
        keys = list(self.base.primary_key.columns)
        headers = {column: header for header, column in self.columns}
        return [headers[key] for key in keys] if all(key in headers for key in keys) else []


def _pipeline_selection(connection: Connection, pipeline: Pipeline, base: Table) -> _Selection:
    """`id`, then each column under its first header, a lookup column as the looked-up name."""
    selection = _Selection(base)
    if "id" in base.c and all(column.name != "id" for column in pipeline.columns):
        selection.add("id", base.c.id)
    for number, column in enumerate(pipeline.columns):
        if column.name not in base.c:
            raise UsageError(f"pipeline {pipeline.name!r}: table {pipeline.table!r} has no column "
                             f"{column.name!r}")
        lookup = column.lookup
        if lookup is None:
            selection.add(column.header, base.c[column.name], column.headers)
            if column.kind in ("date", "datetime") and column.date_format:
                selection.date_formats[column.header] = column.date_format
            continue
        target = _reflect(connection, lookup.table, f"pipeline {pipeline.name!r}")
        alias = target.alias(f"lookup_{number}")
        selection.joins.append((alias, alias.c[lookup.value] == base.c[column.name]))
        selection.add(lookup.header, alias.c[lookup.match], lookup.headers)
    return selection


def _pick_columns(selection: _Selection, wanted: Sequence[str]) -> list[tuple[str, Any]]:
    if not wanted:
        return selection.columns
    by_header = dict(selection.columns)
    picked = []
    for name in wanted:
        header = selection.aliases.get(normalize_header(name))
        if header is None:
            available = ", ".join(header for header, _ in selection.columns)
            raise UsageError(f"--columns: unknown column {name!r}; available: {available}")
        picked.append((header, by_header[header]))
    return picked
