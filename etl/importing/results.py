"""What importing a file reports: progress while it runs, then its status, counts, errors and warnings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from etl.pipeline.row_errors import RowError

if TYPE_CHECKING:
    import pandas

STATUSES = ("committed", "skipped", "rejected", "rolled_back", "dry_run")

Progress = Callable[[Path, int], None]
"""Called with the file and the rows read so far, once per chunk."""


@dataclass(frozen=True)
class ImportedBefore:
    """Where and when a content was committed before: the run (None for imports recorded by
    versions of etl before runs were), the attempt, the time (naive UTC) and the path."""

    run_id: int | None
    attempt_id: int | None
    at: datetime
    path: str

    def describe(self) -> str:
        """`by run 12 at 2026-11-01T02:30:05Z from incoming/f0.csv` (no run for an import
        recorded by a version of etl before runs were)."""
        by = f"by run {self.run_id} " if self.run_id is not None else ""
        return f"{by}at {self.at.isoformat(timespec='seconds')}Z from {self.path}"

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.run_id, "attempt": self.attempt_id,
                "at": self.at.isoformat(timespec="seconds") + "Z", "path": self.path}


class ImportListener:
    """Hears how an import goes, from the threads that do the work (with `--workers`, several
    at once: an implementation must be thread-safe). Every method does nothing by default."""

    def run_started(self, run_id: int, pipeline: str, files: Sequence[Path], workers: int) -> None:
        """The run is recorded (its id names it in the ledger) and is about to import `files`."""

    def file_started(self, path: Path, size: int | None) -> None:
        """A file's work begins; `size` in bytes when it is a file."""

    def hashing(self, path: Path, done: int, size: int | None) -> None:
        """Bytes of the file hashed so far (its SHA-256 decides "already imported")."""

    def reading(self, path: Path, rows: int, done: int | None, size: int | None) -> None:
        """Rows read so far and, when the reader tells, bytes of the file read; once per chunk."""

    def file_finished(self, result: FileResult) -> None:
        """A file's outcome, in the order files finish."""


class ProgressListener(ImportListener):
    """A plain `Progress` callable as a listener: it hears the rows read."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress

    def reading(self, path: Path, rows: int, done: int | None, size: int | None) -> None:
        if self.progress is not None:
            self.progress(path, rows)


@dataclass
class FileResult:
    """The outcome of importing one file."""

    path: Path
    status: str = "rejected"
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    lookups_created: int = 0
    write_mode: str | None = None
    """How the rows were written: objects, bulk or native (None before any row was)."""
    seconds: float = 0.0
    errors: list[RowError] = field(default_factory=list)
    errors_total: int = 0
    warnings: list[RowError] = field(default_factory=list)
    """Things a person should know that did not change what landed (a leading zero that
    looks lost, a formula without a cached value, …)."""
    detected: dict[str, str] = field(default_factory=dict)
    run_id: int | None = None
    moved_to: Path | None = None
    note: str | None = None
    """Why a file was skipped ("already imported by run 12 at …", "taken by another run
    (…)"), or that a dry-run file was imported before."""
    imported_before: ImportedBefore | None = None
    """The earlier import of the same content, when there is one."""
    annotated: Path | None = None
    """The annotated copy written for the file's sender (`--annotate`)."""

    @property
    def succeeded(self) -> bool:
        return self.status in ("committed", "skipped", "dry_run")

    def errors_frame(self) -> pandas.DataFrame:
        """The listed errors as a pandas DataFrame: `row`, `column`, `value`, `message`."""
        from etl.frames import errors_frame

        return errors_frame(self.errors)

    def to_dict(self) -> dict[str, Any]:
        """The `--json` document's entry for this file (the spec's keys, then extras)."""
        return {
            "path": str(self.path),
            "status": self.status,
            "rows_read": self.rows_read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "seconds": round(self.seconds, 3),
            "errors": [error.to_dict() for error in self.errors],
            "warnings": [warning.to_dict() for warning in self.warnings],
            "errors_total": self.errors_total,
            "lookups_created": self.lookups_created,
            "write_mode": self.write_mode,
            "detected": dict(self.detected),
            "moved_to": str(self.moved_to) if self.moved_to else None,
            "note": self.note,
            "imported_before": self.imported_before.to_dict() if self.imported_before else None,
            "annotated": str(self.annotated) if self.annotated else None,
        }
