"""Readers: one file → its header, a lazy iterator of rows of text, and what was detected."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from etl.readers.base import HeaderTest, ReadOptions, ReadWarning, Row, Table, Warnings, column_letters
from etl.readers.csv_reader import open_csv
from etl.readers.formats import file_kind
from etl.readers.headers import header_test, normalize_header
from etl.readers.xlsx_reader import open_xlsx

__all__ = [
    "HeaderTest", "ReadOptions", "ReadWarning", "Row", "Table", "Warnings", "column_letters", "header_test",
    "normalize_header", "open_table",
]


@contextmanager
def open_table(
    path: Path,
    options: ReadOptions = ReadOptions(),
    looks_like_header: HeaderTest | None = None,
) -> Iterator[Table]:
    """Open `path` with the reader its extension (checked against its content) calls for.

    Raises ReadError (message starting with the path) for input that is not a readable
    table; the file is closed when the block exits."""
    path = Path(path)
    kind = file_kind(path)
    if kind == "csv":
        with open_csv(path, options, looks_like_header) as table:
            yield table
    elif kind == "xlsx":
        with open_xlsx(path, options, looks_like_header) as table:
            yield table
    else:
        from etl.readers.calamine_reader import open_calamine

        with open_calamine(path, options, looks_like_header, kind) as table:
            yield table
