"""The uploads a server holds: each in its own private folder under the server's work folder,
found by a random id, deleted when the person is done with it, when too many are kept, or
when the server stops.
"""

from __future__ import annotations

import secrets
import shutil
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from etl.web.jobs import Job

KEPT_UPLOADS = 20
"""Uploads kept at once; the oldest beyond this are deleted."""


@dataclass
class ReadChoice:
    """What the person chose instead of what the reader detects (None: detect)."""

    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int | None = None


@dataclass
class Upload:
    """One uploaded file and what was done with it."""

    id: str
    name: str
    folder: Path
    path: Path
    size: int
    sha256: str
    created: datetime = field(default_factory=datetime.now)
    pipeline: str | None = None
    read: ReadChoice = field(default_factory=ReadChoice)
    check: Job | None = None
    imported: Job | None = None

    @property
    def stem(self) -> str:
        dot = self.name.rfind(".")
        return self.name[:dot] if dot > 0 else self.name

    @property
    def rejects_path(self) -> Path:
        """The rows a check found wrong (a CSV with `row`, `error`, then the file's columns)."""
        return self.folder / "rejects.csv"

    @property
    def skipped_rows_path(self) -> Path:
        """The rows an import skipped (with a bad-row allowance)."""
        return self.folder / "skipped-rows.csv"

    @property
    def annotated_path(self) -> Path:
        return self.folder / "annotated.xlsx"

    @property
    def busy(self) -> bool:
        return any(job is not None and job.running for job in (self.check, self.imported))


class Workspace:
    """The uploads of one server, in `root` (a private folder the server made)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._uploads: dict[str, Upload] = {}
        self._lock = threading.Lock()

    def new_folder(self) -> tuple[str, Path]:
        """A fresh private folder for an upload, and its id."""
        upload_id = secrets.token_urlsafe(12)
        folder = self.root / upload_id
        folder.mkdir(mode=0o700)
        return upload_id, folder

    def scratch_folder(self) -> Path:
        """A fresh private folder for a file being made for a download."""
        folder = self.root / f"download-{secrets.token_urlsafe(12)}"
        folder.mkdir(mode=0o700)
        return folder

    def add(self, upload: Upload) -> None:
        with self._lock:
            self._uploads[upload.id] = upload
            idle = [u for u in self._uploads.values() if not u.busy]
            for old in sorted(idle, key=lambda u: u.created)[: max(0, len(self._uploads) - KEPT_UPLOADS)]:
                self._remove(old)

    def get(self, upload_id: str) -> Upload | None:
        with self._lock:
            return self._uploads.get(upload_id)

    def uploads(self) -> list[Upload]:
        """Newest first."""
        with self._lock:
            return sorted(self._uploads.values(), key=lambda u: u.created, reverse=True)

    def discard(self, upload: Upload) -> None:
        with self._lock:
            self._remove(upload)

    def remove_all(self) -> None:
        with self._lock:
            self._uploads.clear()
        shutil.rmtree(self.root, ignore_errors=True)

    def _remove(self, upload: Upload) -> None:
        self._uploads.pop(upload.id, None)
        shutil.rmtree(upload.folder, ignore_errors=True)
