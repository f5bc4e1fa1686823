"""XLSX output through XlsxWriter in constant-memory mode.

XlsxWriter rather than openpyxl's write-only mode: it measured about twice as fast on the
same rows (benchmarks/bench_export.py) with the same flat memory, and it has the charts and
data validation reports and templates need. Every value is written with the call for its
type, so text stays text: a value such as `=HYPERLINK(…)`, `+34…` or `0412…` is a string
cell, never a formula, URL or number.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, BinaryIO

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from etl.errors import UsageError
from etl.writers.values import decimal_text, float_text, value_text
from etl.writers.xlsx_formats import TEXT_INDENT, ColumnLayout, is_date_format, layout_columns
from etl.writers.xlsx_rows import PlainRows

EXCEL_MAX_ROWS = 1_048_576
SHEET_NAME_LIMIT = 31
WIDTH_SAMPLE_ROWS = 1_000
# Excel keeps 15 significant digits; other numbers are written as text to stay exact.
EXCEL_DIGITS = 15
EXACT_INTEGER_LIMIT = 10**EXCEL_DIGITS
EXCEL_MAX_TEXT = 32_767
# Before 1900-03-01 Excel's serials are off by its 1900 leap-year bug, and before 1900 there are none.
EXCEL_FIRST_DATE = date(1900, 3, 1)
EXCEL_FIRST_DATETIME = datetime(1900, 3, 1)
WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_numbers": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
}
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class SheetSpan:
    """Where one sheet's table landed (0-based rows/columns), for charts to refer to."""

    sheet: str
    header_row: int
    last_row: int
    columns: int
    number_formats: tuple[str | None, ...] = ()

    @property
    def first_data_row(self) -> int:
        return self.header_row + 1

    @property
    def has_data(self) -> bool:
        return self.last_row > self.header_row


class XlsxBook:
    """A workbook being written: tables of rows, each on its own sheet(s), plus shared formats."""

    def __init__(self, target: BinaryIO | str, *, constant_memory: bool = True) -> None:
        options = {**WORKBOOK_OPTIONS, "constant_memory": constant_memory}
        self.workbook: Workbook = xlsxwriter.Workbook(target, options)
        self.title_format = self.workbook.add_format({"bold": True, "font_size": 14})
        self.subtitle_format = self.workbook.add_format({"italic": True, "font_color": "#595959"})
        header = {"bold": True, "bg_color": "#DDEBF7", "bottom": 1, "text_wrap": False}
        self.header_format = self.workbook.add_format(header)
        self.number_header_format = self.workbook.add_format({**header, "align": "right"})
        self.indented_header_format = self.workbook.add_format({**header, "indent": TEXT_INDENT})
        self.date_format = self.workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime_format = self.workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.time_format = self.workbook.add_format({"num_format": "hh:mm:ss"})
        self._sheet_names: set[str] = set()
        self._cell_formats: dict[tuple[str | None, bool, bool], Format | None] = {}

    def add_sheet(self, name: str) -> Worksheet:
        """A new worksheet named `name`, made valid and unique for Excel."""
        base = _BAD_SHEET_CHARS.sub("_", name).strip("'") or "Sheet"
        candidate, number = base[:SHEET_NAME_LIMIT], 1
        while candidate.casefold() in self._sheet_names:
            number += 1
            suffix = f" ({number})"
            candidate = base[: SHEET_NAME_LIMIT - len(suffix)] + suffix
        self._sheet_names.add(candidate.casefold())
        return self.workbook.add_worksheet(candidate)

    def add_table(
        self,
        name: str,
        header: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        title: Sequence[str] = (),
        number_formats: Mapping[str, str] | None = None,
        max_rows: int = EXCEL_MAX_ROWS,
    ) -> list[SheetSpan]:
        """Write a table: optional title lines, a bold frozen filtered header, then the rows.
        Rows beyond a sheet's capacity continue on further sheets with the same header.
        Each column's number format, alignment and width come from its first rows, unless
        `number_formats` (header → Excel format code) names one."""
        header_row = len(title) + 1 if title else 0
        capacity = max_rows - header_row - 1
        if capacity < 1:
            raise ValueError("max_rows leaves no room for data rows")
        iterator = iter(rows)
        sample = list(itertools.islice(iterator, WIDTH_SAMPLE_ROWS))
        layouts = layout_columns(header, sample, number_formats)
        iterator = itertools.chain(sample, iterator)
        spans: list[SheetSpan] = []
        while True:
            sheet = self.add_sheet(name)
            self._write_title(sheet, title)
            written = self._write_rows(sheet, header, header_row, iterator, capacity, layouts)
            spans.append(SheetSpan(sheet.get_name(), header_row, header_row + written, len(header),
                                   tuple(layout.number_format for layout in layouts)))
            if written < capacity:
                return spans
            try:
                first = next(iterator)
            except StopIteration:
                return spans
            iterator = itertools.chain([first], iterator)

    def cell_format(self, layout: ColumnLayout) -> Format | None:
        """The (shared) format of a column's data cells: number format and alignment."""
        key = (layout.number_format, layout.right_aligned, layout.indented)
        if key not in self._cell_formats:
            properties: dict[str, Any] = {"num_format": layout.number_format} if layout.number_format else {}
            if layout.right_aligned:
                properties["align"] = "right"
            if layout.indented:
                properties["indent"] = TEXT_INDENT
            self._cell_formats[key] = self.workbook.add_format(properties) if properties else None
        return self._cell_formats[key]

    def _header_format(self, layout: ColumnLayout) -> Format:
        if layout.right_aligned:
            return self.number_header_format
        return self.indented_header_format if layout.indented else self.header_format

    def close(self) -> None:
        self.workbook.close()

    def _write_title(self, sheet: Worksheet, title: Sequence[str]) -> None:
        for number, line in enumerate(title):
            sheet.write_string(number, 0, line, self.title_format if number == 0 else self.subtitle_format)

    def _write_rows(
        self,
        sheet: Worksheet,
        header: Sequence[str],
        header_row: int,
        rows: Iterator[Sequence[Any]],
        capacity: int,
        layouts: Sequence[ColumnLayout],
    ) -> int:
        column_formats = [self.cell_format(layout) for layout in layouts]
        for col, (text, layout) in enumerate(zip(header, layouts)):
            sheet.write_string(header_row, col, str(text), self._header_format(layout))
            sheet.set_column(col, col, layout.width, column_formats[col])
        # A date cell in a column laid out for something else (mixed values) still needs a date format.
        date_formats = [fmt if layout.number_format and is_date_format(layout.number_format) else None
                        for fmt, layout in zip(column_formats, layouts)]
        write = _CellWriter(sheet, self, column_formats, date_formats)
        row_number = header_row
        for count, values in enumerate(rows, start=1):
            row_number += 1
            write.row(row_number, values)
            if count == capacity:
                break
        sheet.freeze_panes(header_row + 1, 0)
        if header:
            sheet.autofilter(header_row, 0, row_number, len(header) - 1)
        return row_number - header_row


