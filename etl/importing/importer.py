"""`etl import`: source (a file's reader, or rows in memory) → pipeline (bind, validate, convert, look up) → loader → ledger.

Each file (each source) is one session and one transaction on its own; the ledger records every attempt
in separate short transactions, so a rolled-back file still shows in `etl history`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from etl import ledger
from etl.config import DEFAULT_CHUNK_SIZE
from etl.db import error_reason, redact
from etl.errors import ReadError, UsageError
from etl.load.loader import ChunkWriteError, Loader
from etl.pipeline.binding import accepted_names, bind_header
from etl.pipeline.definition import Pipeline
from etl.importing.files import RejectsWriter, expand_paths
from etl.importing.results import FileResult, ImportedBefore, ImportListener, Progress, ProgressListener
from etl.importing.workers import MAX_WORKERS, Cancel, Interrupted
from etl.pipeline.lookups import LookupResolver
from etl.pipeline.overrides import with_overrides
from etl.pipeline.row_errors import RowError
from etl.pipeline.rows import RowProcessor
from etl.pipeline.tables import ensure_pipeline_table
from etl.pipeline.target import reflect_target
from etl.pipeline.watch import FileWarnings
from etl.writers.annotate import Annotation, check_annotate_path, either_labels
from etl.importing.sources import FileSource, Source
from etl.readers import ReadOptions, Row, header_test
from etl.load.modes import WRITE_MODES
from etl.schema import ensure_ledger, ensure_model_table, ensure_target_tables

if TYPE_CHECKING:
    from etl.importing.runs import RunContext

MAX_LISTED_ERRORS = 1000
"""Errors kept per file for the report; all of them are counted, and all go to --rejects."""

@dataclass(frozen=True)
class ImportOptions:
    chunk_size: int = DEFAULT_CHUNK_SIZE
    max_errors: int = 0
    rejects: Path | None = None
    dry_run: bool = False
    force: bool = False
    read: ReadOptions = field(default_factory=ReadOptions)
    archive_dir: Path | None = None
    error_dir: Path | None = None
    create_lookups: bool = True
    decimal_comma: bool = False
    date_formats: tuple[str, ...] = ()
    annotate: Path | None = None
    """Write the annotated copy of the file here (`import_files` names one per file)."""
    workers: int = 1
    """Files imported at once, each on its own thread, connection and transaction."""
    write_mode: str = "auto"
    """objects, bulk, native, or auto: the fastest that honours everything the model does."""


class _Skip(Exception):
    """The content was committed for this pipeline already (seen inside the transaction)."""


def import_files(
    engine: Engine, pipeline: Pipeline, paths: Sequence[Path], options: ImportOptions,
    progress: Progress | None = None, *, listener: ImportListener | None = None,
    cancel: Cancel | None = None,
) -> list[FileResult]:
    """Import each file (folders expanded) in its own transaction, as one run; one result per file."""
    check_options(options)
    files = [FileSource(path) for path in expand_paths(pipeline, paths)]
    return import_file_sources(engine, pipeline, files, options, progress, listener=listener, cancel=cancel)


def import_file_sources(
    engine: Engine, pipeline: Pipeline, files: Sequence[FileSource], options: ImportOptions,
    progress: Progress | None = None, *, listener: ImportListener | None = None,
    cancel: Cancel | None = None,
) -> list[FileResult]:
    """Import files each in its own transaction, then archive or set them aside (see runs.py)."""
    from etl.importing.runs import run_sources  # the run is built on FileImport, below

    return run_sources(engine, pipeline, files, options, listener or ProgressListener(progress), cancel)


def import_rows(
    engine: Engine, pipeline: Pipeline, source: Source, options: ImportOptions,
    progress: Progress | None = None, *, listener: ImportListener | None = None,
    cancel: Cancel | None = None,
) -> FileResult:
    """Import rows held in memory (a `RowsSource`) in one transaction, as a file would be;
    rejected rows go to `options.rejects` as they are."""
    from etl.importing.runs import only_result, run_sources

    cancel = cancel or Cancel()
    results = run_sources(engine, pipeline, [source], options, listener or ProgressListener(progress),
                          cancel, each_file_named=False)
    return only_result(results, source, cancel)


def check_options(options: ImportOptions) -> None:
    if options.chunk_size < 1:
        raise UsageError("--chunk-size must be at least 1")
    if options.max_errors < 0:
        raise UsageError("--max-errors must be 0 or more")
    if options.annotate is not None:
        check_annotate_path(options.annotate)
    if not 1 <= options.workers <= MAX_WORKERS:
        raise UsageError(f"--workers must be between 1 and {MAX_WORKERS}")
    if options.write_mode not in WRITE_MODES:
        raise UsageError(f"--write-mode must be one of {', '.join(WRITE_MODES)}, not {options.write_mode!r}")


def prepare_database(engine: Engine, pipeline: Pipeline) -> None:
    """The ledger, the pipeline's table and its lookup tables, created where missing."""
    ensure_ledger(engine)
    if pipeline.create:
        ensure_pipeline_table(engine, pipeline)
    if pipeline.model is not None:
        ensure_model_table(engine, pipeline)
    lookups = [c.lookup.table for c in pipeline.columns if c.lookup is not None]
    ensure_target_tables(engine, [pipeline.table, *lookups])


