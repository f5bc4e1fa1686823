"""XLSX → rows of text with the sheet's own row numbers.

Three engines read the same sheet into the same text (see `cells.cell_text`):

- python-calamine (Rust) is the fastest, but it loads the whole sheet into memory (about
  1.7× the sheet's XML: +47 MiB for 100,000 rows of five columns) and turns error cells
  (`#N/A`) into empty cells; it has no streaming API (0.9.1);
- `xlsx_stream`, the project's streaming reader, gives exactly openpyxl's text in flat
  memory (+4 MiB from 10,000 to 100,000 rows read one by one: the compact shared strings)
  at about 60% of calamine's speed and nearly four times openpyxl's;
- openpyxl in read-only mode, the reference the streaming reader is tested against.

`auto` uses calamine for sheets of at most CALAMINE_MAX_XML_BYTES of XML without error
cells (small files open fastest there), and streams every other sheet.
"""

from __future__ import annotations

import warnings
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from xml.etree.ElementTree import ParseError

from etl.errors import ReadError
from etl.readers.base import HeaderTest, ReadOptions, Row, Table
from etl.readers.cells import cell_text
from etl.readers.layout import fit_to_header, is_blank, split_header
from etl.readers.xlsx_package import SheetPart, has_error_cells, list_sheets

if TYPE_CHECKING:
    from python_calamine import CalamineSheet

# openpyxl warns about workbook features it drops (extensions, validations); reading cell
# values loses nothing, and the warning would land on the user's terminal.
warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")

Engine = Literal["auto", "calamine", "stream", "openpyxl"]

CALAMINE_MAX_XML_BYTES = 4 * 1024 * 1024
"""Sheet XML size above which the sheet is streamed instead of loaded by calamine (whose
in-memory sheet costs about 1.7× the XML); roughly 20,000 rows of five columns."""


@contextmanager
def open_xlsx(
    path: Path,
    options: ReadOptions,
    looks_like_header: HeaderTest | None = None,
    engine: Engine = "auto",
) -> Iterator[Table]:
    """Open one sheet of a workbook as a Table; the workbook is closed when the block exits."""
    sheets = [s for s in list_sheets(path) if s.is_worksheet and s.part]
    sheet = choose_sheet(path, sheets, options.sheet)
    chosen = _engine_for(path, sheet) if engine == "auto" else engine
    with ExitStack() as stack:
        if chosen == "calamine":
            raw = _calamine_rows(path, sheet, stack)
        elif chosen == "stream":
            raw = _streamed_rows(path, sheet, stack)
        else:
            raw = _openpyxl_rows(path, sheet, stack)
        rows = _text_rows(path, raw)
        empty = f"sheet {sheet.name!r} is empty"
        if options.sheet is None and len(sheets) > 1:
            empty += f"; choose another with --sheet (the sheets are: {_names(sheets)})"
        header, rest = split_header(path, rows, options.header_row, looks_like_header, empty)
        yield Table(
            path=path,
            header=header.values,
            header_row=header.number,
            rows=_padded(fit_to_header(rest, len(header.values)), len(header.values)),
            detected={"format": "xlsx", "sheet": sheet.name, "header_row": str(header.number)},
            sheet=sheet.name,
        )


# What a damaged workbook raises from zipfile, zlib, the XML parsers, decoding and
# openpyxl (KeyError for a missing part, ValueError/TypeError for a malformed value, its
# InvalidFileException is an Exception subclass raised only for non-workbooks, which
# open_table has told apart before). Anything else is a bug, not a damaged file.
DAMAGED_PACKAGE_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile, zlib.error, ParseError, UnicodeError, KeyError, IndexError, ValueError, TypeError,
    OSError, EOFError,
)


