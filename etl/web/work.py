"""What the page does with an upload, through `etl.Database` only: check it (a preview, the
suggested pipeline, a dry run with every bad row listed) and import it.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Unpack

from etl.api import Database, ImportKeywords
from etl.importing.preview import Preview
from etl.importing.results import FileResult
from etl.pipeline.row_errors import RowError
from etl.web.jobs import Job
from etl.web.workspace import Upload

PREVIEW_ROWS = 50
PROBLEM_ROWS = 100
CHECK_MAX_ERRORS = 10**12
"""A check counts what every good row would do, however many rows are bad: the import
itself applies the real bad-row allowance."""


@dataclass(frozen=True)
class CellNote:
    """Why a cell (or with `position` None, a whole row) is marked."""

    position: int | None
    messages: tuple[str, ...]


@dataclass
class ShownRow:
    """A row as the page shows it: its number, its values, and its marked cells."""

    number: int
    values: tuple[str, ...]
    notes: dict[int, str] = field(default_factory=dict)
    row_note: str = ""


@dataclass
class CheckOutcome:
    preview: Preview
    pipeline: str | None
    suggested: str | None
    result: FileResult | None = None
    header_notes: dict[int, str] = field(default_factory=dict)
    rows: list[ShownRow] = field(default_factory=list)
    problem_rows: list[ShownRow] = field(default_factory=list)
    previous_import: datetime | None = None

    @property
    def file_problems(self) -> list[RowError]:
        """Errors about the file as a whole or its header, not about one data row."""
        header_row = self.preview.header_row
        return [e for e in self._errors if e.row is None or e.row == header_row]

    @property
    def _errors(self) -> list[RowError]:
        return self.result.errors if self.result is not None else []


def check_upload(database: Database, upload: Upload, job: Job) -> CheckOutcome:
    """Preview the upload, suggest a pipeline, and dry-run it with every bad row listed,
    written to the upload's rejects file and marked in an annotated copy for its sender."""
    first_look = _preview(database, upload, upload.pipeline)
    suggested = database.suggest_pipeline(first_look.header)
    pipeline = upload.pipeline or suggested
    if pipeline is None:
        return CheckOutcome(first_look, None, None, rows=_shown(first_look.rows, {}))
    preview = first_look if upload.pipeline else _preview(database, upload, pipeline)
    upload.rejects_path.unlink(missing_ok=True)
    upload.annotated_path.unlink(missing_ok=True)
    options = _options(upload, dry_run=True, max_errors=CHECK_MAX_ERRORS, rejects=upload.rejects_path,
                       annotate=upload.annotated_path, progress=job.progress)
    result = database.import_file(pipeline, upload.path, name=upload.name, **options)
    notes = _notes(preview, result.errors)
    outcome = CheckOutcome(preview, pipeline, suggested, result,
                           header_notes=_cell_notes(notes.get(preview.header_row, [])),
                           rows=_shown(preview.rows, notes),
                           problem_rows=_shown(_rejected_rows(upload.rejects_path), notes))
    if result.imported_before is not None:  # a dry run checks a file imported before, and says so
        outcome.previous_import = result.imported_before.at
    return outcome


def import_upload(database: Database, upload: Upload, pipeline: str, max_errors: int, job: Job) -> ImportOutcome:
    """Import the upload as `etl import` would, with `max_errors` bad rows allowed."""
    upload.skipped_rows_path.unlink(missing_ok=True)
    options = _options(upload, max_errors=max_errors, rejects=upload.skipped_rows_path, progress=job.progress)
    result = database.import_file(pipeline, upload.path, name=upload.name, **options)
    earlier = result.imported_before.at if result.imported_before is not None else None
    if result.status == "committed":
        upload.path.unlink(missing_ok=True)
    return ImportOutcome(pipeline, result, earlier)


@dataclass(frozen=True)
class ImportOutcome:
    pipeline: str
    result: FileResult
    previous_import: datetime | None = None


def _preview(database: Database, upload: Upload, pipeline: str | None) -> Preview:
    choice = upload.read
    return database.preview(upload.path, pipeline=pipeline, rows=PREVIEW_ROWS, encoding=choice.encoding,
                            delimiter=choice.delimiter, sheet=choice.sheet, header_row=choice.header_row)


def _options(upload: Upload, **options: Unpack[ImportKeywords]) -> ImportKeywords:
    """`options` and the upload's reading choices (None: detect) as import keywords."""
    choice = upload.read
    options["encoding"], options["delimiter"] = choice.encoding, choice.delimiter
    options["sheet"], options["header_row"] = choice.sheet, choice.header_row
    return options


def _notes(preview: Preview, errors: Iterable[RowError]) -> dict[int, list[CellNote]]:
    """Row number → the notes of its cells, from the errors listed for the file."""
    by_row: dict[int, dict[int | None, list[str]]] = defaultdict(lambda: defaultdict(list))
    for error in errors:
        if error.row is None:
            continue
        positions = preview.positions(error.column) or (None,)
        for position in positions:
            by_row[error.row][position].append(_reason(error))
    return {row: [CellNote(p, tuple(m)) for p, m in cells.items()] for row, cells in by_row.items()}


def _reason(error: RowError) -> str:
    value = f" (the cell says {error.value!r})" if error.value not in (None, "") else ""
    return f"{error.message}{value}"


def _cell_notes(notes: list[CellNote]) -> dict[int, str]:
    return {n.position: "; ".join(n.messages) for n in notes if n.position is not None}


def _shown(rows: Iterable[tuple[int, tuple[str, ...]]], notes: dict[int, list[CellNote]]) -> list[ShownRow]:
    shown = []
    for number, values in rows:
        row_notes = notes.get(number, [])
        shown.append(ShownRow(number, tuple(values), _cell_notes(row_notes),
                              "; ".join(m for n in row_notes if n.position is None for m in n.messages)))
    return shown


def _rejected_rows(path: Path) -> list[tuple[int, tuple[str, ...]]]:
    """The first PROBLEM_ROWS rows of a rejects file: (row number, the file's own values)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        records = csv.reader(handle)
        next(records, None)
        return [(int(record[0]), tuple(record[2:])) for record in islice(records, PROBLEM_ROWS)]
