"""Charts beside a report sheet's table (XlsxWriter), sized and scaled to read well.

One measure per value axis; counts tick in whole numbers; axes and labels carry the
column's number format (thousands separators); a chart grows with its categories and
drops its data labels, or thins its category labels, rather than let them overlap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from xlsxwriter.chart import Chart as XlsxChart

from etl.reports.definitions import Chart
from etl.reports.sheets import ColumnStats, SheetData
from etl.writers.xlsx import SheetSpan, XlsxBook
from etl.writers.xlsx_formats import display_width, is_date_format, is_integer_format

CHAR_PX = 7  # about one character of the 9-10 pt chart fonts
MIN_WIDTH, MAX_WIDTH = 560, 1400
MIN_HEIGHT, MAX_HEIGHT = 300, 1600
PLOT_MARGIN = 150  # pixels of a chart that are not the plot area (title, axis, legend)
LABEL_HEADROOM = 1.12  # room above the tallest bar for its data label
TICKS = 6
GRIDLINES = {"visible": True, "line": {"color": "#D9D9D9"}}
CHART_GAP_PX = 16
MARKED_POINTS = 31  # a line of more points than this is drawn without a marker on each


@dataclass(frozen=True)
class Placement:
    """Where the charts of a sheet go: right of its table, one below the other."""

    row: int
    col: int
    y_offset: int = 0


@dataclass(frozen=True)
class ChartTexts:
    """A chart's title and axis titles, in the report's chosen language."""

    title: str
    axis: str = ""
    secondary_axis: str = ""


@dataclass(frozen=True)
class _Plan:
    """One chart's measures, their number formats and its size in pixels."""

    spec: Chart
    measures: list[int]
    formats: list[str]
    label_px: int
    size: tuple[int, int]


def add_charts(book: XlsxBook, data: SheetData, span: SheetSpan, texts: Sequence[ChartTexts]) -> None:
    """Each of the sheet's charts, stacked beside the table its series point at; charts
    with axes share the widest one's width, so their plots line up."""
    plans = [_plan(data, span, spec) for spec in data.sheet.charts]
    width = max((plan.size[0] for plan in plans if plan.spec.kind != "pie"), default=0)
    placement = Placement(span.header_row, span.columns + 1)
    sheet = book.workbook.get_worksheet_by_name(span.sheet)
    for plan, labels in zip(plans, texts):
        if plan.spec.kind != "pie":
            plan = replace(plan, size=(width, plan.size[1]))
        sheet.insert_chart(placement.row, placement.col, _chart(book, data, span, plan, labels),
                           {"x_offset": 10, "y_offset": placement.y_offset})
        placement = replace(placement, y_offset=placement.y_offset + plan.size[1] + CHART_GAP_PX)


def _plan(data: SheetData, span: SheetSpan, spec: Chart) -> _Plan:
    measures = [data.column(name) for name in spec.measures]
    formats = [span.number_formats[col] or "General" for col in measures]
    label_px = max(display_width(data.stats.high.get(col, 0), fmt) * CHAR_PX for col, fmt in zip(measures, formats))
    categories = span.last_row - span.header_row
    return _Plan(spec, measures, formats, label_px, _size(spec, categories, label_px, _category_chars(data, span, spec)))


def _chart(book: XlsxBook, data: SheetData, span: SheetSpan, plan: _Plan, texts: ChartTexts) -> XlsxChart:
    spec, categories = plan.spec, span.last_row - span.header_row
    category_col = data.column(spec.categories)
    show_labels = _labels_fit(spec, categories, plan.size, plan.label_px)
    chart = book.workbook.add_chart({"type": spec.kind})
    secondary = chart
    if spec.secondary and spec.kind == "column":
        secondary = book.workbook.add_chart({"type": "line"})
    for name, col, fmt in zip(spec.measures, plan.measures, plan.formats):
        on_secondary = name in spec.secondary
        target = secondary if on_secondary else chart
        target.add_series(_series(spec, span, category_col, col, fmt, show_labels, on_secondary, categories))
    if secondary is not chart:
        chart.combine(secondary)
    chart.set_title({"name": texts.title, "name_font": {"size": 12, "bold": True}})
    chart.set_size({"width": plan.size[0], "height": plan.size[1]})
    if spec.kind == "pie":
        chart.set_legend({"position": "right"})
        return chart
    chart.set_legend({"none": True} if len(spec.measures) == 1 else {"position": "bottom"})
    _set_axes(chart, secondary, spec, data, span, plan.size, plan.formats, texts)
    return chart


