"""How an XLSX table reads: each column's number format, alignment and width.

Chosen from the values a column holds in its first rows (a report may name a format per
column instead), so a manager opening the file sees `1,234` rather than `1234`, `12.50`
rather than `12.5`, a date rather than a serial number, headers over their numbers, and an
id that does not run into the name beside it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal

ColumnKind = Literal["text", "integer", "decimal", "date", "datetime", "time", "boolean", "empty"]

# The names a report TOML may use instead of an Excel format code.
NAMED_FORMATS = {
    "integer": "#,##0",
    "decimal": "#,##0.00",
    "percent": "0.0%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "time": "hh:mm:ss",
    "id": "0",
    "text": "@",
}
KIND_FORMATS: dict[ColumnKind, str] = {
    "integer": "#,##0",
    "decimal": "#,##0.00",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm:ss",
    "time": "hh:mm:ss",
}
NUMERIC_KINDS = frozenset({"integer", "decimal", "date", "datetime", "time"})
MAX_DECIMALS = 6
MIN_WIDTH, MAX_WIDTH = 6, 60
FILTER_BUTTON_WIDTH = 2
# Text right of a right-aligned column starts one character in, so an id does not touch
# the name beside it. (An indent on the numbers instead renders unevenly in LibreOffice:
# of a column of dates, only the first row was indented.)
TEXT_INDENT = 1
_DATE_CODES = re.compile(r"[dmyhs]", re.IGNORECASE)
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^]]*\]')


@dataclass(frozen=True)
class ColumnLayout:
    """One column as written: its Excel number format (None: General), alignment and width;
    `indented` text starts one character in, clear of the numbers to its left."""

    kind: ColumnKind
    number_format: str | None
    width: float
    indented: bool = False

    @property
    def right_aligned(self) -> bool:
        return self.kind in NUMERIC_KINDS


def excel_format(spec: str) -> str:
    """A format name (`integer`, `decimal`, `percent`, `date`, …) as its Excel code; any
    other text is taken as an Excel format code already (`#,##0.0`, `0%`, `dd/mm/yyyy`)."""
    return NAMED_FORMATS.get(spec.strip().lower(), spec)


def is_date_format(code: str) -> bool:
    """Does this Excel format show a date or time (rather than a number or text)?"""
    return bool(_DATE_CODES.search(_QUOTED.sub("", code))) and code != "General"


def is_integer_format(code: str) -> bool:
    """A number format that shows whole numbers only (`0`, `#,##0`): a count."""
    bare = _QUOTED.sub("", code.split(";")[0])
    return bool(bare) and "0" in bare and "." not in bare and "%" not in bare and not is_date_format(code)


def layout_columns(
    header: Sequence[str], sample: Sequence[Sequence[Any]], formats: Mapping[str, str] | None = None
) -> list[ColumnLayout]:
    """Each column's layout from a sample of its rows; `formats` (header → Excel code) wins."""
    formats = formats or {}
    layouts: list[ColumnLayout] = []
    for col, name in enumerate(header):
        values = [row[col] for row in sample if col < len(row) and row[col] is not None]
        kind = column_kind(values)
        given = formats.get(name)
        code = _default_format(name, kind, values) if given is None else given
        kind = kind if given is None else _kind_of_format(given, kind)
        indented = kind not in NUMERIC_KINDS and bool(layouts) and layouts[-1].right_aligned
        width = max([len(str(name)) + FILTER_BUTTON_WIDTH, *(display_width(value, code) for value in values)])
        width += TEXT_INDENT if indented else 0
        layouts.append(ColumnLayout(kind, code, min(max(width, MIN_WIDTH), MAX_WIDTH), indented))
    return layouts


def column_kind(values: Sequence[Any]) -> ColumnKind:
    """What a column holds, judged by its non-empty values: one kind, or text when mixed."""
    kinds = {_value_kind(value) for value in values}
    if not kinds:
        return "empty"
    if kinds == {"integer", "decimal"}:
        return "decimal"
    return kinds.pop() if len(kinds) == 1 else "text"


def display_width(value: Any, code: str | None) -> int:
    """About how many characters `value` takes shown in `code` (plus a little margin)."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and code:
        return len(_formatted_number(value, code)) + 2
    if isinstance(value, datetime):
        return (len(code) if code else 19) + 2
    if isinstance(value, (date, time)):
        return (len(code) if code else 10) + 2
    if isinstance(value, str):
        return max((len(line) for line in value.splitlines()), default=0) + 1
    return len(str(value)) + 1


def decimals_of(code: str) -> int:
    """How many decimal places a number format shows."""
    bare = _QUOTED.sub("", code.split(";")[0])
    _, point, fraction = bare.partition(".")
    return sum(1 for char in fraction if char in "0#?") if point else 0


def _value_kind(value: Any) -> ColumnKind:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, Decimal):
        return "integer" if value == value.to_integral_value() else "decimal"
    if isinstance(value, float):
        return "decimal" if math.isfinite(value) else "text"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, time):
        return "time"
    return "text"


def _default_format(name: str, kind: ColumnKind, values: Sequence[Any]) -> str | None:
    """Counts and amounts with thousands separators; an identifier without them."""
    if kind == "integer" and _is_identifier(name):
        return NAMED_FORMATS["id"]
    if kind == "decimal":
        places = max([2, *(_places(value) for value in values if isinstance(value, Decimal))])
        return "#,##0." + "0" * min(places, MAX_DECIMALS)
    return KIND_FORMATS.get(kind)


def _kind_of_format(code: str, kind: ColumnKind) -> ColumnKind:
    """The kind a column shows as under an explicit format (right-aligned when a number)."""
    if code == "@":
        return "text"
    if kind not in ("text", "empty"):
        return kind
    if is_date_format(code):
        return "date"
    if is_integer_format(code):
        return "integer"
    return "decimal" if "0" in _QUOTED.sub("", code) else kind


def _is_identifier(name: str) -> bool:
    lowered = str(name).strip().lower()
    return lowered == "id" or lowered.endswith(("_id", " id"))


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _formatted_number(value: int | float | Decimal, code: str) -> str:
    bare = _QUOTED.sub("", code.split(";")[0])
    number = float(value) * (100 if "%" in bare else 1)
    places = decimals_of(code)
    text = f"{number:,.{places}f}" if "," in bare else f"{number:.{places}f}"
    return text + ("%" if "%" in bare else "")
