"""The ledger: every `etl import` command (`etl_run`), every attempt to import a file
(`etl_import_run`, linked to its run by `etl_run_attempt`) and every committed file content
(`etl_loaded_file`).

Run and attempt rows are written in their own short transactions, so a failed attempt
stays recorded after its data was rolled back. The loaded-file row is written inside the
file's own data transaction, first thing: data and "already imported" commit together, and
its unique (pipeline, sha256) key is the last guard of exactly-once (concurrent runs are
kept apart before that by claims, etl/importing/claims.py).
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, func, insert, inspect, select, update

from etl.importing.results import ImportedBefore
from etl.models import ImportRun, LoadedFile, Run, RunAttempt

RUNNING = "running"
ERROR_TEXT_LIMIT = 4000


def utcnow() -> datetime:
    """Naive UTC: what the DateTime columns store on every database."""
    return datetime.now(UTC).replace(tzinfo=None)


HASH_BLOCK = 1 << 20


def file_sha256(path: Path, on_block: Callable[[int], None] | None = None) -> str:
    """The file's SHA-256, hex; `on_block` hears the bytes hashed so far after each MiB (it
    may raise to stop)."""
    digest = hashlib.sha256()
    done = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(HASH_BLOCK), b""):
            digest.update(block)
            done += len(block)
            if on_block is not None:
                on_block(done)
    return digest.hexdigest()


@dataclass(frozen=True)
class RunCounts:
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


def open_run(engine: Engine, pipeline: str, files: int) -> int:
    """Record the start of an `etl import` command (its own transaction); returns its id."""
    values = {"pipeline": pipeline, "files": files, "host": socket.gethostname()[:255],
              "pid": os.getpid(), "started_at": utcnow()}
    with engine.begin() as connection:
        key = connection.execute(insert(Run).values(values)).inserted_primary_key
    assert key is not None  # a one-row INSERT has one
    return int(key[0])


def close_run(engine: Engine, run_id: int) -> None:
    with engine.begin() as connection:
        connection.execute(update(Run).where(Run.id == run_id).values(finished_at=utcnow()))


def start_run(engine: Engine | Connection, pipeline: str, path: Path, sha256: str,
              status: str = RUNNING, run_id: int | None = None) -> int:
    """Record an attempt to import a file, made by run `run_id` (its own transaction);
    returns the attempt's id."""
    now = utcnow()
    values = {
        "pipeline": pipeline, "path": str(path)[-1000:], "sha256": sha256, "status": status,
        "started_at": now, "finished_at": None if status == RUNNING else now,
        "host": socket.gethostname()[:255], "pid": os.getpid(),
    }
    with _transaction(engine) as connection:
        key = connection.execute(insert(ImportRun).values(values)).inserted_primary_key
        assert key is not None  # a one-row INSERT has one
        attempt_id = int(key[0])
        if run_id is not None:
            connection.execute(insert(RunAttempt).values(attempt_id=attempt_id, run_id=run_id))
    return attempt_id


def finish_run(
    engine: Engine | Connection, run_id: int, status: str, counts: RunCounts, error: str | None = None
) -> None:
    """Record how an attempt ended (its own transaction, after the data's commit or rollback)."""
    values = {
        "status": status, "finished_at": utcnow(), "error": error[:ERROR_TEXT_LIMIT] if error else None,
        "rows_read": counts.rows_read, "inserted": counts.inserted, "updated": counts.updated,
        "unchanged": counts.unchanged, "rejected": counts.rejected,
    }
    with _transaction(engine) as connection:
        connection.execute(update(ImportRun).where(ImportRun.id == run_id).values(values))


@contextmanager
def _transaction(bind: Engine | Connection) -> Iterator[Connection]:
    """A transaction of its own: on a new connection of `bind`, or on `bind` itself (which
    must have none open), so a file's worker can keep all its work on one connection."""
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            yield connection
    else:
        with bind.begin():
            yield bind


