"""The common XLSX export row, written as XlsxWriter would write it, at a third of the cost.

In constant-memory mode XlsxWriter stores each cell in a per-row table and, when the next
row starts, writes the finished row's XML through a general cell writer (attribute lists,
escaping passes, a class-name dispatch per cell): about 70% of the time of a 100k-row
export. A row holding only the values whose XML is plain — text that needs no escaping,
no whitespace preservation and no `_xHHHH_` encoding, integers Excel keeps exactly, empty
cells — is written here directly to the worksheet's own stream, byte for byte what
XlsxWriter writes for it (tests/test_export_xlsx_rows.py compares both). Any other row
returns False and takes XlsxWriter's own path, so every rule of `etl.writers.xlsx`
(text kept as text, exact numbers, the length limit) still applies unchanged.

It uses XlsxWriter's worksheet internals (`previous_row`, `_write_single_row`,
`_check_dimensions`, `_write_row`, `fh`), pinned by the same test: a change of XlsxWriter
that alters them fails it instead of writing a different file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

# Excel keeps 15 significant digits; larger integers are text cells (etl.writers.xlsx).
EXACT_INTEGER_LIMIT = 10**15
# XlsxWriter measures only strings over half the cell limit in UTF-16 units.
PLAIN_TEXT_LENGTH = 32_767 // 2
# Whatever XlsxWriter's escaping, `_xHHHH_` encoding or xml:space="preserve" would act on
# (and the `<r>…</r>` rich-string form, which starts with "<").
_NOT_PLAIN = re.compile(r'["&<>\x00-\x1f]|_x[0-9a-fA-F]{4}_|^\s|\s$')


class PlainRows:
    """Writes plain rows of one constant-memory worksheet straight to its XML stream."""

    def __init__(self, sheet: Worksheet, formats: Sequence[Format | None]) -> None:
        self._sheet = sheet
        self._formats = list(formats)
        self._styles: dict[int, str] = {}
        self._letters = [xl_col_to_name(col) for col in range(len(formats))]
        self._not_plain = _NOT_PLAIN.search

    @classmethod
    def for_sheet(cls, sheet: Worksheet, formats: Sequence[Format | None]) -> PlainRows | None:
        """The plain-row writer of `sheet`, whose columns' cells take `formats`; None when
        the sheet is not in constant-memory mode (cells are kept until the end there)."""
        return cls(sheet, formats) if sheet.constant_memory else None

    def write(self, row: int, values: Sequence[Any]) -> bool:
        """Write `values` as row `row` (0-based) if every value is plain; False otherwise,
        with no cell written (the row before may have been flushed, as XlsxWriter's own
        first cell of `row` would flush it)."""
        sheet = self._sheet
        if len(values) > len(self._letters) or row in sheet.row_info or row < sheet.previous_row:
            return False
        if row > sheet.previous_row:
            sheet._write_single_row(row)  # the row before, as XlsxWriter's next cell would
        elif sheet.table.get(row):
            return False  # cells of this row already wait in XlsxWriter's table
        number = str(row + 1)
        letters, styles, not_plain = self._letters, self._styles, self._not_plain
        cells = []
        first = last = -1
        for col, value in enumerate(values):
            kind = value.__class__
            if kind is str:
                if len(value) > PLAIN_TEXT_LENGTH or not_plain(value):
                    return False
                style = styles.get(col)
                if style is None:
                    style = self._style(col)
                cells.append(f'<c r="{letters[col]}{number}"{style} t="inlineStr"><is><t>{value}</t></is></c>')
            elif kind is int:
                if not -EXACT_INTEGER_LIMIT < value < EXACT_INTEGER_LIMIT:
                    return False
                style = styles.get(col)
                if style is None:
                    style = self._style(col)
                cells.append(f'<c r="{letters[col]}{number}"{style}><v>{value}</v></c>')
            elif value is None:
                continue
            else:
                return False
            if first < 0:
                first = col
            last = col
        if not cells:
            return True  # XlsxWriter writes no element for a row without cells either
        if sheet._check_dimensions(row, first) or sheet._check_dimensions(row, last):
            return False
        sheet._write_row(row, None)
        sheet.fh.write("".join(cells))
        sheet._xml_end_tag("row")
        return True

    def _style(self, col: int) -> str:
        """The ` s="N"` attribute XlsxWriter gives a cell of `col`: the cell's format, else the
        column's, else none. Asked when XlsxWriter would ask it (the format's index is
        numbered on first use), and kept."""
        fmt = self._formats[col]
        if fmt is None:
            info = self._sheet.col_info.get(col)
            fmt = info.column_format if info is not None else None
        style = self._styles[col] = f' s="{fmt._get_xf_index()}"' if fmt is not None else ""
        return style
