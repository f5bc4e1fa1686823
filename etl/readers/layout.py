"""Where a table starts: finding the header among a file's first rows, and shaping the
data rows after it. Shared by every reader, so CSV and XLSX agree on the rules."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import chain, islice, repeat
from pathlib import Path

from etl.errors import ReadError
from etl.readers.base import HeaderTest, ReadOptions, Row, Table, Warnings, column_letters

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


def sheet_table(
    path: Path,
    options: ReadOptions,
    looks_like_header: HeaderTest | None,
    raw: Iterator[tuple[int, Sequence[str]]],
    kind: str,
    sheet: str,
    sheets: Sequence[str],
    warnings: Warnings,
) -> Table:
    """A spreadsheet's Table from its numbered rows of cell text (from column A): blank rows
    left out, the header found, each row padded to the header's width (a sheet has no
    ragged rows) with empty cells past it dropped. The rules every workbook reader shares."""
    empty = f"sheet {sheet!r} is empty"
    if options.sheet is None and len(sheets) > 1:
        empty += f"; choose another with --sheet (the sheets are: {', '.join(map(repr, sheets))})"
    header, rest = split_header(path, _non_blank(path, raw), options.header_row, looks_like_header, empty)
    width = len(header.values)
    return Table(
        path=path,
        header=header.values,
        header_row=header.number,
        rows=_padded(fit_to_header(rest, width), width),
        detected={"format": kind, "sheet": sheet, "header_row": str(header.number)},
        sheet=sheet,
        warnings=warnings,
    )


def _non_blank(path: Path, raw: Iterator[tuple[int, Sequence[str]]]) -> Iterator[Row]:
    """Rows with any text, as Rows; a NUL (Excel's `_x0000_`) is refused: no database text
    column can hold it and PostgreSQL refuses it."""
    for number, cells in raw:
        values = tuple(cells)
        joined = "".join(values)
        if "\x00" in joined:
            column = next(i for i, value in enumerate(values) if "\x00" in value)
            raise ReadError(
                f"{path}: row {number}: cell {column_letters(column)}{number} holds a NUL character "
                "(written _x0000_), which no database text column can store; remove it in the workbook"
            )
        if joined.strip():
            yield Row(number, values)


def _padded(rows: Iterator[Row], width: int) -> Iterator[Row]:
    for row in rows:
        missing = width - len(row.values)
        yield Row(row.number, row.values + ("",) * missing) if missing > 0 else row
