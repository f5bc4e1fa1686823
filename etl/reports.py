"""Named reports: TOML files (title, sheets each with one SELECT, optional chart) → a workbook.

Reports live in `pipelines/reports/*.toml` and in a `reports/` folder inside any extra
pipelines folder, so a new report needs no code. Their queries pass the same read-only
check as `etl export --sql` and run on a read-only engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, get_args, Literal

from sqlalchemy import Connection, Engine, text

from etl.errors import ConfigError, UsageError
from etl.exporter import RowStream, open_output, stream_rows
from etl.pipeline import builtin_pipelines_dir
from etl.pipeline.definition import (
    pick_definition, read_definition_file, reject_unknown_keys, required_text,
)
from etl.query_guard import check_select
from etl.writers.xlsx import SheetSpan, XlsxBook

ChartKind = Literal["bar", "column", "line", "pie"]
REPORT_KEYS = {"name", "title", "description", "sheets"}
SHEET_KEYS = {"name", "title", "query", "headers", "number_formats", "chart"}
CHART_KEYS = {"kind", "title", "categories", "values"}


@dataclass(frozen=True)
class Chart:
    """A chart beside a sheet's table: categories and values name the sheet's headers."""

    kind: ChartKind
    title: str
    categories: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class ReportSheet:
    name: str
    query: str
    title: str = ""
    headers: tuple[str, ...] = ()
    number_formats: Mapping[str, str] = field(default_factory=dict)
    chart: Chart | None = None


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    sheets: tuple[ReportSheet, ...]
    description: str = ""
    source: Path | None = None


def report_dirs(extra_dirs: Iterable[Path] = ()) -> list[Path]:
    return [directory / "reports" for directory in (builtin_pipelines_dir(), *extra_dirs)]


def load_reports(extra_dirs: Iterable[Path] = ()) -> dict[str, Report]:
    """Every report definition; a name defined twice is an error."""
    reports: dict[str, Report] = {}
    for directory in report_dirs(extra_dirs):
        for path in sorted(directory.glob("*.toml")) if directory.is_dir() else []:
            report = load_report_file(path)
            if report.name in reports:
                raise ConfigError(f"{path}: report {report.name!r} is already defined in "
                                  f"{reports[report.name].source}")
            reports[report.name] = report
    return reports


def get_report(name: str, extra_dirs: Iterable[Path] = ()) -> Report:
    return pick_definition(load_reports(extra_dirs), name, "report")


def load_report_file(path: Path) -> Report:
    """Parse and check one report definition; mistakes are ConfigErrors naming the file."""
    data = read_definition_file(path, "report")
    try:
        reject_unknown_keys(data, REPORT_KEYS, "report")
        sheets = data.get("sheets")
        if not isinstance(sheets, list) or not sheets:
            raise ValueError("a report needs at least one [[sheets]] entry")
        return Report(
            name=required_text(data, "name", "report"),
            title=required_text(data, "title", "report"),
            description=str(data.get("description", "")),
            sheets=tuple(_sheet(raw) for raw in sheets),
            source=path,
        )
    except (ValueError, TypeError) as err:
        raise ConfigError(f"{path}: {err}") from None


def write_report(engine: Engine, report: Report, output: Path) -> dict[str, int]:
    """Run each sheet's query read-only and write the workbook; returns rows per sheet."""
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    counts: dict[str, int] = {}
    with open_output(output) as stream, engine.connect() as connection, connection.begin():
        book = XlsxBook(stream)
        try:
            for number, sheet in enumerate(report.sheets):
                check_select(sheet.query, what=f"report {report.name!r}, sheet {sheet.name!r} query")
                described = report.description if number == 0 else ""
                subtitle = " · ".join(part for part in (described, f"generated {generated}") if part)
                with _sheet_rows(connection, report, sheet) as rows:
                    columns = tuple(rows.keys())
                    header = sheet.headers or columns
                    if len(header) != len(columns):
                        raise ConfigError(f"report {report.name!r}, sheet {sheet.name!r}: {len(header)} "
                                          f"headers for a query of {len(columns)} columns")
                    spans = book.add_table(sheet.name, header, rows, number_formats=sheet.number_formats,
                                           title=(sheet.title or report.title, subtitle))
                _page_setup(book, spans)
                counts[sheet.name] = sum(span.last_row - span.header_row for span in spans)
                if sheet.chart is not None and spans[0].has_data:
                    _add_chart(book, sheet.chart, sheet.number_formats, header, spans[0])
        finally:
            book.close()
    return counts


