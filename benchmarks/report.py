"""Results, the issue's targets as ratios, and the Markdown table written to RESULTS.md.

Targets are reported with a pass/fail mark, never asserted: the machine is shared and
noisy, and a benchmark that fails a build on a slow minute teaches people to ignore it.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from benchmarks.approaches import (
    DUCKDB_EXPORT,
    DUCKDB_IMPORT,
    ETL,
    POLARS_IMPORT,
    TASKS_BY_KEY,
    UPSERT_LIMIT,
    WITHOUT_WARNINGS,
)

RSS_LIMIT_MB = 150.0
MEMORY_GROWTH_LIMIT = 1.15


@dataclass
class Result:
    """The runs of one approach on one task and database."""

    task: str
    database: str
    approach: str
    role: str
    rows: int
    runs: list[float] = field(default_factory=list)
    peaks_mb: list[float] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def seconds(self) -> float | None:
        return statistics.median(self.runs) if self.runs and not self.note else None

    @property
    def peak_mb(self) -> float | None:
        return max(self.peaks_mb) if self.peaks_mb and not self.note else None

    @property
    def rows_per_second(self) -> float | None:
        seconds = self.seconds
        return self.rows / seconds if seconds else None


@dataclass(frozen=True)
class Target:
    """`approach` ÷ `versus` (wall time, same task unless `versus_task`) must be ≤ limit."""

    database: str
    task: str
    approach: str
    versus: str
    limit: float | None
    versus_task: str | None = None


TARGETS = (
    Target("sqlite", "import-pets-csv", "etl import", "pandas to_sql", 0.75),
    Target("sqlite", "import-pets-csv", "etl import", "csv + executemany", 2.0),
    Target("sqlite", "import-pets-csv", "etl import --force (all unchanged)", "etl import", 1.5),
    Target("sqlite", "import-contacts-csv", "etl import", "pandas to_sql", 1.0),
    Target("sqlite", "export-pets-csv", "etl export", "pandas read_sql + to_csv", 0.6),
    Target("sqlite", "export-pets-xlsx", "etl export", "pandas to_excel", 0.6),
    Target("sqlite", "import-pets-xlsx", "etl import", "pandas read_excel + to_sql", 0.5),
    Target("postgresql", "import-pets-csv", "etl import", "pandas to_sql", 0.25),
    Target("postgresql", "import-pets-csv", "etl import", "psycopg COPY", 3.0),
    Target("postgresql", "import-pets-folder", "etl import --workers 2",
           "etl import --workers 1", None),
    Target("mariadb", "import-pets-csv", "etl import", "pandas to_sql", None),
    Target("mariadb", "import-pets-csv", "etl import", "csv + executemany", None),
    Target("mariadb", "import-pets-csv", "etl import", "LOAD DATA LOCAL INFILE", None),
    Target("mariadb", "import-contacts-csv", "etl import", "pandas to_sql", None),
    # Issue 18: the tools people pick instead of pandas, and the set-based upsert limit.
    Target("sqlite", "import-pets-csv", "etl import", DUCKDB_IMPORT, 1.5),
    Target("sqlite", "import-pets-csv", "etl import", POLARS_IMPORT, None),
    Target("postgresql", "import-pets-csv", "etl import", DUCKDB_IMPORT, 1.5),
    Target("postgresql", "import-pets-csv", "etl import", "psycopg COPY", 2.0),
    Target("postgresql", "import-pets-csv", "etl import", POLARS_IMPORT, None),
    Target("sqlite", "upsert-pets-csv", "etl import", UPSERT_LIMIT, 1.2),
    Target("postgresql", "upsert-pets-csv", "etl import", UPSERT_LIMIT, 1.2),
    Target("mariadb", "upsert-pets-csv", "etl import", UPSERT_LIMIT, 1.2),
    Target("sqlite", "import-pets-csv", "etl import --force (all unchanged)", "etl import", 1.0),
    Target("postgresql", "import-pets-csv", "etl import --force (all unchanged)", "etl import", 1.0),
    Target("mariadb", "import-pets-csv", "etl import --force (all unchanged)", "etl import", 1.0),
    Target("postgresql", "import-contacts-csv", "etl import", "etl import", 1.5,
           versus_task="import-pets-csv"),
    Target("sqlite", "export-pets-csv", "etl export", DUCKDB_EXPORT, 1.5),
    Target("postgresql", "export-pets-csv", "etl export", DUCKDB_EXPORT, None),
    Target("postgresql", "export-pets-csv", "etl export", "psql \\copy … TO", None),
    Target("mariadb", "export-pets-csv", "etl export", "cursor + csv.writer", None),
    Target("sqlite", "export-pets-xlsx", "etl export", "pandas to_excel", 0.5),
    Target("postgresql", "export-pets-xlsx", "etl export", "pandas to_excel", None),
    Target("mariadb", "export-pets-xlsx", "etl export", "pandas to_excel", None),
    # Issue 14: what the warnings (lost leading zeros, "did you mean") cost an import.
    *(Target(database, task, "etl import", WITHOUT_WARNINGS, None)
      for task in ("import-contacts-xlsx", "import-contacts-csv") for database in ("sqlite", "postgresql", "mariadb")),
)


@dataclass(frozen=True)
class MemoryPoint:
    """Peak RSS of one `etl` command at one row count (the --memory-check mode)."""

    command: str
    rows: int
    peak_mb: float | None
    seconds: float | None
    note: str = ""


def fmt_seconds(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "–"


def fmt_rate(value: float | None) -> str:
    return f"{value:,.0f}" if value is not None else "–"


def fmt_mb(value: float | None) -> str:
    return f"{value:.0f}" if value is not None else "–"


def fmt_ratio(numerator: float | None, denominator: float | None) -> str:
    if numerator is None or not denominator:
        return "–"
    return f"{numerator / denominator:.2f}"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def group_tables(results: Sequence[Result]) -> list[str]:
    """One table per task and database; a column per `etl` approach: its time ÷ this row's."""
    lines: list[str] = []
    groups: dict[tuple[str, str], list[Result]] = {}
    for result in results:
        groups.setdefault((result.task, result.database), []).append(result)
    for (task_key, database), members in groups.items():
        ours = [m for m in members if m.role == ETL]
        header = ["approach", "rows", "wall s", "rows/s", "peak MB", "load",
                  *[f"{m.approach} ÷ this" for m in ours]]
        rows = []
        for member in members:
            name = f"**{member.approach}**" if member.role == ETL else member.approach
            if member.note:
                name += f" ({member.note})"
            rows.append([
                name, f"{member.rows:,}", fmt_seconds(member.seconds),
                fmt_rate(member.rows_per_second), fmt_mb(member.peak_mb),
                f"{max(member.loads):.1f}" if member.loads else "–",
                *[fmt_ratio(m.seconds, member.seconds) for m in ours],
            ])
        lines += [f"### {TASKS_BY_KEY[task_key].title} — {database}", "", *_table(header, rows), ""]
    return lines


