"""What a report sheet shows, whichever workbook it lands in: its rows, streamed from its
read-only query, and its texts in the language asked for."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from etl.errors import ConfigError, UsageError
from etl.exporter import stream_rows
from etl.query_guard import check_select
from etl.reports.definitions import PHRASES, Report, ReportSheet
from etl.writers.xlsx_formats import is_date_format


@dataclass(frozen=True)
class Labels:
    """A report's texts in one language: its own, or one of its `[labels.LANG]` tables.
    A text the table does not give stays as the report wrote it."""

    report: Report
    lang: str

    def __call__(self, text: str) -> str:
        if self.lang == self.report.lang:
            return text
        return self.report.labels.get(self.lang, {}).get(text, text)

    def phrase(self, key: str, **values: str) -> str:
        """One of etl's own words (e.g. "generated …"), in this language when known."""
        own = PHRASES.get(self.report.lang, PHRASES["en"])[key]
        table = self.report.labels.get(self.lang, {})
        if self.lang == self.report.lang or own in table:
            chosen = self(own)
        else:
            chosen = PHRASES.get(self.lang, PHRASES["en"])[key]
        return chosen.format(**values)


def labels_for(report: Report, lang: str | None) -> Labels:
    """The report's labels in `lang` (None: its own language); an unknown one is a usage error."""
    chosen = report.lang if lang is None else lang
    if chosen not in report.languages:
        where = f" in {report.source}" if report.source else ""
        raise UsageError(f"report {report.name!r} has labels in {', '.join(report.languages)}, not "
                         f"{chosen!r}; add a [labels.{chosen}] table to its definition{where}")
    return Labels(report, chosen)


@dataclass
class ColumnStats:
    """The smallest and largest number of each chart column, and the longest category label,
    gathered as rows stream past, so charts can pick their scale and size."""

    measures: Sequence[int]
    category: int | None
    low: dict[int, float] = field(default_factory=dict)
    high: dict[int, float] = field(default_factory=dict)
    label_length: int = 0
    first_date: date | None = None
    last_date: date | None = None

    def observe(self, row: Sequence[Any]) -> None:
        for col in self.measures:
            value = row[col]
            if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                number = float(value)
                self.low[col] = min(self.low.get(col, number), number)
                self.high[col] = max(self.high.get(col, number), number)
        label = row[self.category] if self.category is not None else None
        if label is None:
            return
        self.label_length = max(self.label_length, len(str(label)))
        if isinstance(label, date):
            day = label.date() if isinstance(label, datetime) else label
            self.first_date = day if self.first_date is None else min(self.first_date, day)
            self.last_date = day if self.last_date is None else max(self.last_date, day)


@dataclass
class SheetData:
    """A sheet ready to write: header and number formats as shown, and its rows."""

    sheet: ReportSheet
    name: str
    title: str
    header: tuple[str, ...]
    number_formats: dict[str, str]
    rows: Iterator[Sequence[Any]]
    stats: ColumnStats

    def column(self, header: str) -> int:
        """The position of one of the definition's headers (as the report wrote it)."""
        return list(self.sheet.headers).index(header)


@contextmanager
def open_sheet(connection: Connection, report: Report, sheet: ReportSheet, labels: Labels) -> Iterator[SheetData]:
    """Run the sheet's query read-only; its rows stream from the cursor while the caller writes."""
    check_select(sheet.query, what=f"report {report.name!r}, sheet {sheet.name!r} query")
    try:
        stream = stream_rows(connection, text(sheet.query))
    except UsageError as err:
        hint = " (are its tables created and loaded? see `etl init` and `etl import`)"
        raise UsageError(f"report {report.name!r}, sheet {sheet.name!r}: {err}{hint}") from None
    with stream:
        columns = tuple(stream.keys())
        own_header = sheet.headers or columns
        if len(own_header) != len(columns):
            raise ConfigError(f"report {report.name!r}, sheet {sheet.name!r}: {len(own_header)} "
                              f"headers for a query of {len(columns)} columns")
        dates = [col for col, name in enumerate(own_header)
                 if is_date_format(sheet.number_formats.get(name, "General"))]
        stats = _stats_for(sheet, own_header)
        yield SheetData(
            sheet=sheet,
            name=labels(sheet.name),
            title=labels(sheet.title or report.title),
            header=tuple(labels(name) for name in own_header),
            number_formats={labels(name): code for name, code in sheet.number_formats.items()},
            rows=_rows(stream, dates, stats),
            stats=stats,
        )


def _stats_for(sheet: ReportSheet, header: Sequence[str]) -> ColumnStats:
    positions = {name: col for col, name in enumerate(header)}
    measures = sorted({positions[name] for chart in sheet.charts for name in chart.measures})
    category = positions[sheet.charts[0].categories] if sheet.charts else None
    return ColumnStats(measures, category)


def _rows(rows: Iterator[Sequence[Any]] | Any, dates: Sequence[int], stats: ColumnStats) -> Iterator[Sequence[Any]]:
    """The rows with ISO-text dates made dates (SQLite has no date type: `DATE(x)` is text),
    observed for the charts when the sheet has any."""
    observe = stats.observe if stats.measures or stats.category is not None else None
    for row in rows:
        if dates:
            row = list(row)
            for col in dates:
                row[col] = _as_date(row[col])
        if observe is not None:
            observe(row)
        yield row


def _as_date(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    if len(value) == 10:
        return date(parsed.year, parsed.month, parsed.day)
    return parsed
