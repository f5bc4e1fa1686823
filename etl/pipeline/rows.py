"""Turning a file row (text cells) into the tuple of values the loader writes.

Built once per file: the cell indexes and per-column converters are resolved up front.
A chunk of good rows is converted column by column (one `map` per column); a chunk with a
problem goes row by row, and only a failing row is looked at again, cell by cell, to
report every problem it has.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple

from etl.pipeline.binding import Binding
from etl.pipeline.columns import ColumnConverter, build_column_converter
from etl.pipeline.convert import Converter, Problem, build_converter
from etl.pipeline.definition import Column, Pipeline
from etl.pipeline.exact_types import infinity_reader
from etl.pipeline.lookups import LookupResolver, NewLookup
from etl.pipeline.row_errors import RowError
from etl.pipeline.target import Target
from etl.readers.base import ColumnChunk, Row


# A lookup's (cell index, converter, whole-column converter); a lookup made from several
# cells has no index and converts the whole row.
_LookupPlan = tuple[int | None, Callable[[Any], Any], ColumnConverter | None]


@dataclass(frozen=True, slots=True)
class Unconverted:
    """Stands in a rejected row's values for a cell that could not be converted: its text, so
    two bad rows that repeat a key as written are still reported."""

    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Slot:
    """How one output value is made from a row's cells."""

    convert: Callable[[Sequence[str]], Any]
    label: str
    raw: Callable[[Sequence[str]], str]
    check: Callable[[Sequence[str]], Any] | None = None
    """For a lookup: resolve without creating (used on rows already known to be bad)."""
    index: int | None = None
    """The one cell the value comes from, if it is one cell (the fast paths use it)."""
    cell_converter: Converter | None = None
    """That cell's text → value."""
    column_converter: ColumnConverter | None = None
    """A chunk's cells of that column → values, when every one is plainly good (else Problem)."""


class RejectedRow(list[RowError]):
    """A bad row's problems, plus its values (Unconverted where they failed), so the loader
    can still see its key (a repeated key is reported even between bad rows)."""

    def __init__(self, errors: list[RowError], partial: tuple[Any, ...] | None) -> None:
        super().__init__(errors)
        self.partial = partial


class ProcessedChunk(NamedTuple):
    """A chunk's rows in order (a bad row as its partial values, or None), and the bad rows'
    problems by row number: empty for the usual all-good chunk, so nobody walks its rows to
    find out."""

    rows: list[tuple[Any, ...] | None]
    bad: dict[int, RejectedRow]