class _CellWriter:
    """Writes each value with the XlsxWriter call of its Python type, or as its exact text
    (`etl.writers.values`) where an Excel cell of that type would change it: text longer
    than a cell holds is refused, never cut."""

    def __init__(self, sheet: Worksheet, book: XlsxBook, column_formats: Sequence[Format | None],
                 date_formats: Sequence[Format | None]) -> None:
        self.sheet = sheet
        self.formats = list(column_formats)
        self._date_formats = list(date_formats)
        self._book = book
        self._plain = PlainRows.for_sheet(sheet, column_formats)
        self.by_type: dict[type, Callable[[int, int, Any, Format | None], Any]] = {
            str: sheet.write_string,
            int: self._integer,
            float: self._float,
            Decimal: self._decimal,
            bool: sheet.write_boolean,
            datetime: self._datetime,
            date: self._date,
            time: self._time,
        }

    def row(self, row: int, values: Sequence[Any]) -> None:
        if self._plain is not None and self._plain.write(row, values):
            return
        formats, by_type = self.formats, self.by_type
        for col, value in enumerate(values):
            if value is None:
                continue
            writer = by_type.get(value.__class__)
            if writer is None:
                value = value_text(value)
                writer = self.sheet.write_string
            # XlsxWriter returns -2 for a string it cut to Excel's cell limit.
            if writer(row, col, value, formats[col]) == -2:
                raise _too_long(self.sheet, row, col, value)

    def _integer(self, row: int, col: int, value: int, fmt: Format | None) -> object:
        if abs(value) >= EXACT_INTEGER_LIMIT:
            return self.sheet.write_string(row, col, str(value), fmt)
        return self.sheet.write_number(row, col, value, fmt)

    def _float(self, row: int, col: int, value: float, fmt: Format | None) -> object:
        """A number where Excel keeps it exactly (finite, 15 significant digits), else its text."""
        if math.isfinite(value) and float(f"{value:.15g}") == value:
            return self.sheet.write_number(row, col, value, fmt)
        return self.sheet.write_string(row, col, float_text(value), fmt)

    def _decimal(self, row: int, col: int, value: Decimal, fmt: Format | None) -> object:
        if value.is_finite() and value == value.to_integral_value():
            return self._integer(row, col, int(value), fmt)
        if value.is_finite() and len(value.normalize().as_tuple().digits) <= EXCEL_DIGITS:
            return self.sheet.write_number(row, col, float(value), fmt)
        return self.sheet.write_string(row, col, decimal_text(value), fmt)

    def _datetime(self, row: int, col: int, value: datetime, fmt: Format | None) -> object:
        """A date cell when Excel holds the value exactly (no time zone, whole milliseconds,
        from 1900-03-01), else the ISO text: Excel has no time zones."""
        if value.tzinfo is None and value.microsecond % 1000 == 0 and value >= EXCEL_FIRST_DATETIME:
            return self.sheet.write_datetime(row, col, value, self._date_formats[col] or self._book.datetime_format)
        return self.sheet.write_string(row, col, str(value), fmt)

    def _date(self, row: int, col: int, value: date, fmt: Format | None) -> object:
        if value >= EXCEL_FIRST_DATE:
            return self.sheet.write_datetime(row, col, value, self._date_formats[col] or self._book.date_format)
        return self.sheet.write_string(row, col, str(value), fmt)

    def _time(self, row: int, col: int, value: time, fmt: Format | None) -> object:
        if value.tzinfo is None and value.microsecond % 1000 == 0:
            return self.sheet.write_datetime(row, col, value, self._date_formats[col] or self._book.time_format)
        return self.sheet.write_string(row, col, str(value), fmt)


def _too_long(sheet: Worksheet, row: int, col: int, value: str) -> UsageError:
    return UsageError(
        f"sheet {sheet.get_name()!r}, cell {xl_rowcol_to_cell(row, col)}: text of {len(value):,} characters "
        f"is longer than an Excel cell holds ({EXCEL_MAX_TEXT:,}); export to .csv or .jsonl to keep it whole"
    )


def write_xlsx(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    stream: BinaryIO,
    *,
    sheet_name: str = "export",
    max_rows: int = EXCEL_MAX_ROWS,
) -> int:
    """Write one table to a workbook; past a sheet's last row it continues on the next sheet."""
    book = XlsxBook(stream)
    try:
        spans = book.add_table(sheet_name, header, rows, max_rows=max_rows)
    finally:
        book.close()
    return sum(span.last_row - span.header_row for span in spans)
