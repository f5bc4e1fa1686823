"""A first look at a file before importing it: what the reader detected, the header, the
first rows, and which pipeline the header fits best. Nothing touches the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from etl.pipeline.binding import accepted_names
from etl.pipeline.definition import Pipeline
from etl.readers import ReadOptions, Row, header_test, normalize_header, open_table

PRIMARY_KEY = "id"
"""The primary key name assumed when no table is reflected (a preview opens no database)."""


@dataclass(frozen=True)
class Preview:
    """What a file looks like to `etl`: the header found, the first data rows (the sheet's
    own row numbers), what was detected (encoding, delimiter, sheet, header row) and, for a
    workbook, the names of its sheets."""

    path: Path
    header: tuple[str, ...]
    header_row: int
    rows: tuple[Row, ...]
    detected: Mapping[str, str]
    sheets: tuple[str, ...] = ()
    columns: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    """Header text, and (with one pipeline) target column name → the header positions it names."""

    def positions(self, label: str | None) -> tuple[int, ...]:
        """The header positions a row error's column names: a header cell (`Teléfono`), a
        target column (`telefono`), or several joined as the errors join them
        (`nombre, telefono` for a key, `grupo_id/grupo` for a column given two ways)."""
        if not label:
            return ()
        if label in self.columns:
            return self.columns[label]
        parts = [part.strip() for piece in label.split(", ") for part in piece.split("/")]
        return tuple(sorted({p for part in parts for p in self.columns.get(part, ())}))


def preview_file(path: Path, options: ReadOptions, pipelines: Iterable[Pipeline], limit: int) -> Preview:
    """Open `path` as an import would (the header found by the names `pipelines` accept) and
    keep its first `limit` data rows. Raises what the readers raise for an unreadable file."""
    chosen = list(pipelines)
    names = [name for pipeline in chosen for name in accepted_names(pipeline, PRIMARY_KEY)]
    with open_table(path, options, header_test(names)) as table:
        rows = tuple(islice(table.rows, limit))
        columns = _columns(table.header, chosen[0] if len(chosen) == 1 else None)
        return Preview(path, table.header, table.header_row, rows, dict(table.detected), _sheets(path), columns)


def suggest_pipeline(pipelines: Iterable[Pipeline], header: Sequence[str]) -> str | None:
    """The pipeline that accepts the most of `header`'s cells (ties: the one that leaves the
    fewest cells unknown, then the first defined); None when no cell matches any pipeline."""
    cells = {normalize_header(cell) for cell in header if cell.strip()}
    best: tuple[int, int] = (0, 0)
    chosen = None
    for pipeline in pipelines:
        accepted = set(accepted_names(pipeline, PRIMARY_KEY))
        matched = len(cells & accepted)
        score = (matched, -len(cells - accepted))
        if matched and (chosen is None or score > best):
            best, chosen = score, pipeline.name
    return chosen


def _columns(header: Sequence[str], pipeline: Pipeline | None) -> dict[str, tuple[int, ...]]:
    found: dict[str, list[int]] = {}
    names = accepted_names(pipeline, PRIMARY_KEY) if pipeline is not None else {}
    for index, cell in enumerate(header):
        found.setdefault(cell, []).append(index)
        target = names.get(normalize_header(cell))
        if target is not None and target[1] != cell:
            found.setdefault(target[1], []).append(index)
    return {label: tuple(indexes) for label, indexes in found.items()}


def _sheets(path: Path) -> tuple[str, ...]:
    """The worksheets a reader can choose from, in tab order (none for CSV)."""
    from etl.readers.formats import WORKBOOK_SUFFIXES, file_kind

    kind = file_kind(path)
    if kind in WORKBOOK_SUFFIXES.values():
        from etl.readers.calamine_reader import worksheet_names

        return worksheet_names(path)
    if kind != "xlsx":
        return ()
    from etl.readers.xlsx_package import list_sheets

    return tuple(sheet.name for sheet in list_sheets(path) if sheet.is_worksheet and sheet.part)
