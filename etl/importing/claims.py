"""Claims: which run is importing which file content right now, so that any number of
`etl import` processes, on one host or many sharing a folder and a database, never work on
the same content at once. The one that cannot claim a content skips it ("taken by another
run") instead of waiting for it or failing when the other moves the file away.

The database coordinates it; there are no lock files. A claim is a row of `etl_file_claim`
(unique per pipeline and content) naming its holder, for messages, and a lock that says the
holder is alive and that the database drops with the holder's connection, so a killed
process leaves no claim behind:

- PostgreSQL: a session advisory lock (`pg_try_advisory_lock`) keyed by the content;
- MariaDB/MySQL: a named lock (`GET_LOCK(name, 0)`);
- SQLite (one host by nature): the row itself, written under SQLite's write lock, and the
  holder counts as alive while its process (same host) exists.

The claim is held on the connection that does all of one file's work (ledger rows, the data
transaction, the move of the file), from before the file is read until after it is moved.
"""

from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, delete, insert, select, text

from etl.ledger import utcnow
from etl.models import FileClaim


@dataclass(frozen=True)
class Holder:
    """Who holds a claim (None fields: the holder has the lock but has not written its row yet)."""

    run_id: int | None
    host: str | None
    pid: int | None
    path: str | None
    claimed_at: datetime | None

    def describe(self) -> str:
        """`run 12 on db1, pid 4242, since 2026-11-01T02:30:05Z`."""
        who = f"run {self.run_id}" if self.run_id is not None else "another run"
        if self.host is not None:
            who += f" on {self.host}, pid {self.pid}"
        if self.claimed_at is not None:
            who += f", since {self.claimed_at.isoformat(timespec='seconds')}Z"
        return who


UNKNOWN_HOLDER = Holder(None, None, None, None, None)


@dataclass(frozen=True)
class Claim:
    """A claim this run holds: its row and the content it is for."""

    id: int
    pipeline: str
    sha256: str


def try_claim(connection: Connection, pipeline: str, sha256: str, path: Path,
              run_id: int | None) -> Claim | Holder:
    """Claim the content for this run, or say who holds it. `connection` must have no
    transaction open; it holds the claim until `release`."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        return _claim_sqlite(connection, pipeline, sha256, path, run_id)
    with connection.begin():
        locked = connection.execute(text(_LOCK_SQL[dialect]), {"key": _lock_key(dialect, pipeline, sha256)}).scalar()
        if not locked:
            return _holder(connection, pipeline, sha256) or UNKNOWN_HOLDER
    with connection.begin():  # a row left by a holder that died is replaced
        return _write_row(connection, pipeline, sha256, path, run_id)


def release(connection: Connection, claim: Claim) -> None:
    """Give the claim up: its row deleted, then its lock released."""
    with connection.begin():
        connection.execute(delete(FileClaim).where(FileClaim.id == claim.id))
    dialect = connection.dialect.name
    if dialect != "sqlite":
        with connection.begin():
            connection.execute(text(_UNLOCK_SQL[dialect]), {"key": _lock_key(dialect, claim.pipeline, claim.sha256)})


_LOCK_SQL = {
    "postgresql": "SELECT pg_try_advisory_lock(:key)",
    "mysql": "SELECT GET_LOCK(:key, 0)",
    "mariadb": "SELECT GET_LOCK(:key, 0)",
}
_UNLOCK_SQL = {
    "postgresql": "SELECT pg_advisory_unlock(:key)",
    "mysql": "SELECT RELEASE_LOCK(:key)",
    "mariadb": "SELECT RELEASE_LOCK(:key)",
}


def _lock_key(dialect: str, pipeline: str, sha256: str) -> int | str:
    """PostgreSQL: a signed 64-bit number; MariaDB: a name (at most 64 characters)."""
    digest = hashlib.sha256(f"etl claim\n{pipeline}\n{sha256}".encode()).digest()
    if dialect == "postgresql":
        return int.from_bytes(digest[:8], "big", signed=True)
    return f"etl_claim_{digest.hex()[:40]}"


def _claim_sqlite(connection: Connection, pipeline: str, sha256: str, path: Path,
                  run_id: int | None) -> Claim | Holder:
    with connection.begin():  # BEGIN IMMEDIATE: the check and the write under the write lock
        holder = _holder(connection, pipeline, sha256)
        if holder is not None and _alive(holder):
            return holder
        return _write_row(connection, pipeline, sha256, path, run_id)


def _alive(holder: Holder) -> bool:
    """Another host's process cannot be checked from here: it counts as alive."""
    if holder.host != socket.gethostname()[:255] or holder.pid is None:
        return True
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def _holder(connection: Connection, pipeline: str, sha256: str) -> Holder | None:
    query = select(FileClaim.run_id, FileClaim.host, FileClaim.pid, FileClaim.path, FileClaim.claimed_at).where(
        FileClaim.pipeline == pipeline, FileClaim.sha256 == sha256)
    row = connection.execute(query).first()
    return None if row is None else Holder(*row)


def _write_row(connection: Connection, pipeline: str, sha256: str, path: Path, run_id: int | None) -> Claim:
    """Replace a dead holder's row (found by a plain read and deleted by its id: a DELETE by
    a missing key would take an InnoDB gap lock, and two such gap locks deadlock the inserts
    that follow them) with this run's."""
    stale = connection.execute(select(FileClaim.id).where(
        FileClaim.pipeline == pipeline, FileClaim.sha256 == sha256)).scalar()
    if stale is not None:
        connection.execute(delete(FileClaim).where(FileClaim.id == stale))
    key = connection.execute(insert(FileClaim).values(
        pipeline=pipeline, sha256=sha256, run_id=run_id, path=str(path)[-1000:],
        host=socket.gethostname()[:255], pid=os.getpid(), claimed_at=utcnow(),
    )).inserted_primary_key
    assert key is not None  # a one-row INSERT has one
    return Claim(int(key[0]), pipeline, sha256)
