"""`etl report NAME OUT.xlsx --into TEMPLATE.xlsx`: a company's own workbook, refreshed.

openpyxl opens the template (it edits an existing workbook; XlsxWriter only writes new
ones); each report sheet's rows go into the Excel table, or the sheet, of the same name,
under the header row that carries the report's column labels. A table's range is resized
to the rows written; formulas, chart series and defined names that spanned the old rows
are stretched to the new ones; the template's first data row gives every written row its
style, and a formula beside the data (in a column the report does not fill) is carried down.
Everything else — styles, images, other sheets, charts — is saved as openpyxl read it
(docs/DECISIONS.md lists what it cannot keep). The template itself is never written.
"""

from __future__ import annotations

import itertools
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell import Cell
from openpyxl.formula.translate import Translator
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook import Workbook
from sqlalchemy import Engine

from etl.errors import UsageError
from etl.exporter import open_output
from etl.reports.cells import bounds, cell_at, copy_style, set_cell, style_of, worksheets
from etl.reports.definitions import Report
from etl.reports.ranges import Block, resize_reference, resize_workbook_references
from etl.reports.sheets import Labels, SheetData, open_sheet
from etl.reports.targets import Target, find_target
from etl.writers.xlsx import EXCEL_MAX_ROWS
from etl.writers.xlsx_formats import layout_columns

def fill_template(engine: Engine, report: Report, labels: Labels, template: Path, output: Path) -> dict[str, int]:
    """Write each sheet's rows into `template`'s sheet or table of that name, save as `output`."""
    _check_paths(template, output)
    book = _open_template(template)
    counts: dict[str, int] = {}
    with engine.connect() as connection, connection.begin():
        for sheet in report.sheets:
            with open_sheet(connection, report, sheet, labels) as data:
                target = find_target(book, data, template)
                counts[data.name] = _fill(book, target, data, template)
    _recalculate_on_open(book)
    with open_output(output) as stream:
        book.save(stream)
    return counts


def _check_paths(template: Path, output: Path) -> None:
    if not template.is_file():
        raise UsageError(f"--into {template}: no such file")
    if template.suffix.lower() != ".xlsx":
        raise UsageError(f"--into {template}: the template must be an .xlsx workbook")
    if output.resolve() == template.resolve():
        raise UsageError(f"{output}: the output must be another file than the template, which is never changed")


