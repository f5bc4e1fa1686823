"""Report definitions: TOML files (title, labels, sheets each with one SELECT, charts).

Reports live in `pipelines/reports/*.toml` and in a `reports/` folder inside any extra
pipelines folder, so a new report needs no code. A report is written in one language
(`lang`, Spanish for the built-in ones); a `[labels.en]` table gives each of its texts in
another language, which `--lang en` picks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, get_args

from etl.errors import ConfigError
from etl.pipeline import builtin_pipelines_dir
from etl.pipeline.definition import (
    pick_definition, read_definition_file, reject_unknown_keys, required_text,
)
from etl.writers.xlsx_formats import excel_format

ChartKind = Literal["bar", "column", "line", "pie"]
REPORT_KEYS = {"name", "lang", "title", "description", "sheets", "labels"}
SHEET_KEYS = {"name", "title", "query", "headers", "number_formats", "chart", "charts"}
CHART_KEYS = {"kind", "title", "categories", "values", "secondary", "axis_title", "secondary_axis_title"}
SECONDARY_KINDS = ("column", "line")
SHEET_NAME_LIMIT = 31
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
# The report's own words, in each language etl knows; a label table may translate them too.
PHRASES: dict[str, dict[str, str]] = {
    "es": {"generated": "generado el {when}"},
    "en": {"generated": "generated {when}"},
}


@dataclass(frozen=True)
class Chart:
    """A chart beside a sheet's table; categories and values name the sheet's headers.
    `secondary` values are drawn against a second value axis, on the right; axis titles
    say which is which (by default the measure's header, when an axis has one)."""

    kind: ChartKind
    title: str
    categories: str
    values: tuple[str, ...]
    secondary: tuple[str, ...] = ()
    axis_title: str = ""
    secondary_axis_title: str = ""

    @property
    def measures(self) -> tuple[str, ...]:
        return self.values + self.secondary


@dataclass(frozen=True)
class ReportSheet:
    name: str
    query: str
    title: str = ""
    headers: tuple[str, ...] = ()
    number_formats: Mapping[str, str] = field(default_factory=dict)
    charts: tuple[Chart, ...] = ()

    def texts(self) -> list[str]:
        """Everything a reader sees of this sheet, in the report's language."""
        charts = [text for chart in self.charts
                  for text in (chart.title, chart.axis_title, chart.secondary_axis_title)]
        return [self.name, self.title, *self.headers, *charts]


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    sheets: tuple[ReportSheet, ...]
    description: str = ""
    lang: str = "en"
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    source: Path | None = None

    @property
    def languages(self) -> tuple[str, ...]:
        return (self.lang, *(lang for lang in self.labels if lang != self.lang))

    def texts(self) -> set[str]:
        phrases = PHRASES.get(self.lang, PHRASES["en"]).values()
        texts = {self.title, self.description, *phrases}
        for sheet in self.sheets:
            texts.update(sheet.texts())
        return {text for text in texts if text}


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
        lang = str(data.get("lang", "en"))
        if not _LANGUAGE.match(lang):
            raise ValueError(f"lang {lang!r} is not a language code such as 'es' or 'en'")
        report = Report(
            name=required_text(data, "name", "report"),
            title=required_text(data, "title", "report"),
            description=str(data.get("description", "")),
            sheets=tuple(_sheet(raw) for raw in sheets),
            lang=lang,
            source=path,
        )
        _check_sheet_names(report.sheets)
        return replace(report, labels=_labels(data.get("labels", {}), report))
    except (ValueError, TypeError) as err:
        raise ConfigError(f"{path}: {err}") from None


def _sheet(raw: Any) -> ReportSheet:
    if not isinstance(raw, Mapping):
        raise ValueError("each [[sheets]] entry must be a table")
    name = required_text(raw, "name", "sheet")
    where = f"sheet {name!r}"
    reject_unknown_keys(raw, SHEET_KEYS, where)
    headers = tuple(str(h) for h in raw.get("headers", []))
    if len(set(headers)) != len(headers):
        raise ValueError(f"{where}: headers must be different from each other")
    formats = raw.get("number_formats", {})
    if not isinstance(formats, Mapping):
        raise ValueError(f"{where}: number_formats must be a table of header = format")
    unknown = [str(key) for key in formats if headers and key not in headers]
    if unknown:
        raise ValueError(f"{where}: number_formats names {unknown}, not among the headers {list(headers)}")
    if "chart" in raw and "charts" in raw:
        raise ValueError(f"{where}: give either [sheets.chart] or [[sheets.charts]], not both")
    charts = raw.get("charts", [raw["chart"]] if "chart" in raw else [])
    if not isinstance(charts, list):
        raise ValueError(f"{where}: charts must be a list of [[sheets.charts]] tables")
    return ReportSheet(
        name=name, query=required_text(raw, "query", where), title=str(raw.get("title", "")),
        headers=headers, number_formats={str(k): excel_format(str(v)) for k, v in formats.items()},
        charts=tuple(_chart(chart, where, headers) for chart in charts),
    )


def _chart(raw: Any, where: str, headers: tuple[str, ...]) -> Chart:
    where = f"{where} chart"
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where} must be a table")
    reject_unknown_keys(raw, CHART_KEYS, where)
    kind = raw.get("kind", "column")
    if kind not in get_args(ChartKind):
        raise ValueError(f"{where}: kind {kind!r} is not one of {', '.join(get_args(ChartKind))}")
    values, secondary = _names(raw.get("values"), where, "values"), _names(raw.get("secondary", []), where, "secondary")
    if not values:
        raise ValueError(f"{where}: values must name at least one header")
    categories = required_text(raw, "categories", where)
    unknown = [name for name in (categories, *values, *secondary) if name not in headers]
    if unknown or not headers:
        raise ValueError(f"{where}: categories and values must name the sheet's headers "
                         f"{list(headers)}; unknown: {unknown}")
    if secondary and kind not in SECONDARY_KINDS:
        raise ValueError(f"{where}: a {kind} chart has no secondary axis; use kind = "
                         f"{' or '.join(SECONDARY_KINDS)}, or a second chart")
    if kind == "pie" and len(values) > 1:
        raise ValueError(f"{where}: a pie chart shows one measure; got {list(values)}")
    if set(values) & set(secondary):
        raise ValueError(f"{where}: {sorted(set(values) & set(secondary))} cannot be on both axes")
    if raw.get("secondary_axis_title") and not secondary:
        raise ValueError(f"{where}: secondary_axis_title needs secondary values")
    return Chart(kind=kind, title=str(raw.get("title", "")), categories=categories, values=values,
                 secondary=secondary, axis_title=str(raw.get("axis_title", "")),
                 secondary_axis_title=str(raw.get("secondary_axis_title", "")))


