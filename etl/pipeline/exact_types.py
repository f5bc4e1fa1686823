"""How the `uuid`, `time` and `json` column kinds are stored on any database, exactly.

A pipeline column of one of these kinds converts its text to a `UUID`, a `time` or a
`JsonDocument`. Where the table's own type holds that value natively (PostgreSQL `uuid`,
any database's TIME), the column keeps its type. Otherwise the reflected column's type is
replaced, for this import only, by a decorator that stores the value's text (a UUID in a
CHAR(36) or CHAR(32) column, a time in a text column) and reads it back as the value, so
"unchanged" compares values, not spellings (`A0EE…` and `a0ee…` are one UUID).

MariaDB's TIME holds a duration (-838:59:59.999999 to 838:59:59.999999), which PyMySQL
gives as a `timedelta`; SQLAlchemy's TIME turns it into the time of day it wraps to
(-838:59:59 reads as 01:00:01), so a file's 01:00:01 would be "unchanged" beside it and an
export would show it. `time_of_duration` keeps a value within one day as that time of day
and any other as the duration it is: compared with a file's time it differs (the row is
updated), exported it is its ISO 8601 duration.

PostgreSQL's dates and timestamps `infinity` and `-infinity` have no Python date: they are
`Infinite` values (later, or earlier, than every date; equal only to themselves), which
etl's PostgreSQL connections load and dump (`etl.db`), so an export of them imports back
as `unchanged`. Another database has no such date: there the text is a row error.

JSON documents are always stored as their text: PostgreSQL parses `json`/`jsonb` from it,
and a document `null` stays distinct from SQL NULL (SQLAlchemy's JSON types would turn
Python's None, which `json.loads("null")` gives, into one or the other). Two documents are
equal when their JSON values are: key order, spacing and `1.10` against `1.1` do not count.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import String, Table, Text, Time, Uuid
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from etl.pipeline.definition import Pipeline
from etl.pipeline.problems import Problem


class JsonDocument:
    """A JSON document: its text as written, equal to another by JSON value."""

    __slots__ = ("text", "_frozen")

    def __init__(self, text: str) -> None:
        self.text = text
        self._frozen: Any = None

    @classmethod
    def parse(cls, text: str) -> JsonDocument:
        """The document of `text`; ValueError if it is not JSON (NaN and Infinity are not)."""
        document = cls(text)
        document.frozen()
        return document

    def frozen(self) -> Any:
        if self._frozen is None:
            self._frozen = _freeze(json.loads(self.text, parse_float=Decimal, parse_constant=_not_json))
        return self._frozen

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JsonDocument) and self.frozen() == other.frozen()

    def __hash__(self) -> int:
        return hash(self.frozen())

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"JsonDocument({self.text!r})"


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _freeze(value: Any) -> Any:
    """A hashable form equal for equal JSON values (booleans kept apart from 0 and 1)."""
    if isinstance(value, dict):
        return frozenset((key, _freeze(item)) for key, item in value.items())
    if isinstance(value, list):
        return tuple(map(_freeze, value))
    if isinstance(value, bool) or value is None:
        return ("literal", value)
    if isinstance(value, float):  # a driver's parsed document: its float's shortest text
        return Decimal(repr(value))
    return value


class JsonText(TypeDecorator[JsonDocument]):
    """A JSON document stored as its text, read back as a JsonDocument."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return value.text if isinstance(value, JsonDocument) else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None or isinstance(value, str):
            return None if value is None else JsonDocument(value)
        return JsonDocument(json.dumps(value))  # psycopg parses json and jsonb itself


class UuidText(TypeDecorator[UUID]):
    """A UUID in a text column: canonical text (32 hex digits in a CHAR(32)), read back as a UUID."""

    impl = String
    cache_ok = True

    def __init__(self, hex_digits: bool = False) -> None:
        super().__init__()
        self.hex_digits = hex_digits

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, UUID):
            return value.hex if self.hex_digits else str(value)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        try:
            return UUID(value) if isinstance(value, str) else value
        except ValueError:  # not a UUID: compared as the text it is, so it is updated
            return value


