"""Writers: a header and an iterator of row tuples in, one file format out, onto a binary stream.

Every writer has the signature of `Writer` and returns the number of data rows written, so
the exporter can stream a query into any of them and tests can capture the output in memory.
`get_writer` imports only the chosen format's module: a CSV export does not load XlsxWriter.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, BinaryIO

from etl.errors import UsageError

Writer = Callable[[Sequence[str], Iterable[Sequence[Any]], BinaryIO], int]

FORMATS = ("csv", "xlsx", "jsonl")


def get_writer(fmt: str, *, excel_compatible: bool = False, sheet_name: str | None = None) -> Writer:
    """The writer of `fmt` (`csv`, `xlsx`, `jsonl`); `excel_compatible` adds the BOM to CSV,
    `sheet_name` names an XLSX export's first sheet."""
    if fmt == "csv":
        from etl.writers.csv import write_csv, write_csv_excel

        return write_csv_excel if excel_compatible else write_csv
    if fmt == "xlsx":
        from etl.writers.xlsx import write_xlsx

        return functools.partial(write_xlsx, sheet_name=sheet_name) if sheet_name else write_xlsx
    if fmt == "jsonl":
        from etl.writers.jsonl import write_jsonl

        return write_jsonl
    raise UsageError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "Writer", "get_writer"]
