"""`etl import`: file → reader → pipeline (bind, validate, convert, look up) → loader → ledger.

Each file is one session and one transaction on its own; the ledger records every attempt
in separate short transactions, so a rolled-back file still shows in `etl history`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any
from pathlib import Path
from time import perf_counter

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from etl import ledger
from etl.config import DEFAULT_CHUNK_SIZE
from etl.db import redact
from etl.errors import ReadError, UsageError
from etl.loader import ChunkWriteError, Loader
from etl.pipeline.binding import accepted_names, bind_header
from etl.pipeline.definition import Pipeline
from etl.pipeline.files import (
    RejectsWriter, expand_paths, move_file, rejects_path_for, write_error_report,
)
from etl.pipeline.lookups import LookupResolver
from etl.pipeline.results import FileResult, RowError
from etl.pipeline.rows import RowProcessor
from etl.pipeline.target import reflect_target
from etl.readers import ReadOptions, Row, header_test, open_table
from etl.schema import ensure_ledger, ensure_target_tables

MAX_LISTED_ERRORS = 1000
"""Errors kept per file for the report; all of them are counted, and all go to --rejects."""

Progress = Callable[[Path, int], None]
"""Called with the file and the rows read so far, once per chunk."""


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


class _Skip(Exception):
    """The content was committed for this pipeline already (seen inside the transaction)."""


def import_files(
    engine: Engine, pipeline: Pipeline, paths: Sequence[Path], options: ImportOptions,
    progress: Progress | None = None,
) -> list[FileResult]:
    """Import each file (folders expanded) in its own transaction; one result per file."""
    if options.chunk_size < 1:
        raise UsageError("--chunk-size must be at least 1")
    if options.max_errors < 0:
        raise UsageError("--max-errors must be 0 or more")
    files = expand_paths(pipeline, paths)
    ensure_ledger(engine)
    lookups = [c.lookup.table for c in pipeline.columns if c.lookup is not None]
    ensure_target_tables(engine, [pipeline.table, *lookups])
    results = []
    for path in files:
        rejects = rejects_path_for(options.rejects, path, len(files) > 1) if options.rejects else None
        result = import_file(engine, pipeline, path, options, rejects, progress)
        _file_away(result, options)
        results.append(result)
    return results


def import_file(
    engine: Engine, pipeline: Pipeline, path: Path, options: ImportOptions,
    rejects: Path | None = None, progress: Progress | None = None,
) -> FileResult:
    """Import one file; the outcome (never an exception for bad data) is in the result."""
    started = perf_counter()
    result = FileResult(path=path)
    sha256 = ledger.file_sha256(path)
    if not options.force and not options.dry_run:
        with engine.connect() as connection:
            if ledger.is_loaded(connection, pipeline.name, sha256):
                result.status = "skipped"
                result.run_id = ledger.start_run(engine, pipeline.name, path, sha256, status="skipped")
                result.seconds = perf_counter() - started
                return result
    result.run_id = ledger.start_run(engine, pipeline.name, path, sha256)
    error: str | None = None
    try:
        _load(engine, pipeline, path, sha256, options, rejects, result, progress)
    except _Skip:
        result.status = "skipped"
    except ReadError as err:
        _fail(result, "rejected", RowError(None, None, None, str(err)))
    except (ChunkWriteError, SQLAlchemyError) as err:
        reason = str(err) if isinstance(err, ChunkWriteError) else _db_reason(err)
        _fail(result, "rolled_back", RowError(None, None, None, redact(reason, engine.url)))
    except BaseException as err:
        ledger.finish_run(engine, result.run_id, "rolled_back", _counts(result), f"{type(err).__name__}: {err}")
        raise
    finally:
        result.seconds = perf_counter() - started
    if result.errors:
        error = "\n".join(e.describe(path) for e in result.errors[:20])
    ledger.finish_run(engine, result.run_id, result.status, _counts(result), error)
    return result


def _load(
    engine: Engine, pipeline: Pipeline, path: Path, sha256: str, options: ImportOptions,
    rejects: Path | None, result: FileResult, progress: Progress | None,
) -> None:
    bind = engine.execution_options(sqlite_begin="IMMEDIATE")
    with Session(bind=bind, autoflush=False, expire_on_commit=False) as session:
        connection = session.connection()
        if not options.dry_run:
            _claim(session, pipeline, path, sha256, options.force, result.run_id)
        target = reflect_target(connection, pipeline)
        names = list(accepted_names(pipeline, target.primary_key))
        header_names = [h for c in pipeline.columns for h in (*c.headers, *(c.lookup.headers if c.lookup else ()))]
        with open_table(path, options.read, header_test([*header_names, *names])) as table:
            result.detected = dict(table.detected)
            not_null = {c.name for c in pipeline.columns if target.not_null(c.name)}
            binding = bind_header(pipeline, target.primary_key, table.header, table.header_row, not_null)
            if binding.problems:
                _fail(result, "rejected", *binding.problems)
                return
            resolvers = {
                c.name: LookupResolver(connection, c.lookup)
                for c in pipeline.columns if c.lookup is not None and c.name in binding.columns
            }
            processor = RowProcessor(pipeline, target, binding, table.header, resolvers)
            loader = Loader(session, pipeline, target, processor.columns, processor.has_id)
            with RejectsWriter(rejects, table.header) if rejects else _NoRejects() as rejected:
                for chunk in _chunks(table.rows, options.chunk_size):
                    _load_chunk(chunk, processor, loader, result, options, rejected)
                    if progress is not None:
                        progress(path, result.rows_read)
        result.lookups_created = sum(r.created for r in resolvers.values())
        if result.rejected > options.max_errors:
            result.status = "rejected"
            result.inserted = result.updated = result.unchanged = result.lookups_created = 0
            return
        result.inserted, result.updated, result.unchanged = (
            loader.counts.inserted, loader.counts.updated, loader.counts.unchanged)
        if options.dry_run:
            result.status = "dry_run"
            return
        loader.finish()
        session.commit()
        result.status = "committed"


def _load_chunk(
    chunk: list[Row], processor: RowProcessor, loader: Loader, result: FileResult,
    options: ImportOptions, rejected: RejectsWriter | _NoRejects,
) -> None:
    bad: dict[int, list[RowError]] = {}
    numbers = [row.number for row in chunk]
    rows = processor.process_chunk(chunk)  # type: ignore[assignment]
    for position, out in enumerate(rows):
        if type(out) is not tuple:
            rows[position] = out.partial  # type: ignore[union-attr]
            bad[numbers[position]] = list(out)  # type: ignore[arg-type]
    result.rows_read += len(chunk)
    plan, errors = loader.plan(numbers, rows, bad.keys())
    for error in errors:
        bad.setdefault(error.row, []).append(error)  # type: ignore[arg-type]
    if bad:
        values = {row.number: row.values for row in chunk}
        for number in sorted(bad):
            _record(result, bad[number])
            rejected.write(number, bad[number], values[number])
    if result.rejected <= options.max_errors:
        loader.apply(plan)


def _record(result: FileResult, errors: list[RowError]) -> None:
    result.rejected += 1
    result.errors_total += len(errors)
    room = MAX_LISTED_ERRORS - len(result.errors)
    if room > 0:
        result.errors.extend(errors[:room])


def _claim(session: Session, pipeline: Pipeline, path: Path, sha256: str, force: bool,
           run_id: int | None) -> None:
    """Re-check "already imported?" inside the transaction, then claim the content."""
    connection = session.connection()
    if not force and ledger.is_loaded(connection, pipeline.name, sha256):
        raise _Skip
    try:
        ledger.mark_loaded(connection, pipeline.name, sha256, path, run_id or 0, force)
    except IntegrityError:
        raise _Skip from None


def _chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    """Lists of up to `size` rows (the readers already leave blank rows out)."""
    while chunk := list(islice(rows, size)):
        yield chunk


def _fail(result: FileResult, status: str, *errors: RowError) -> None:
    result.status = status
    result.inserted = result.updated = result.unchanged = 0
    result.errors_total += len(errors)
    result.errors.extend(errors)


def _db_reason(err: SQLAlchemyError) -> str:
    reason = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
    return f"database error: {reason}"


def _counts(result: FileResult) -> ledger.RunCounts:
    return ledger.RunCounts(result.rows_read, result.inserted, result.updated, result.unchanged, result.rejected)


def _file_away(result: FileResult, options: ImportOptions) -> None:
    """Hot folders: committed (and already imported) files to --archive-dir, failed ones with
    their error report to --error-dir. A dry run moves nothing."""
    if options.dry_run:
        return
    if result.status in ("committed", "skipped") and options.archive_dir is not None:
        result.moved_to = move_file(result.path, options.archive_dir)
    elif result.status in ("rejected", "rolled_back") and options.error_dir is not None:
        result.moved_to = move_file(result.path, options.error_dir)
        write_error_report(result, result.moved_to)


class _NoRejects:
    def write(self, number: int, errors: Sequence[RowError], values: Sequence[str]) -> None:
        return None

    def __enter__(self) -> _NoRejects:
        return self

    def __exit__(self, *exc: object) -> None:
        return None