def _names(raw: Any, where: str, key: str) -> tuple[str, ...]:
    raw = [raw] if isinstance(raw, str) else raw
    if not isinstance(raw, list) or not all(isinstance(name, str) for name in raw):
        raise ValueError(f"{where}: {key} must be a header or a list of headers")
    return tuple(raw)


def _check_sheet_names(sheets: Sequence[ReportSheet]) -> None:
    seen: set[str] = set()
    for sheet in sheets:
        if len(sheet.name) > SHEET_NAME_LIMIT:
            raise ValueError(f"sheet name {sheet.name!r} is longer than Excel's {SHEET_NAME_LIMIT} characters")
        if sheet.name.casefold() in seen:
            raise ValueError(f"two sheets are named {sheet.name!r}")
        seen.add(sheet.name.casefold())


def _labels(raw: Any, report: Report) -> dict[str, dict[str, str]]:
    """`[labels.LANG]` tables: each of the report's texts in another language. A key that
    is none of the report's texts is a typo, refused rather than silently ignored."""
    if not isinstance(raw, Mapping):
        raise ValueError("labels must be tables such as [labels.en]")
    texts = report.texts()
    labels: dict[str, dict[str, str]] = {}
    for lang, table in raw.items():
        if not _LANGUAGE.match(lang) or not isinstance(table, Mapping):
            raise ValueError(f"labels.{lang} must be a table named by a language code such as 'en'")
        unknown = sorted(str(key) for key in table if key not in texts)
        if unknown:
            raise ValueError(f"labels.{lang}: {unknown} are not texts of this report "
                             "(its title, description, sheet names, titles, headers or chart titles)")
        labels[lang] = {str(key): str(value) for key, value in table.items()}
        renamed = [labels[lang].get(sheet.name, sheet.name) for sheet in report.sheets]
        _check_sheet_names([ReportSheet(name, "SELECT 1") for name in renamed])
    return labels
