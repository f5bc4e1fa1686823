"""A report as a new workbook (XlsxWriter, constant memory): per sheet a title, the table
of its query's rows with their number formats, and its charts beside it."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine

from etl.exporter import open_output
from etl.reports.charts import ChartTexts, add_charts
from etl.reports.definitions import Report
from etl.reports.sheets import Labels, labels_for, open_sheet
from etl.writers.xlsx import SheetSpan, XlsxBook


def write_report(
    engine: Engine, report: Report, output: Path, *, lang: str | None = None, into: Path | None = None
) -> dict[str, int]:
    """Run each sheet's query read-only and write the workbook; returns rows per sheet.
    `lang` picks the labels (default: the report's own language); `into` names a
    company's workbook to fill instead of writing a new one (it is never modified)."""
    labels = labels_for(report, lang)
    if into is not None:
        from etl.reports.into import fill_template

        return fill_template(engine, report, labels, into, output)
    return _write_new(engine, report, labels, output)


def _write_new(engine: Engine, report: Report, labels: Labels, output: Path) -> dict[str, int]:
    generated = labels.phrase("generated", when=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    counts: dict[str, int] = {}
    with open_output(output) as stream, engine.connect() as connection, connection.begin():
        book = XlsxBook(stream)
        try:
            for number, sheet in enumerate(report.sheets):
                described = labels(report.description) if number == 0 and report.description else ""
                subtitle = " · ".join(part for part in (described, generated) if part)
                with open_sheet(connection, report, sheet, labels) as data:
                    spans = book.add_table(data.name, data.header, data.rows,
                                           number_formats=data.number_formats, title=(data.title, subtitle))
                _page_setup(book, spans)
                counts[data.name] = sum(span.last_row - span.header_row for span in spans)
                if sheet.charts and spans[0].has_data:
                    texts = [ChartTexts(labels(chart.title), labels(chart.axis_title),
                                        labels(chart.secondary_axis_title)) for chart in sheet.charts]
                    add_charts(book, data, spans[0], texts)
        finally:
            book.close()
    return counts


def _page_setup(book: XlsxBook, spans: list[SheetSpan]) -> None:
    """Printed or saved as PDF: landscape, one page wide, header repeated on every page."""
    for span in spans:
        sheet = book.workbook.get_worksheet_by_name(span.sheet)
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(span.header_row)
