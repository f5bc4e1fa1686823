"""Long work (checking or importing a file) in worker threads, so the page keeps answering.

Each job runs in a thread of a small pool and reaches the database through the engine's
pool, so through a connection of its own; the page polls the job's state. A job that fails
keeps a message for the page: an `EtlError`'s own, a database error's first line, or, for a
bug, "internal error" while the traceback (passwords removed) goes to the server's log,
because a thread has no one else to tell and the page must stop waiting.
"""

from __future__ import annotations

import logging
import secrets
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from time import monotonic
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from etl.db import error_reason, redact
from etl.errors import EtlError

log = logging.getLogger("etl.web")

WORKERS = 2


@dataclass
class Job:
    """One piece of background work and how far it got."""

    kind: str
    id: str = field(default_factory=lambda: secrets.token_urlsafe(9))
    state: str = "running"
    """`running`, `done` or `failed`."""
    rows: int = 0
    started: float = field(default_factory=monotonic)
    finished: float | None = None
    error: str | None = None
    outcome: Any = None

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def seconds(self) -> float:
        return (self.finished or monotonic()) - self.started

    def progress(self, _path: Path, rows: int) -> None:
        """The importer's progress callback: rows read so far."""
        self.rows = rows


class JobRunner:
    """Starts jobs in worker threads; `url` is the database URL whose password messages hide."""

    def __init__(self, url: str, workers: int = WORKERS) -> None:
        self.url = url
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="etl-web")
        self._lock = threading.Lock()
        self._running: set[str] = set()

    def start(self, kind: str, work: Callable[[Job], Any]) -> Job:
        job = Job(kind)
        with self._lock:
            self._running.add(job.id)
        self._pool.submit(self._run, job, work)
        return job

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._running)

    def shutdown(self) -> None:
        """Let running jobs finish (an import is one transaction: it commits or rolls back)."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, job: Job, work: Callable[[Job], Any]) -> None:
        try:
            job.outcome = work(job)
            job.state = "done"
        except EtlError as err:
            self._fail(job, str(err))
        except SQLAlchemyError as err:
            self._fail(job, f"database error: {error_reason(err)}")
        except Exception as err:  # a bug: logged with its traceback, and the page told
            log.error("%s", redact(traceback.format_exc(), self.url))
            self._fail(job, f"internal error: {type(err).__name__} (the details are in the output of etl serve)")
        finally:
            job.finished = monotonic()
            with self._lock:
                self._running.discard(job.id)

    def _fail(self, job: Job, message: str) -> None:
        job.error = redact(message, self.url)
        job.state = "failed"
