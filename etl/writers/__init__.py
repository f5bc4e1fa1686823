"""Writers: a header and an iterator of row tuples in, one file format out, onto a binary stream.

Every writer has the signature of `Writer` and returns the number of data rows written, so
the exporter can stream a query into any of them and tests can capture the output in memory.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, BinaryIO

from etl.errors import UsageError
from etl.writers.csv import write_csv, write_csv_excel
from etl.writers.jsonl import write_jsonl
from etl.writers.xlsx import write_xlsx

Writer = Callable[[Sequence[str], Iterable[Sequence[Any]], BinaryIO], int]

WRITERS: dict[str, Writer] = {
    "csv": write_csv,
    "xlsx": write_xlsx,
    "jsonl": write_jsonl,
}


def get_writer(fmt: str, *, excel_compatible: bool = False, sheet_name: str | None = None) -> Writer:
    """The writer of `fmt` (`csv`, `xlsx`, `jsonl`); `excel_compatible` adds the BOM to CSV,
    `sheet_name` names an XLSX export's first sheet."""
    if fmt not in WRITERS:
        raise UsageError(f"unknown export format {fmt!r}; use one of {', '.join(WRITERS)}")
    if fmt == "csv" and excel_compatible:
        return write_csv_excel
    if fmt == "xlsx" and sheet_name:
        return functools.partial(write_xlsx, sheet_name=sheet_name)
    return WRITERS[fmt]


__all__ = ["WRITERS", "Writer", "get_writer", "write_csv", "write_csv_excel", "write_jsonl", "write_xlsx"]
