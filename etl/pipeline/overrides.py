"""What the command line says for one run, applied to a pipeline: a new pipeline, the
definition file untouched.

`--no-create-lookups` makes every lookup reject unknown names; `--decimal-comma` reads
`1.234,50` in every integer and decimal column; `--date-format FMT` (repeatable) replaces
the formats of every date and datetime column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from etl.errors import UsageError
from etl.pipeline.definition import Column, DefinitionError, Pipeline, date_formats


def with_overrides(pipeline: Pipeline, *, create_lookups: bool = True, decimal_comma: bool = False,
                   formats: Sequence[str] = ()) -> Pipeline:
    """`pipeline` as this run reads it."""
    if create_lookups and not decimal_comma and not formats:
        return pipeline
    try:
        checked = date_formats(list(formats), "--date-format") if formats else ()
    except DefinitionError as err:
        raise UsageError(str(err)) from None
    columns = tuple(_column(c, create_lookups, decimal_comma, checked) for c in pipeline.columns)
    return replace(pipeline, columns=columns)


def _column(column: Column, create_lookups: bool, decimal_comma: bool, formats: tuple[str, ...]) -> Column:
    changes: dict[str, object] = {}
    if not create_lookups and column.lookup is not None:
        changes["lookup"] = replace(column.lookup, on_missing="reject")
    if decimal_comma and column.kind in ("integer", "decimal"):
        changes.update(decimal_separator=",", thousands_separator=".")
    if formats and column.kind in ("date", "datetime"):
        changes["date_formats"] = formats
    return replace(column, **changes) if changes else column  # type: ignore[arg-type]
