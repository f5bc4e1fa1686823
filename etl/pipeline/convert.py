"""Per-column converters: text from a file → the Python value the column stores.

A converter is built once per file and column (all rules resolved up front), then called
for every row; it returns the value (None for an empty cell) or raises `Problem` with a
reason a person understands. Nothing is guessed: dates are ISO or the pipeline's explicit
formats, numbers use `.` (or a lone `,`) as decimal mark and no thousands separators unless
the column declares its marks (see `etl.pipeline.locales`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from etl.pipeline.definition import Column
from etl.pipeline.exact_types import INFINITE_WORDS, JsonDocument
from etl.pipeline.locales import date_reader, number_reader
from etl.pipeline.problems import Problem as Problem  # re-exported: converters raise it

Converter = Callable[[str], Any]

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "si", "sí", "s", "verdadero", "x"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "falso"})
_INTEGRAL_DECIMAL = re.compile(r"^[+-]?\d+\.0*$")
_LONE_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")


def build_converter(
    column: Column,
    *,
    max_length: int | None = None,
    int_range: tuple[int, int] | None = None,
    empty_text: str | None = None,
    second_digits: int | None = None,
    infinity: Converter | None = None,
) -> Converter:
    """The converter of `column`. `max_length` and `int_range` are the database column's own
    limits, combined with the pipeline's (the tool enforces them on every database), as is
    `second_digits`, the digits of a second a time or date-time column keeps: a value with
    more is a row error, not a value the database cuts. `infinity` turns a date or date-time
    column's `infinity`/`-infinity` into a value or a Problem (`exact_types.infinity_reader`);
    without it they are not dates.
    An empty optional text cell becomes `empty_text`: None, or '' for a NOT NULL column.

    Text and integer columns get flat converters (one call per cell on a good row): they are
    most of every file, and nested calls were a third of an import's time."""
    prepare = _text_normaliser(column)
    if column.kind == "text":
        limit = text_limit(column, max_length)
        return _text_converter(column.required, prepare, limit, _text_checks(column), empty_text)
    if column.kind == "integer":
        low, high = _bounds(column, int_range)
        if _has_locale(column):
            prepare = _localised(prepare, column)
        return _integer_converter(column.required, prepare, low, high)
    parse = _parser(column, infinity)
    if column.kind in ("time", "datetime") and second_digits is not None and second_digits < 6:
        parse = _kept_to(parse, second_digits)
    required = column.required

    def convert(raw: str) -> Any:
        text = prepare(raw)
        if not text:
            return _empty(required)
        return parse(text)

    return convert


def text_limit(column: Column, max_length: int | None) -> int | None:
    """The longest text a column takes: the pipeline's limit or the database's, the smaller."""
    return min((x for x in (column.max_length, max_length) if x is not None), default=None)


def whole_number_bounds(column: Column, int_range: tuple[int, int] | None) -> tuple[int, int]:
    """An integer column's range as whole numbers (no limit: ±2**64)."""
    low, high = _bounds(column, int_range)
    return (-(1 << 64) if low is None else math.ceil(low), 1 << 64 if high is None else math.floor(high))


def _empty(required: bool, empty: str | None = None) -> str | None:
    if required:
        raise Problem("a value is required")
    return empty


def _text_converter(
    required: bool, prepare: Callable[[str], str], limit: int | None,
    checks: list[Callable[[str], None]], empty: str | None,
) -> Converter:
    if limit is None:
        limit = 1 << 62
    if checks or prepare is not str.strip:

        def convert_checked(raw: str) -> Any:
            text = prepare(raw)
            if not text:
                return _empty(required, empty)
            for check in checks:
                check(text)
            if len(text) > limit:
                raise Problem(f"text is {len(text)} characters long; at most {limit} fit")
            return text

        return convert_checked

    def convert(raw: str) -> Any:
        text = raw.strip()
        if not text:
            return _empty(required, empty)
        if len(text) > limit:
            raise Problem(f"text is {len(text)} characters long; at most {limit} fit")
        return text

    return convert


def _bounds(column: Column, int_range: tuple[int, int] | None) -> tuple[Any, Any]:
    low: Any = column.minimum
    high: Any = column.maximum
    if int_range is not None:
        low = int_range[0] if low is None else max(low, int_range[0])
        high = int_range[1] if high is None else min(high, int_range[1])
    return low, high


def _integer_converter(required: bool, prepare: Callable[[str], str], low: Any, high: Any) -> Converter:
    # Whole-number bounds: comparing an int with a Decimal costs ten times an int comparison.
    floor = -(1 << 64) if low is None else math.ceil(low)
    ceiling = 1 << 64 if high is None else math.floor(high)

    def convert(raw: str) -> Any:
        text = prepare(raw)
        if not text:
            return _empty(required)
        try:
            value = int(text)
        except ValueError:
            value = _parse_integer(text)
        else:
            if "_" in text:
                raise Problem("not a whole number (no thousands separators)")
        if value < floor:
            raise Problem(f"must be at least {low}")
        if value > ceiling:
            raise Problem(f"must be at most {high}")
        return value

    return convert


def _text_normaliser(column: Column) -> Callable[[str], str]:
    case = {"lower": str.lower, "upper": str.upper, "title": str.title}.get(column.case or "")
    trim = column.trim or column.kind != "text"
    if case is None:
        return str.strip if trim else _identity
    if trim:
        return lambda raw: case(raw.strip())
    return case


