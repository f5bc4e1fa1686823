"""The exact text of every exported value, shared by the CSV, JSON Lines and XLSX writers.

One rule per kind of value, chosen so the text is exact and `etl import` reads it back to
the same value (docs/DECISIONS.md, "Export"):

- booleans `true` / `false`; integers and decimals their digits; floats the shortest text
  that reads back to the same float, and `NaN`, `Infinity`, `-Infinity` (PostgreSQL's
  spellings, which Python's `float` and `Decimal` read too);
- dates, times and datetimes ISO 8601 (`2024-12-31`, `08:30:00`, `2024-12-31 08:30:00`),
  microseconds when there are any, a UTC offset when the value has one;
- intervals (`timedelta`) ISO 8601 durations (`P1DT2H3M4S`, `-PT30S`); PostgreSQL intervals
  arrive as the server's own ISO 8601 text, months included;
- bytes lowercase hexadecimal (`00ff`);
- arrays and other structures (lists, tuples, dicts) JSON, their items by these rules;
  JSON documents arrive from the database as their JSON text and stay that text;
- UUIDs their canonical form; anything else `str(value)`.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

CHUNK_ROWS = 5_000
NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
_encode_string: Callable[[str], str] = json.encoder.encode_basestring


def float_text(value: float) -> str:
    """The shortest text that reads back as the same float; NaN and infinities spelled out."""
    text = repr(value)
    return NON_FINITE.get(text, text)


def decimal_text(value: Decimal) -> str:
    """A decimal's digits as they are (`NaN`, `Infinity`, `-Infinity` for the others)."""
    return str(value)


def duration_text(value: timedelta) -> str:
    """An ISO 8601 duration: `P1DT2H3M4.5S`, `PT0S`; a negative one with a leading `-`."""
    if value < timedelta(0):
        return "-" + duration_text(-value)
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    day_part = f"{value.days}D" if value.days else ""
    clock = "".join(f"{amount}{unit}" for amount, unit in ((hours, "H"), (minutes, "M")) if amount)
    if seconds or value.microseconds or not (clock or day_part):
        fraction = f".{value.microseconds:06d}".rstrip("0") if value.microseconds else ""
        clock += f"{seconds}{fraction}S"
    return f"P{day_part}T{clock}" if clock else f"P{day_part}"


def bytes_text(value: bytes | bytearray | memoryview) -> str:
    return bytes(value).hex()


def json_text(value: Any) -> str:
    """A value as JSON: structures nested, every scalar by this module's rules (non-finite
    numbers as the strings `NaN`, `Infinity`, `-Infinity`, JSON having no such numbers)."""
    encode = _JSON_BY_TYPE.get(value.__class__)
    if encode is not None:
        return encode(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(json_text, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_encode_string(str(k))}: {json_text(v)}" for k, v in value.items()) + "}"
    return _encode_string(value_text(value))


def value_text(value: Any) -> str:
    """The text of one non-null value."""
    convert = _TEXT_BY_TYPE.get(value.__class__)
    if convert is not None:
        return convert(value)
    if isinstance(value, (list, tuple, dict)):
        return json_text(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes_text(value)
    if isinstance(value, timedelta):
        return duration_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return float_text(value)
    return str(value)


def text_rows(rows: Iterable[Sequence[Any]], as_is: frozenset[type]) -> Iterator[Sequence[Any]]:
    """`rows` with every value whose type is not in `as_is` (or None) replaced by its text."""
    return itertools.chain.from_iterable(text_chunks(rows, as_is))


def text_chunks(rows: Iterable[Sequence[Any]], as_is: frozenset[type]) -> Iterator[Sequence[Sequence[Any]]]:
    """`text_rows` in lists of rows: the chunks of an export's row stream as they come from
    the cursor (its `chunks()`), or of `CHUNK_ROWS` rows of any other iterable.

    For each chunk the set of value types is taken in C (`map(type)`); a chunk holding only
    `as_is` types passes through untouched, so the usual export pays one pass in C per chunk
    and no Python call per row or value."""
    chunked: Callable[[], Iterable[Sequence[Sequence[Any]]]] | None = getattr(rows, "chunks", None)
    if chunked is not None:
        chunks: Iterable[Sequence[Sequence[Any]]] = chunked()
    else:
        iterator = iter(rows)
        chunks = iter(lambda: list(itertools.islice(iterator, CHUNK_ROWS)), [])
    return map(functools.partial(_text_chunk, as_is=as_is), chunks)


def _text_chunk(chunk: Sequence[Sequence[Any]], as_is: frozenset[type]) -> Sequence[Sequence[Any]]:
    if set(map(type, itertools.chain.from_iterable(chunk))) <= as_is:
        return chunk
    columns = list(zip(*chunk))
    for index, column in enumerate(columns):
        if not set(map(type, column)) <= as_is:
            columns[index] = tuple(None if v is None else value_text(v) for v in column)
    return list(zip(*columns))


_TEXT_BY_TYPE: dict[type, Callable[[Any], str]] = {
    str: str,
    int: str,
    bool: lambda value: "true" if value else "false",
    float: float_text,
    Decimal: decimal_text,
    datetime: str,
    date: str,
    time: str,
    timedelta: duration_text,
    UUID: str,
    bytes: bytes_text,
}

_JSON_BY_TYPE: dict[type, Callable[[Any], str]] = {
    str: _encode_string,
    int: int.__repr__,
    bool: lambda value: "true" if value else "false",
    type(None): lambda _: "null",
    float: lambda value: float_text(value) if math.isfinite(value) else f'"{float_text(value)}"',
    Decimal: lambda value: decimal_text(value) if value.is_finite() else f'"{decimal_text(value)}"',
    datetime: lambda value: f'"{value.isoformat()}"',  # RFC 3339's `T`, as JSON readers expect
}
