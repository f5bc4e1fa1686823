"""Binding a file's header cells to a pipeline's columns.

Headers match ignoring case, accents, spaces and `_`; the table's primary key (`id`) is
always accepted, so an exported file can be edited and imported back. `row` and `error`,
the columns a rejects file adds, are ignored unless the pipeline uses those names, so a
fixed rejects file imports as it is. An unknown header names the closest accepted one
(an error, or a warning when the pipeline allows extra columns).
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass, field

from etl.pipeline.definition import Column, Pipeline
from etl.pipeline.row_errors import RowError
from etl.pipeline.suggest import closest
from etl.readers.headers import normalize_header

REJECTS_COLUMNS = ("row", "error")
HEADER_DISTANCE = 3
"""An unknown header this many edits from an accepted name is named as what was meant."""
MAX_UNKNOWN_LISTED = 20
"""Unknown header cells reported one by one; the rest are counted in one more problem, so a
file with three million header cells gives 21 lines, not three million."""


@dataclass(frozen=True)
class Binding:
    """Where each pipeline column sits in the file (cell indexes), and what is wrong."""

    direct: dict[str, int]
    lookup: dict[str, int]
    id_index: int | None
    problems: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    unnamed: tuple[int, ...] = ()
    """Cell indexes under a blank header cell: a value there is an unknown column, reported
    on its row (empty when the pipeline allows extra columns)."""

    @property
    def columns(self) -> list[str]:
        """The target columns the file provides, directly or through a lookup."""
        return [name for name in self.direct] + [n for n in self.lookup if n not in self.direct]


def accepted_names(pipeline: Pipeline, primary_key: str) -> dict[str, tuple[str, str]]:
    """Normalised header → (what it gives: "direct"/"lookup"/"id", column name)."""
    names: dict[str, tuple[str, str]] = {normalize_header(primary_key): ("id", primary_key)}
    for column in pipeline.columns:
        for header in (*column.headers, column.name):
            names.setdefault(normalize_header(header), ("direct", column.name))
        if column.lookup is not None:
            for header in column.lookup.headers:
                names.setdefault(normalize_header(header), ("lookup", column.name))
    return names


def bind_header(
    pipeline: Pipeline, primary_key: str, header: Sequence[str], header_row: int,
    not_null: Set[str] = frozenset(),
) -> Binding:
    """Bind `header` to the pipeline; problems are reported on the header's row. Columns that
    are required, or NOT NULL in the table (`not_null`), must have a header."""
    names = accepted_names(pipeline, primary_key)
    slots: dict[tuple[str, str], int] = {}
    problems: list[RowError] = []
    warnings: list[RowError] = []
    unnamed: list[int] = []
    unknown = 0
    known = _spelled_headers(pipeline, primary_key)
    for index, cell in enumerate(header):
        normalised = normalize_header(cell)
        if not normalised:
            unnamed.append(index)
            continue
        target = names.get(normalised)
        if target is None:
            if normalised in REJECTS_COLUMNS:
                continue
            unknown += 1
            if not pipeline.allow_extra_columns:
                if unknown <= MAX_UNKNOWN_LISTED:
                    near = closest(cell, known, normalize_header, HEADER_DISTANCE)
                    meant = f"did you mean {near!r}? " if near is not None else ""
                    problems.append(
                        RowError(header_row, cell, None, f"unknown column; {meant}{_accepted_listing(pipeline)}")
                    )
            elif unknown <= MAX_UNKNOWN_LISTED:
                near = closest(cell, known, normalize_header, HEADER_DISTANCE)
                if near is not None:
                    warnings.append(RowError(header_row, cell, None, f"column ignored; did you mean {near!r}?"))
            continue
        if target in slots:
            first = header[slots[target]]
            problems.append(
                RowError(header_row, cell, None, f"the column {first!r} already gives {target[1]!r}")
            )
            continue
        slots[target] = index
    binding = Binding(
        direct={name: i for (kind, name), i in slots.items() if kind == "direct"},
        lookup={name: i for (kind, name), i in slots.items() if kind == "lookup"},
        id_index=slots.get(("id", primary_key)),
        problems=problems,
        warnings=warnings,
        unnamed=() if pipeline.allow_extra_columns else tuple(unnamed),
    )
    if unknown > MAX_UNKNOWN_LISTED and not pipeline.allow_extra_columns:
        problems.append(RowError(header_row, None, None, f"and {unknown - MAX_UNKNOWN_LISTED:,} more unknown columns"))
    problems.extend(_missing_columns(pipeline, binding, header_row, not_null))
    return binding


def _missing_columns(
    pipeline: Pipeline, binding: Binding, header_row: int, not_null: Set[str]
) -> list[RowError]:
    present = set(binding.columns)
    problems = []
    for column in pipeline.columns:
        if column.name in present:
            continue
        needed = column.required or column.name in not_null or (
            column.name in pipeline.key and binding.id_index is None)
        if needed:
            problems.append(
                RowError(header_row, None, None, f"missing column {_headers_of(column)}")
            )
    return problems


def _spelled_headers(pipeline: Pipeline, primary_key: str) -> dict[str, str]:
    """Normalised accepted header → the header as the pipeline spells it."""
    spelled = [primary_key, *(h for headers in pipeline.accepted_headers.values() for h in headers)]
    known: dict[str, str] = {}
    for header in spelled:
        known.setdefault(normalize_header(header), header)
    return known


def _headers_of(column: Column) -> str:
    headers = list(column.headers)
    if column.lookup is not None:
        headers += list(column.lookup.headers)
    return " or ".join(repr(h) for h in headers)


def _accepted_listing(pipeline: Pipeline) -> str:
    accepted = [header for headers in pipeline.accepted_headers.values() for header in headers]
    return f"pipeline {pipeline.name!r} accepts {', '.join(accepted)} and id"
