"""What importing a file reports: progress while it runs, then its status, counts, errors and warnings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from etl.pipeline.row_errors import RowError

if TYPE_CHECKING:
    import pandas

STATUSES = ("committed", "skipped", "rejected", "rolled_back", "dry_run")

Progress = Callable[[Path, int], None]
"""Called with the file and the rows read so far, once per chunk."""


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
    seconds: float = 0.0
    errors: list[RowError] = field(default_factory=list)
    errors_total: int = 0
    warnings: list[RowError] = field(default_factory=list)
    """Things a person should know that did not change what landed (a leading zero that
    looks lost, a formula without a cached value, …)."""
    detected: dict[str, str] = field(default_factory=dict)
    run_id: int | None = None
    moved_to: Path | None = None
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
            "detected": dict(self.detected),
            "moved_to": str(self.moved_to) if self.moved_to else None,
            "annotated": str(self.annotated) if self.annotated else None,
        }