def import_file(
    engine: Engine, pipeline: Pipeline, path: Path, options: ImportOptions,
    rejects: Path | None = None, progress: Progress | None = None,
) -> FileResult:
    """Import one file; the outcome (never an exception for bad data) is in the result."""
    return import_source(engine, pipeline, FileSource(path), options, rejects, progress)


def import_source(
    engine: Engine, pipeline: Pipeline, source: Source, options: ImportOptions,
    rejects: Path | None = None, progress: Progress | None = None,
) -> FileResult:
    """Import one source (a file, or rows in memory) as a run of its own; the outcome is in the result."""
    from etl.importing.runs import only_result, run_sources

    cancel = Cancel()
    results = run_sources(engine, pipeline, [source], replace(options, rejects=rejects),
                          ProgressListener(progress), cancel, each_file_named=False)
    return only_result(results, source, cancel)


class FileImport:
    """One attempt at one source: its ledger row and its one session and transaction, all on
    the connection of the file's worker (`bind`, with no transaction open). The source (file
    or rows in memory) is `path` in the result, the ledger and the messages."""

    def __init__(self, bind: Connection, pipeline: Pipeline, source: Source, options: ImportOptions,
                 rejects: Path | None, sha256: str, context: RunContext) -> None:
        self.bind = bind
        self.pipeline = with_overrides(pipeline, create_lookups=options.create_lookups,
                                       decimal_comma=options.decimal_comma, formats=options.date_formats)
        self.source = source
        self.path = source.path
        self.options = options
        self.rejects = rejects
        self.sha256 = sha256
        self.context = context
        self.result = FileResult(path=self.path)
        self.annotation = Annotation(options.annotate) if options.annotate is not None else None

    def record(self, status: str, note: str | None = None, before: ImportedBefore | None = None) -> FileResult:
        """An attempt that ends before any data is read (skipped, or stopped while waiting)."""
        result = self.result
        result.status, result.note, result.imported_before = status, note, before
        if status == "rolled_back" and note:
            _fail(result, status, RowError(None, None, None, note))
        result.run_id = ledger.start_run(self.bind, self.pipeline.name, self.path, self.sha256, status,
                                         run_id=self.context.run_id)
        if status != "skipped":
            ledger.finish_run(self.bind, result.run_id, status, _counts(result), note)
        return result

    def attempt(self) -> FileResult:
        """Read, check and load the source in one transaction, recorded in the ledger."""
        result = self.result
        result.run_id = ledger.start_run(self.bind, self.pipeline.name, self.path, self.sha256,
                                         run_id=self.context.run_id)
        try:
            self._load()
        except _Skip:
            result.status = "skipped"
        except Interrupted as stop:
            result.note = f"{stop}: rolled back; the next run imports it"
            _fail(result, "rolled_back", RowError(None, None, None, str(stop)))
        except ReadError as err:
            message = str(err).removeprefix(f"{self.path}: ")  # the report names the file already
            self._fail("rejected", RowError(None, None, None, message))
        except (ChunkWriteError, SQLAlchemyError) as err:
            reason = str(err) if isinstance(err, ChunkWriteError) else _db_reason(err)
            self._fail("rolled_back", RowError(None, None, None, redact(reason, self.bind.engine.url)))
        except BaseException as err:
            # A bug or a KeyboardInterrupt: recorded on a connection of its own (this one may
            # be mid-statement), then raised on.
            message = f"{type(err).__name__}: {err}"
            ledger.finish_run(self.bind.engine, result.run_id, "rolled_back", _counts(result), message)
            raise
        error = "\n".join(e.describe(self.path) for e in result.errors[:20]) if result.errors else None
        ledger.finish_run(self.bind, result.run_id, result.status, _counts(result), error)
        if self.annotation is not None and result.status not in ("skipped", "rolled_back"):
            self.annotation.add(result.warnings, warning=True)
            result.annotated = self.annotation.write()
        return result

    def _fail(self, status: str, *errors: RowError) -> None:
        _fail(self.result, status, *errors)
        if self.annotation is not None:
            self.annotation.add(errors)

    def _load(self) -> None:
        """The file's transaction. On SQLite it takes the write lock at BEGIN, so a concurrent
        importer of the same content waits here and then finds it claimed."""
        pipeline, result, options = self.pipeline, self.result, self.options
        with Session(bind=self.bind, autoflush=False, expire_on_commit=False) as session:
            connection = session.connection()
            self._claim(connection)
            target = reflect_target(connection, pipeline)
            looks_like_header = header_test(accepted_names(pipeline, target.primary_key))
            with self.source.open(options.read, looks_like_header) as table:
                result.detected = dict(table.detected)
                not_null = {c.name for c in pipeline.columns if target.not_null(c.name)}
                binding = bind_header(pipeline, target.primary_key, table.header, table.header_row, not_null)
                result.warnings = list(binding.warnings)
                if self.annotation is not None:
                    self.annotation.place(table, either_labels(table.header, binding.direct, binding.lookup))
                if binding.problems:
                    self._fail("rejected", *binding.problems)
                    return
                resolvers = {
                    c.name: LookupResolver(connection, c.lookup)
                    for c in pipeline.columns if c.lookup is not None and c.name in binding.columns
                }
                processor = RowProcessor(pipeline, target, binding, table.header, resolvers)
                watch = FileWarnings(pipeline, target, binding, table.header, resolvers,
                                     workbook=table.detected.get("format") != "csv")
                labels = {name: table.header[index] for name, index in {**binding.lookup, **binding.direct}.items()}
                with (
                    Loader(session, pipeline, target, processor.columns, processor.has_id,
                           write_mode=options.write_mode, labels=labels, resolvers=resolvers) as loader,
                    RejectsWriter(self.rejects, table.header) as rejected,
                ):
                    result.write_mode = loader.write_mode.mode
                    for chunk in table.chunks(options.chunk_size):
                        self.context.cancel.check()
                        self._load_chunk(chunk, processor, loader, rejected)
                        watch.observe(chunk)
                        self.context.listener.reading(self.path, result.rows_read, table.bytes_read(), None)
                    if result.rejected <= options.max_errors and not options.dry_run:
                        loader.finish()
                result.warnings = watch.finish(table.warnings)
            if result.rejected > options.max_errors:
                _fail(result, "rejected")
                return
            result.lookups_created = sum(r.created for r in resolvers.values())
            result.inserted, result.updated, result.unchanged = (
                loader.counts.inserted, loader.counts.updated, loader.counts.unchanged)
            if options.dry_run:
                result.status = "dry_run"
                return
            self.context.cancel.check()
            session.commit()
            result.status = "committed"

    def _claim(self, connection: Connection) -> None:
        """Mark the content loaded inside the data transaction, so data and "already
        imported" commit together (a dry run validates and marks nothing). The run's claim
        already keeps other runs away; the unique key is the last guard: a content committed
        meanwhile (by a version of etl without claims) makes this one skipped."""
        if self.options.dry_run:
            return
        name = self.pipeline.name
        if not self.options.force and ledger.is_loaded(connection, name, self.sha256):
            raise _Skip
        try:
            ledger.mark_loaded(connection, name, self.sha256, self.path, self.result.run_id or 0,
                               replace=self.options.force)
        except IntegrityError:
            raise _Skip from None

    def _load_chunk(self, chunk: Sequence[Row], processor: RowProcessor, loader: Loader,
                    rejected: RejectsWriter) -> None:
        """Convert, match and (while the error budget holds) write one chunk; bad rows are
        recorded and sent to the rejects file."""
        result = self.result
        numbers = [row.number for row in chunk]
        rows, rejected_rows = processor.process_chunk(chunk)
        bad: dict[int, list[RowError]] = {number: list(errors) for number, errors in rejected_rows.items()}
        result.rows_read += len(chunk)
        plan, errors = loader.plan(numbers, rows, bad.keys())
        for error in errors:
            bad.setdefault(error.row or 0, []).append(error)
        if bad:
            values = {row.number: row.values for row in chunk}
            for number in sorted(bad):
                _record(result, bad[number])
                if self.annotation is not None:
                    self.annotation.add(bad[number])
                rejected.write(number, bad[number], values[number])
        if result.rejected <= self.options.max_errors:
            loader.apply(plan)


def _record(result: FileResult, errors: list[RowError]) -> None:
    result.rejected += 1
    result.errors_total += len(errors)
    room = MAX_LISTED_ERRORS - len(result.errors)
    if room > 0:
        result.errors.extend(errors[:room])


def _fail(result: FileResult, status: str, *errors: RowError) -> None:
    """Nothing of the file landed: no counts but the rows read and rejected."""
    result.status = status
    result.inserted = result.updated = result.unchanged = result.lookups_created = 0
    result.errors_total += len(errors)
    result.errors.extend(errors)


def _db_reason(err: SQLAlchemyError) -> str:
    reason = error_reason(err)
    return f"database error: {reason}"


def _counts(result: FileResult) -> ledger.RunCounts:
    return ledger.RunCounts(result.rows_read, result.inserted, result.updated, result.unchanged, result.rejected)
