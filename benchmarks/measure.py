"""Run one approach as a whole child process: wall time from the parent, peak RSS of the child.

Peak RSS is the child's own high-water mark (`VmHWM` in /proc/PID/status), sampled every
few milliseconds while it runs; being a high-water mark, a sample misses only growth in
the child's last few milliseconds. The kernel's `ru_maxrss` from `os.wait4` is not used
where /proc exists: it includes the parent's memory, because the child's copy of the
parent before `exec` counts towards it (the parent here has pandas and SQLAlchemy
loaded, ~50 MB, which would hide everything smaller).

Output goes to files, not pipes, so a chatty child can never block on a full pipe.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

SAMPLE_INTERVAL_S = 0.005


@dataclass(frozen=True)
class Measurement:
    """One timed child process."""

    seconds: float
    peak_mb: float
    exit_code: int
    stderr_tail: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


class _PeakSampler(threading.Thread):
    """Keeps the largest VmHWM (KiB) seen for one process until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.status = Path(f"/proc/{pid}/status")
        self.peak_kib = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.sample()
            self.stopped.wait(SAMPLE_INTERVAL_S)

    def sample(self) -> None:
        try:
            text = self.status.read_text()
        except OSError:
            return
        for line in text.splitlines():
            if line.startswith("VmHWM:"):
                self.peak_kib = max(self.peak_kib, int(line.split()[1]))
                return


def run_measured(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    stdin_path: Path | None = None,
) -> Measurement:
    """Run `argv` to completion; its stdout is discarded, the end of its stderr kept."""
    with tempfile.TemporaryFile() as stderr, _open_stdin(stdin_path) as stdin:
        start = time.perf_counter()
        process = subprocess.Popen(
            list(argv), cwd=cwd, env=dict(env) if env is not None else None,
            stdin=stdin, stdout=subprocess.DEVNULL, stderr=stderr,
        )
        sampler = _PeakSampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        sampler.stopped.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        tail = stderr.read()[-2000:].decode("utf-8", "replace")
    # Without /proc, fall back to ru_maxrss (KiB on Linux; an overestimate, see above).
    peak_kib = sampler.peak_kib or usage.ru_maxrss
    return Measurement(seconds, peak_kib / 1024, process.returncode, tail)


def _open_stdin(path: Path | None) -> BinaryIO:
    return path.open("rb") if path is not None else open(os.devnull, "rb")