def _identity(raw: str) -> str:
    return raw


def _text_checks(column: Column) -> list[Callable[[str], None]]:
    checks: list[Callable[[str], None]] = []
    if column.pattern is not None:
        compiled = re.compile(column.pattern)
        reason = column.pattern_message or f"does not match the pattern {column.pattern}"

        def check_pattern(text: str) -> None:
            if compiled.fullmatch(text) is None:
                raise Problem(reason)

        checks.append(check_pattern)
    if column.choices is not None:
        allowed = frozenset(column.choices)
        listing = ", ".join(column.choices)

        def check_choice(text: str) -> None:
            if text not in allowed:
                raise Problem(f"not one of the allowed values: {listing}")

        checks.append(check_choice)
    return checks


def _parser(column: Column, infinity: Converter | None = None) -> Converter:
    kind = column.kind
    if kind == "decimal":
        low, high = _bounds(column, None)
        if _has_locale(column):
            plain = number_reader(column.decimal_separator, column.thousands_separator)
            return _ranged(lambda text: _parse_decimal(plain(text)), low, high)
        return _ranged(_parse_decimal, low, high)
    if kind == "boolean":
        return _parse_boolean
    if kind == "date":
        return date_reader(column.date_formats, _iso_date(infinity), to_date=True)
    if kind == "datetime":
        return date_reader(column.date_formats, _iso_datetime(infinity), to_date=False)
    return _OTHER_PARSERS.get(kind, _identity)


def _kept_to(parse: Converter, digits: int) -> Converter:
    """`parse`, refusing a time whose fraction of a second needs more than `digits` digits."""
    step = 10 ** (6 - digits)
    kept = "whole seconds" if digits == 0 else f"{digits} digit{'s' if digits > 1 else ''} of a second"

    def checked(text: str) -> Any:
        value = parse(text)
        if value.microsecond % step:
            raise Problem(f"the column keeps {kept}; the database would cut this value's fraction "
                          f"of a second (.{value.microsecond:06d})")
        return value

    return checked


def _has_locale(column: Column) -> bool:
    return column.decimal_separator != "." or column.thousands_separator is not None


def _localised(prepare: Callable[[str], str], column: Column) -> Callable[[str], str]:
    """`prepare`, then local number text made plain (`1.234` → `1234`); empty stays empty."""
    plain = number_reader(column.decimal_separator, column.thousands_separator)

    def local(raw: str) -> str:
        text = prepare(raw)
        return plain(text) if text else text

    return local


def _ranged(parse: Converter, low: Any, high: Any) -> Converter:
    if low is None and high is None:
        return parse

    def parse_in_range(text: str) -> Any:
        value = parse(text)
        if low is not None and value < low:
            raise Problem(f"must be at least {low}")
        if high is not None and value > high:
            raise Problem(f"must be at most {high}")
        return value

    return parse_in_range


def _parse_integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        pass
    if _INTEGRAL_DECIMAL.match(text):
        return int(text.split(".")[0])
    raise Problem("not a whole number")


def _parse_decimal(text: str) -> Decimal:
    if _LONE_DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise Problem("not a number (use . as the decimal mark, no thousands separators)") from None
    if not value.is_finite():
        raise Problem("not a finite number")
    return value


def _parse_boolean(text: str) -> bool:
    folded = text.casefold()
    if folded in TRUE_WORDS:
        return True
    if folded in FALSE_WORDS:
        return False
    raise Problem("not a yes/no value (use true/false, yes/no, sí/no or 1/0)")


def _iso_date(infinity: Converter | None) -> Callable[[str], date]:
    def parse_iso_date(text: str) -> date:
        head, _, tail = text.replace("T", " ").partition(" ")
        if tail.strip() not in ("", "00:00", "00:00:00", "00:00:00.000"):
            raise Problem("a date was expected, not a date and time")
        try:
            return date.fromisoformat(head)
        except ValueError:
            if infinity is not None and text.lower() in INFINITE_WORDS:
                return infinity(text)  # type: ignore[no-any-return]
            raise Problem("not a date; write it as YYYY-MM-DD (e.g. 2024-12-31)") from None

    return parse_iso_date


def _iso_datetime(infinity: Converter | None) -> Callable[[str], datetime]:
    def parse_iso_datetime(text: str) -> datetime:
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            if infinity is not None and text.lower() in INFINITE_WORDS:
                return infinity(text)  # type: ignore[no-any-return]
            raise Problem(
                "not a date and time; write it as YYYY-MM-DD HH:MM:SS (e.g. 2024-12-31 18:30:00)"
            ) from None

    return parse_iso_datetime


def _parse_uuid(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise Problem("not a UUID (e.g. 123e4567-e89b-12d3-a456-426614174000)") from None


def _parse_time(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise Problem("not a time of day; write it as HH:MM:SS (e.g. 08:30:00)") from None


def _parse_json(text: str) -> JsonDocument:
    try:
        return JsonDocument.parse(text)
    except ValueError as err:  # json.JSONDecodeError is a ValueError
        raise Problem(f"not valid JSON ({err})") from None


_OTHER_PARSERS: dict[str, Converter] = {"uuid": _parse_uuid, "time": _parse_time, "json": _parse_json}
