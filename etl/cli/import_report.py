"""What `etl import` says while it runs: a header line, each file's summary (in the order
the files were given, whatever order the workers finish them in) with its errors, a closing
line, and on a terminal a progress bar per file being worked on.

Off a terminal (cron, systemd, a pipe) every line carries a timestamp (`Log`) and there is
no progress bar. rich is imported only when a bar is shown.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from etl.cli.output import Log, is_terminal
from etl.importing.results import FileResult, ImportListener


class ImportReport(ImportListener):
    """Prints a run as it goes (thread-safe: the workers call it)."""

    def __init__(self, out: Log, err: Log, *, dry_run: bool = False, silent: bool = False) -> None:
        self.out, self.err = out, err
        self.silent = silent
        """--json: nothing is printed, the run id is kept for the document."""
        self.dry_run = dry_run
        self.run_id: int | None = None
        self.bar: ProgressBar | None = None
        self._lock = threading.Lock()
        self._order: dict[Path, list[int]] = {}
        self._finished: dict[int, FileResult] = {}
        self._next = 0
        self._printed: list[FileResult] = []
        self._total = 0

    def run_started(self, run_id: int, pipeline: str, files: Sequence[Path], workers: int) -> None:
        self.run_id, self._total = run_id, len(files)
        for index, path in enumerate(files):
            self._order.setdefault(path, []).append(index)
        if self.silent:
            return
        extras = [f"{workers} workers"] if workers > 1 else []
        extras += ["dry run"] if self.dry_run else []
        count = f"{len(files):,} file{'s' if len(files) != 1 else ''}"
        self.out.line(f"etl import {pipeline}: {count}, run {run_id} "
                      f"(host {socket.gethostname()}, pid {os.getpid()}{''.join(', ' + e for e in extras)})")
        if self.bar is not None:
            self.bar.run_started(len(files))

    def file_started(self, path: Path, size: int | None) -> None:
        if self.bar is not None:
            self.bar.file_started(path, size)

    def hashing(self, path: Path, done: int, size: int | None) -> None:
        if self.bar is not None:
            self.bar.hashing(path, done)

    def reading(self, path: Path, rows: int, done: int | None, size: int | None) -> None:
        if self.bar is not None:
            self.bar.reading(path, rows, done)

    def file_finished(self, result: FileResult) -> None:
        if self.bar is not None:
            self.bar.file_finished(result.path)
        with self._lock:
            indices = self._order.get(result.path)
            index = indices.pop(0) if indices else self._total + len(self._finished)
            self._finished[index] = result
            while self._next in self._finished:
                self._print(self._finished.pop(self._next))
                self._next += 1

    def finish(self, stopped: str | None) -> None:
        """The summaries still waiting for an earlier file (one a stop left unfinished), then
        the closing line."""
        with self._lock:
            for index in sorted(self._finished):
                self._print(self._finished.pop(index))
        if self.run_id is None or self.silent:
            return
        results = self._printed
        rows = sum(r.rows_read for r in results)
        by_status: dict[str, int] = {}
        for result in results:
            by_status[result.status] = by_status.get(result.status, 0) + 1
        counts = ", ".join(f"{n:,} {status}" for status, n in by_status.items()) or "nothing done"
        seconds = sum(r.seconds for r in results)
        ending = f"{stopped}: {len(results):,} of {self._total:,} files done" if stopped else (
            f"done: {self._total:,} file{'s' if self._total != 1 else ''}")
        self.out.line(f"run {self.run_id} {ending}: {counts}; {rows:,} rows read ({seconds:,.2f} s of work)")

    def _print(self, result: FileResult) -> None:
        self._printed.append(result)
        if self.silent:
            return
        for error in result.errors:
            self.err.line(error.describe(result.path))
        if result.errors_total > len(result.errors):
            self.err.line(f"{result.path}: ... and {result.errors_total - len(result.errors):,} more errors")
        for warning in result.warnings:
            self.err.line(warning.describe(result.path, "warning"))
        self.out.line(summary_line(result))


def summary_line(result: FileResult) -> str:
    """`pets.csv: committed: 4 read, 4 inserted, 0 updated, 0 unchanged, 0 rejected (0.05 s)`;
    a skipped file says why instead of its (zero) counts."""
    if result.status == "skipped" and result.note:
        told = result.note
    else:
        told = (f"{result.rows_read:,} read, {result.inserted:,} inserted, {result.updated:,} updated, "
                f"{result.unchanged:,} unchanged, {result.rejected:,} rejected")
        if result.lookups_created:
            told += f", {result.lookups_created:,} lookup row(s) created"
        if result.warnings:
            told += f", {len(result.warnings):,} warning(s)"
        if result.note:
            told += f"; {result.note}"
    moved = f"; moved to {result.moved_to}" if result.moved_to else ""
    annotated = f"; annotated copy {result.annotated}" if result.annotated else ""
    return f"{result.path}: {result.status}: {told} ({result.seconds:,.2f} s){moved}{annotated}"


class ProgressBar:
    """rich's progress display on stderr: the run's files done, and for each file being
    worked on its hashing, then its reading: bar and percentage of the file's bytes, rows
    read, rows per second and time left. Gone when the run ends (transient)."""

    def __init__(self, progress: Any) -> None:
        self.progress = progress
        self._tasks: dict[Path, Any] = {}
        self._sizes: dict[Path, int | None] = {}
        self._reading: set[Path] = set()
        self._run: Any = None

    def run_started(self, files: int) -> None:
        if files > 1:
            self._run = self.progress.add_task("files", total=files, rows=None, unit="files")

    def file_started(self, path: Path, size: int | None) -> None:
        self._sizes[path] = size
        self._tasks[path] = self.progress.add_task(f"hashing {path.name}", total=size or None, rows=None)
        self.progress.refresh()  # shown now, however quickly the hashing ends

    def hashing(self, path: Path, done: int) -> None:
        task = self._tasks.get(path)
        if task is not None:
            self.progress.update(task, completed=done)

    def reading(self, path: Path, rows: int, done: int | None) -> None:
        task = self._tasks.get(path)
        if task is None:
            return
        if path not in self._reading:  # hashing is over: the bar starts again for the reading
            self._reading.add(path)
            self.progress.reset(task, description=path.name, total=None)
        if done is None:
            self.progress.update(task, rows=rows)
        else:
            self.progress.update(task, rows=rows, completed=done, total=self._sizes.get(path))

    def file_finished(self, path: Path) -> None:
        task = self._tasks.pop(path, None)
        self._reading.discard(path)
        if task is not None:
            self.progress.remove_task(task)
        if self._run is not None:
            self.progress.advance(self._run)


@contextmanager
def progress_bar(report: ImportReport, enabled: bool) -> Iterator[None]:
    """Show the bar for the block's duration when `enabled` (a terminal, not --quiet/--json)."""
    if not enabled:
        yield
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn, Progress, ProgressColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class RowsColumn(ProgressColumn):
        """`12,345 rows, 8,123 rows/s` while reading, `3/40 files` for the run."""

        def render(self, task: Any) -> Text:
            rows = task.fields.get("rows")
            if task.fields.get("unit") == "files":
                return Text(f"{int(task.completed):,}/{int(task.total or 0):,} files")
            if rows is None:
                return Text("")
            elapsed = task.elapsed or 0.0
            rate = f", {rows / elapsed:,.0f} rows/s" if elapsed > 0 else ""
            return Text(f"{rows:,} rows{rate}")

    columns = (TextColumn("{task.description}", markup=False), BarColumn(), TaskProgressColumn(), RowsColumn(),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    # rich's own redirection of stdout would send lines meant for a log file to the terminal,
    # and wrap and parse them as markup: lines for the terminal go through the bar's console
    # as they are, above the bar; lines for a file go to the file.
    with Progress(*columns, console=Console(file=sys.stderr), transient=True, redirect_stdout=False,
                  redirect_stderr=False) as progress:
        def above_the_bar(line: str) -> None:
            progress.console.print(line, markup=False, highlight=False, soft_wrap=True, emoji=False)

        logs = [log for log in (report.out, report.err) if is_terminal(log.stream)]
        report.bar = ProgressBar(progress)
        for log in logs:
            log.sink = above_the_bar
        try:
            yield
        finally:
            report.bar = None
            for log in logs:
                log.sink = None
