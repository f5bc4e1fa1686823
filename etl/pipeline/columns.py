"""Column-at-a-time converters for the commonest columns: a whole chunk's cells at once.

`map(str.strip, cells)`, `map(int, cells)`, `max(map(len, …))` loop in C, where a converter
called per cell costs a Python call each; on plain text and integer columns that halves the
conversion time of a file. They only accept a chunk's column when every cell is plainly
good, and otherwise raise `Problem` so the caller converts that column cell by cell, which
is what finds and explains the actual problem. Other columns have no column converter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from etl.pipeline.convert import Problem, text_limit, whole_number_bounds
from etl.pipeline.definition import Column

ColumnConverter = Callable[[Sequence[str]], list[Any]]


def build_column_converter(
    column: Column,
    *,
    max_length: int | None = None,
    int_range: tuple[int, int] | None = None,
    empty_text: str | None = None,
) -> ColumnConverter | None:
    """The column converter agreeing with `build_converter(column, …)`, if the column has one."""
    if column.kind == "text" and column.trim and column.case is None and column.choices is None:
        match = re.compile(column.pattern).fullmatch if column.pattern is not None else None
        return _text_column(column.required, text_limit(column, max_length), empty_text, match)
    if column.kind == "integer":
        return _integer_column(*whole_number_bounds(column, int_range))
    return None


def _text_column(
    required: bool, limit: int | None, empty: str | None, match: Callable[[str], Any] | None
) -> ColumnConverter:
    def convert(cells: Sequence[str]) -> list[Any]:
        values = list(map(str.strip, cells))
        if limit is not None and values and max(map(len, values)) > limit:
            raise Problem("a cell is too long")
        if match is not None and not all(map(match, filter(None, values))):
            raise Problem("a cell does not match the pattern")
        if not all(values):
            if required:
                raise Problem("a cell is empty")
            return [value or empty for value in values]
        return values

    return convert


def _integer_column(floor: int, ceiling: int) -> ColumnConverter:
    def convert(cells: Sequence[str]) -> list[Any]:
        try:
            values = list(map(int, cells))  # int() itself ignores surrounding spaces
        except ValueError:
            raise Problem("a cell is not a plain whole number") from None
        if "_" in "".join(cells):
            raise Problem("a cell has a digit separator")
        if values and (min(values) < floor or max(values) > ceiling):
            raise Problem("a cell is out of range")
        return values

    return convert