def target_rows(results: Sequence[Result]) -> list[list[str]]:
    """The issue's ratio targets and the per-process memory ceiling, each marked."""
    found = {(r.database, r.task, r.approach): r for r in results}
    rows: list[list[str]] = []
    for target in TARGETS:
        ours = found.get((target.database, target.task, target.approach))
        theirs = found.get((target.database, target.versus_task or target.task, target.versus))
        if ours is None or theirs is None:
            continue
        ratio = fmt_ratio(ours.seconds, theirs.seconds)
        limit = f"≤ {target.limit}" if target.limit is not None else "reported"
        versus = target.versus
        if target.versus_task:
            versus += f" ({TASKS_BY_KEY[target.versus_task].title})"
        rows.append([
            target.database, TASKS_BY_KEY[target.task].title,
            f"{target.approach} ÷ {versus}", ratio, limit, _mark(ratio, target.limit),
        ])
    for result in results:
        if result.role == ETL:
            peak = result.peak_mb
            mark = "–" if peak is None else ("pass" if peak <= RSS_LIMIT_MB else "**FAIL**")
            rows.append([
                result.database, TASKS_BY_KEY[result.task].title,
                f"{result.approach}: peak RSS MB", fmt_mb(peak), f"≤ {RSS_LIMIT_MB:.0f}", mark,
            ])
    return rows


def _mark(ratio: str, limit: float | None) -> str:
    if ratio == "–":
        return "not measured"
    if limit is None:
        return "–"
    return "pass" if float(ratio) <= limit else "**FAIL**"


def memory_rows(points: Sequence[MemoryPoint]) -> list[list[str]]:
    by_command: dict[str, list[MemoryPoint]] = {}
    for point in points:
        by_command.setdefault(point.command, []).append(point)
    rows = []
    for command, members in by_command.items():
        small, large = members[0], members[-1]
        growth = fmt_ratio(large.peak_mb, small.peak_mb)
        mark = "not measured" if growth == "–" else (
            "pass" if float(growth) <= MEMORY_GROWTH_LIMIT else "**FAIL**"
        )
        notes = "; ".join(p.note for p in members if p.note)
        rows.append([
            command, f"{small.rows:,}", fmt_mb(small.peak_mb), f"{large.rows:,}",
            fmt_mb(large.peak_mb), growth, f"≤ {MEMORY_GROWTH_LIMIT}", mark + (f" ({notes})" if notes else ""),
        ])
    return rows


def render(
    results: Sequence[Result],
    memory: Sequence[MemoryPoint],
    preamble: Sequence[str],
) -> str:
    lines = list(preamble)
    lines += ["## Results", "",
              ("Median wall time of whole processes (start-up included), peak RSS of the child "
               "(max over runs), the highest 1-minute load average seen before a run "
               "(above the number of cores, other processes competed). In each table, the `… ÷ this` "
               "columns are that `etl` approach's wall time divided by this row's: below 1 "
               "means `etl` is faster."), ""]
    lines += group_tables(results)
    lines += ["## Targets (reported, never asserted)", ""]
    lines += _table(["database", "task", "ratio", "measured", "target", "result"], target_rows(results))
    lines.append("")
    if memory:
        lines += ["## Memory does not grow with the file (--memory-check)", ""]
        lines += _table(
            ["command", "rows", "peak MB", "rows", "peak MB", "growth", "target", "result"],
            memory_rows(memory),
        )
        lines.append("")
    return "\n".join(lines)
