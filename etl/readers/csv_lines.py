"""A CSV file's text as the lines `csv.reader` takes, read in bounded pieces.

Iterating a text file hands `csv.reader` one line at a time however long it is: a 200 MB
file without a line break became one 200 MB string (and a `MemoryError`), a 30 MB line of
3,000,001 cells three million strings. Here the text is read READ_CHARS at a time and cut
into lines where `open(newline="")` cuts them (`\\n`, `\\r\\n`, `\\r`), with line ends kept
so quoted line breaks stay exact. A line longer than MAX_LINE_CHARS, or one that certainly
holds more than MAX_COLUMNS fields, is refused before it is parsed. The work per line is
done by C (`str.splitlines`, `max(map(len, …))`); Python runs once per piece.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import TextIO

from etl.readers.limits import MAX_COLUMNS, MAX_LINE_CHARS

READ_CHARS = 1 << 16
"""Text read at a time: small pieces stay in the CPU cache (measured faster than 1 MiB)."""
_OTHER_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
"""Characters `str.splitlines` also breaks at, which CSV keeps inside values."""
_QUOTED = re.compile(r'"[^"]*"')


class LineError(Exception):
    """A line the reader refuses to parse; the CSV reader names its row."""


def csv_lines(handle: TextIO, delimiter: str) -> Iterator[list[str]]:
    """Lists of complete lines (each with its line end, but the file's last line), in order."""
    pending: list[str] = []
    held = 0
    quotes = 0
    """Quote characters handed out so far: an odd count may leave the next line inside a
    quoted value (or a quote was literal, as in `5"`: then both readings are tried)."""
    while text := handle.read(READ_CHARS):
        if pending:
            if "\n" not in text and "\r" not in text:
                pending.append(text)
                held += len(text)
                _check_length(held, pending, delimiter)
                continue
            text = "".join([*pending, text])
            pending, held = [], 0
        lines = _split(text)
        last = lines[-1]
        if not last.endswith("\n"):
            # An unfinished line, or a CR whose LF may start the next piece.
            lines.pop()
            pending, held = [last], len(last)
            _check_length(held, pending, delimiter)
        if lines:
            if text.count(delimiter) >= MAX_COLUMNS:
                _check_widths(lines, delimiter, quotes % 2 == 1)
            held_back = last.count('"') if pending else 0
            quotes += text.count('"') - held_back
            yield lines
    if pending:
        last_lines = ["".join(pending)]
        _check_widths(last_lines, delimiter, quotes % 2 == 1)
        yield last_lines


def _split(text: str) -> list[str]:
    if any(char in text for char in _OTHER_BREAKS):
        return io.StringIO(text, newline="").readlines()
    return text.splitlines(keepends=True)


def _check_length(held: int, pending: list[str], delimiter: str) -> None:
    if held > MAX_LINE_CHARS:
        if sum(piece.count(delimiter) for piece in pending) >= MAX_COLUMNS:
            raise LineError(too_many_columns())
        raise LineError(
            f"a line of more than {MAX_LINE_CHARS:,} characters without a line break, "
            "more than etl reads in one line (is it really a CSV file?)"
        )


def _check_widths(lines: list[str], delimiter: str, maybe_quoted: bool) -> None:
    """Refuse a line that holds more than MAX_COLUMNS fields. Delimiters inside quoted
    values do not count; when the line may begin inside a quoted value opened on an earlier
    line (`maybe_quoted`), it is refused only if both readings have too many."""
    for line in lines:
        if len(line) > MAX_COLUMNS and line.count(delimiter) >= MAX_COLUMNS:
            fields = _QUOTED.sub("", line).count(delimiter)
            if maybe_quoted:
                first_quote = line.find('"')
                inside = line[first_quote + 1:] if first_quote >= 0 else ""
                fields = min(fields, _QUOTED.sub("", inside).count(delimiter))
            if fields >= MAX_COLUMNS:
                raise LineError(too_many_columns())
        maybe_quoted ^= line.count('"') % 2 == 1


def too_many_columns() -> str:
    return (f"more than {MAX_COLUMNS:,} columns, the most a spreadsheet has "
            "(is the delimiter right? try --delimiter)")
