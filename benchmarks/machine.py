"""What the numbers were measured on: date, CPU, memory, versions, the commit measured."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

LIBRARIES = ("SQLAlchemy", "pandas", "openpyxl", "XlsxWriter", "python-calamine", "psycopg",
             "PyMySQL", "typer", "duckdb", "polars", "pyarrow", "adbc-driver-sqlite",
             "adbc-driver-postgresql")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def memory_total_gb() -> float | None:
    try:
        import psutil
    except ImportError:
        return None
    return psutil.virtual_memory().total / 1024**3


def git_commit(root: Path) -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "etl", "pipelines"], cwd=root,
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" (with uncommitted changes in etl/)" if dirty else "")


def library_versions() -> str:
    found = []
    for name in LIBRARIES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return ", ".join(found)


def load_average() -> float | None:
    """The 1-minute load average: how many processes competed for the cores."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def describe(root: Path, servers: dict[str, str], loads: tuple[float | None, float | None],
             commit_at_start: str) -> list[str]:
    """Markdown bullet lines describing this run's machine and software."""
    memory = memory_total_gb()
    commit = git_commit(root)
    if commit != commit_at_start:
        commit = f"{commit_at_start} at the start, {commit} at the end (etl changed during the run)"
    lines = [
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {cpu_model()}, {os.cpu_count()} cores"
        + (f", {memory:.0f} GB RAM" if memory else "")
        + f", {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; {library_versions()}",
        f"- etl commit: {commit}",
    ]
    start, end = loads
    if start is not None and end is not None:
        busy = max(start, end) > (os.cpu_count() or 1)
        lines.append(
            f"- 1-minute load average: {start:.1f} at start, {end:.1f} at end"
            + (f"; above the {os.cpu_count()} cores, so other processes competed for them: compare "
               "ratios within this run rather than absolute times" if busy else "")
        )
    lines += [f"- {kind}: {version}" for kind, version in servers.items()]
    return lines