class TimeText(TypeDecorator[time]):
    """A time of day in a text column: ISO 8601 text, read back as a time."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return value.isoformat() if isinstance(value, time) else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        try:
            return time.fromisoformat(value) if isinstance(value, str) else value
        except ValueError:
            return value


@functools.total_ordering
class Infinite:
    """PostgreSQL's `infinity` (sign 1) or `-infinity` (sign -1) date or timestamp."""

    __slots__ = ("sign",)

    def __init__(self, sign: int) -> None:
        self.sign = sign

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Infinite) and other.sign == self.sign

    def __hash__(self) -> int:
        return hash((Infinite, self.sign))

    def __lt__(self, other: object) -> bool:
        if isinstance(other, Infinite):
            return self.sign < other.sign
        if isinstance(other, date):  # datetimes too
            return self.sign < 0
        return NotImplemented

    def __str__(self) -> str:
        return "infinity" if self.sign > 0 else "-infinity"

    def __repr__(self) -> str:
        return f"Infinite({self.sign})"

    isoformat = __str__


INFINITY, MINUS_INFINITY = Infinite(1), Infinite(-1)
INFINITE_WORDS = {"infinity": INFINITY, "+infinity": INFINITY, "-infinity": MINUS_INFINITY}
"""PostgreSQL's spellings (any case), as `date`/`timestamp` input and in its output."""
TEXT_COPY = "etl_text_copy"
"""`Table.info` key set once an Infinite value is headed for the table: psycopg's binary
COPY has no dumper for one, so PostgreSQL inserts go through the text COPY from then on."""
_DATABASES = {"mysql": "MariaDB", "mariadb": "MariaDB", "sqlite": "SQLite"}


def infinity_reader(table: Table, dialect: str) -> Callable[[str], Infinite]:
    """What a date or date-time column does with a text in INFINITE_WORDS: the Infinite
    value on PostgreSQL, a row error elsewhere."""
    if dialect == "postgresql":
        def infinite(text: str) -> Infinite:
            table.info[TEXT_COPY] = True
            return INFINITE_WORDS[text.lower()]

        return infinite
    name = _DATABASES.get(dialect, dialect)

    def refuse(text: str) -> Infinite:
        raise Problem(f"only PostgreSQL has a date at {text.lower().lstrip('+')}; {name} cannot store it")

    return refuse


_DAY = timedelta(days=1)


def time_of_duration(value: Any) -> Any:
    """A MariaDB TIME's value (a timedelta) as the time of day it is, when it is one; any
    other value as it came."""
    if value.__class__ is timedelta and timedelta(0) <= value < _DAY:
        minutes, seconds = divmod(value.seconds, 60)
        return time(minutes // 60, minutes % 60, seconds, value.microseconds)
    return value


class DurationTime(TypeDecorator[time]):
    """MariaDB's TIME read exactly (see `time_of_duration`); written as its own TIME is."""

    impl = mysql.TIME
    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        return time_of_duration


def use_exact_types(table: Table, pipeline: Pipeline) -> None:
    """Give the pipeline's uuid, time and json columns of `table` the types that store them exactly."""
    for column in pipeline.columns:
        if column.lookup is not None or column.name not in table.c:
            continue
        sql_column = table.c[column.name]
        if column.kind == "json":
            sql_column.type = JsonText()
        elif column.kind == "uuid" and not isinstance(sql_column.type, Uuid):
            sql_column.type = UuidText(hex_digits=getattr(sql_column.type, "length", None) == 32)
        elif column.kind == "time" and isinstance(sql_column.type, mysql.TIME):
            sql_column.type = DurationTime(fsp=sql_column.type.fsp)
        elif column.kind == "time" and not isinstance(sql_column.type, Time):
            sql_column.type = TimeText()
