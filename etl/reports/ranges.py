"""References to a block of rows that grew or shrank: `Resumen!$B$5:$B$7` becomes
`Resumen!$B$5:$B$12` in formulas, chart series and defined names, so a company workbook's
totals and charts cover this month's rows, not last month's.

Only a reference that spans exactly the old block's rows (from its header or first data row
to its last row) and lies within its columns is changed: `B5:B7` follows the data, `B5`,
`B6:B7` or `B:B` are left as their author wrote them. Structured references
(`Tabla[Contactos]`) need nothing: Excel resolves them against the resized table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from openpyxl.formula import Tokenizer
from openpyxl.utils import column_index_from_string
from openpyxl.workbook import Workbook

from etl.reports.cells import worksheets

_REFERENCE = re.compile(
    r"^(?:(?P<sheet>'(?:[^']|'')+'|[^'!]+)!)?"
    r"(?P<c1>\$?[A-Za-z]{1,3})(?P<r1>\$?\d+):(?P<c2>\$?[A-Za-z]{1,3})(?P<r2>\$?)(?P<last>\d+)$"
)


@dataclass(frozen=True)
class Block:
    """A sheet's block of data rows (1-based, inclusive) and the columns they fill."""

    sheet: str
    header_row: int
    old_last_row: int
    new_last_row: int
    first_col: int
    last_col: int

    @property
    def first_data_row(self) -> int:
        return self.header_row + 1


def resize_reference(reference: str, block: Block, home_sheet: str) -> str:
    """`reference` (a range, maybe sheet-qualified) with its last row moved to the block's
    new last row when it spans the block's old rows; anything else unchanged. A reference
    without a sheet name belongs to `home_sheet`, the sheet of the formula holding it."""
    match = _REFERENCE.match(reference)
    if match is None or block.new_last_row == block.old_last_row:
        return reference
    sheet = match["sheet"]
    named = sheet.strip("'").replace("''", "'") if sheet else home_sheet
    first_row = int(match["r1"].lstrip("$"))
    first_col = column_index_from_string(match["c1"].lstrip("$"))
    last_col = column_index_from_string(match["c2"].lstrip("$"))
    spans_block = (
        named == block.sheet
        and first_row in (block.header_row, block.first_data_row)
        and int(match["last"]) == block.old_last_row
        and block.first_col <= first_col <= last_col <= block.last_col
    )
    if not spans_block:
        return reference
    return reference[: match.start("last")] + str(block.new_last_row)


def resize_formula(formula: str, block: Block, home_sheet: str) -> str:
    """A cell formula (`=SUM(Resumen!B5:B7)`) with its references to the block resized."""
    if not formula.startswith("=") or ":" not in formula:
        return formula
    tokens = Tokenizer(formula)
    changed = False
    for token in tokens.items:
        if token.type == "OPERAND" and token.subtype == "RANGE":
            resized = resize_reference(token.value, block, home_sheet)
            changed |= resized != token.value
            token.value = resized
    return str(cast(Any, tokens).render()) if changed else formula


def resize_workbook_references(book: Workbook, block: Block) -> None:
    """Formulas, chart series and defined names that spanned the old rows span the new ones."""
    for sheet in worksheets(book):
        for cell in sheet._cells.values():
            if cell.data_type == "f" and isinstance(cell.value, str):
                cell.value = resize_formula(cell.value, block, sheet.title)
    for holder in [*worksheets(book), *book.chartsheets]:
        for chart in getattr(holder, "_charts", []):
            for series in _all_series(chart):
                for reference in _series_references(series):
                    reference.f = resize_reference(reference.f, block, holder.title)
    for names, home in [(book.defined_names, ""), *((sheet.defined_names, sheet.title) for sheet in worksheets(book))]:
        for defined in names.values():
            if defined.attr_text:
                defined.attr_text = resize_formula(f"={defined.attr_text}", block, home)[1:]


def _all_series(chart: Any) -> Iterator[Any]:
    for part in getattr(chart, "_charts", [chart]):
        yield from part.series


def _series_references(series: Any) -> Iterator[Any]:
    """The numRef/strRef parts of a series (name, categories, values) that hold a range."""
    for part in (series.tx, series.cat, series.val, getattr(series, "xVal", None), getattr(series, "yVal", None)):
        for attribute in ("numRef", "strRef"):
            reference = getattr(part, attribute, None) if part is not None else None
            if reference is not None and reference.f:
                yield reference
