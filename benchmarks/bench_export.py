"""Export throughput and peak memory against named baselines, each case in its own process.

    python benchmarks/bench_export.py                      # 1,000,000 rows CSV, 100,000 XLSX
    python benchmarks/bench_export.py --rows 200000 --xlsx-rows 20000 --db postgresql+psycopg://…

Cases (same table, same rows, same machine, same run):
- csv:   etl export (streamed)         vs pandas read_sql + to_csv
- xlsx:  etl export (XlsxWriter, constant memory) vs pandas to_excel, and openpyxl write-only
- memory: etl CSV export of a tenth of the rows vs all of them: flat memory means equal peaks.
Peak memory is each process's maximum resident set size, reported by the OS at its exit.
"""

from __future__ import annotations

import argparse
import json
import os
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


def measure(case: str, url: str, rows: int, folder: Path) -> dict[str, float | int | str]:
    suffix = "csv" if "csv" in case else "xlsx"
    output = folder / f"{case}.{suffix}"
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, __file__, "--child", case, url, str(rows), str(output)])
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{case} failed with status {status}")
    return {"case": case, "rows": rows, "seconds": round(seconds, 2),
            "rows_per_second": int(rows / seconds), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "file_mb": round(output.stat().st_size / 2**20, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        case, url, limit, output = args.child
        run_case(case, url, int(limit), output)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.db or f"sqlite:///{folder / 'bench.db'}"
        seed(url, args.rows)
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
