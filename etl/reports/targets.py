"""Where each report sheet's rows go in a company's workbook: the Excel table named like
the sheet, else the sheet of that name (through its one table, if it has exactly one, else
under the row holding the report's column labels). Columns are matched by label, ignoring
case and accents, so the template may order them as it likes and add its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl.workbook import Workbook
from openpyxl.worksheet.table import Table
from openpyxl.worksheet.worksheet import Worksheet

from etl.errors import UsageError
from etl.readers.headers import normalize_header
from etl.reports.cells import bounds, cell_at, worksheets
from etl.reports.sheets import SheetData

HEADER_SEARCH_ROWS = 50


@dataclass
class Target:
    """Where one report sheet's rows go: a sheet, maybe a table in it, and the header row."""

    sheet: Worksheet
    table: Table | None
    header_row: int
    columns: list[int]  # the template column of each report column (1-based)
    old_last_row: int  # the last data row before filling (header_row when none)

    @property
    def name(self) -> str:
        return f"table {self.table.displayName!r}" if self.table is not None else f"sheet {self.sheet.title!r}"


def find_target(book: Workbook, data: SheetData, template: Path) -> Target:
    """The table named like the sheet (spaces as `_`), else the sheet of that name (through
    its one table, if it has exactly one); a one-line error listing what the template has."""
    wanted = normalize_header(data.name)
    tables = [(sheet, table) for sheet in worksheets(book) for table in sheet.tables.values()]
    for sheet, table in tables:
        if normalize_header(table.displayName) == wanted:
            return _table_target(sheet, table, data, template)
    if data.name in book.sheetnames and isinstance(book[data.name], Worksheet):
        sheet = book[data.name]
        if len(sheet.tables) == 1:
            return _table_target(sheet, next(iter(sheet.tables.values())), data, template)
        return _sheet_target(sheet, data, template)
    names = ", ".join(book.sheetnames)
    table_names = ", ".join(table.displayName for _, table in tables) or "none"
    raise UsageError(f"--into {template}: no sheet or table named {data.name!r} for the report's sheet; "
                     f"the template has sheets {names}; tables {table_names}")


def _table_target(sheet: Worksheet, table: Table, data: SheetData, template: Path) -> Target:
    first_col, first_row, _, last_row = bounds(table.ref)
    names = [column.name for column in table.tableColumns]
    columns = _match_columns(names, data, f"--into {template}: table {table.displayName!r}")
    data_last = last_row - (table.totalsRowCount or 0)
    return Target(sheet, table, first_row, [first_col + index for index in columns], data_last)


def _sheet_target(sheet: Worksheet, data: SheetData, template: Path) -> Target:
    """A sheet without a table: the header row is the first row holding every label; an
    empty sheet gets the header in row 1."""
    wanted = {normalize_header(label) for label in data.header}
    rows = sheet.iter_rows(min_row=1, max_row=min(sheet.max_row, HEADER_SEARCH_ROWS), values_only=True)
    for number, values in enumerate(rows, start=1):
        found = {normalize_header(str(value)): col for col, value in enumerate(values, start=1) if value is not None}
        if wanted <= set(found):
            columns = [found[normalize_header(label)] for label in data.header]
            return Target(sheet, None, number, columns, _block_end(sheet, number, columns))
    if sheet.max_row == 1 and sheet.max_column == 1 and sheet["A1"].value is None:
        for col, label in enumerate(data.header, start=1):
            cell_at(sheet, 1, col).value = label
        return Target(sheet, None, 1, list(range(1, len(data.header) + 1)), 1)
    raise UsageError(f"--into {template}: sheet {sheet.title!r} has no row (in its first {HEADER_SEARCH_ROWS}) "
                     f"with the headers {', '.join(data.header)}")


def _match_columns(names: Sequence[str], data: SheetData, where: str) -> list[int]:
    positions = {normalize_header(name): index for index, name in enumerate(names)}
    missing = [label for label in data.header if normalize_header(label) not in positions]
    if missing:
        raise UsageError(f"{where} has no column {', '.join(map(repr, missing))}; its columns: {', '.join(names)}")
    return [positions[normalize_header(label)] for label in data.header]


def _block_end(sheet: Worksheet, header_row: int, columns: Sequence[int]) -> int:
    """The last row of the data under a header: down to the first row empty in every column."""
    row = header_row
    while row < sheet.max_row and any(cell_at(sheet, row + 1, col).value is not None for col in columns):
        row += 1
    return row
