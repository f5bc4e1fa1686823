"""XLSX → rows of text with the sheet's own row numbers.

Every .xlsx sheet is read by `xlsx_stream`, the project's streaming reader: flat memory
whatever the sheet's size, and the text a person sees in Excel (see `xlsx_stream` and
`cells.cell_text`). python-calamine, which reads .xls, .xlsb and .ods (`calamine_reader`),
used to read small .xlsx sheets too; it gave different text for the same cell (error
cells emptied, integers above 2^53 rounded, unpreserved edge spaces trimmed, negative
date serials read as 00:00, row numbers off after a row of empty strings), so a re-import
could report spurious updates. `engine="calamine"` remains for the differential tests
that hold the two to the same text where calamine can hold it.
"""

from __future__ import annotations

import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Literal
from xml.etree import ElementTree

from etl.errors import ReadError
from etl.readers.base import HeaderTest, ReadOptions, Table, Warnings
from etl.readers.layout import sheet_table
from etl.readers.xlsx_package import SheetPart, list_sheets

# openpyxl (whose date and number-format rules the stream reader uses) warns about workbook
# features it drops; reading cell values loses nothing, and the warning would reach the terminal.
warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")

Engine = Literal["stream", "calamine"]


@contextmanager
def open_xlsx(
    path: Path,
    options: ReadOptions,
    looks_like_header: HeaderTest | None = None,
    engine: Engine = "stream",
) -> Iterator[Table]:
    """Open one sheet of a workbook as a Table; the workbook is closed when the block exits."""
    if engine == "calamine":
        from etl.readers.calamine_reader import open_calamine

        with open_calamine(path, options, looks_like_header, "xlsx") as table:
            yield table
        return
    from etl.readers.xlsx_stream import SheetDamage, stream_rows

    sheets = [s for s in list_sheets(path) if s.is_worksheet and s.part]
    name = choose_sheet(path, [(s.name, s.visible) for s in sheets], options.sheet)
    sheet = next(s for s in sheets if s.name == name)
    found = Warnings()
    with ExitStack() as stack:
        rows = _damage_as_read_error(path, name, lambda: stream_rows(path, sheet, stack, found), SheetDamage)
        yield sheet_table(path, options, looks_like_header, rows, "xlsx", name, [s.name for s in sheets], found)


Damage: tuple[type[Exception], ...] = (
    zipfile.BadZipFile, zlib.error, ElementTree.ParseError, UnicodeDecodeError, EOFError, OSError, KeyError, ValueError,
)
"""How a damaged package shows while a sheet streams: a missing part is a KeyError, text
that is not a number where one belongs (`int()`, `float()`, ISO dates) a ValueError."""

RawRows = Iterator[tuple[int, Sequence[str]]]


def _damage_as_read_error(
    path: Path, sheet: str, start: Callable[[], RawRows], *more: type[Exception]
) -> RawRows:
    """The rows `start()` gives; damage met on the way is a one-line ReadError naming the row."""
    number = 0
    try:
        for number, values in start():
            yield number, values
    except (*Damage, *more) as err:
        reason = str(err) if isinstance(err, more) else first_line(err)
        raise ReadError(f"{path}: sheet {sheet!r}, row {number + 1}: cannot read the sheet: {reason}") from None


def choose_sheet(path: Path, sheets: Sequence[tuple[str, bool]], wanted: str | None) -> str:
    """The worksheet named `wanted` (exact, else the only case-insensitive match), or by
    default the first visible one. `sheets` are (name, visible) in tab order."""
    names = [name for name, _ in sheets]
    if wanted is not None:
        matches = [n for n in names if n == wanted] or [n for n in names if n.casefold() == wanted.strip().casefold()]
        if len(matches) == 1:
            return matches[0]
        raise ReadError(f"{path}: there is no sheet named {wanted!r}; the sheets are: {sheet_names(names)}")
    visible = [name for name, shown in sheets if shown]
    if not (visible or names):
        raise ReadError(f"{path}: the workbook has no worksheets")
    return (visible or names)[0]


def sheet_names(names: Sequence[str]) -> str:
    return ", ".join(repr(name) for name in names) or "(none)"


def first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


__all__ = ["Engine", "SheetPart", "choose_sheet", "first_line", "open_xlsx", "sheet_names"]
