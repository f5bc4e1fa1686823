"""Warnings: what a person should check in a file that still imports, never changing what lands.

- A number cell of a workbook in a text column that looks like it lost a leading zero
  (Excel turns `04184488484` typed into a number cell into `4184488484`): other values of
  the column start with `0` and are one digit longer, or the padded value is what the
  column's `pattern` or exact length wants and the value as typed is not.
- A lookup value that created a row close to an existing one ("did you mean 'Amigos'?").

A file's warnings are gathered a chunk at a time; the leading-zero rule that compares with
the rest of the column is decided when the file ends. At most MAX_LISTED per column and
rule are listed, the rest counted in one more warning.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import attrgetter, is_, itemgetter

from etl.pipeline.binding import Binding
from etl.pipeline.convert import text_limit
from etl.pipeline.definition import Pipeline
from etl.pipeline.lookups import LookupResolver
from etl.pipeline.row_errors import RowError
from etl.pipeline.target import Target
from etl.readers.base import ReadWarning, Row
from etl.readers.cells import NumberText

_values = attrgetter("values")
_ZERO_LED = re.compile("\x00(0[^\x00]*)")
MAX_LISTED = 100
"""Warnings listed per column and reason; the rest are counted."""


@dataclass
class _Found:
    """Warnings of one kind in one column: the first MAX_LISTED, and how many in all."""

    listed: list[RowError] = field(default_factory=list)
    total: int = 0

    def add(self, warning: RowError) -> None:
        self.total += 1
        if len(self.listed) < MAX_LISTED:
            self.listed.append(warning)

    def warnings(self, label: str) -> list[RowError]:
        more = self.total - len(self.listed)
        tail = [RowError(None, label, None, f"... and {more} more cells like these")] if more else []
        return [*self.listed, *tail]


@dataclass
class _TextColumn:
    """One text column's leading-zero evidence."""

    index: int
    label: str
    pattern: re.Pattern[str] | None
    limit: int | None
    zero_example: dict[int, str] = field(default_factory=dict)
    """Length → the file's first value of that length that starts with 0 and is all digits."""
    numbers: dict[int, list[tuple[int, str, str | None]]] = field(default_factory=dict)
    """Digits-only number cells by length: (row, digits, why the pattern/length wants a zero),
    up to MAX_LISTED per length; judged when the whole column has been seen."""
    totals: Counter[tuple[int, bool]] = field(default_factory=Counter)
    """How many number cells of each length there were, with and without such a reason."""
    wants_by_length: dict[int, bool] = field(default_factory=dict)

    def observe(self, chunk: Sequence[Row]) -> None:
        """One pass in C over the column's cells of a chunk; Python per cell only for the
        number cells (and once per new length of the zero-led ones)."""
        index = self.index
        try:
            cells = list(map(itemgetter(index), map(_values, chunk)))
        except IndexError:  # a short row (a workbook's rows are padded, so rarely)
            cells = [row.values[index] if index < len(row.values) else "" for row in chunk]
        # Cells that start with 0 and are all digits, found in one regex pass over the joined
        # cells (readers refuse a NUL in a cell, so it can separate them).
        zeros = list(filter(str.isdigit, _ZERO_LED.findall("\x00" + "\x00".join(cells))))
        if zeros:
            missing = set(map(len, zeros)) - self.zero_example.keys()
            for value in zeros if missing else ():
                if len(value) in missing:  # the file's first value of each length is the example
                    self.zero_example[len(value)] = value
                    missing.discard(len(value))
                    if not missing:
                        break
        types = list(map(type, cells))
        if NumberText not in types:
            return
        for position in compress(range(len(cells)), map(is_, types, repeat(NumberText))):
            cell = cells[position]
            if not cell.isdigit():
                continue
            digits = str(cell)
            self.totals[len(digits), self._wants_zero(digits)] += 1
            listed = self.numbers.setdefault(len(digits), [])
            if len(listed) < MAX_LISTED:
                listed.append((chunk[position].number, digits, self._padded_reason(digits)))

    def _wants_zero(self, digits: str) -> bool:
        """Whether the column's pattern or length wants `0` + digits; without a pattern the
        answer depends on the length alone, so it is kept by length."""
        if self.pattern is not None:
            return self._padded_reason(digits) is not None
        wants = self.wants_by_length.get(len(digits))
        if wants is None:
            wants = self.wants_by_length[len(digits)] = self._padded_reason(digits) is not None
        return wants

    def _padded_reason(self, digits: str) -> str | None:
        """Why the column wants `0` + digits, if its pattern or exact length says so."""
        padded = "0" + digits
        if self.pattern is not None:
            if self.pattern.fullmatch(padded) is None:
                return None
            if self.pattern.fullmatch(digits) is None:
                return f"the column's pattern {self.pattern.pattern} fits {padded!r} and not the number"
        if self.limit is not None and len(padded) == self.limit:
            return f"the column holds {self.limit} characters and {padded!r} fills them"
        return None

    def finish(self) -> list[RowError]:
        """Other values one digit longer that start with 0 are the strongest evidence, so
        they decide a length first; else each number's own pattern/length reason does."""
        found: list[RowError] = []
        for length, listed in sorted(self.numbers.items()):
            example = self.zero_example.get(length + 1)
            if example is not None:
                reason = f"other values start with 0 and have {length + 1} digits (e.g. {example!r})"
                judged = _Found(total=self.totals[length, True] + self.totals[length, False] - len(listed))
                picked = [(n, d, reason) for n, d, _ in listed]
            else:
                picked = [(n, d, why) for n, d, why in listed if why is not None]
                judged = _Found(total=self.totals[length, True] - len(picked))
            for number, digits, why in picked:
                judged.add(RowError(number, self.label, digits, _message(str(why), "0" + digits)))
            found += judged.warnings(self.label)
        return found


