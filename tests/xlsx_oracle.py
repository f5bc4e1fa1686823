"""openpyxl's read-only mode as the reference reader in tests: the rows of text a sheet
holds by openpyxl, with the project's documented departures applied where the reference
cannot (`_xHHHH_` escapes decoded as Excel decodes them). The rows are numbered and blank
rows left out as the readers do."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from etl.readers import Row
from etl.readers.cells import cell_text
from etl.readers.xlsx_stream import unescape


def openpyxl_rows(path: Path, sheet_name: str | None = None) -> list[Row]:
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        worksheet = workbook[sheet_name] if sheet_name else workbook.worksheets[0]
        worksheet.reset_dimensions()  # type: ignore[union-attr]
        rows = []
        for number, cells in enumerate(worksheet.iter_rows(values_only=True), start=1):
            values = tuple(unescape(cell) if isinstance(cell, str) else cell_text(cell) for cell in cells)
            if "".join(values).strip():
                rows.append(Row(number, values))
        return rows
    finally:
        workbook.close()
