"""A run: one import command's files, each claimed, imported in its own transaction and filed
away exactly once, however many runs share the folder and the database.

For each file, on one connection of its own (its worker's), in this order:

1. hash it (a file another run already moved away is `skipped`, "taken by another run");
2. claim its content (`claims.py`); a content another live run holds is `skipped`, "taken
   by another run", unless that run holds it under another file name: then this one waits,
   so that each of the two files is imported or archived by exactly one run;
3. holding the claim, decide: the file is gone (another run finished it first), already
   imported (`skipped`, naming the earlier run, its time and path; archived), rejected by
   another run since this one started (`skipped`, taken), or to import;
4. import it (one transaction: `FileImport`), then archive it or move it to the error folder;
5. release the claim.

A dry run claims nothing and validates every file, an already imported one too.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import Connection, Engine

from etl import ledger
from etl.importing import claims
from etl.importing.files import move_file, rejects_path_for, write_error_report
from etl.importing.importer import FileImport, ImportOptions, check_options, prepare_database
from etl.importing.results import FileResult, ImportListener
from etl.importing.sources import FileSource, Source
from etl.importing.workers import Cancel, Interrupted, run_all
from etl.pipeline.definition import Pipeline
from etl.pipeline.row_errors import RowError

CLAIM_POLL_SECONDS = 0.25
"""How often a file whose content another run holds under another name looks again."""


class ContentLocks:
    """Two files of one run with the same content are done one after the other (the second
    then finds the first's import), never as two claims of the same content at once."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    @contextmanager
    def hold(self, sha256: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(sha256, threading.Lock())
        with lock:
            yield


@dataclass
class RunContext:
    """What every file of one run shares."""

    run_id: int | None = None
    last_attempt: int = 0
    """The newest attempt when the run began: newer ones were made while it went on."""
    cancel: Cancel = field(default_factory=Cancel)
    listener: ImportListener = field(default_factory=ImportListener)
    contents: ContentLocks = field(default_factory=ContentLocks)


def run_sources(engine: Engine, pipeline: Pipeline, sources: Sequence[Source], options: ImportOptions,
                listener: ImportListener | None = None, cancel: Cancel | None = None,
                each_file_named: bool = True) -> list[FileResult]:
    """Import the sources as one run (recorded in `etl_run`), up to `options.workers` at once;
    the results of the files that ran, in the sources' order. A set `cancel` stops the run:
    files in progress roll back (`rolled_back`), files not started are not in the results."""
    check_options(options)
    prepare_database(engine, pipeline)
    context = RunContext(cancel=cancel or Cancel(), listener=listener or ImportListener(),
                         last_attempt=ledger.last_attempt_id(engine))
    context.run_id = ledger.open_run(engine, pipeline.name, len(sources))
    context.listener.run_started(context.run_id, pipeline.name, [s.path for s in sources], options.workers)
    several = len(sources) > 1

    def one(source: Source) -> FileResult:
        rejects, chosen = options.rejects, options
        if each_file_named:  # several files: `out.csv` → `out-<file>.csv` each
            rejects = rejects_path_for(rejects, source.path, several) if rejects else None
            annotate = rejects_path_for(options.annotate, source.path, several) if options.annotate else None
            chosen = replace(options, annotate=annotate)
        result = FileJob(engine, pipeline, source, chosen, rejects, context).run()
        context.listener.file_finished(result)
        return result

    try:
        return run_all(sources, one, options.workers, context.cancel)
    finally:
        ledger.close_run(engine, context.run_id)


class FileJob:
    """One file of a run, from its hash to its release (see the module's docstring)."""

    def __init__(self, engine: Engine, pipeline: Pipeline, source: Source, options: ImportOptions,
                 rejects: Path | None, context: RunContext) -> None:
        self.engine = engine
        self.pipeline = pipeline
        self.source = source
        self.file = source.file if isinstance(source, FileSource) else None
        self.options = options
        self.rejects = rejects
        self.context = context
        self.started = time.perf_counter()

    def run(self) -> FileResult:
        size = _size(self.file)
        self.context.listener.file_started(self.source.path, size)
        try:
            sha256 = self._hash(size)
        except FileNotFoundError:
            return self._outcome(FileResult(self.source.path, status="skipped", note=MOVED_AWAY))
        except Interrupted as stop:  # nothing was written, and the content is not known
            stopped = FileResult(self.source.path, status="rolled_back", note=str(stop), errors_total=1,
                                 errors=[RowError(None, None, None, str(stop))])
            return self._outcome(stopped)
        self.context.listener.reading(self.source.path, 0, None, size)  # hashed; the rows come next
        with self.context.contents.hold(sha256), self.engine.connect() as connection:
            connection.execution_options(sqlite_begin="IMMEDIATE")
            work = FileImport(connection, self.pipeline, self.source, self.options, self.rejects,
                              sha256, self.context)
            if self.options.dry_run:
                return self._outcome(self._dry_run(work, connection, sha256))
            return self._outcome(self._claimed(work, connection, sha256))

    def _hash(self, size: int | None) -> str:
        if self.file is None:
            return self.source.sha256()
        path, listener, cancel = self.source.path, self.context.listener, self.context.cancel

        def on_block(done: int) -> None:
            listener.hashing(path, done, size)
            cancel.check()

        return ledger.file_sha256(self.file, on_block)

    def _dry_run(self, work: FileImport, connection: Connection, sha256: str) -> FileResult:
        with connection.begin():
            before = None if self.options.force else ledger.previous_import(connection, self.pipeline.name, sha256)
        result = work.attempt()
        if before is not None:
            result.imported_before = before
            result.note = f"imported before {before.describe()}"
        return result

    def _claimed(self, work: FileImport, connection: Connection, sha256: str) -> FileResult:
        try:
            claim = self._claim(connection, sha256)
        except Interrupted as stop:
            return work.record("rolled_back", note=str(stop))
        if isinstance(claim, claims.Holder):
            return work.record("skipped", note=f"taken by another run ({claim.describe()})")
        try:
            result = self._decide_and_import(work, connection, sha256)
            self._file_away(result)
        except BaseException:
            connection.invalidate()  # its locks go with it; a rollback half done stays undone
            raise
        claims.release(connection, claim)
        return result

    def _claim(self, connection: Connection, sha256: str) -> claims.Claim | claims.Holder:
        """The claim, or who holds it under the same file name. Held under another name (the
        same content in two files), it is waited for: then this file is imported or archived
        by this run, and the other by the other."""
        while True:
            claim = claims.try_claim(connection, self.pipeline.name, sha256, self.source.path,
                                     self.context.run_id)
            if isinstance(claim, claims.Claim) or (
                    claim.path is not None and Path(claim.path).name == self.source.path.name):
                return claim
            self.context.cancel.check()
            time.sleep(CLAIM_POLL_SECONDS)

    def _decide_and_import(self, work: FileImport, connection: Connection, sha256: str) -> FileResult:
        name = self.pipeline.name
        if self.file is not None and not self.file.exists():
            return work.record("skipped", note=MOVED_AWAY)
        if self.options.force:
            return work.attempt()
        with connection.begin():
            before = ledger.previous_import(connection, name, sha256)
            rejected = ledger.attempts_since(connection, name, sha256, self.context.last_attempt, "rejected")
        if before is not None:
            # The same file, imported by another run while this one went on, is that run's
            # (to archive too); the same content under another name is this run's to archive.
            taken = (before.attempt_id is not None and before.attempt_id > self.context.last_attempt
                     and before.run_id != self.context.run_id and Path(before.path).name == self.source.path.name)
            note = (f"taken by another run: imported {before.describe()}" if taken
                    else f"already imported {before.describe()}")
            return work.record("skipped", note=note, before=before)
        for run_id, path, started in rejected:
            if run_id != self.context.run_id and Path(path).name == self.source.path.name:
                by = f"run {run_id}" if run_id is not None else "another run"
                return work.record("skipped", note=f"taken by another run: rejected by {by} at "
                                                   f"{started.isoformat(timespec='seconds')}Z")
        return work.attempt()

    def _file_away(self, result: FileResult) -> None:
        """Hot folders: committed and already imported files to --archive-dir, rejected and
        rolled back ones, with their error report, to --error-dir. A file taken by another
        run is that run's to move; a file rolled back because the run was stopped stays for
        the next run."""
        options = self.options
        stopped = result.status == "rolled_back" and self.context.cancel.is_set()
        if self.file is None or stopped or _taken(result):
            return
        if result.status in ("committed", "skipped") and options.archive_dir is not None:
            result.moved_to = move_file(self.file, options.archive_dir)
        elif result.status in ("rejected", "rolled_back") and options.error_dir is not None:
            result.moved_to = move_file(self.file, options.error_dir)
            write_error_report(result, result.moved_to)

    def _outcome(self, result: FileResult) -> FileResult:
        result.seconds = time.perf_counter() - self.started
        return result


MOVED_AWAY = "taken by another run: the file was moved away before this run could read it"


def only_result(results: list[FileResult], source: Source, cancel: Cancel) -> FileResult:
    """The one result of a one-source run (a stop asked for before it began rolls back nothing)."""
    if results:
        return results[0]
    return FileResult(source.path, status="rolled_back", note=f"{cancel.reason}: not started")


def _taken(result: FileResult) -> bool:
    return result.note is not None and result.note.startswith("taken by another run")


def _size(file: Path | None) -> int | None:
    if file is None:
        return None
    try:
        return os.path.getsize(file)
    except OSError:
        return None
