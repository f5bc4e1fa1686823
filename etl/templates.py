"""Import templates: an empty workbook a person fills in, shaped so it imports cleanly.

The first sheet carries the pipeline's headers (a lookup column under its lookup's header,
so people type a group's name, not its id), a note on each header, text columns formatted
as text (a phone typed as 0412… keeps its zero) and Excel data validation where a rule
fits one. A second sheet explains each column; the importer reads only the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from etl.exporter import open_output
from etl.models import TARGET_MODELS
from etl.pipeline import Column, Pipeline
from etl.writers.xlsx import EXCEL_MAX_ROWS, XlsxBook

INT_LIMIT = 2_147_483_647
TEXT_FORMAT = 49  # Excel's built-in "@": what is typed stays text (a phone's leading zero)
CELL_FORMATS: dict[str, str | int] = {
    "text": TEXT_FORMAT,
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
KIND_NAMES = {
    "text": "text",
    "integer": "whole number",
    "decimal": "number",
    "boolean": "true or false",
    "date": "date",
    "datetime": "date and time",
    "uuid": "UUID",
    "time": "time of day",
    "json": "JSON",
}


@dataclass(frozen=True)
class TemplateColumn:
    """One column of the template: its header, what it accepts, and its Excel validation."""

    header: str
    kind: str
    required: bool
    rules: str
    validation: dict[str, Any] | None
    cell_format: str | int | None

    @property
    def note(self) -> str:
        need = "required" if self.required else "optional"
        return f"{KIND_NAMES[self.kind]}, {need}" + (f"; {self.rules}" if self.rules else "")


def template_columns(pipeline: Pipeline) -> list[TemplateColumn]:
    return [_template_column(pipeline, column) for column in pipeline.columns]


def write_template(pipeline: Pipeline, output: Path) -> None:
    """Write the template workbook for `pipeline` to `output`."""
    columns = template_columns(pipeline)
    with open_output(output) as stream:
        book = XlsxBook(stream, constant_memory=False)
        try:
            _write_entry_sheet(book, pipeline, columns)
            _write_help_sheet(book, pipeline, columns)
        finally:
            book.close()


def _write_entry_sheet(book: XlsxBook, pipeline: Pipeline, columns: list[TemplateColumn]) -> None:
    sheet = book.add_sheet(pipeline.name)
    formats: dict[str | int | None, Any] = {fmt: book.workbook.add_format({"num_format": fmt})
               for fmt in {column.cell_format for column in columns} if fmt is not None}
    for col, column in enumerate(columns):
        sheet.write_string(0, col, column.header, book.header_format)
        sheet.write_comment(0, col, column.note, {"x_scale": 1.6, "y_scale": 0.8})
        width = max(len(column.header) + 4, 14)
        sheet.set_column(col, col, width, formats.get(column.cell_format))
        if column.validation is not None:
            options = {
                **column.validation,
                "input_title": column.header[:32],
                "input_message": column.note[:255],
                "error_title": f"Invalid {column.header}"[:32],
                "error_message": f"{column.header}: {column.note}"[:255],
            }
            sheet.data_validation(1, col, EXCEL_MAX_ROWS - 1, col, options)
    sheet.freeze_panes(1, 0)


def _write_help_sheet(book: XlsxBook, pipeline: Pipeline, columns: list[TemplateColumn]) -> None:
    sheet = book.add_sheet("How to fill in")
    sheet.write_string(0, 0, f"Template for the {pipeline.name} pipeline", book.title_format)
    intro = pipeline.description or f"Rows for the {pipeline.table} table"
    sheet.write_string(1, 0, f"{intro}. Fill in the first sheet, one row per record; "
                             f"then run: etl import {pipeline.name} FILE.xlsx", book.subtitle_format)
    header = ("Column", "Type", "Required", "Rules", "Also accepted as")
    for col, name in enumerate(header):
        sheet.write_string(3, col, name, book.header_format)
    for row, (column, definition) in enumerate(zip(columns, pipeline.columns), start=4):
        accepted = definition.lookup.headers if definition.lookup else definition.headers
        values = (column.header, KIND_NAMES[column.kind], "yes" if column.required else "no",
                  column.rules, ", ".join(h for h in accepted if h != column.header))
        for col, value in enumerate(values):
            sheet.write_string(row, col, value)
    for col, width in enumerate((16, 14, 10, 60, 30)):
        sheet.set_column(col, col, width)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)


def _template_column(pipeline: Pipeline, column: Column) -> TemplateColumn:
    if column.lookup is not None:
        lookup = column.lookup
        length = _model_length(lookup.table, lookup.match)
        creates = "a new name is added" if lookup.on_missing == "create" else "it must already exist"
        described = f"the {lookup.match} name from {lookup.table} ({creates})"
        if length:
            described += f"; at most {length} characters"
        return TemplateColumn(lookup.header, "text", column.required, described, _length_validation(length),
                              TEXT_FORMAT)
    rules: list[str] = []
    validation: dict[str, Any] | None = None
    if column.kind == "text":
        length = column.max_length or _model_length(pipeline.table, column.name)
        validation = _length_validation(length)
        if length:
            rules.append(f"at most {length} characters")
        if column.pattern_message:
            rules.append(column.pattern_message)
    elif column.kind in ("integer", "decimal"):
        low = column.minimum if column.minimum is not None else Decimal(-INT_LIMIT)
        high = column.maximum if column.maximum is not None else Decimal(INT_LIMIT)
        convert = int if column.kind == "integer" else float
        validation = {"validate": column.kind if column.kind == "integer" else "decimal",
                      "criteria": "between", "minimum": convert(low), "maximum": convert(high)}
        if column.minimum is not None or column.maximum is not None:
            rules.append(f"from {low} to {high}")
    elif column.kind == "boolean":
        validation = {"validate": "list", "source": ["true", "false"]}
    elif column.kind in ("date", "datetime"):
        validation = {"validate": "date", "criteria": ">=", "value": date(1900, 1, 1)}
        example = "2024-12-31" if column.kind == "date" else "2024-12-31 08:30"
        written = f" or text as {column.date_format}" if column.date_format else ""
        rules.append(f"a date cell (e.g. {example}){written}")
    if column.choices:
        rules.append("one of " + ", ".join(column.choices))
        if sum(len(choice) + 1 for choice in column.choices) < 255:
            validation = {"validate": "list", "source": list(column.choices)}
    return TemplateColumn(column.header, column.kind, column.required, "; ".join(rules), validation,
                          CELL_FORMATS.get(column.kind))


def _length_validation(length: int | None) -> dict[str, Any] | None:
    if not length:
        return None
    return {"validate": "length", "criteria": "<=", "value": length}


def _model_length(table: str, column: str) -> int | None:
    """A built-in target table's column length (e.g. a String(11)), when the pipeline sets none."""
    model = TARGET_MODELS.get(table)
    if model is None or column not in model.__table__.c:
        return None
    return getattr(model.__table__.c[column].type, "length", None)
