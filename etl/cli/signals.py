"""SIGINT and SIGTERM during a command: the first asks the import to stop (the files in
progress roll back and are recorded `rolled_back`, the command exits 130 or 143, as a shell
reports a process ended by that signal); a second one ends the process at once."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from etl.cli.output import Log
from etl.importing.workers import Cancel

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def stop_on_signals(cancel: Cancel, log: Log) -> Iterator[Cancel]:
    """While the block runs, SIGINT/SIGTERM set `cancel` (the old handlers come back after)."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if cancel.is_set():
            log.line(f"etl: {name} again: stopping now, without waiting for the rollback")
            os._exit(128 + signum)
        cancel.set(f"interrupted by {name}", 128 + signum)
        log.line(f"etl: {name} received: rolling back the file(s) in progress, then stopping "
                 f"({name} again stops at once)")

    previous = {signum: signal.signal(signum, handle) for signum in STOP_SIGNALS}
    try:
        yield cancel
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