def choose_sheet(path: Path, sheets: Sequence[SheetPart], wanted: str | None) -> SheetPart:
    """The worksheet named `wanted` (exact, else the only case-insensitive match), or by
    default the first visible one."""
    worksheets = list(sheets)
    if wanted is not None:
        matches = [s for s in worksheets if s.name == wanted] or [
            s for s in worksheets if s.name.casefold() == wanted.strip().casefold()
        ]
        if len(matches) == 1:
            return matches[0]
        raise ReadError(f"{path}: there is no sheet named {wanted!r}; the sheets are: {_names(worksheets)}")
    visible = [s for s in worksheets if s.visible]
    if not (visible or worksheets):
        raise ReadError(f"{path}: the workbook has no worksheets")
    return (visible or worksheets)[0]


def _names(sheets: Sequence[SheetPart]) -> str:
    return ", ".join(repr(s.name) for s in sheets) or "(none)"


def _engine_for(path: Path, sheet: SheetPart) -> Engine:
    if sheet.xml_size > CALAMINE_MAX_XML_BYTES:
        return "stream"
    try:
        errors = has_error_cells(path, sheet.part or "")
    except (zipfile.BadZipFile, zlib.error, KeyError, OSError, EOFError) as err:
        raise ReadError(f"{path}: cannot read sheet {sheet.name!r}: {_first_line(err)}") from None
    return "stream" if errors else "calamine"


RawRows = Iterator[tuple[int, Sequence[object]]]


def _calamine_rows(path: Path, sheet: SheetPart, stack: ExitStack) -> RawRows:
    # Imported when used: a CSV import need not pay for loading either engine.
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = stack.enter_context(CalamineWorkbook.from_path(str(path)))
        data = workbook.get_sheet_by_name(sheet.name)
    except (CalamineError, OSError, ValueError) as err:
        raise ReadError(f"{path}: cannot read sheet {sheet.name!r}: {_first_line(err)}") from None
    return _numbered_calamine_rows(data)


def _numbered_calamine_rows(data: CalamineSheet) -> RawRows:
    """Sheet row numbers for calamine's rows. Its `start` is the first used cell; whether
    iter_rows begins there or at A1 has varied between versions, so the offset is taken
    from the first non-empty row, which is `start` by definition. Leading empty columns
    are put back so cells keep their sheet columns, as openpyxl gives them."""
    if data.start is None:
        return
    first_row, first_column = data.start
    padding: tuple[object, ...] = ("",) * first_column
    offset: int | None = None
    for index, cells in enumerate(data.iter_rows()):
        if offset is None:
            if all(cell == "" for cell in cells):
                continue
            offset = first_row - index + 1
        yield index + offset, (*padding, *cells) if padding else cells


def _streamed_rows(path: Path, sheet: SheetPart, stack: ExitStack) -> RawRows:
    from etl.readers.xlsx_stream import stream_rows

    try:
        return stream_rows(path, sheet, stack)
    except DAMAGED_PACKAGE_ERRORS as err:
        raise ReadError(f"{path}: cannot read sheet {sheet.name!r}: {_first_line(err)}") from None


def _openpyxl_rows(path: Path, sheet: SheetPart, stack: ExitStack) -> RawRows:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except DAMAGED_PACKAGE_ERRORS as err:
        raise ReadError(f"{path}: not a readable .xlsx workbook: {_first_line(err)}") from None
    stack.callback(workbook.close)
    worksheet = workbook[sheet.name]
    # The stored dimension may claim far more rows and columns than hold data.
    worksheet.reset_dimensions()
    return enumerate(worksheet.iter_rows(values_only=True), start=1)


def _text_rows(path: Path, raw: RawRows) -> Iterator[Row]:
    number = 0
    try:
        for number, cells in raw:
            values = tuple(cell if type(cell) is str else cell_text(cell) for cell in cells)
            if not is_blank(values):
                yield Row(number, values)
    except ReadError:
        raise
    except DAMAGED_PACKAGE_ERRORS as err:  # a damaged sheet part surfaces while streaming
        raise ReadError(f"{path}: row {number + 1}: cannot read the sheet: {_first_line(err)}") from None


def _padded(rows: Iterator[Row], width: int) -> Iterator[Row]:
    """A sheet has no ragged rows: cells missing at the end of a row are empty cells."""
    for row in rows:
        missing = width - len(row.values)
        yield Row(row.number, row.values + ("",) * missing) if missing > 0 else row


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__
