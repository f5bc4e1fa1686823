"""Legacy Excel (.xls), binary Excel (.xlsb) and OpenDocument (.ods) sheets → rows of text,
read by python-calamine with the sheets, header detection, row numbers and cell text of
the .xlsx reader (`layout.sheet_table`, `cells.cell_text`).

python-calamine loads a whole sheet into memory and has no streaming API, so a workbook
whose uncompressed content passes MAX_CONTENT_BYTES is refused rather than read. What it
cannot tell us, we say: it reads error cells (`#N/A`) as empty cells, so an .ods workbook
holding any gets a warning (for .xls the format gives no cheap way to know); LibreOffice
stores TRUE/FALSE as 1/0 with a boolean format, which read as `1`/`0`.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from etl.errors import ReadError
from etl.readers.base import HeaderTest, ReadOptions, ReadWarning, Table, Warnings
from etl.readers.cells import cell_text
from etl.readers.layout import sheet_table
from etl.readers.xlsx_reader import choose_sheet, first_line

if TYPE_CHECKING:
    from python_calamine import CalamineSheet

MAX_CONTENT_BYTES = 256 * 1024 * 1024
"""Uncompressed workbook content read at most (an .xls file's own size)."""
_ODS_ERROR = b'value-type="error"'
_SCAN_CHUNK = 1 << 20
NAMES = {"xls": "Excel 97-2003 (.xls)", "xlsb": "Excel binary (.xlsb)", "ods": "OpenDocument (.ods)",
         "xlsx": "Excel (.xlsx)"}


@contextmanager
def open_calamine(
    path: Path, options: ReadOptions, looks_like_header: HeaderTest | None, kind: str,
) -> Iterator[Table]:
    """Open one sheet of an .xls/.xlsb/.ods workbook as a Table."""
    from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    _check_size(path, kind)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as err:
        raise ReadError(f"{path}: not a readable {NAMES[kind]} workbook: {first_line(err)}") from None
    with workbook:
        sheets = [(m.name, m.visible == SheetVisibleEnum.Visible)
                  for m in workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
        name = choose_sheet(path, sheets, options.sheet)
        try:
            data = workbook.get_sheet_by_name(name)
        except (CalamineError, ValueError) as err:
            raise ReadError(f"{path}: cannot read sheet {name!r}: {first_line(err)}") from None
        found = Warnings()
        if kind == "ods" and _ods_has_error_cells(path):
            found.add(ReadWarning(None, None, None, None,
                                  "the workbook has error cells (#N/A, #DIV/0!…), which read from .ods as empty "
                                  "cells; save it as .xlsx to read their text"))
        rows = _numbered_rows(path, name, data)
        yield sheet_table(path, options, looks_like_header, rows, kind, name, [n for n, _ in sheets], found)


def worksheet_names(path: Path) -> tuple[str, ...]:
    """The names of an .xls/.xlsb/.ods workbook's worksheets (charts and macros left out),
    in tab order, as `--sheet` and the web page's sheet list take them."""
    from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as err:
        raise ReadError(f"{path}: not a readable workbook: {first_line(err)}") from None
    with workbook:
        return tuple(m.name for m in workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet)


def sheet_cells(path: Path, sheet: str) -> Iterator[Sequence[str]]:
    """Every row of one sheet from row 1, as the cell text the reader gives (the annotated
    copy of an .xls/.xlsb/.ods input is these rows, one sheet row per row)."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as err:
        raise ReadError(f"{path}: not a readable workbook: {first_line(err)}") from None
    with workbook:
        try:
            data = workbook.get_sheet_by_name(sheet)
        except (CalamineError, ValueError) as err:
            raise ReadError(f"{path}: cannot read sheet {sheet!r}: {first_line(err)}") from None
        for _, cells in _numbered_rows(path, sheet, data):
            yield cells


def _numbered_rows(path: Path, sheet: str, data: CalamineSheet) -> Iterator[tuple[int, Sequence[str]]]:
    """Cell text by sheet row. python-calamine's `iter_rows` starts at the sheet's first row
    (row 1, used or not) and at its first used column, `start[1]`: the empty columns before
    it are put back, so values keep their sheet columns (tests pin both on fixtures)."""
    from python_calamine import CalamineError

    if data.start is None:
        return
    padding = ("",) * data.start[1]
    number = 0
    try:
        for number, cells in enumerate(data.iter_rows(), start=1):
            yield number, (*padding, *(cell if type(cell) is str else cell_text(cell) for cell in cells))
    except (CalamineError, OverflowError, ValueError) as err:
        raise ReadError(f"{path}: sheet {sheet!r}, row {number + 1}: cannot read the cell values: "
                        f"{first_line(err)}") from None


def _check_size(path: Path, kind: str) -> None:
    try:
        if kind == "xls":
            size = path.stat().st_size
        else:
            with zipfile.ZipFile(path) as package:
                size = sum(info.file_size for info in package.infolist())
    except zipfile.BadZipFile as err:
        raise ReadError(f"{path}: not a readable {NAMES[kind]} workbook (damaged zip package: {err})") from None
    except OSError as err:
        raise ReadError(f"{path}: cannot read the file: {err.strerror or err}") from None
    if size > MAX_CONTENT_BYTES:
        raise ReadError(
            f"{path}: {size / 2**20:,.0f} MiB of {NAMES[kind]} content, more than the "
            f"{MAX_CONTENT_BYTES // 2**20} MiB etl reads from this format (it is read whole); "
            "save it as .xlsx or .csv, which are streamed"
        )


def _ods_has_error_cells(path: Path) -> bool:
    with zipfile.ZipFile(path) as package:
        if "content.xml" not in package.NameToInfo:
            return False
        with package.open("content.xml") as stream:
            tail = b""
            while chunk := stream.read(_SCAN_CHUNK):
                if _ODS_ERROR in tail + chunk:
                    return True
                tail = chunk[-len(_ODS_ERROR):]
    return False
