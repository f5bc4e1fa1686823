"""Values into openpyxl cells as the XlsxWriter writer stores them: text stays text (a
value starting with `=` is never a formula), large integers stay exact, dates stay dates."""

from __future__ import annotations

import math
from datetime import date, datetime, time
from decimal import Decimal
from copy import copy
from typing import Any, cast

from openpyxl.cell import Cell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import range_boundaries
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from etl.errors import UsageError

from etl.writers.xlsx import EXACT_INTEGER_LIMIT


def set_cell(cell: Cell, value: Any) -> None:
    """Store `value` in `cell` with the cell type of its Python type."""
    value = _storable(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would take "=…" for a formula


def _storable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, date, time)) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is not None else value
    if isinstance(value, int):
        return str(value) if abs(value) >= EXACT_INTEGER_LIMIT else value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        return _storable(int(value)) if value == value.to_integral_value() else float(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    text = value if isinstance(value, str) else str(value)
    # Control characters cannot be stored in XML; Excel reads them back from this escape.
    return ILLEGAL_CHARACTERS_RE.sub(lambda match: f"_x{ord(match.group()):04X}_", text)


def cell_at(sheet: Worksheet, row: int, col: int) -> Cell:
    """The cell at (row, col); one inside a merged range cannot take a value of its own."""
    cell = sheet.cell(row, col)
    if not isinstance(cell, Cell):
        raise UsageError(f"sheet {sheet.title!r}: {cell.coordinate} is inside merged cells; unmerge the data area")
    return cell


def style_of(cell: Cell) -> Any:
    """A cell's whole style (openpyxl's style array: font, fill, border, number format, …),
    to give other cells in one step rather than six attribute copies each."""
    return cast(Any, cell)._style


def copy_style(style: Any, cell: Cell) -> None:
    cast(Any, cell)._style = copy(style)


def bounds(reference: str) -> tuple[int, int, int, int]:
    """(first column, first row, last column, last row) of a range such as `A3:C7`."""
    first_col, first_row, last_col, last_row = range_boundaries(reference)
    if first_col is None or first_row is None or last_col is None or last_row is None:
        raise UsageError(f"{reference!r} is not a range of cells")
    return first_col, first_row, last_col, last_row


def worksheets(book: Workbook) -> list[Worksheet]:
    """The workbook's worksheets (not its chart sheets)."""
    return [sheet for sheet in book.worksheets if isinstance(sheet, Worksheet)]
