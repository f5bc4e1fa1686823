"""`python -m benchmarks`: generate the inputs, run every approach as a child process,
print and write the results table.

    python -m benchmarks                       # 1M-row CSVs, 100k-row XLSX, SQLite only
    python -m benchmarks --databases sqlite,postgresql,mariadb --repeat 3
    python -m benchmarks --memory-check        # etl at 1M and 5M rows: does memory grow?
    python -m benchmarks --smoke --out /tmp/RESULTS.md   # tiny sizes, what CI runs
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from benchmarks import datagen
from benchmarks.approaches import (
    APPROACHES,
    TASKS,
    Approach,
    Context,
    Task,
    etl_argv,
    missing_tool,
)
from benchmarks.baselines import dbapi_executemany, mariadb_load_data, postgresql_copy
from benchmarks.databases import KINDS, BenchDatabase, bench_database
from benchmarks.machine import describe, git_commit, load_average
from benchmarks.measure import Measurement, run_measured
from benchmarks.report import MemoryPoint, Result, render

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SMOKE_ROWS, SMOKE_XLSX_ROWS = 2_000, 500
MEMORY_CHECK_FACTOR = 5
FOLDER_FILES = 40
"""The hot-folder task: --rows split into 40 files (1M rows: 40 x 25,000)."""


@dataclass(frozen=True)
class Options:
    rows: int
    xlsx_rows: int
    databases: tuple[str, ...]
    repeat: int
    out: Path
    data_dir: Path
    tasks: tuple[str, ...]
    memory_check: bool
    command_line: str


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the CSV inputs")
    parser.add_argument("--xlsx-rows", type=int, default=100_000, help="rows of the XLSX input")
    parser.add_argument("--databases", default="sqlite",
                        help=f"comma-separated, from {','.join(KINDS)} (default: sqlite)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per approach; the median counts")
    parser.add_argument("--tasks", default=",".join(t.key for t in TASKS),
                        help="comma-separated subset of: " + ", ".join(t.key for t in TASKS))
    parser.add_argument("--smoke", action="store_true",
                        help=f"tiny sizes ({SMOKE_ROWS} rows, {SMOKE_XLSX_ROWS} XLSX rows, 1 run)")
    parser.add_argument("--memory-check", action="store_true",
                        help=f"also run etl import/export at --rows and {MEMORY_CHECK_FACTOR}x --rows")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "benchmarks" / "RESULTS.md")
    parser.add_argument("--data-dir", type=Path, default=PROJECT_ROOT / "benchmarks" / "data")
    args = parser.parse_args(argv)
    databases = tuple(d.strip() for d in args.databases.split(",") if d.strip())
    tasks = tuple(t.strip() for t in args.tasks.split(",") if t.strip())
    unknown = [d for d in databases if d not in KINDS] + [t for t in tasks if t not in {x.key for x in TASKS}]
    if unknown:
        parser.error(f"unknown database or task: {', '.join(unknown)}")
    if args.smoke:
        args.rows, args.xlsx_rows, args.repeat = SMOKE_ROWS, SMOKE_XLSX_ROWS, 1
    return Options(args.rows, args.xlsx_rows, databases, max(1, args.repeat), args.out,
                   args.data_dir, tasks, args.memory_check, " ".join(["python -m benchmarks", *argv]))


def etl_commands() -> set[str]:
    """The `etl` commands that exist in this checkout (`etl import` may not have landed)."""
    found = set()
    for name in ("import", "export"):
        probe = subprocess.run(etl_argv(name, "--help"), cwd=PROJECT_ROOT, capture_output=True,
                               check=False)
        if probe.returncode == 0:
            found.add(name)
    return found


def child_env() -> dict[str, str]:
    """The environment of every child: no ETL_* settings leaking in, the project importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ETL_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    return env