def is_loaded(connection: Connection, pipeline: str, sha256: str) -> bool:
    """Was this content already committed for this pipeline?"""
    query = select(LoadedFile.id).where(LoadedFile.pipeline == pipeline, LoadedFile.sha256 == sha256)
    return connection.execute(query).first() is not None


def mark_loaded(
    connection: Connection, pipeline: str, sha256: str, path: Path, run_id: int, replace: bool
) -> None:
    """Claim the content inside the data transaction. `replace` (--force) drops the old claim.
    A concurrent claim of the same content blocks here until the other transaction ends,
    then fails on the unique key (the caller treats that as "already imported")."""
    if replace:
        connection.execute(
            delete(LoadedFile).where(LoadedFile.pipeline == pipeline, LoadedFile.sha256 == sha256)
        )
    connection.execute(insert(LoadedFile).values(
        pipeline=pipeline, sha256=sha256, run_id=run_id, path=str(path)[-1000:], loaded_at=utcnow(),
    ))


def previous_import(connection: Connection, pipeline: str, sha256: str) -> ImportedBefore | None:
    """The committed import of this content for this pipeline, if any."""
    query = (
        select(RunAttempt.run_id, LoadedFile.run_id, LoadedFile.loaded_at, LoadedFile.path)
        .outerjoin(RunAttempt, RunAttempt.attempt_id == LoadedFile.run_id)
        .where(LoadedFile.pipeline == pipeline, LoadedFile.sha256 == sha256)
    )
    row = connection.execute(query).first()
    return None if row is None else ImportedBefore(*row)


def last_attempt_id(engine: Engine) -> int:
    """The newest attempt's id (0 for none): attempts with a greater one come later."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.max(ImportRun.id))).scalar() or 0)


def attempts_since(connection: Connection, pipeline: str, sha256: str, after: int,
                   status: str) -> list[tuple[int | None, str, datetime]]:
    """(run, path, started) of the attempts on this content newer than attempt `after` that
    ended with `status`."""
    query = (
        select(RunAttempt.run_id, ImportRun.path, ImportRun.started_at)
        .outerjoin(RunAttempt, RunAttempt.attempt_id == ImportRun.id)
        .where(ImportRun.pipeline == pipeline, ImportRun.sha256 == sha256, ImportRun.id > after,
               ImportRun.status == status)
        .order_by(ImportRun.id)
    )
    return [(run, path, started) for run, path, started in connection.execute(query)]


@dataclass(frozen=True)
class RunRecord:
    """One attempt to import a file, as `etl history` shows it."""

    id: int
    pipeline: str
    path: str
    status: str
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    started_at: datetime
    finished_at: datetime | None
    error: str | None
    sha256: str
    host: str | None = None
    pid: int | None = None
    run: int | None = None
    """The `etl import` command (run) that made the attempt; None for attempts recorded by
    versions of etl before runs were."""

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


def recent_runs(engine: Engine, limit: int = 20, pipeline: str | None = None,
                status: str | None = None) -> list[RunRecord]:
    """The latest attempts, newest first (none when the ledger does not exist yet)."""
    tables = set(inspect(engine).get_table_names())
    if ImportRun.__tablename__ not in tables:
        return []
    columns = [c for c in ImportRun.__table__.c if c.name in RunRecord.__dataclass_fields__]
    if RunAttempt.__tablename__ in tables:
        query = select(*columns, RunAttempt.run_id.label("run")).outerjoin(
            RunAttempt, RunAttempt.attempt_id == ImportRun.id)
    else:  # a ledger made by an earlier version, read without creating anything
        query = select(*columns)
    query = query.order_by(ImportRun.id.desc()).limit(limit)
    if pipeline is not None:
        query = query.where(ImportRun.pipeline == pipeline)
    if status is not None:
        query = query.where(ImportRun.status == status)
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [RunRecord(**dict(row)) for row in rows]
