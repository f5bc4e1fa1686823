"""CSV output: UTF-8 (optionally with the BOM Excel needs to show accents), RFC 4180 quoting,
every value in the exact text of `etl.writers.values`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, BinaryIO
from uuid import UUID

from etl.writers.values import text_chunks

AS_IS: frozenset[type] = frozenset({str, int, type(None), Decimal, date, datetime, time, UUID})
"""Types whose `str()`, which the csv module writes, already is their exact text."""


def write_csv(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    stream: BinaryIO,
    *,
    excel_compatible: bool = False,
) -> int:
    """Write `header` and `rows` as CSV; None becomes an empty field."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig" if excel_compatible else "utf-8", newline="")
    try:
        writer = csv.writer(text)
        writer.writerow(header)
        count = 0
        for chunk in text_chunks(rows, AS_IS):  # the cursor's own chunks: no per-row Python
            writer.writerows(chunk)
            count += len(chunk)
        text.flush()
    finally:
        text.detach()
    return count


def write_csv_excel(header: Sequence[str], rows: Iterable[Sequence[Any]], stream: BinaryIO) -> int:
    """CSV with a UTF-8 BOM, so Excel opens accented text correctly."""
    return write_csv(header, rows, stream, excel_compatible=True)
