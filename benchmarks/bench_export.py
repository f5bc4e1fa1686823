"""Export throughput and peak memory against named baselines, each case in its own process.

    python benchmarks/bench_export.py                      # 1,000,000 rows CSV, 100,000 XLSX
    python benchmarks/bench_export.py --rows 200000 --xlsx-rows 20000 --db postgresql+psycopg://…

Cases (same table, same rows, same machine, same run):
- csv:   etl export (streamed)         vs pandas read_sql + to_csv
- xlsx:  etl export (XlsxWriter, constant memory) vs pandas to_excel, and openpyxl write-only
- memory: etl CSV export of a tenth of the rows vs all of them: flat memory means equal peaks.
Peak memory is each child's own high-water resident set (VmHWM in /proc/self/status, which
starts afresh at exec), read by the child when its export is done. `ru_maxrss` from wait4 is
not used: Linux carries it across fork and exec, so it would show the parent's peak.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PETS_QUERY = "SELECT id, name, type, age FROM pet ORDER BY id"


def seed(url: str, rows: int) -> None:
    """A fresh `pet` table of `rows` rows, inserted in chunks through the DB-API."""
    from sqlalchemy import delete

    from etl.db import make_engine
    from etl.models import Pet
    from etl.schema import ensure_target_tables

    engine = make_engine(url)
    ensure_target_tables(engine, ["pet"])
    with engine.begin() as connection:
        connection.execute(delete(Pet))
    kinds = ("dog", "cat", "fish", "parrot", "hamster")
    chunk = 50_000
    with engine.begin() as connection:
        for start in range(0, rows, chunk):
            batch = [
                {"id": i + 1, "name": f"pet {i:07d} ñ", "type": kinds[i % 5], "age": i % 20}
                for i in range(start, min(start + chunk, rows))
            ]
            connection.execute(Pet.__table__.insert(), batch)
    engine.dispose()


def run_case(case: str, url: str, limit: int, output: str) -> None:
    """Runs inside the child process: one export, nothing else."""
    query = f"{PETS_QUERY} LIMIT {limit}"
    if case.startswith("etl-"):
        from etl.db import make_engine
        from etl.exporter import ExportRequest, export
        from etl.pipeline import load_pipelines

        engine = make_engine(url, read_only=True)
        request = ExportRequest(source="pets", limit=limit)
        export(engine, request, load_pipelines(), Path(output), case.removeprefix("etl-"))
        return
    import pandas as pd
    from sqlalchemy import create_engine

    frame = pd.read_sql(query, create_engine(url))
    if case == "pandas-csv":
        frame.to_csv(output, index=False)
    elif case == "pandas-xlsx":
        frame.to_excel(output, index=False, engine="openpyxl")
    elif case == "openpyxl-write-only":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("pets")
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append(list(row))
        book.save(output)


def peak_rss_kib() -> int:
    """This process's high-water resident set since its exec, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(case: str, url: str, rows: int, folder: Path) -> dict[str, float | int | str]:
    suffix = "csv" if "csv" in case else "xlsx"
    output = folder / f"{case}.{suffix}"
    started = time.perf_counter()
    process = subprocess.run([sys.executable, __file__, "--child", case, url, str(rows), str(output)],
                             capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{case} failed: {process.stderr}")
    peak_kib = int(process.stdout.strip().splitlines()[-1])
    return {"case": case, "rows": rows, "seconds": round(seconds, 2),
            "rows_per_second": int(rows / seconds), "peak_rss_mb": round(peak_kib / 1024, 1),
            "file_mb": round(output.stat().st_size / 2**20, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--seed-only", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_only:
        seed(args.seed_only[0], int(args.seed_only[1]))
        return
    if args.child:
        case, url, limit, output = args.child
        run_case(case, url, int(limit), output)
        print(peak_rss_kib())
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.db or f"sqlite:///{folder / 'bench.db'}"
        subprocess.run([sys.executable, __file__, "--seed-only", url, str(args.rows)], check=True)
        results = [
            measure("etl-csv", url, args.rows, folder),
            measure("pandas-csv", url, args.rows, folder),
            measure("etl-csv", url, args.rows // 10, folder),
            measure("etl-xlsx", url, args.xlsx_rows, folder),
            measure("pandas-xlsx", url, args.xlsx_rows, folder),
            measure("openpyxl-write-only", url, args.xlsx_rows, folder),
        ]
    for result in results:
        print(json.dumps(result))
    etl_csv, pandas_csv, small_csv, etl_xlsx, pandas_xlsx, _ = results
    print(f"csv:  etl/pandas time ratio {etl_csv['seconds'] / pandas_csv['seconds']:.2f} (target <= 0.6)")
    print(f"xlsx: etl/pandas time ratio {etl_xlsx['seconds'] / pandas_xlsx['seconds']:.2f} (target <= 0.6)")
    print(f"memory: etl csv peak {small_csv['peak_rss_mb']} MB at {small_csv['rows']} rows, "
          f"{etl_csv['peak_rss_mb']} MB at {etl_csv['rows']} rows "
          f"(pandas: {pandas_csv['peak_rss_mb']} MB)")


if __name__ == "__main__":
    main()
