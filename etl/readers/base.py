"""What every reader returns: rows of text with the row numbers a person sees."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple


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


@dataclass
class Table:
    """An opened file: its header, a lazy iterator of rows, and what was detected."""

    path: Path
    header: tuple[str, ...]
    header_row: int
    rows: Iterator[Row]
    detected: dict[str, str] = field(default_factory=dict)
