"""How commands write what they say: log lines that carry a timestamp off a terminal, and
the one JSON document of `--json`.

Under cron or systemd, output goes to a log file that a person reads later: each line then
starts with an ISO-8601 timestamp (local time with its UTC offset), so a line can be placed
in time without the file's context. On a terminal the person is watching, and lines stay
plain.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from collections.abc import Callable
from typing import Any, TextIO


def timestamp() -> str:
    """Now, as `2026-11-01T02:30:05+01:00`."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except ValueError:  # a closed stream
        return False


class Log:
    """Writes whole lines to standard output or standard error (`"stdout"`, `"stderr"`), each
    prefixed by a timestamp unless the stream is a terminal. Lines are written with one call
    each, so lines from worker threads never interleave within a line."""

    def __init__(self, which: str, *, timestamps: bool | None = None) -> None:
        self.which = which
        self.timestamps = not is_terminal(self.stream) if timestamps is None else timestamps
        self.sink: Callable[[str], None] | None = None
        """Set while a progress display owns the terminal: lines go through it, above the bar."""

    @property
    def stream(self) -> TextIO:
        stream: TextIO = getattr(sys, self.which)
        return stream

    def line(self, text: str) -> None:
        prefix = f"{timestamp()} " if self.timestamps else ""
        lines = text.splitlines() or [""]
        if self.sink is not None:
            for line in lines:
                self.sink(f"{prefix}{line}")
            return
        stream = self.stream
        stream.write("".join(f"{prefix}{line}\n" for line in lines))
        stream.flush()


def print_json(document: dict[str, Any]) -> None:
    """The `--json` document on standard output, one line."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def error_document(message: str, exit_code: int) -> dict[str, Any]:
    """The `"error"` member of a `--json` document for a failure outside any file."""
    return {"message": message, "exit_code": exit_code}
