"""CSV output: UTF-8 (optionally with the BOM Excel needs to show accents), RFC 4180 quoting."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any, BinaryIO


def write_csv(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    stream: BinaryIO,
    *,
    excel_compatible: bool = False,
) -> int:
    """Write `header` and `rows` as CSV; None becomes an empty field, dates their ISO form."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig" if excel_compatible else "utf-8", newline="")
    try:
        writer = csv.writer(text)
        writer.writerow(header)
        # Counting through zip/itemgetter keeps the loop inside C: writerows stays as fast as
        # it is without a count.
        counter = itertools.count()
        writer.writerows(map(itemgetter(0), zip(rows, counter)))
        text.flush()
    finally:
        text.detach()
    return next(counter)


def write_csv_excel(header: Sequence[str], rows: Iterable[Sequence[Any]], stream: BinaryIO) -> int:
    """CSV with a UTF-8 BOM, so Excel opens accented text correctly."""
    return write_csv(header, rows, stream, excel_compatible=True)
