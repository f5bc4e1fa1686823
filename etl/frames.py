"""pandas DataFrames in and out.

In: a frame becomes a `RowsSource`, each cell the text a file would show (`value_text`), so
it is validated and converted exactly like a file's text and hashed as the same content.
Numbers stay recognisable as numbers (`NumberText`, as a workbook's number cells), so a
number in a text column gets the same leading-zero warning a workbook's would.

Out: the export's read-only, streamed query (`etl.exporter`), its rows turned into frames
with dtypes that keep values exact: text `string`, integers `Int64`, booleans `boolean`,
dates and datetimes `datetime64[us]`, decimals as `Decimal` objects. The dtype of a column
comes from the pipeline's column type, else the database column's type, else (a `sql=`
query, whose columns have no declared type) the values of each frame.

Imported only by the `Database` methods that use it: pandas costs `import etl` 0.2 s.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from typing import Any

import pandas
from sqlalchemy import Engine, types

from etl.errors import UsageError
from etl.exporter import ExportQuery, ExportRequest, build_export_query, stream_rows
from etl.importing.sources import RowsSource, value_text
from etl.pipeline import Pipeline
from etl.pipeline.binding import accepted_names
from etl.pipeline.row_errors import RowError
from etl.readers.cells import NumberText
from etl.readers.headers import normalize_header

CONVERT_CHUNK_ROWS = 10_000
"""Rows of a frame turned into text at a time (a frame is read twice: to hash it, to import it)."""

FRAME_CHUNK_ROWS = 100_000
"""Rows per partial frame when `read_frame` builds one whole frame."""

DTYPES = {
    "text": "string",
    "integer": "Int64",
    "float": "Float64",
    "boolean": "boolean",
    "date": "datetime64[us]",
    "datetime": "datetime64[us]",
}
"""The pandas dtype of each kind of column; any other kind (decimal, time, ...) is `object`."""


def frame_source(name: str, frame: pandas.DataFrame, pipeline: Pipeline | None = None) -> RowsSource:
    """A frame as rows of text under `name`: its column names are the header, its rows (by
    position, whatever the index) rows 2, 3, ... as in a file. The integers of a column
    `pipeline` reads as text (of every column, without a pipeline) are `NumberText`."""
    if not isinstance(frame, pandas.DataFrame):
        raise UsageError(f"{name}: import_frame takes a pandas DataFrame, not a {type(frame).__name__}")
    header = tuple(str(column) for column in frame.columns)
    numbers = text_columns(header, pipeline)
    return RowsSource(name, header, lambda: _text_rows(frame, numbers))


def text_columns(header: Sequence[str], pipeline: Pipeline | None) -> list[bool]:
    """For each header cell, whether `pipeline` binds it to a text column that is not a
    lookup: the only columns whose number cells the leading-zero warning looks at (marking
    an integer column's million cells `NumberText` costs a few tenths of a second)."""
    if pipeline is None:
        return [True] * len(header)
    names = accepted_names(pipeline, "")
    marked = []
    for cell in header:
        kind, column = names.get(normalize_header(cell), ("", ""))
        marked.append(kind == "direct" and pipeline.column(column).kind == "text"
                      and pipeline.column(column).lookup is None)
    return marked


def _text_rows(frame: pandas.DataFrame, numbers: Sequence[bool]) -> Iterator[tuple[str, ...]]:
    for start in range(0, len(frame), CONVERT_CHUNK_ROWS):
        part = frame.iloc[start:start + CONVERT_CHUNK_ROWS]
        columns = [_column_text(part.iloc[:, position], numbers[position]) for position in range(part.shape[1])]
        yield from zip(*columns)


def _column_text(series: pandas.Series[Any], numbers: bool) -> list[str]:
    """One column's cells as text: integer columns in one pandas pass (as `NumberText` when
    `numbers`, like a workbook's number cells), text kept as it is, anything else value by
    value (`value_text`, whose numbers are `NumberText` already)."""
    if pandas.api.types.is_integer_dtype(series.dtype):
        texts: list[str] = series.astype("string").fillna("").tolist()
        return [NumberText(text) if text else text for text in texts] if numbers else texts
    return [value if type(value) is str else value_text(value) for value in series.tolist()]


def errors_frame(errors: Sequence[RowError]) -> pandas.DataFrame:
    """Row errors as a frame: `row`, `column`, `value`, `message`, one line per error."""
    frame = pandas.DataFrame([error.to_dict() for error in errors], columns=["row", "column", "value", "message"])
    return frame.astype({"row": "Int64", "column": "string", "value": "string", "message": "string"})


def read_frames(engine: Engine, request: ExportRequest, pipelines: Mapping[str, Pipeline],
                chunksize: int) -> Iterator[pandas.DataFrame]:
    """The export query's rows as frames of up to `chunksize` rows (one empty frame, with the
    columns and dtypes, when there is no row). The query is checked, and the database
    reached, before the first frame is asked for; the read-only transaction stays open
    until the last one is read or the iterator is dropped."""
    if chunksize < 1:
        raise UsageError("chunksize must be at least 1")
    frames = _frames(engine, request, pipelines, chunksize)
    first = next(frames)  # runs the query: a refused one fails on the call
    return _chained(first, frames)


def _chained(first: pandas.DataFrame, rest: Iterator[pandas.DataFrame]) -> Iterator[pandas.DataFrame]:
    yield first
    yield from rest


def _frames(engine: Engine, request: ExportRequest, pipelines: Mapping[str, Pipeline],
            chunksize: int) -> Iterator[pandas.DataFrame]:
    with engine.connect() as connection, connection.begin():
        query = build_export_query(connection, request, pipelines)
        with stream_rows(connection, query.statement) as result:
            header = query.header or result.keys()
            kinds = column_kinds(query, pipelines.get(request.source or ""))
            rows = iter(result)
            batch = list(islice(rows, chunksize))
            if not batch:
                yield to_frame(header, kinds, [])
            while batch:
                frame = to_frame(header, kinds, batch)
                # Neither the rows (the bulk: a Python object per value) nor the frame stay
                # referenced here while the caller reads it and the next rows are fetched, so
                # memory holds one chunk's rows and at most two frames, however many rows.
                batch = []
                yield frame
                del frame
                batch = list(islice(rows, chunksize))


def column_kinds(query: ExportQuery, pipeline: Pipeline | None) -> list[str | None]:
    """Each exported column's kind: the pipeline's type for its own columns, else the SQL
    type of the selected column, else None (decided from the values)."""
    declared = {column.header: column.kind for column in pipeline.columns if column.lookup is None} if pipeline else {}
    selected = list(getattr(query.statement, "selected_columns", ()))
    kinds: list[str | None] = []
    for position, header in enumerate(query.header or ()):
        sql_type = selected[position].type if position < len(selected) else None
        kinds.append(declared.get(header) or sql_kind(sql_type))
    return kinds


def sql_kind(sql_type: types.TypeEngine[Any] | None) -> str | None:
    """The kind of values a database column type holds, as far as a frame cares."""
    checks: list[tuple[type[types.TypeEngine[Any]], str]] = [
        (types.Boolean, "boolean"), (types.Integer, "integer"), (types.Float, "float"),
        (types.Numeric, "decimal"), (types.DateTime, "datetime"), (types.Date, "date"),
        (types.Uuid, "object"), (types.String, "text"),
    ]
    for sql_class, kind in checks:
        if isinstance(sql_type, sql_class):
            return kind
    return None if sql_type is None or isinstance(sql_type, types.NullType) else "object"


def to_frame(header: Sequence[str], kinds: Sequence[str | None], rows: Sequence[Sequence[Any]]) -> pandas.DataFrame:
    """Rows as a frame, each column in its kind's dtype."""
    columns: list[tuple[Any, ...]] = list(zip(*rows)) if rows else [() for _ in header]
    data = {}
    for position, name in enumerate(header):
        values = list(columns[position])
        columns[position] = ()  # converted: let its values go with the rows
        kind = kinds[position] if position < len(kinds) else None
        data[name] = _column(values, kind or value_kind(values))
    return pandas.DataFrame(data, columns=list(header))


def _column(values: list[Any], kind: str) -> pandas.Series[Any]:
    dtype = DTYPES.get(kind, "object")
    if kind == "integer" and any(v is not None and not -(1 << 63) <= v < (1 << 63) for v in values):
        dtype = "object"  # an unsigned 64-bit value past Int64
    return pandas.Series(values, dtype=dtype)


def value_kind(values: Sequence[Any]) -> str:
    """The kind the non-missing values share (a `sql=` query's column), else `object`."""
    found = {_kind_of(value) for value in values if value is not None}
    if found <= {"integer", "float"} and "float" in found:
        return "float"
    if found == {"date", "datetime"}:
        return "datetime"
    return found.pop() if len(found) == 1 else "object"


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, Decimal):
        return "decimal"
    if isinstance(value, datetime):
        return "datetime" if value.tzinfo is None else "object"
    if isinstance(value, date):
        return "date"
    if isinstance(value, str):
        return "text"
    return "object"