def _open_template(template: Path) -> Workbook:
    try:
        return openpyxl.load_workbook(template, rich_text=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as err:
        raise UsageError(f"--into {template}: cannot open the workbook: {err}") from None


@dataclass(frozen=True)
class _Carried:
    """A template column the report does not fill whose first data row holds a formula:
    that formula is carried down to every row written, as Excel fills a table's column."""

    column: int
    formula: Translator

    def at(self, row: int) -> str:
        return str(self.formula.translate_formula(f"{get_column_letter(self.column)}{row}"))


def _fill(book: Workbook, target: Target, data: SheetData, template: Path) -> int:
    """Write the rows under the header, clear what is left of the old ones, resize the
    table and every reference to the block; returns the rows written."""
    first = target.header_row + 1
    columns = _block_columns(target)
    carried = _carried(target, columns)
    totals = _take_totals(target, columns)
    written = _write_rows(target, data, columns, carried, template)
    _clear_rows(target, range(first + written, target.old_last_row + 1), columns, carried)
    new_last = first + written - 1
    if target.table is not None:
        new_last = max(new_last, first)  # a table keeps at least one (empty) data row
    _place_totals(target, totals, new_last + 1)
    block = Block(target.sheet.title, target.header_row, target.old_last_row, max(new_last, first),
                  min(columns), max(columns))
    _resize_table(target, new_last, block)
    resize_workbook_references(book, block)
    return written


def _write_rows(
    target: Target, data: SheetData, columns: Sequence[int], carried: Sequence[_Carried], template: Path
) -> int:
    sheet, first = target.sheet, target.header_row + 1
    styles = _row_styles(target, data)
    carried_styles = [style_of(cell_at(sheet, first, extra.column)) for extra in carried]
    written = 0
    for written, values in enumerate(data.rows, start=1):
        row = first + written - 1
        if row > EXCEL_MAX_ROWS:
            raise UsageError(f"--into {template}: {data.name!r} has more rows than fit below row "
                             f"{target.header_row} of sheet {sheet.title!r}")
        if row > target.old_last_row:
            _check_free(target, row, columns, template, data.name)
        for col, value in zip(target.columns, values):
            cell = cell_at(sheet, row, col)
            set_cell(cell, value)
            copy_style(styles[col], cell)
        for extra, style in zip(carried, carried_styles):
            cell = cell_at(sheet, row, extra.column)
            cell.value = extra.at(row)
            copy_style(style, cell)
    return written


def _clear_rows(target: Target, rows: range, columns: Sequence[int], carried: Sequence[_Carried]) -> None:
    """Last month's rows beyond this month's; an emptied table keeps its first row's formulas,
    so the next fill still has them to carry down."""
    keep = {(target.header_row + 1, extra.column) for extra in carried}
    cells = target.sheet._cells
    for row in rows:
        for col in columns:
            if (row, col) in cells and (row, col) not in keep:
                cells[row, col].value = None


def _block_columns(target: Target) -> list[int]:
    """Every column of the block: a table's own, else the report's and any headed beside them."""
    if target.table is not None:
        first_col, _, last_col, _ = bounds(target.table.ref)
        return list(range(first_col, last_col + 1))
    headed = [cell.column for cell in target.sheet[target.header_row] if cell.value is not None]
    return sorted(set(target.columns) | set(headed))


def _carried(target: Target, columns: Sequence[int]) -> list[_Carried]:
    first = target.header_row + 1
    carried = []
    for col in columns:
        cell = target.sheet._cells.get((first, col))
        if col not in target.columns and cell is not None and cell.data_type == "f" and isinstance(cell.value, str):
            carried.append(_Carried(col, Translator(cell.value, origin=f"{get_column_letter(col)}{first}")))
    return carried


def _row_styles(target: Target, data: SheetData) -> dict[int, Any]:
    """Each column's style from the template's first data row; where that row sets no number
    format, the report's (or the one its values call for) is added."""
    sheet, first = target.sheet, target.header_row + 1
    sample = _peek(data, 1_000)
    layouts = layout_columns(data.header, sample, data.number_formats)
    styles = {}
    for col, layout in zip(target.columns, layouts):
        cell = cell_at(sheet, first, col)
        if cell.number_format == "General" and layout.number_format:
            cell.number_format = layout.number_format
        styles[col] = style_of(cell)
    return styles


def _peek(data: SheetData, count: int) -> list[Sequence[Any]]:
    """The first `count` rows, left at the front of the stream."""
    sample = list(itertools.islice(data.rows, count))
    data.rows = itertools.chain(sample, data.rows)
    return sample


def _check_free(target: Target, row: int, columns: Sequence[int], template: Path, name: str) -> None:
    """New rows may take empty cells only: what the company put below the data stays."""
    for col in columns:
        cell = target.sheet._cells.get((row, col))
        if cell is not None and cell.value is not None:
            raise UsageError(f"--into {template}: the rows of {name!r} would overwrite "
                             f"{target.sheet.title}!{cell.coordinate} ({cell.value!r}) below {target.name}; "
                             "leave room under it, or move that cell")


def _take_totals(target: Target, columns: Sequence[int]) -> list[Cell]:
    """A table's totals row, lifted out of the way of the rows that will be written."""
    table, sheet = target.table, target.sheet
    if table is None or not table.totalsRowCount:
        return []
    row = target.old_last_row + 1
    cells = []
    for col in columns:
        cell = cell_at(sheet, row, col)
        lifted = Cell(sheet, row=row, column=col, value=cell.value)
        lifted.data_type = cell.data_type
        copy_style(style_of(cell), lifted)
        cells.append(lifted)
        cell.value = None
    return cells


def _place_totals(target: Target, totals: Sequence[Cell], row: int) -> None:
    for lifted in totals:
        cell = cell_at(target.sheet, row, lifted.column)
        cell.value = lifted.value
        cell.data_type = lifted.data_type
        copy_style(style_of(lifted), cell)


def _resize_table(target: Target, new_last: int, block: Block) -> None:
    """The table's range (and its filter's) end at the last row written (and its totals)."""
    table, sheet = target.table, target.sheet
    if table is None:
        if sheet.auto_filter.ref:
            sheet.auto_filter.ref = resize_reference(sheet.auto_filter.ref, block, sheet.title)
        return
    first_col, first_row, last_col, _ = bounds(table.ref)
    totals = table.totalsRowCount or 0
    start, end = get_column_letter(first_col), get_column_letter(last_col)
    table.ref = f"{start}{first_row}:{end}{new_last + totals}"
    if table.autoFilter is not None:
        table.autoFilter.ref = f"{start}{first_row}:{end}{new_last}"


def _recalculate_on_open(book: Workbook) -> None:
    """openpyxl keeps formulas, not their last values: have Excel work them out on opening,
    and pivot tables refresh from the new rows."""
    book.calculation.fullCalcOnLoad = True
    for sheet in worksheets(book):
        for pivot in getattr(sheet, "_pivots", []):
            pivot.cache.refreshOnLoad = True
