"""The ledger: every import attempt (`etl_import_run`) and every committed file content
(`etl_loaded_file`).

Run rows are written in their own short transactions, so a failed run stays recorded after
its data was rolled back. The loaded-file row is written inside the file's own data
transaction, first thing: data and "already imported" commit together, and the unique
(pipeline, sha256) key makes a second concurrent importer of the same content wait for the
first and then see the file as imported.
"""

from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, insert, select, update

from etl.models import ImportRun, LoadedFile

RUNNING = "running"
ERROR_TEXT_LIMIT = 4000


def utcnow() -> datetime:
    """Naive UTC: what the DateTime columns store on every database."""
    return datetime.now(UTC).replace(tzinfo=None)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class RunCounts:
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


def start_run(engine: Engine, pipeline: str, path: Path, sha256: str, status: str = RUNNING) -> int:
    """Record an attempt (its own transaction); returns the run id."""
    now = utcnow()
    values = {
        "pipeline": pipeline, "path": str(path)[-1000:], "sha256": sha256, "status": status,
        "started_at": now, "finished_at": None if status == RUNNING else now,
        "host": socket.gethostname()[:255], "pid": os.getpid(),
    }
    with engine.begin() as connection:
        key = connection.execute(insert(ImportRun).values(values)).inserted_primary_key
    assert key is not None  # a one-row INSERT has one
    return int(key[0])


def finish_run(
    engine: Engine, run_id: int, status: str, counts: RunCounts, error: str | None = None
) -> None:
    """Record how an attempt ended (its own transaction, after the data's commit or rollback)."""
    values = {
        "status": status, "finished_at": utcnow(), "error": error[:ERROR_TEXT_LIMIT] if error else None,
        "rows_read": counts.rows_read, "inserted": counts.inserted, "updated": counts.updated,
        "unchanged": counts.unchanged, "rejected": counts.rejected,
    }
    with engine.begin() as connection:
        connection.execute(update(ImportRun).where(ImportRun.id == run_id).values(values))


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


@dataclass(frozen=True)
class RunRecord:
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


def recent_runs(engine: Engine, limit: int = 20, pipeline: str | None = None) -> list[RunRecord]:
    """The latest runs, newest first."""
    query = select(ImportRun.__table__).order_by(ImportRun.id.desc()).limit(limit)
    if pipeline is not None:
        query = query.where(ImportRun.pipeline == pipeline)
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [RunRecord(**{name: row[name] for name in RunRecord.__dataclass_fields__}) for row in rows]