def _series(
    spec: Chart, span: SheetSpan, category_col: int, col: int, fmt: str, labels: bool, secondary: bool,
    points: int,
) -> dict[str, Any]:
    first, last = span.first_data_row, span.last_row
    series: dict[str, Any] = {
        "name": [span.sheet, span.header_row, col],
        "categories": [span.sheet, first, category_col, last, category_col],
        "values": [span.sheet, first, col, last, col],
    }
    if labels:
        series["data_labels"] = _data_labels("line" if secondary else spec.kind, fmt)
    if spec.kind in ("bar", "column") and not secondary:
        series["gap"] = 60
    if (spec.kind == "line" or secondary) and points <= MARKED_POINTS:
        series["marker"] = {"type": "circle", "size": 5}
    elif spec.kind == "line" or secondary:
        series["line"] = {"width": 1.5}
    if secondary:
        series["y2_axis"] = True
    return series


def _data_labels(kind: str, fmt: str) -> dict[str, Any]:
    if kind == "pie":
        # A slice shows its share of the whole; its value too, unless that is a share already.
        labels = {"percentage": True, "num_format": "0.0%", "leader_lines": True, "position": "best_fit"}
        return labels if "%" in fmt else {**labels, "value": True, "separator": "\n", "num_format": fmt}
    position = {"bar": "outside_end", "column": "outside_end", "line": "above"}[kind]
    return {"value": True, "num_format": fmt, "position": position}


def _size(spec: Chart, categories: int, label_px: int, category_chars: int) -> tuple[int, int]:
    """Width and height in pixels: room for every category's bar and label, within limits."""
    series = len(spec.values) if spec.kind in ("bar", "column") else 1
    if spec.kind == "bar":
        return 640, _clamp(categories * series * 24 + PLOT_MARGIN, MIN_HEIGHT, MAX_HEIGHT)
    if spec.kind == "column":
        per_category = max(label_px + 8, 28) * series
        per_category = max(per_category, min(category_chars, 14) * CHAR_PX)
        return _clamp(categories * per_category + PLOT_MARGIN, MIN_WIDTH, MAX_WIDTH), 340
    if spec.kind == "line":
        return _clamp(categories * 10 + PLOT_MARGIN, 640, 1200), 360
    return 520, 340


def _labels_fit(spec: Chart, categories: int, size: tuple[int, int], label_px: int) -> bool:
    """Whether every data point can carry its label without touching its neighbours. Two
    value axes put unrelated numbers at the same height, so their labels would collide."""
    if categories == 0 or spec.secondary:
        return False
    if spec.kind == "pie":
        return categories <= 10
    if spec.kind == "line":
        return len(spec.measures) == 1 and categories <= 12
    series = len(spec.values)
    if spec.kind == "bar":
        return (size[1] - PLOT_MARGIN) / (categories * series) >= 16
    return (size[0] - PLOT_MARGIN) / (categories * series) >= label_px + 4


def _set_axes(
    chart: XlsxChart, secondary: XlsxChart, spec: Chart, data: SheetData, span: SheetSpan,
    size: tuple[int, int], formats: Sequence[str], texts: ChartTexts,
) -> None:
    by_name = dict(zip(spec.measures, formats))
    primary = _value_axis(data.stats, [data.column(name) for name in spec.values],
                          [by_name[name] for name in spec.values])
    category = _category_axis(spec, data, span, size)
    if spec.kind == "bar":
        # Bar charts draw the first category at the bottom; reversed, they read like the table.
        chart.set_x_axis(primary)
        chart.set_y_axis({**category, "reverse": True, "crossing": "max"})
        return
    chart.set_x_axis(category)
    if not spec.secondary:
        chart.set_y_axis({**primary, **_axis_name(texts.axis)})
        return
    chart.set_y_axis({**primary, **_axis_name(texts.axis or _lone_header(data, spec.values))})
    axis = _value_axis(data.stats, [data.column(name) for name in spec.secondary],
                       [by_name[name] for name in spec.secondary])
    secondary.set_y2_axis({**axis, **_axis_name(texts.secondary_axis or _lone_header(data, spec.secondary)),
                           "major_gridlines": {"visible": False}})


