"""The text of one spreadsheet cell, as a person reading the sheet would type it back.

Numbers that hold an integer print without `.0` (a phone typed as a number stays
`4155673029`); dates, times and datetimes print as ISO 8601; booleans as Excel shows
them. No type is guessed here: the pipeline converts text to types. The text of a number
cell is a `NumberText`, so the pipeline can tell `4184488484` typed as a number (its leading
zero lost to the spreadsheet) from the same digits typed as text.
"""

from __future__ import annotations

import datetime as dt

_MIDNIGHT = dt.time(0, 0)
_EXACT_INTEGER_LIMIT = 2**53
"""Beyond this a float no longer holds every integer, so its digits would be invented."""


class NumberText(str):
    """The text of a workbook cell that held a number (not a date, time or boolean). It is a
    `str` in every way; only its type says where it came from."""

    __slots__ = ()


def cell_text(value: object) -> str:
    """Text for a cell value as openpyxl or python-calamine return it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return NumberText(number_text(value))
    if isinstance(value, int):
        return NumberText(value)
    if isinstance(value, dt.datetime):
        if value.time() == _MIDNIGHT and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return duration_text(value)
    return str(value)


def number_text(value: float) -> str:
    if value.is_integer() and abs(value) <= _EXACT_INTEGER_LIMIT:
        return str(int(value))
    return repr(value)


def duration_text(value: dt.timedelta) -> str:
    """A duration cell (`[h]:mm:ss`) as Excel shows it: hours may exceed 24."""
    total = value.total_seconds()
    sign = "-" if total < 0 else ""
    seconds = abs(total)
    hours, rest = divmod(int(seconds), 3600)
    minutes, whole_seconds = divmod(rest, 60)
    fraction = f"{seconds - int(seconds):.6f}".rstrip("0").rstrip(".")[1:] if seconds % 1 else ""
    return f"{sign}{hours}:{minutes:02d}:{whole_seconds:02d}{fraction}"
