"""Which files an import reads, where their rejected rows go, and where hot-folder files move."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from etl.errors import UsageError
from etl.pipeline.definition import Pipeline
from etl.importing.results import FileResult
from etl.pipeline.row_errors import RowError


def expand_paths(pipeline: Pipeline, paths: Iterable[Path]) -> list[Path]:
    """Files as given, and for a folder every file in it matching the pipeline's formats, in
    name order (hidden files and Excel's `~$` lock files left alone)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(
                child for child in path.iterdir()
                if child.is_file() and child.suffix.lower() in pipeline.file_suffixes
                and not child.name.startswith((".", "~$"))
            ))
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"no such file or folder: {path}")
    return files


def rejects_path_for(base: Path, source: Path, several: bool) -> Path:
    """`--rejects out.csv` for one file; `out-<file name>.csv` per file when importing several."""
    if not several:
        return base
    return base.with_name(f"{base.stem}-{source.stem}{base.suffix or '.csv'}")


class RejectsWriter:
    """Writes rejected rows as CSV: `row`, `error`, then the file's own columns as read,
    so the file can be fixed and imported again. Created on the first rejected row; with no
    path (no --rejects), writes nothing."""

    def __init__(self, path: Path | None, header: Sequence[str]) -> None:
        self.path = path
        self._header = list(header)
        self._handle: TextIO | None = None
        self._writer: Any = None  # csv's writer type is not importable

    def write(self, number: int, errors: Sequence[RowError], values: Sequence[str]) -> None:
        if self.path is None:
            return
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._handle)
            self._writer.writerow(["row", "error", *self._header])
        reason = "; ".join(f"{e.column}: {e.message}" if e.column else e.message for e in errors)
        self._writer.writerow([number, reason, *values])

    def __enter__(self) -> RejectsWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._handle is not None:
            self._handle.close()


def move_file(path: Path, folder: Path) -> Path:
    """Move `path` into `folder`, never overwriting: `name-2.csv`, `name-3.csv`, … on a clash."""
    folder.mkdir(parents=True, exist_ok=True)
    destination = folder / path.name
    counter = 2
    while destination.exists():
        destination = folder / f"{path.stem}-{counter}{path.suffix}"
        counter += 1
    return Path(shutil.move(str(path), str(destination)))


def write_error_report(result: FileResult, destination: Path) -> Path:
    """The errors of a rejected file, one per line, beside the moved file."""
    report = destination.with_name(destination.name + ".errors.txt")
    lines = [error.describe(result.path) for error in result.errors]
    if result.errors_total > len(result.errors):
        lines.append(f"... and {result.errors_total - len(result.errors)} more errors")
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return report
