"""Objects mode against the naive ORM loop (issue 11): 1M rows of a model with one
`@validates` and one Python-side default into SQLite, `etl import --model` (auto picks
objects) against `add_all` + `flush` + `expunge_all` per 10,000 rows and one commit, each
in a fresh child process (wall time, peak RSS). The target: etl at most 0.8× the naive
time, peak RSS at most 150 MB and flat from 1M to 5M rows.

    python benchmarks/bench_orm.py --rows 1000000 --memory-rows 5000000

Inputs are written under benchmarks/data/orm/ (git-ignored) and reused.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.measure import run_measured  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "orm"
CHUNK = 10_000


def write_items(rows: int) -> Path:
    path = DATA / f"items-{rows}.csv"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["code", "name", "qty"])
            for number in range(rows):
                writer.writerow([f"C{number:09d}", f" item number {number % 977} ", number % 1000])
    return path


def naive(path: str, url: str) -> None:
    """What a developer writes by hand: objects, added and flushed per chunk, one commit."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from benchmarks.orm_model import Base, Item

    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session, open(path, newline="", encoding="utf-8") as handle:
        batch = []
        for row in csv.DictReader(handle):
            batch.append(Item(code=row["code"], name=row["name"], qty=int(row["qty"]) if row["qty"] else None))
            if len(batch) == CHUNK:
                session.add_all(batch)
                session.flush()
                session.expunge_all()
                batch = []
        session.add_all(batch)
        session.commit()


def measure(rows: int, work: Path, names: tuple[str, ...] = ("naive", "etl")) -> dict[str, tuple[float, float]]:
    source = write_items(rows)
    results = {}
    for name in names:
        db = work / f"{name}-{rows}.db"
        db.unlink(missing_ok=True)
        url = f"sqlite:///{db}"
        if name == "naive":
            argv = [sys.executable, str(Path(__file__).resolve()), "--naive", str(source), url]
        else:
            argv = [sys.executable, "-m", "etl", "import", "--model", "benchmarks.orm_model:Item", str(source),
                    "--db", url, "--quiet"]
        measured = run_measured(argv, cwd=ROOT)
        if measured.exit_code != 0:
            raise SystemExit(f"{name} failed: {measured.stderr_tail}")
        results[name] = (measured.seconds, measured.peak_mb)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--memory-rows", type=int, default=0, help="also measure etl's memory at this many rows")
    parser.add_argument("--naive", nargs=2, metavar=("CSV", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.naive:
        naive(*args.naive)
        return
    work = DATA / "work"
    work.mkdir(parents=True, exist_ok=True)
    print(f"1-minute load average at start: {os.getloadavg()[0]:.1f}")
    print("| rows | naive add_all+flush s | etl objects s | etl ÷ naive | naive peak MB | etl peak MB |")
    print("|---:|---:|---:|---:|---:|---:|")
    results = measure(args.rows, work)
    (naive_s, naive_mb), (etl_s, etl_mb) = results["naive"], results["etl"]
    print(f"| {args.rows:,} | {naive_s:.1f} | {etl_s:.1f} | {etl_s / naive_s:.2f} | {naive_mb:.0f} | {etl_mb:.0f} |",
          flush=True)
    if args.memory_rows:  # memory only: the naive loop is not run again at this size
        etl_s, etl_mb = measure(args.memory_rows, work, ("etl",))["etl"]
        print(f"| {args.memory_rows:,} | | {etl_s:.1f} | | | {etl_mb:.0f} |", flush=True)
    print(f"1-minute load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
