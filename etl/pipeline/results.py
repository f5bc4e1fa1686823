"""What an import reports: problems with rows, and the outcome of each file."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STATUSES = ("committed", "skipped", "rejected", "rolled_back", "dry_run")


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem: the row a person sees (None for the whole file), the column, the value."""

    row: int | None
    column: str | None
    value: str | None
    message: str

    def describe(self, path: Path | str) -> str:
        """`path:row:column: message (value 'x')`, leaving out what is unknown."""
        where = ":".join(str(part) for part in (path, self.row, self.column) if part is not None)
        value = f" (value {self.value!r})" if self.value not in (None, "") else ""
        return f"{where}: {self.message}{value}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


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
    detected: dict[str, str] = field(default_factory=dict)
    run_id: int | None = None
    moved_to: Path | None = None

    @property
    def succeeded(self) -> bool:
        return self.status in ("committed", "skipped", "dry_run")

    def as_dict(self) -> dict[str, Any]:
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
            "errors": [error.as_dict() for error in self.errors],
            "errors_total": self.errors_total,
            "lookups_created": self.lookups_created,
            "detected": dict(self.detected),
            "moved_to": str(self.moved_to) if self.moved_to else None,
        }
