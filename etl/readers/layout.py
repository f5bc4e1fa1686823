"""Where a table starts: finding the header among a file's first rows, and shaping the
data rows after it. Shared by every reader, so CSV and XLSX agree on the rules."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain, islice, repeat
from pathlib import Path

from etl.errors import ReadError
from etl.readers.base import HeaderTest, Row

HEADER_SEARCH_ROWS = 50
"""How many non-blank rows may sit above the header (titles, notes, logos) before we give up looking."""


def split_header(
    path: Path,
    rows: Iterator[Row],
    header_row: int | None,
    looks_like_header: HeaderTest | None,
    empty: str = "the file is empty (no header row with column names)",
) -> tuple[Row, Iterator[Row]]:
    """The header row and the rows after it. `rows` are the file's non-blank rows, numbered.

    With `header_row` that row is the header; else the first of the first 50 rows that
    `looks_like_header` accepts; else (or when none does) the first non-blank row.
    `empty` says what is empty when there is no row at all."""
    header, pending = find_header(path, rows, header_row, looks_like_header, empty)
    return header, chain(pending, rows)


def find_header(
    path: Path,
    rows: Iterator[Row],
    header_row: int | None,
    looks_like_header: HeaderTest | None,
    empty: str = "the file is empty (no header row with column names)",
) -> tuple[Row, list[Row]]:
    """Like `split_header`, but returns the rows already taken from `rows` after the header
    as a list, leaving the caller to go on reading its source (the CSV reader switches from
    one record at a time to whole blocks once the header is found)."""
    if header_row is not None:
        return _given_header(path, rows, header_row), []
    first = list(islice(rows, HEADER_SEARCH_ROWS))
    if not first:
        raise ReadError(f"{path}: {empty}")
    index = 0
    if looks_like_header is not None:
        index = next((i for i, row in enumerate(first) if looks_like_header(row.values)), 0)
    return _trimmed(first[index]), first[index + 1 :]


def _given_header(path: Path, rows: Iterator[Row], header_row: int) -> Row:
    if header_row < 1:
        raise ReadError(f"{path}: --header-row must be 1 or more, not {header_row}")
    for row in rows:
        if row.number == header_row:
            return _trimmed(row)
        if row.number > header_row:
            break
    raise ReadError(f"{path}: row {header_row} is empty or missing, so it cannot be the header (--header-row)")


def _trimmed(row: Row) -> Row:
    values = row.values
    end = len(values)
    while end and not values[end - 1].strip():
        end -= 1
    return Row(row.number, values[:end])


def fit_to_header(rows: Iterator[Row], width: int) -> Iterator[Row]:
    """Drop empty cells past the header's last column (a trailing delimiter, a sheet's stale
    dimension); keep everything else, so a ragged row keeps its real length."""
    return map(fit_row, rows, repeat(width))


def fit_row(row: Row, width: int) -> Row:
    """`row` with the empty cells past column `width` at its end dropped (see fit_to_header)."""
    values = row.values
    if len(values) > width and not values[-1]:
        end = len(values) - 1
        while end > width and not values[end - 1]:
            end -= 1
        return Row(row.number, values[:end])
    return row


def is_blank(values: tuple[str, ...] | list[str]) -> bool:
    """A row with nothing but empty or whitespace-only cells."""
    return not "".join(values).strip()
