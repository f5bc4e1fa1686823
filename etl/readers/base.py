"""What every reader returns: rows of text with the row numbers a person sees, where each
cell sits in the sheet, and the warnings met while reading."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

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

    def column_index(self, position: int) -> int:
        """The 0-based sheet column of value `position` (header cell or row value)."""
        return self.first_column + position

    def cell_reference(self, row: int, position: int) -> str:
        """The spreadsheet name of a cell: `cell_reference(7, 1)` is `B7`."""
        return f"{column_letters(self.column_index(position))}{row}"


def column_letters(index: int) -> str:
    """`A` for 0, `Z` for 25, `AA` for 26: a 0-based column as a spreadsheet names it."""
    letters = ""
    number = index + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
