"""Running the files of one import: up to N at once (`--workers`), each on its own thread with
its own connection and transaction, and stopping cleanly when asked to (SIGINT, SIGTERM).

A stop request is a `Cancel`: whoever wants the import to stop (the CLI's signal handler, a
web request, another thread) sets it; each file checks it between steps (every block hashed,
every chunk loaded, before its commit) and, when set, rolls back, is recorded `rolled_back`
and ends. Files not started yet are not started.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TypeVar

MAX_WORKERS = 8
"""Each worker holds one connection of the engine's pool (5 + 10 overflow by default) for
its whole file, and the run itself needs one."""


class Interrupted(BaseException):
    """Raised inside a file's work once its import was asked to stop. A BaseException, like
    KeyboardInterrupt, so that no `except Exception` on the way turns it into a row error."""


class Cancel:
    """A request to stop an import, with its reason (`interrupted by SIGTERM`) and the exit
    code a command should end with (130 for SIGINT, 143 for SIGTERM)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""
        self.exit_code = 0

    def set(self, reason: str, exit_code: int = 130) -> None:
        if not self._event.is_set():
            self.reason, self.exit_code = reason, exit_code
            self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise Interrupted if a stop was asked for."""
        if self._event.is_set():
            raise Interrupted(self.reason)


T = TypeVar("T")
R = TypeVar("R")


def run_all(items: Sequence[T], work: Callable[[T], R], workers: int, cancel: Cancel) -> list[R]:
    """`work(item)` for each item, on up to `workers` threads (in the calling thread when 1),
    started in item order; once `cancel` is set no further item starts. The results of the
    items that ran, in item order."""
    if workers <= 1 or len(items) <= 1:
        results = []
        for item in items:
            if cancel.is_set():
                break
            results.append(work(item))
        return results
    done: dict[int, R] = {}

    def one(index: int) -> None:
        if not cancel.is_set():
            done[index] = work(items[index])

    with ThreadPoolExecutor(workers, thread_name_prefix="etl-import") as pool:
        futures = [pool.submit(one, index) for index in range(len(items))]
        try:
            wait(futures)
        except KeyboardInterrupt:
            # A program that keeps Python's own SIGINT handler: the workers are asked to
            # stop, and their rollbacks are waited for, before the interrupt goes on.
            cancel.set("interrupted by SIGINT", 130)
            wait(futures)
            raise
        for future in futures:
            future.result()  # a bug in a worker is raised here, not lost
    return [done[index] for index in sorted(done)]
