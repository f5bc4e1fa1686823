"""The annotated copy of an input (`etl import --annotate OUT.xlsx`): the file back for its
sender with every problem marked where it is.

- A workbook input is the original opened with openpyxl (styles, other sheets, formulas
  kept): each error cell filled light red with a comment giving the reason, a row-level
  error marking the whole row, a header problem its header cell; warnings light yellow.
- Any other input (CSV, and the .xls/.xlsb/.ods workbooks openpyxl cannot open) becomes a
  new workbook of text cells (XlsxWriter, constant memory): every record, or sheet row, on
  its own row number, so the row numbers of the messages are the margin's.
- Either way a new first sheet `Errors` lists cell, row, column, value, reason and kind,
  each entry linked to its cell.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from etl.errors import UsageError
from etl.pipeline.row_errors import RowError
from etl.readers.base import Table, column_letters

ERROR_FILL = "FFC7CE"
"""Excel's own "light red fill"."""
WARNING_FILL = "FFEB9C"
"""Excel's "yellow fill" of its warning styles."""
ERRORS_SHEET = "Errors"
MAX_MARKS = 100_000
"""Problems marked in one copy; past that the Errors sheet says how many more there were."""
HEADINGS = ("cell", "row", "column", "value", "reason", "kind")
COMMENT_AUTHOR = "etl"
REASON_WIDTH = 80
"""Characters of the widest Errors column; longer reasons wrap."""


@dataclass(frozen=True)
class Mark:
    """One problem placed on the sheet: `positions` are value indexes (several for a value
    made of two cells, none for the whole row); `row` None is the whole file."""

    row: int | None
    positions: tuple[int, ...]
    column: str | None
    value: str | None
    message: str
    warning: bool = False


@dataclass(frozen=True)
class Layout:
    """Where a table's values sit in its file."""

    path: Path
    kind: str
    """The file's format as the reader detected it: `csv`, `xlsx`, `xls`, `xlsb`, `ods`."""
    sheet: str | None
    header: tuple[str, ...]
    header_row: int
    first_column: int
    encoding: str | None
    delimiter: str | None

    @classmethod
    def of(cls, table: Table) -> Layout:
        detected = table.detected
        return cls(path=table.path, kind=detected.get("format") or "csv", sheet=table.sheet,
                   header=table.header, header_row=table.header_row, first_column=table.first_column,
                   encoding=detected.get("encoding"), delimiter=detected.get("delimiter"))

    def columns(self, mark: Mark) -> list[int]:
        """The 0-based sheet columns a mark covers."""
        positions = mark.positions or tuple(range(max(len(self.header), 1)))
        return [self.first_column + p for p in positions]


class Annotation:
    """The marks of one file, gathered while it is imported, then written to `out`."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.layout: Layout | None = None
        self.marks: list[Mark] = []
        self.more = 0
        self._labels: dict[str, tuple[int, ...]] = {}

    def place(self, table: Table, labels: dict[str, tuple[int, ...]] | None = None) -> None:
        """The file was opened: where its cells are, and which positions each error label
        (a header, or `grupo_id/grupo` for a value given by either of two cells) names."""
        self.layout = Layout.of(table)
        self._labels = {header: (i,) for i, header in reversed(list(enumerate(table.header)))}
        self._labels.update(labels or {})

    def add(self, problems: Sequence[RowError], warning: bool = False) -> None:
        for problem in problems:
            if len(self.marks) >= MAX_MARKS:
                self.more += 1
                continue
            positions = self._labels.get(problem.column or "", ()) if problem.row is not None else ()
            self.marks.append(Mark(problem.row, positions, problem.column, problem.value,
                                   problem.message, warning))

    def write(self) -> Path | None:
        """Write the copy (None when the file could not even be opened: nothing to mark)."""
        if self.layout is None:
            return None
        marks = sorted(self.marks, key=lambda m: (m.row is None, m.row or 0, m.positions, m.warning))
        with _replacing(self.out) as temporary:
            if self.layout.kind == "xlsx":
                _annotate_workbook(self.layout, marks, self.more, temporary)
            else:
                _annotate_text(self.layout, marks, self.more, temporary)
        return self.out


def check_annotate_path(path: Path) -> None:
    """Refuse, before anything is imported, an annotated copy that could not be written."""
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"--annotate writes a workbook; name it {path.stem}.xlsx")
    if not path.parent.is_dir():
        raise UsageError(f"--annotate {path}: the folder {path.parent} does not exist")


def either_labels(header: Sequence[str], direct: Mapping[str, int], by_lookup: Mapping[str, int]) -> dict[str, tuple[int, ...]]:
    """The label of a value a file may give by either of two cells (`grupo_id/grupo`) → both
    cells, as the row processor names it."""
    return {f"{header[direct[name]]}/{header[index]}": (direct[name], index)
            for name, index in by_lookup.items() if name in direct}


@contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A temporary file beside `path`, renamed onto it when the block succeeds."""
    handle, name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".xlsx", dir=path.parent)
    os.close(handle)
    try:
        yield Path(name)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _reference(layout: Layout, sheet: str, mark: Mark) -> tuple[str, str]:
    """(`B4`, `'Sheet'!B4`) of the mark's first cell; a file-level mark points at the header."""
    row = mark.row or layout.header_row
    column = layout.columns(mark)[0] if mark.row is not None else layout.first_column
    cell = f"{column_letters(column)}{row}"
    quoted = "'" + sheet.replace("'", "''") + "'"
    return cell, f"{quoted}!{cell}"