class Runner:
    """Runs approaches against databases, preparing fresh state before every timed run."""

    def __init__(self, options: Options, work_dir: Path) -> None:
        self.options = options
        self.work_dir = work_dir
        self.env = child_env()
        self.inputs: dict[str, Path] = {}
        self.rows: dict[str, int] = {}

    def generate_inputs(self) -> None:
        data, rows, xlsx_rows = self.options.data_dir, self.options.rows, self.options.xlsx_rows
        self.inputs = {
            "pets_csv": datagen.pets_csv(data, rows),
            "contacts_csv": datagen.contacts_csv(data, rows),
            "pets_xlsx": datagen.pets_xlsx(data, xlsx_rows),
            "contacts_xlsx": datagen.contacts_xlsx(data, xlsx_rows),
            "export_db": datagen.pets_csv(data, rows),
            "export_db_xlsx": datagen.pets_csv(data, xlsx_rows),
            "upsert_csv": datagen.upsert_csv(data, rows),
            "pets_folder": datagen.pets_folder(data, FOLDER_FILES, rows // FOLDER_FILES),
        }
        self.rows = {"pets_csv": rows, "contacts_csv": rows, "pets_xlsx": xlsx_rows, "contacts_xlsx": xlsx_rows,
                     "export_db": rows, "export_db_xlsx": xlsx_rows, "upsert_csv": rows,
                     "pets_folder": FOLDER_FILES * (rows // FOLDER_FILES)}

    def run_task(self, task: Task, database: BenchDatabase, available: set[str]) -> list[Result]:
        source, rows = self.inputs[task.input_name], self.rows[task.input_name]
        if task.is_export:
            database.recreate(list(task.tables))
            fill_pets(database, source)
        results = []
        for approach in APPROACHES:
            if approach.task != task.key or database.kind not in approach.databases:
                continue
            result = Result(task.key, database.kind, approach.name, approach.role, rows)
            result.note = self._not_available(approach, available)
            if not result.note:
                self._repeat(approach, task, database, source, result)
            print(_progress_line(result), flush=True)
            results.append(result)
        return results

    def _not_available(self, approach: Approach, available: set[str]) -> str:
        reason = missing_tool(approach.needs, available)
        return f"not available: {reason}" if reason else ""

    def _repeat(self, approach: Approach, task: Task, database: BenchDatabase, source: Path,
                result: Result) -> None:
        for _ in range(self.options.repeat):
            output = self.work_dir / f"output{task.output_suffix}" if task.is_export else None
            context = Context(database, source, self.work_dir, output)
            try:
                failure = self._prepare(approach, task, context)
            except RuntimeError as err:
                result.note = f"failed: {err}"
                return
            load = load_average()
            measurement = failure or self._measure(approach, context)
            problem = failure_reason(measurement) or self._check(task, context, result.rows)
            if problem:
                result.note = f"failed: {problem}"
                return
            result.runs.append(measurement.seconds)
            result.peaks_mb.append(measurement.peak_mb)
            if load is not None:
                result.loads.append(load)

    def _prepare(self, approach: Approach, task: Task, context: Context) -> Measurement | None:
        """Fresh tables for an import; for a re-import, the first import, untimed."""
        if context.output is not None:
            context.output.unlink(missing_ok=True)
            return None
        context.database.recreate(list(task.tables))
        if task.prefill:
            fill_pets(context.database, self.inputs[task.prefill])
            context.database.add_natural_key()
        if approach.reimport:
            first = run_measured(
                etl_argv("import", "--db", context.database.url, "pets", str(context.source)),
                cwd=self.work_dir, env=self.env,
            )
            return first if not first.ok else None
        return None

    def _measure(self, approach: Approach, context: Context) -> Measurement:
        stdin = approach.stdin(context) if approach.stdin else None
        return run_measured(approach.argv(context), cwd=self.work_dir, env=self.env, stdin_path=stdin)

    def _check(self, task: Task, context: Context, rows: int) -> str:
        """The approach really did the job: every row loaded, or the output file complete."""
        if task.prefill:
            return check_upsert(context.database, rows)
        if task.count_table:
            loaded = context.database.count(task.count_table)
            return "" if loaded == rows else f"{loaded:,} rows in {task.count_table}, expected {rows:,}"
        assert context.output is not None
        if not context.output.exists() or context.output.stat().st_size == 0:
            return "no output file"
        if task.output_suffix == ".csv":
            lines = count_lines(context.output)
            return "" if lines == rows + 1 else f"{lines:,} lines written, expected {rows + 1:,}"
        return ""

    def memory_check(self, available: set[str]) -> list[MemoryPoint]:
        """etl import, etl export of what it loaded, and an upsert into a full table, at
        --rows and 5x --rows (SQLite): peak memory must not grow with the file."""
        points: list[MemoryPoint] = []
        database = bench_database("sqlite", self.work_dir)
        for rows in (self.options.rows, self.options.rows * MEMORY_CHECK_FACTOR):
            source = datagen.pets_csv(self.options.data_dir, rows)
            changes = datagen.upsert_csv(self.options.data_dir, rows)
            output = self.work_dir / "memory-check.csv"
            database.recreate(["pet"])
            steps = (
                ("etl import (CSV)", "import", etl_argv("import", "--db", database.url, "pets", str(source))),
                ("etl export (CSV)", "export", etl_argv("export", "--db", database.url, "pets", str(output))),
                ("etl import (upsert CSV)", "import",
                 etl_argv("import", "--db", database.url, "pets", str(changes))),
            )
            for label, needed, argv in steps:
                if label == "etl import (upsert CSV)":
                    database.recreate(["pet"])
                    fill_pets(database, source)
                    database.add_natural_key()
                points.append(self._memory_point(label, needed, argv, rows, available))
            output.unlink(missing_ok=True)
        database.drop()
        return points

    def _memory_point(self, label: str, needed: str, argv: list[str], rows: int,
                      available: set[str]) -> MemoryPoint:
        if needed not in available:
            return MemoryPoint(label, rows, None, None, f"`etl {needed}` does not exist yet")
        measurement = run_measured(argv, cwd=self.work_dir, env=self.env)
        note = failure_reason(measurement)
        print(f"memory check: {label} {rows:,} rows: "
              f"{note or f'{measurement.peak_mb:.0f} MB, {measurement.seconds:.1f} s'}", flush=True)
        return MemoryPoint(label, rows, None if note else measurement.peak_mb,
                           None if note else measurement.seconds, note)


def fill_pets(database: BenchDatabase, source: Path) -> None:
    """Load a pets CSV (with ids) into the empty `pet` table the fastest way each database
    has; the untimed set-up of exports and upserts."""
    fill = {"postgresql": postgresql_copy, "mariadb": mariadb_load_data}.get(database.kind, dbapi_executemany)
    fill(database.url, source)
    if database.kind == "postgresql":  # COPY of explicit ids leaves the id sequence behind
        database.execute("SELECT setval(pg_get_serial_sequence('pet', 'id'), (SELECT max(id) FROM pet))")


def check_upsert(database: BenchDatabase, rows: int) -> str:
    """The upsert did its job: the new rows are in, and the changed ages are the new ones."""
    count, age_sum = datagen.upsert_expectation(rows)
    loaded, total = database.count("pet"), database.total("pet", "age")
    if (loaded, total) == (count, age_sum):
        return ""
    return f"{loaded:,} rows with ages summing to {total:,}, expected {count:,} summing to {age_sum:,}"


def failure_reason(measurement: Measurement | None) -> str:
    if measurement is None or measurement.ok:
        return ""
    lines = [line for line in measurement.stderr_tail.splitlines()
             if line.strip() and not line.startswith("(Background on this error")]
    return f"exit {measurement.exit_code}: {lines[-1].strip() if lines else 'no message'}"


def count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            count += block.count(b"\n")
    return count


def _progress_line(result: Result) -> str:
    where = f"{result.task} [{result.database}] {result.approach}"
    if result.note:
        return f"{where}: {result.note}"
    return (f"{where}: {result.seconds:.2f} s, {result.rows_per_second:,.0f} rows/s, "
            f"{result.peak_mb:.0f} MB")


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(sys.argv[1:] if argv is None else list(argv))
    work_dir = Path(tempfile.mkdtemp(prefix="etl-bench-"))
    try:
        return _run(options, work_dir)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


def _run(options: Options, work_dir: Path) -> int:
    load_at_start, commit_at_start = load_average(), git_commit(PROJECT_ROOT)
    runner = Runner(options, work_dir)
    runner.generate_inputs()
    available = etl_commands()
    results: list[Result] = []
    servers: dict[str, str] = {}
    for kind in options.databases:
        try:
            database = bench_database(kind, work_dir)
            servers[kind] = database.server_version()
        except SQLAlchemyError as err:  # an unreachable server is reported, the others still run
            print(f"{kind}: skipped, unreachable: {str(err).splitlines()[0]}", flush=True)
            servers[kind] = f"unreachable ({str(err).splitlines()[0]})"
            continue
        for task in TASKS:
            if task.key in options.tasks and kind in task.databases:
                results += runner.run_task(task, database, available)
        database.drop()
    memory = runner.memory_check(available) if options.memory_check else []
    preamble = [
        "# Benchmark results", "",
        (f"Produced by `{options.command_line}` (see benchmarks/README.md). "
         f"Inputs: {options.rows:,}-row CSVs, {options.xlsx_rows:,}-row XLSX, generated "
         f"deterministically (seed {datagen.SEED}); {options.repeat} run(s) per approach."), "",
        *describe(PROJECT_ROOT, servers, (load_at_start, load_average()), commit_at_start), "",
    ]
    report = render(results, memory, preamble)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(report + "\n", encoding="utf-8")
    print("\n" + report)
    print(f"\nwritten to {options.out}")
    return 0
