"""What every reader returns: rows of text with the row numbers a person sees, where each
cell sits in the sheet, and the warnings met while reading."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import NamedTuple, overload

MAX_WARNINGS = 1000
"""Warnings kept per file; the rest are only counted (`Warnings.total`)."""


@dataclass(frozen=True)
class ReadOptions:
    """Overrides of what a reader would otherwise detect."""

    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int | None = None


class Row(NamedTuple):
    """One data row. `number` is the row number a person sees (CSV: the header record is
    row 1 and each record after it counts one; XLSX: the sheet's own row number).
    `values` are text exactly as the file shows them, '' for an empty cell; their count
    may differ from the header's (a ragged row), which the pipeline reports.

    A NamedTuple because a reader builds one per record: `tuple.__new__(Row, (number,
    values))`, which the CSV reader's per-block loop uses, costs half of a frozen
    dataclass's `__init__`; `row.number` and `row.values` read as before."""

    number: int
    values: tuple[str, ...]


class ColumnChunk(Sequence[Row]):
    """Rows held as columns: `columns[i]` are the rows' values of header column `i`, every
    row exactly as wide as the header. A reader that parses a block of records column by
    column hands them on like this, so the pipeline converts a column without a tuple per
    row; it is still a sequence of `Row`s (built on demand) for everyone else."""

    __slots__ = ("numbers", "columns")

    def __init__(self, numbers: list[int], columns: list[list[str]]) -> None:
        self.numbers = numbers
        self.columns = columns

    def __len__(self) -> int:
        return len(self.numbers)

    @overload
    def __getitem__(self, index: int) -> Row: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Row]: ...

    def __getitem__(self, index: int | slice) -> Row | Sequence[Row]:
        if isinstance(index, slice):
            return ColumnChunk(self.numbers[index], [column[index] for column in self.columns])
        return Row(self.numbers[index], tuple(column[index] for column in self.columns))

    def __iter__(self) -> Iterator[Row]:
        return map(Row._make, zip(self.numbers, self.values()))

    def values(self) -> list[tuple[str, ...]]:
        """The rows' values as tuples (what `[row.values for row in chunk]` gives)."""
        return list(zip(*self.columns)) if self.columns else [()] * len(self.numbers)


HeaderTest = Callable[[Sequence[str]], bool]
"""Says whether a row of cell texts is the header (used to skip title rows)."""


@dataclass(frozen=True, slots=True)
class ReadWarning:
    """Something a person should know that does not change what is read (a formula without
    a cached value reads as an empty cell). `position` is the index into the row's values
    (see `Table.column_index`), `column` the header text above it when there is one."""

    row: int | None
    position: int | None
    column: str | None
    value: str | None
    message: str


class Warnings(list[ReadWarning]):
    """A file's warnings in reading order: the first MAX_WARNINGS kept, every one counted."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def add(self, warning: ReadWarning) -> None:
        self.total += 1
        if len(self) < MAX_WARNINGS:
            self.append(warning)


@dataclass
class Table:
    """An opened file: its header, a lazy iterator of rows, and what was detected.

    Where the cells are: `header[i]` and `row.values[i]` sit in the sheet's 0-based column
    `column_index(i)` (A = 0). Every reader keeps cells in their sheet columns, empty
    leading columns included, so today that is `first_column + i` with `first_column` 0;
    row numbers are the sheet's own (CSV: the record number). `sheet` is the sheet read
    (None for CSV). `warnings` fills while `rows` is read."""

    path: Path
    header: tuple[str, ...]
    header_row: int
    rows: Iterator[Row]
    detected: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None
    first_column: int = 0
    warnings: Warnings = field(default_factory=Warnings)
    bytes_read: Callable[[], int | None] = lambda: None
    """How many bytes of the file the reader has consumed so far, for a progress display
    (None where a reader cannot tell; today only the CSV reader tells)."""
    chunked: Callable[[int], Iterator[Sequence[Row]]] | None = None
    """A reader's own way to hand out `rows` in lists of a given size (the CSV reader's
    column chunks); read a table through `rows` or through `chunks()`, not both."""

    def chunks(self, size: int) -> Iterator[Sequence[Row]]:
        """The rows in lists of `size` (the last may be shorter), in file order."""
        if self.chunked is not None:
            return self.chunked(size)
        return _row_chunks(self.rows, size)

    def column_index(self, position: int) -> int:
        """The 0-based sheet column of value `position` (header cell or row value)."""
        return self.first_column + position

    def cell_reference(self, row: int, position: int) -> str:
        """The spreadsheet name of a cell: `cell_reference(7, 1)` is `B7`."""
        return f"{column_letters(self.column_index(position))}{row}"


def _row_chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def column_letters(index: int) -> str:
    """`A` for 0, `Z` for 25, `AA` for 26: a 0-based column as a spreadsheet names it."""
    letters = ""
    number = index + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