def _message(reason: str, padded: str) -> str:
    return (f"a number cell that may have lost its leading zero: {reason}; stored as typed "
            f"(type it as text, {padded!r}, if the zero belongs)")


class FileWarnings:
    """Collects one file's warnings as its chunks go by."""

    def __init__(self, pipeline: Pipeline, target: Target, binding: Binding, header: Sequence[str],
                 resolvers: dict[str, LookupResolver], workbook: bool) -> None:
        self._found: list[RowError] = list(binding.warnings)
        self._text: list[_TextColumn] = []
        if workbook:
            for name, index in binding.direct.items():
                column = pipeline.column(name)
                if column.kind != "text" or column.lookup is not None:
                    continue
                pattern = re.compile(column.pattern) if column.pattern is not None else None
                limit = text_limit(column, target.max_length(name))
                self._text.append(_TextColumn(index, header[index], pattern, limit))
        self._lookups = [(resolvers[name], index) for name, index in binding.lookup.items() if name in resolvers]
        self._header = header
        self._suggested: dict[str, _Found] = {}

    def observe(self, chunk: Sequence[Row]) -> None:
        """Look at a chunk's cells; call after the chunk was converted (lookups resolved)."""
        for column in self._text:
            column.observe(chunk)
        for resolver, index in self._lookups:
            if resolver.suggestions:
                self._suggest(resolver, index, chunk)

    def _suggest(self, resolver: LookupResolver, index: int, chunk: Sequence[Row]) -> None:
        """A resolver says which new names were close to old ones; the first row of the chunk
        that names each one is where the warning points."""
        new = dict(resolver.suggestions)
        resolver.suggestions.clear()
        label = self._header[index]
        found = self._suggested.setdefault(label, _Found())
        for row in chunk:
            name = row.values[index].strip() if index < len(row.values) else ""
            near = new.pop(name, None)
            if near is not None:
                table = resolver.lookup.table
                message = f"creates a new {table} row; did you mean {near!r}?"
                found.add(RowError(row.number, label, name, message))
            if not new:
                break

    def finish(self, read: Sequence[ReadWarning] = ()) -> list[RowError]:
        """Every warning (with the reader's `read` ones) in row order, the counts of unlisted
        ones last."""
        found = [*self._found, *(RowError(w.row, w.column, w.value, w.message) for w in read)]
        for column in self._text:
            found += column.finish()
        for label, suggested in self._suggested.items():
            found += suggested.warnings(label)
        return sorted(found, key=lambda w: (w.row is None, w.row or 0))
