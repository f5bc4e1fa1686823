"""`Database.read_frame(chunksize=...)` keeps memory flat: peak RSS against the rows read.

    python benchmarks/bench_read_frame.py                          # 1,000,000 pets, SQLite
    python benchmarks/bench_read_frame.py --databases sqlite,postgresql,mariadb
    python benchmarks/bench_read_frame.py --rows 100000 --out /tmp/read-frame.md   # quicker

The `pet` table is filled once per database with the benchmark's pets (`datagen`, the same
rows as `python -m benchmarks`). Each case is then one fresh child interpreter that reads
the first R rows of the `pets` pipeline through the API and touches every frame (rows
counted, ages summed and checked against the table), measured like every other approach
(`benchmarks.measure`: wall time from the parent, the child's own VmHWM sampled every
5 ms). "growth" is the peak minus the child's RSS after its imports, before the query:
what reading the rows cost. R is a tenth, half and all of `--rows`:

- `etl read_frame(chunksize=C)`, C = 10,000 and 100,000: the streamed iterator. Flat
  memory means the same peak at half and all of the rows (a tenth can be a single chunk,
  which never has two in memory at once);
- `etl read_frame()`: one whole DataFrame, for contrast (it must grow with R);
- `pandas read_sql(chunksize=C)` on a SQLAlchemy engine: the baseline a pandas user reaches
  for (on PostgreSQL psycopg's default cursor fetches the whole result first).

Writes a Markdown report (`--out`, default benchmarks/READ_FRAME.md) with the machine, the
versions and the commit. Not a test: nothing is asserted, the figures are recorded.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import datagen  # noqa: E402
from benchmarks.databases import KINDS, BenchDatabase, bench_database  # noqa: E402
from benchmarks.machine import cpu_model, git_commit, library_versions, load_average, memory_total_gb  # noqa: E402
from benchmarks.measure import run_measured  # noqa: E402
from benchmarks.run import child_env, fill_pets  # noqa: E402

DATA_DIR = ROOT / "benchmarks" / "data"
CHUNK_SIZES = (10_000, 100_000)


def run_child(case: str, url: str, rows: int, chunksize: int, result_path: str) -> None:
    """Inside the child: read `rows` pets one way, touch every frame, write what it saw."""
    import pandas

    import etl

    count = ages = frames = 0
    with etl.connect(url) as db:
        # One row first, so the lazy imports, the engine and the reflection are paid before
        # `started` is read: the growth is what the rows cost.
        if case.startswith("etl"):
            db.read_frame("pets", limit=1)
        else:
            from sqlalchemy import create_engine

            engine = create_engine(url)
            pandas.read_sql("SELECT id, name, type, age FROM pet ORDER BY id LIMIT 1", engine)
        started_kib = _status_kib("VmRSS")
        if case == "etl-chunks":
            chunks = db.read_frame("pets", limit=rows, chunksize=chunksize)
        elif case == "etl-whole":
            chunks = iter([db.read_frame("pets", limit=rows)])
        else:
            chunks = pandas.read_sql(f"SELECT id, name, type, age FROM pet ORDER BY id LIMIT {rows}", engine,
                                     chunksize=chunksize)
        for frame in chunks:
            frames += 1
            count += len(frame)
            ages += int(frame["age"].sum())
            assert str(frame["name"].dtype) != "float64"
    Path(result_path).write_text(json.dumps({
        "rows": count, "age_sum": ages, "frames": frames, "started_mb": started_kib / 1024,
        "peak_mb": _status_kib("VmHWM") / 1024}), encoding="utf-8")


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def measure(case: str, database: BenchDatabase, rows: int, chunksize: int, work: Path) -> dict[str, object]:
    result_path = work / "child.json"
    result_path.unlink(missing_ok=True)
    argv = [sys.executable, str(Path(__file__)), "--child", case, database.url, str(rows), str(chunksize),
            str(result_path)]
    measured = run_measured(argv, cwd=work, env=child_env())
    if not measured.ok:
        raise SystemExit(f"{case} on {database.kind} failed:\n{measured.stderr_tail}")
    seen = json.loads(result_path.read_text(encoding="utf-8"))
    return {"case": case, "database": database.kind, "rows": rows, "chunksize": chunksize,
            "seconds": measured.seconds, "peak_mb": measured.peak_mb,
            "growth_mb": measured.peak_mb - seen["started_mb"], **seen}


def expected_age_sum(rows: int) -> int:
    return sum(age for _, _, _, age in datagen.pet_rows(rows))


LABELS = {"etl-chunks": "etl read_frame(chunksize={c:,})", "etl-whole": "etl read_frame() (one frame)",
          "pandas-chunks": "pandas read_sql(chunksize={c:,})"}


def sizes(rows: int) -> tuple[int, int, int]:
    """The rows read: a tenth, half and all of the table."""
    return rows // 10, rows // 2, rows


def cases(rows: int) -> list[tuple[str, int, int]]:
    found = [("etl-chunks", r, c) for c in CHUNK_SIZES for r in sizes(rows)]
    found += [("etl-whole", r, 0) for r in sizes(rows)]
    found += [("pandas-chunks", r, CHUNK_SIZES[1]) for r in sizes(rows)]
    return found


def report(results: list[dict[str, object]], rows: int, loads: tuple[float | None, float | None],
           command: str) -> str:
    memory = memory_total_gb()
    lines = [
        "# read_frame(chunksize=...) memory", "",
        f"Produced by `{command}` (see the docstring of benchmarks/bench_read_frame.py). Each case is "
        "one fresh child process reading the first R rows of the `pets` pipeline (id, name, type, age) "
        f"of a {rows:,}-row `pet` table and touching every frame; peak = the child's VmHWM, growth = "
        "peak minus its RSS after imports. Not a timed test: figures only.", "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {cpu_model()}, {len(__import__('os').sched_getaffinity(0))} cores"
        + (f", {memory:.0f} GB RAM" if memory else ""),
        f"- Python {sys.version.split()[0]}; {library_versions()}",
        f"- etl commit: {git_commit(ROOT)}",
        f"- 1-minute load average: {_load(loads[0])} at start, {_load(loads[1])} at end", "",
    ]
    for kind in dict.fromkeys(str(r["database"]) for r in results):
        lines += [f"## {kind}", "", "| approach | rows | frames | wall s | rows/s | peak MB | growth MB |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        mine = [r for r in results if r["database"] == kind]
        for r in mine:
            label = LABELS[str(r["case"])].format(c=r["chunksize"])
            seconds = float(r["seconds"])  # type: ignore[arg-type]
            lines.append(f"| {label} | {r['rows']:,} | {r['frames']:,} | {seconds:.2f} | "
                         f"{int(r['rows']) / seconds:,.0f} | {r['peak_mb']:.0f} | {r['growth_mb']:.0f} |")  # type: ignore[call-overload]
        tenth, half, _ = sizes(rows)
        lines += ["", f"Growth (peak minus RSS after imports) at {tenth:,} → {half:,} → {rows:,} rows; "
                  "the last figure is peak at all the rows ÷ peak at half of them (1.00 is flat):", ""]
        for case, chunksize in [*(("etl-chunks", c) for c in CHUNK_SIZES), ("etl-whole", 0),
                                ("pandas-chunks", CHUNK_SIZES[1])]:
            points = sorted((r for r in mine if r["case"] == case and r["chunksize"] == chunksize),
                            key=lambda r: int(r["rows"]))  # type: ignore[call-overload]
            if len(points) < 2:
                continue
            growth = " → ".join(f"{float(r['growth_mb']):.0f}" for r in points)  # type: ignore[arg-type]
            ratio = float(points[-1]["peak_mb"]) / float(points[-2]["peak_mb"])  # type: ignore[arg-type]
            lines.append(f"- {LABELS[case].format(c=chunksize)}: {growth} MB; ×{ratio:.2f}")
        lines.append("")
    return "\n".join(lines)


def _load(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite", help=f"any of {','.join(KINDS)}")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "READ_FRAME.md")
    parser.add_argument("--cases", default=",".join(LABELS), help=f"any of {','.join(LABELS)}")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        case, url, rows, chunksize, result_path = args.child
        run_child(case, url, int(rows), int(chunksize), result_path)
        return
    loads_start = load_average()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    source = datagen.pets_csv(DATA_DIR, args.rows)
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="etl-bench-frames-") as tmp:
        work = Path(tmp)
        for kind in args.databases.split(","):
            database = bench_database(kind.strip(), work)
            database.recreate(["pet"])
            fill_pets(database, source)
            try:
                for case, rows, chunksize in cases(args.rows):
                    if case not in args.cases.split(","):
                        continue
                    result = measure(case, database, rows, chunksize, work)
                    if (result["rows"], result["age_sum"]) != (rows, expected_age_sum(rows)):
                        raise SystemExit(f"{case} on {kind} read {result['rows']} rows, ages {result['age_sum']}")
                    print(f"{kind} {LABELS[case].format(c=chunksize)} {rows:,} rows: {result['seconds']:.2f} s, "
                          f"peak {result['peak_mb']:.0f} MB, growth {result['growth_mb']:.0f} MB", flush=True)
                    results.append(result)
            finally:
                database.drop()
    command = "python benchmarks/bench_read_frame.py " + " ".join(sys.argv[1:])
    text = report(results, args.rows, (loads_start, load_average()), command.strip())
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