def _axis_name(name: str) -> dict[str, Any]:
    return {"name": name, "name_font": {"size": 9, "bold": False}} if name else {}


def _lone_header(data: SheetData, names: Sequence[str]) -> str:
    """An axis with one measure is titled by its header; one with several needs axis_title."""
    return data.header[data.column(names[0])] if len(names) == 1 else ""


def _value_axis(stats: ColumnStats, cols: Sequence[int], formats: Sequence[str]) -> dict[str, Any]:
    """A scale from 0 (or the lowest value) past the highest, in round steps: whole ones
    for counts, so no tick reads 0.5 of a contact. The headroom keeps the tallest bar's
    label, or the highest line, off the plot's top edge."""
    low = min([0.0, *(stats.low.get(col, 0.0) for col in cols)])
    high = max([0.0, *(stats.high.get(col, 0.0) for col in cols)])
    fmt = formats[0]
    whole = all(is_integer_format(code) for code in formats)
    top = high * LABEL_HEADROOM
    step = _nice_step(top - low, whole)
    axis: dict[str, Any] = {
        "min": math.floor(low / step) * step,
        "max": max(math.ceil(top / step), 1) * step,
        "major_unit": step,
        "num_format": _axis_format(fmt, step, whole),
        "major_gridlines": GRIDLINES,
    }
    return axis


def _nice_step(extent: float, whole: bool) -> float:
    """1, 2 or 5 times a power of ten, giving about TICKS steps over `extent`."""
    if extent <= 0:
        return 1.0
    raw = extent / TICKS
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return float(max(1, round(step))) if whole else step


def _axis_format(fmt: str, step: float, whole: bool) -> str:
    if "%" in fmt:
        places = max(0, -math.floor(math.log10(step * 100))) if step * 100 < 1 else 0
        return "0" + ("." + "0" * places if places else "") + "%"
    if whole or float(step).is_integer():
        return "#,##0"
    return "#,##0." + "0" * max(1, -math.floor(math.log10(step)))


def _category_axis(spec: Chart, data: SheetData, span: SheetSpan, size: tuple[int, int]) -> dict[str, Any]:
    """Category labels that do not overlap: dated ones on a date axis with a round interval,
    text ones turned or thinned out when there are too many for the axis."""
    categories = max(span.last_row - span.header_row, 1)
    fmt = span.number_formats[data.column(spec.categories)] or "General"
    length = (size[1] if spec.kind == "bar" else size[0]) - PLOT_MARGIN
    if is_date_format(fmt) and spec.kind == "line":
        return _date_axis(data.stats, length, fmt)
    axis: dict[str, Any] = {"num_format": fmt} if fmt != "General" else {}
    if spec.kind == "bar":
        room = 18
    else:
        label_px = max(min(_category_chars(data, span, spec), 20), 3) * CHAR_PX
        if length / categories < label_px and length / categories >= 18:
            axis["num_font"] = {"rotation": -45}
        room = 18 if "num_font" in axis else label_px
    interval = math.ceil(categories * room / max(length, 1))
    if interval > 1:
        axis["interval_unit"] = interval
    return axis


def _category_chars(data: SheetData, span: SheetSpan, spec: Chart) -> int:
    """How wide the longest category label is, as shown (a date in its format, not its repr)."""
    fmt = span.number_formats[data.column(spec.categories)] or "General"
    return len(fmt) if is_date_format(fmt) else data.stats.label_length


def _date_axis(stats: ColumnStats, length: int, fmt: str) -> dict[str, Any]:
    first, last = stats.first_date, stats.last_date
    days = (last - first).days + 1 if isinstance(first, date) and isinstance(last, date) else 1
    fits = max(length // ((len(fmt) + 2) * CHAR_PX), 2)
    axis: dict[str, Any] = {"date_axis": True, "num_format": fmt, "major_tick_mark": "outside"}
    for unit, kind, span_days in ((1, "days", 1), (2, "days", 2), (7, "days", 7), (14, "days", 14),
                                  (1, "months", 31), (2, "months", 62), (3, "months", 92),
                                  (6, "months", 183), (1, "years", 366)):
        if days / span_days <= fits:
            return {**axis, "major_unit": unit, "major_unit_type": kind}
    return {**axis, "major_unit": math.ceil(days / 366 / fits), "major_unit_type": "years"}


def _clamp(value: float, low: int, high: int) -> int:
    return int(min(max(value, low), high))