class RowProcessor:
    """Validates and converts rows of one file for one pipeline.

    Lookups run after every other column of the row passed, so a bad row never creates a
    lookup row (a group) behind it."""

    def __init__(
        self,
        pipeline: Pipeline,
        target: Target,
        binding: Binding,
        header: Sequence[str],
        resolvers: dict[str, LookupResolver],
    ) -> None:
        self._width = len(header)
        self._unnamed = binding.unnamed
        plain: list[tuple[str, Slot]] = []
        lookups: list[tuple[str, Slot]] = []
        for name in binding.columns:
            slot = _slot(pipeline.column(name), target, binding, header, resolvers.get(name))
            (plain if slot.check is None else lookups).append((name, slot))
        self.columns: list[str] = [name for name, _ in plain + lookups]
        self.has_id = binding.id_index is not None
        id_slot = None
        if binding.id_index is not None:
            id_column = Column(name=target.primary_key, headers=("id",), kind="integer")
            id_range = target.int_range(target.primary_key)
            id_slot = _cell_slot(build_converter(id_column, int_range=id_range), binding.id_index, header,
                                 build_column_converter(id_column, int_range=id_range))
        self._slots = [slot for _, slot in plain + lookups] + ([id_slot] if id_slot else [])
        cells = [s for _, s in plain] + ([id_slot] if id_slot else [])
        self._cells = [_cell_plan(s) for s in cells]
        self._lookups: list[_LookupPlan] = [
            (s.index, s.cell_converter, s.column_converter) if s.cell_converter is not None
            else (None, s.convert, None)
            for _, s in lookups
        ]
        self._order = [*range(len(plain)), *range(len(cells), len(cells) + len(lookups))]
        if id_slot is not None:
            self._order.append(len(plain))
        self._fast = _fast_path([s for _, s in plain], [s for _, s in lookups], id_slot)

    def process_chunk(self, chunk: Sequence[Row]) -> ProcessedChunk:
        """`process` for a list of rows, column by column when every row is good: one `map`
        per column instead of a Python call per row is what makes a million rows cheap.
        Any problem in the chunk sends it through `process` row by row, which explains it."""
        if type(chunk) is ColumnChunk and len(chunk.columns) == self._width:
            return self._process_columns(chunk, chunk.columns, chunk.values)
        values = [row.values for row in chunk]
        if not values or set(map(len, values)) != {self._width}:
            return self._process_each(chunk)
        return self._process_columns(chunk, _RowColumns(values), lambda: values)

    def _process_columns(self, chunk: Sequence[Row], columns: Sequence[list[str]],
                         values: Callable[[], list[tuple[str, ...]]]) -> ProcessedChunk:
        """A chunk whose rows are all as wide as the header: `columns[i]` are its cells of
        header column i, `values()` its rows' values (for a lookup made of several cells)."""
        if self._any_unnamed(columns):
            return self._process_each(chunk)
        try:
            converted = [_convert_column(columns[index], convert, whole) for index, convert, whole in self._cells]
            converted += [list(map(convert, values())) if index is None
                          else _convert_column(columns[index], convert, whole)
                          for index, convert, whole in self._lookups]
        except Problem:
            return self._process_each(chunk)
        return ProcessedChunk(list(zip(*[converted[i] for i in self._order])), {})

    def _any_unnamed(self, columns: Sequence[list[str]]) -> bool:
        """Whether a row has a value under a blank header cell (then rows go one by one)."""
        return any(value.strip() for i in self._unnamed for value in columns[i])

    def _process_each(self, chunk: Sequence[Row]) -> ProcessedChunk:
        rows: list[tuple[Any, ...] | None] = []
        bad: dict[int, RejectedRow] = {}
        for row in chunk:
            out = self.process(row)
            if isinstance(out, RejectedRow):
                rows.append(out.partial)
                bad[row.number] = out
            else:
                rows.append(out)
        return ProcessedChunk(rows, bad)

    def process(self, row: Row) -> tuple[Any, ...] | RejectedRow:
        """The row's values (in `columns` order, then the id if the file has one), or its problems."""
        values = row.values
        if len(values) != self._width:
            if len(values) > self._width and any(v.strip() for v in values[self._width:]):
                message = f"the row has {len(values)} cells but the header only {self._width}"
                return RejectedRow([RowError(row.number, None, None, message)], None)
            values = (*values, *("",) * (self._width - len(values)))[: self._width]
        unnamed = [RowError(row.number, None, values[i], f"a value under a blank header cell (column {i + 1}): "
                            "name the column in the header row, or remove the value")
                   for i in self._unnamed if values[i].strip()]
        if unnamed:
            return RejectedRow(unnamed, None)
        try:
            return self._fast(values)
        except Problem:
            return self._explain(row.number, values)

    def _explain(self, number: int, values: Sequence[str]) -> RejectedRow:
        errors: list[RowError] = []
        partial: list[Any] = []
        for slot in self._slots:
            convert = slot.check if slot.check is not None and errors else slot.convert
            try:
                partial.append(convert(values))
            except Problem as problem:
                partial.append(Unconverted(slot.raw(values).strip()))
                errors.append(RowError(number, slot.label, slot.raw(values), str(problem)))
        return RejectedRow(errors, tuple(partial))


class _RowColumns(Sequence[list[str]]):
    """A chunk's rows seen as columns, each made when asked for (a `map` over the rows)."""

    def __init__(self, values: list[tuple[str, ...]]) -> None:
        self._values = values

    def __len__(self) -> int:
        return len(self._values[0]) if self._values else 0

    def __getitem__(self, index: int) -> list[str]:  # type: ignore[override]
        return list(map(itemgetter(index), self._values))


