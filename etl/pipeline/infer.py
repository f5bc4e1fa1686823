"""Column types inferred from a file, text first (`etl import --table NAME --create`,
`etl pipelines new`).

A column is integer, decimal, date, datetime or boolean only when every non-empty value
parses as that type, with the same converters an import uses (so what was inferred imports
cleanly), and, for numbers and yes/no values, none has a leading zero or a `+` (a phone
number, a postcode or an account number is text even when it is all digits). Anything else
is text, as long as the longest value seen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from etl.errors import UsageError
from etl.pipeline.convert import Converter, build_converter
from etl.pipeline.definition import Column, ColumnKind, Pipeline
from etl.pipeline.problems import Problem
from etl.pipeline.tables import PRIMARY_KEY
from etl.readers.base import Row
from etl.readers.headers import normalize_header

CANDIDATES: tuple[ColumnKind, ...] = ("integer", "decimal", "date", "datetime", "boolean")
"""Tried in this order: the first kind every value fits wins."""
NUMBERS = frozenset({"integer", "decimal", "boolean"})
_PADDED = re.compile(r"^[+]|^-?0\d")
_INT32 = 2**31
MIN_DECIMAL_PRECISION = 18
"""Digits a created decimal column holds at least, so a later, larger value still fits."""


@dataclass
class _Evidence:
    """What one column's values have shown so far."""

    header: str
    converters: dict[ColumnKind, Converter]
    alive: set[ColumnKind] = field(default_factory=lambda: set(CANDIDATES))
    longest: int = 0
    big: bool = False
    whole_digits: int = 0
    scale: int = 0

    def see(self, raw: str) -> None:
        text = raw.strip()
        if not text:
            return
        self.longest = max(self.longest, len(text))
        if _PADDED.match(text):
            self.alive -= NUMBERS
        for kind in list(self.alive):
            try:
                value = self.converters[kind](text)
            except Problem:
                self.alive.discard(kind)
                continue
            if kind == "boolean" and text.isdigit():
                self.alive.discard(kind)  # 1/0 columns are numbers
            elif kind == "integer":
                self.big = self.big or not -_INT32 <= value < _INT32
            elif kind == "decimal":
                self._size(value)

    def _size(self, value: Decimal) -> None:
        sign, digits, exponent = value.as_tuple()
        assert isinstance(exponent, int)  # finite: the converter refuses NaN and infinities
        self.scale = max(self.scale, -exponent if exponent < 0 else 0)
        self.whole_digits = max(self.whole_digits, len(digits) + exponent)

    def kind(self) -> ColumnKind:
        if not self.longest:
            return "text"
        return next((kind for kind in CANDIDATES if kind in self.alive), "text")


def infer_pipeline(name: str, table: str, header: Sequence[str], rows: Iterable[Row],
                   key: Sequence[str] = (), *, decimal_comma: bool = False,
                   date_formats: Sequence[str] = ()) -> Pipeline:
    """A `create = true` pipeline for `table` whose columns are the file's, typed from its
    values. `key` names columns (as headers or column names); without it rows match on
    every column."""
    names = column_names(header)
    template = {kind: _locale(Column(name="c", headers=("c",), kind=kind), decimal_comma, date_formats)
                for kind in CANDIDATES}
    evidence = {i: _Evidence(header[i], {k: build_converter(c) for k, c in template.items()})
                for i, column in enumerate(names) if column is not None}
    for row in rows:
        values = row.values
        for index, found in evidence.items():
            if index < len(values):
                found.see(values[index])
    columns = tuple(_column(names[i] or "", found, template) for i, found in evidence.items())
    if not columns:
        raise UsageError(f"the file has no columns to make table {table!r} from (only an id)")
    return Pipeline(name=name, table=table, key=resolve_key(key, columns), columns=columns,
                    description=f"Inferred from a file with {len(columns)} columns", create=True)


def _locale(column: Column, decimal_comma: bool, formats: Sequence[str]) -> Column:
    if decimal_comma and column.kind in ("integer", "decimal"):
        column = replace(column, decimal_separator=",", thousands_separator=".")
    if formats and column.kind in ("date", "datetime"):
        column = replace(column, date_formats=tuple(formats))
    return column


def _column(name: str, found: _Evidence, template: dict[ColumnKind, Column]) -> Column:
    kind = found.kind()
    headers = tuple(dict.fromkeys((found.header.strip(), name)))
    if kind == "text":
        return Column(name=name, headers=headers, max_length=max(found.longest, 1))
    like = template[kind]
    column = replace(like, name=name, headers=headers)
    if kind == "integer" and found.big:
        column = replace(column, minimum=Decimal(-(2**63)), maximum=Decimal(2**63 - 1))
    if kind == "decimal":
        precision = max(MIN_DECIMAL_PRECISION, found.whole_digits + found.scale)
        column = replace(column, precision=precision, scale=found.scale)
    return column


def column_names(header: Sequence[str]) -> list[str | None]:
    """A SQL-friendly column name per header cell (`Fecha de venta` → `fecha_de_venta`),
    None for the `id` column (the primary key etl matches on); repeats get `_2`."""
    names: list[str | None] = []
    seen: set[str] = set()
    for position, cell in enumerate(header, start=1):
        base = re.sub(r"[^0-9a-z]+", "_", normalize_header(cell)).strip("_") or f"column_{position}"
        if base == PRIMARY_KEY:
            names.append(None)
            continue
        if base[0].isdigit():
            base = f"c_{base}"
        name, number = base, 1
        while name in seen:
            number += 1
            name = f"{base}_{number}"
        seen.add(name)
        names.append(name)
    return names


def resolve_key(key: Sequence[str], columns: Sequence[Column]) -> tuple[str, ...]:
    """`--key` names (headers or column names, compared as headers are) → column names."""
    if not key:
        return tuple(c.name for c in columns)
    by_name: dict[str, str] = {}
    for column in columns:
        for spelled in (column.name, *column.headers):
            by_name.setdefault(normalize_header(spelled), column.name)
    missing = [k for k in key if normalize_header(k) not in by_name]
    if missing:
        known = ", ".join(c.name for c in columns)
        raise UsageError(f"--key {', '.join(missing)}: no such column (the columns are {known})")
    return tuple(dict.fromkeys(by_name[normalize_header(k)] for k in key))