def _listing(mark: Mark) -> list[Any]:
    """An entry of the Errors sheet after its linked cell: row, column, value, reason, kind."""
    return [mark.row if mark.row is not None else "", mark.column or "", mark.value or "", mark.message,
            "warning" if mark.warning else "error"]


def _height(mark: Mark) -> float:
    """Points for an entry whose reason wraps at REASON_WIDTH characters (spreadsheets do
    not grow a row for wrapped text written by a library)."""
    return 15.0 * max(1, -(-len(mark.message) // REASON_WIDTH))


def _widths(marks: Sequence[Mark]) -> list[int]:
    """Column widths of the Errors sheet: its longest entries (of the first 1000), at most REASON_WIDTH."""
    widths = [len(h) for h in HEADINGS]
    for mark in marks[:1000]:
        for i, value in enumerate(["B10", *_listing(mark)]):
            widths[i] = max(widths[i], min(len(str(value)), REASON_WIDTH))
    return [width + 2 for width in widths]


def _comment_text(marks: Sequence[Mark]) -> str:
    return "\n".join(("warning: " if m.warning else "") + m.message for m in marks)


def _by_cell(layout: Layout, marks: Sequence[Mark]) -> dict[tuple[int, int], list[Mark]]:
    """(row, 0-based column) → the marks on that cell; a row mark covers the header's width."""
    cells: dict[tuple[int, int], list[Mark]] = {}
    for mark in marks:
        if mark.row is None:
            continue
        for column in layout.columns(mark):
            cells.setdefault((mark.row, column), []).append(mark)
    return cells


def _errors_sheet_name(existing: Sequence[str]) -> str:
    name, number = ERRORS_SHEET, 1
    while name.casefold() in (n.casefold() for n in existing):
        number += 1
        name = f"{ERRORS_SHEET} {number}"
    return name


def _summary(marks: Sequence[Mark], more: int) -> str:
    errors = sum(not m.warning for m in marks)
    warnings = len(marks) - errors
    text = f"{errors} error(s), {warnings} warning(s)" if marks else "no errors and no warnings"
    return text + (f"; {more} more not marked" if more else "")


def _annotate_workbook(layout: Layout, marks: Sequence[Mark], more: int, out: Path) -> None:
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.hyperlink import Hyperlink

    book = openpyxl.load_workbook(layout.path)  # formulas, styles and other sheets kept
    sheet = book[layout.sheet] if layout.sheet else book.worksheets[0]
    fills = {False: PatternFill("solid", fgColor=ERROR_FILL), True: PatternFill("solid", fgColor=WARNING_FILL)}
    merged = {cell: ranged.start_cell for ranged in sheet.merged_cells.ranges for cell in _cells_of(ranged)}
    for (row, column), on_cell in _by_cell(layout, marks).items():
        cell = merged.get((row, column + 1)) or sheet.cell(row=row, column=column + 1)
        cell.fill = fills[all(m.warning for m in on_cell)]
        text = _comment_text(on_cell)
        if cell.comment is not None:
            text = f"{cell.comment.text}\n{text}"
        cell.comment = Comment(text, COMMENT_AUTHOR, width=320, height=40 + 18 * text.count("\n"))
    listing = book.create_sheet(_errors_sheet_name(book.sheetnames), 0)
    listing.append([_summary(marks, more)])
    listing.append(list(HEADINGS))
    bold, link = Font(bold=True), Font(color="0563C1", underline="single")
    for cell in listing[2]:
        cell.font = bold
    wrapped = Alignment(wrap_text=True, vertical="top")
    for mark in marks:
        shown, target = _reference(layout, sheet.title, mark)
        listing.append([shown, *_listing(mark)])
        first = listing.cell(row=listing.max_row, column=1)
        first.hyperlink = Hyperlink(ref=first.coordinate, location=target)
        first.font = link
        for cell in listing[listing.max_row]:
            cell.alignment = wrapped
        listing.row_dimensions[listing.max_row].height = _height(mark)
    for i, width in enumerate(_widths(marks)):
        listing.column_dimensions[column_letters(i)].width = width
    listing.freeze_panes = "A3"
    listing.page_setup.orientation = "landscape"  # printed (or rendered) one page wide
    listing.sheet_properties.pageSetUpPr.fitToPage = True
    listing.page_setup.fitToWidth, listing.page_setup.fitToHeight = 1, 0
    book.active = 0
    for other in book.worksheets[1:]:
        other.sheet_view.tabSelected = False
    book.save(out)


def _cells_of(ranged: Any) -> Iterator[tuple[int, int]]:
    for row in range(ranged.min_row, ranged.max_row + 1):
        for column in range(ranged.min_col, ranged.max_col + 1):
            if (row, column) != (ranged.min_row, ranged.min_col):
                yield row, column


def _annotate_text(layout: Layout, marks: Sequence[Mark], more: int, out: Path) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(out), {"constant_memory": True, "strings_to_numbers": False,
                                          "strings_to_formulas": False, "strings_to_urls": False})
    try:
        name = _sheet_name(layout.sheet or layout.path.stem)
        listing = book.add_worksheet(_errors_sheet_name([name]))
        data = book.add_worksheet(name)
        fills = {False: book.add_format({"bg_color": f"#{ERROR_FILL}"}),
                 True: book.add_format({"bg_color": f"#{WARNING_FILL}"})}
        formats = {"bold": book.add_format({"bold": True}),
                   "wrapped": book.add_format({"text_wrap": True, "valign": "top"}),
                   "link": book.add_format({"font_color": "#0563C1", "underline": 1, "valign": "top"})}
        _write_listing(listing, layout, name, marks, more, formats)
        cells = _by_cell(layout, marks)
        rows_marked = {row for row, _ in cells}
        width_marked = layout.first_column + len(layout.header)
        for number, record in enumerate(_records(layout), start=1):
            row = number - 1
            width = max(len(record), width_marked) if number in rows_marked else len(record)
            for column in range(width):  # a marked short row: its missing cells too
                text = record[column] if column < len(record) else ""
                on_cell = cells.get((number, column)) if number in rows_marked else None
                if on_cell is None:
                    if text:
                        data.write_string(row, column, text)
                    continue
                fill = fills[all(m.warning for m in on_cell)]
                if text:
                    data.write_string(row, column, text, fill)
                else:
                    data.write_blank(row, column, None, fill)
                data.write_comment(row, column, _comment_text(on_cell), {"author": COMMENT_AUTHOR, "x_scale": 2})
        data.freeze_panes(layout.header_row, 0)
        listing.activate()
    finally:
        book.close()


def _records(layout: Layout) -> Iterator[Sequence[str]]:
    """The input's records from its first line or sheet row, as text."""
    if layout.kind != "csv":
        from etl.readers.calamine_reader import sheet_cells

        yield from sheet_cells(layout.path, layout.sheet or "")
        return
    from etl.readers.encoding import UNDECODABLE

    with layout.path.open(encoding=layout.encoding or "utf-8", errors=UNDECODABLE, newline="") as handle:
        yield from csv.reader(handle, delimiter=layout.delimiter or ",")


def _write_listing(listing: Any, layout: Layout, sheet: str, marks: Sequence[Mark], more: int,
                   formats: dict[str, Any]) -> None:
    listing.write_string(0, 0, _summary(marks, more))
    for column, heading in enumerate(HEADINGS):
        listing.write_string(1, column, heading, formats["bold"])
    for row, mark in enumerate(marks, start=2):
        shown, target = _reference(layout, sheet, mark)
        listing.write_url(row, 0, f"internal:{target}", formats["link"], string=shown)
        listing.set_row(row, _height(mark))
        for column, value in enumerate(_listing(mark), start=1):
            if isinstance(value, int):
                listing.write_number(row, column, value, formats["wrapped"])
            elif value:
                listing.write_string(row, column, str(value), formats["wrapped"])
    for i, width in enumerate(_widths(marks)):
        listing.set_column(i, i, width)
    listing.freeze_panes(2, 0)
    listing.set_landscape()  # printed (or rendered) one page wide
    listing.fit_to_pages(1, 0)


_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


def _sheet_name(stem: str) -> str:
    """A file name as a sheet name: Excel forbids `[]:*?/\\` and more than 31 characters."""
    name = stem.translate(_FORBIDDEN).strip("'") or "Data"
    return name[:31] if name.casefold() != ERRORS_SHEET.casefold() else "Data"