def _fast_path(
    plain: list[Slot], lookups: list[Slot], id_slot: Slot | None
) -> Callable[[Sequence[str]], tuple[Any, ...]]:
    """One generated function per file, e.g. `a0 = c0(v[0]); a1 = c1(v[2]); return (a0, a1, l0(v))`:
    every plain cell (the id too) first, then the lookups, so a lookup row is only created
    for an otherwise good row. Generated (as `namedtuple` does) because calling through
    `map` and closures per cell was a third of the row cost."""
    namespace: dict[str, Any] = {}
    lines = []
    cells = [*plain, *([id_slot] if id_slot is not None else [])]
    for number, slot in enumerate(cells):
        namespace[f"c{number}"] = slot.cell_converter
        lines.append(f"    a{number} = c{number}(v[{int(slot.index)}])")  # type: ignore[arg-type]
    parts = [f"a{number}" for number in range(len(plain))]
    for number, slot in enumerate(lookups):
        namespace[f"l{number}"] = slot.convert
        parts.append(f"l{number}(v)")
    if id_slot is not None:
        parts.append(f"a{len(plain)}")
    source = "def fast(v):\n" + "\n".join(lines) + f"\n    return ({', '.join(parts)},)\n"
    exec(compile(source, "<etl row converter>", "exec"), namespace)  # noqa: S102
    return namespace["fast"]  # type: ignore[no-any-return]


def _convert_column(cells: list[str], convert: Converter, whole: ColumnConverter | None) -> list[Any]:
    if whole is not None:
        try:
            return whole(cells)
        except Problem:
            pass  # some cell is not plainly good: cell by cell finds out which, and why
    return list(map(convert, cells))


def _cell_plan(slot: Slot) -> tuple[int, Converter, ColumnConverter | None]:
    """A one-cell slot's (cell index, converter, whole-column converter)."""
    assert slot.index is not None and slot.cell_converter is not None
    return slot.index, slot.cell_converter, slot.column_converter


def _cell_slot(convert: Converter, index: int, header: Sequence[str],
               whole: ColumnConverter | None = None) -> Slot:
    return Slot(lambda values: convert(values[index]), header[index], itemgetter(index),
                index=index, cell_converter=convert, column_converter=whole)


def _slot(
    column: Column,
    target: Target,
    binding: Binding,
    header: Sequence[str],
    resolver: LookupResolver | None,
) -> Slot:
    limits = {
        "max_length": target.max_length(column.name), "int_range": target.int_range(column.name),
        "empty_text": "" if target.not_null(column.name) else None,
    }
    infinity = infinity_reader(target.table, target.dialect) if column.kind in ("date", "datetime") else None
    convert = build_converter(column, **limits, second_digits=target.second_digits(column.name),  # type: ignore[arg-type]
                              infinity=infinity)
    direct = binding.direct.get(column.name)
    by_name = binding.lookup.get(column.name)
    if resolver is None or by_name is None:
        if resolver is not None:
            checked = convert
            convert = lambda raw: _checked(checked(raw), resolver)  # noqa: E731
        assert direct is not None
        whole = build_column_converter(column, **limits) if resolver is None else None  # type: ignore[arg-type]
        return _cell_slot(convert, direct, header, whole)
    required = column.required
    seen: dict[str, Any] = {}  # cells exactly as written → value: names repeat, resolving costs

    def from_name(raw: str, create: bool = True) -> Any:
        value = seen.get(raw)
        if value is not None:
            return value
        name = raw.strip()
        if not name:
            if required:
                raise Problem("a value is required")
            return None
        value = resolver.resolve(name, create)
        if value is not None and type(value) is not NewLookup:  # a new name is resolved again once created
            seen[raw] = value
        return value

    if direct is None:
        def known_names(cells: Sequence[str]) -> list[Any]:
            values = list(map(seen.get, cells))
            if None in values:
                raise Problem("a name not resolved yet")
            return values

        return Slot(lambda values: from_name(values[by_name]), header[by_name], itemgetter(by_name),
                    check=lambda values: from_name(values[by_name], False),
                    index=by_name, cell_converter=from_name, column_converter=known_names)

    def either(values: Sequence[str], create: bool = True) -> Any:
        if values[direct].strip():
            return resolver.check_value(convert(values[direct]))
        return from_name(values[by_name], create)

    def label_raw(values: Sequence[str]) -> str:
        return values[direct] if values[direct].strip() else values[by_name]

    return Slot(either, f"{header[direct]}/{header[by_name]}", label_raw,
                check=lambda values: either(values, False))


def _checked(value: Any, resolver: LookupResolver) -> Any:
    return None if value is None else resolver.check_value(value)