def _add_chart(
    book: XlsxBook, spec: Chart, number_formats: Mapping[str, str], header: Sequence[str], span: SheetSpan
) -> None:
    """The chart beside the table, its series pointing at the table's cells."""
    chart = book.workbook.add_chart({"type": spec.kind})
    first, last = span.first_data_row, span.last_row
    category = list(header).index(spec.categories)
    for name in spec.values:
        col = list(header).index(name)
        series: dict[str, Any] = {
            "name": [span.sheet, span.header_row, col],
            "categories": [span.sheet, first, category, last, category],
            "values": [span.sheet, first, col, last, col],
            "data_labels": {"value": True, "num_format": number_formats.get(name, "General")},
        }
        if spec.kind == "bar":
            series["gap"] = 60
        chart.add_series(series)
    if spec.kind == "bar":
        # Bar charts draw the first category at the bottom; reversed, they read like the table.
        chart.set_y_axis({"reverse": True, "crossing": "max"})
    chart.set_title({"name": spec.title})
    chart.set_legend({"none": True} if len(spec.values) == 1 else {"position": "bottom"})
    height = max(288, min(20 * (last - first + 1) + 120, 900)) if spec.kind == "bar" else 288
    chart.set_size({"width": 560, "height": height})
    sheet = book.workbook.get_worksheet_by_name(span.sheet)
    sheet.insert_chart(span.header_row, span.columns + 1, chart, {"x_offset": 10})


def _sheet_rows(connection: Connection, report: Report, sheet: ReportSheet) -> RowStream:
    """The sheet's rows, streamed; a failing query names the report and sheet, with a hint."""
    try:
        return stream_rows(connection, text(sheet.query))
    except UsageError as err:
        hint = " (are its tables created and loaded? see `etl init` and `etl import`)"
        raise UsageError(f"report {report.name!r}, sheet {sheet.name!r}: {err}{hint}") from None


def _page_setup(book: XlsxBook, spans: list[SheetSpan]) -> None:
    """Printed or saved as PDF: landscape, one page wide, header repeated on every page."""
    for span in spans:
        sheet = book.workbook.get_worksheet_by_name(span.sheet)
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(span.header_row)


def _sheet(raw: Any) -> ReportSheet:
    if not isinstance(raw, Mapping):
        raise ValueError("each [[sheets]] entry must be a table")
    name = required_text(raw, "name", "sheet")
    where = f"sheet {name!r}"
    reject_unknown_keys(raw, SHEET_KEYS, where)
    headers = tuple(str(h) for h in raw.get("headers", []))
    formats = raw.get("number_formats", {})
    if not isinstance(formats, Mapping):
        raise ValueError(f"{where}: number_formats must be a table of header = format")
    chart = _chart(raw["chart"], where, headers) if "chart" in raw else None
    return ReportSheet(name=name, query=required_text(raw, "query", where), title=str(raw.get("title", "")),
                       headers=headers, number_formats={str(k): str(v) for k, v in formats.items()},
                       chart=chart)


def _chart(raw: Any, where: str, headers: tuple[str, ...]) -> Chart:
    where = f"{where} chart"
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where} must be a table")
    reject_unknown_keys(raw, CHART_KEYS, where)
    kind = raw.get("kind", "column")
    if kind not in get_args(ChartKind):
        raise ValueError(f"{where}: kind {kind!r} is not one of {', '.join(get_args(ChartKind))}")
    values = raw.get("values")
    values = [values] if isinstance(values, str) else values
    if not isinstance(values, list) or not values:
        raise ValueError(f"{where}: values must name at least one header")
    categories = required_text(raw, "categories", where)
    unknown = [name for name in (categories, *values) if headers and name not in headers]
    if unknown or not headers:
        raise ValueError(f"{where}: categories and values must name the sheet's headers "
                         f"{list(headers)}; unknown: {unknown}")
    return Chart(kind=kind, title=str(raw.get("title", "")), categories=categories,
                 values=tuple(str(v) for v in values))


