"""Numbers and dates written the local way: `1.234,50`, `31/12/2024`.

A column declares its marks (`decimal_separator`, `thousands_separator`) and date formats;
nothing is guessed. Thousands separators must group digits by three (`1.234.567`), so a
mistyped `1.23,4` is refused rather than read as something else. A list of date formats is
tried in order, and a list in which two formats would read one text as two different dates
(`%d/%m/%Y` with `%m/%d/%Y`) is refused where it is declared.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from itertools import combinations

from etl.pipeline.problems import Problem

DECIMAL_SEPARATORS = (".", ",")
THOUSANDS_SEPARATORS = (",", ".", " ", "'", "\u00a0", "\u202f")
"""Comma, point, space, apostrophe (Swiss), no-break and narrow no-break space."""

_PROBE = datetime(2024, 2, 3, 4, 5, 6)
"""Day 3 of month 2: a text written by one format and read by another as a different date
shows the two disagree on the order of day and month (or on the century)."""
_EXAMPLE = datetime(2024, 12, 31, 18, 30)
"""Shown in messages: a day past 12 cannot be mistaken for a month."""


def number_reader(decimal: str, thousands: str | None) -> Callable[[str], str]:
    """A function from local number text to the plain form `Decimal`/`int` read (`-1234.50`),
    raising Problem for text that is not a number written that way."""
    group = rf"\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+|\d+" if thousands else r"\d+"
    shape = re.compile(rf"([+-]?)({group})?(?:{re.escape(decimal)}(\d+))?")
    marks = f"decimal mark {decimal!r}, " + (
        f"thousands separator {thousands!r} between groups of three digits" if thousands
        else "no thousands separators")

    def plain(text: str) -> str:
        found = shape.fullmatch(text)
        if found is None or not (found.group(2) or found.group(3)):
            raise Problem(f"not a number ({marks})")
        sign, whole, fraction = found.groups()
        whole = (whole or "0").replace(thousands, "") if thousands else (whole or "0")
        return f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"

    return plain


def date_format_conflict(formats: Sequence[str]) -> str | None:
    """Why a list of date formats is ambiguous (two of them read one text as different
    dates), or None."""
    for first, second in combinations(formats, 2):
        written = _PROBE.strftime(first)
        try:
            read = datetime.strptime(written, second)
        except ValueError:
            continue
        if read.date() != _PROBE.date():
            return (f"date formats {first!r} and {second!r} read {written!r} as different dates; "
                    "keep the one the file uses")
    return None


def bad_date_format(fmt: str) -> str | None:
    """Why `fmt` is not a usable strptime format (it must at least name a day, month and
    year, or a time), or None."""
    if not isinstance(fmt, str) or "%" not in fmt:
        return f"date format {fmt!r} has no % directives (e.g. %d/%m/%Y)"
    try:
        written = _PROBE.strftime(fmt)
        datetime.strptime(written, fmt)
    except ValueError as err:
        return f"date format {fmt!r} cannot be used: {err}"
    return None


def date_reader(formats: Sequence[str], iso: Callable[[str], date | datetime],
                to_date: bool) -> Callable[[str], date | datetime]:
    """Text in any of `formats` (in order), else ISO 8601 (a workbook's date cells arrive
    as ISO text, which is unambiguous), else Problem with an example of the first format."""
    if not formats:
        return iso
    examples = " or ".join(f"{fmt} (e.g. {_EXAMPLE.strftime(fmt)})" for fmt in formats)
    what = "a date" if to_date else "a date and time"

    def read(text: str) -> date | datetime:
        for fmt in formats:
            try:
                value = datetime.strptime(text, fmt)
            except ValueError:
                continue
            return value.date() if to_date else value
        try:
            return iso(text)
        except Problem:
            raise Problem(f"not {what} in the format {examples}") from None

    return read
