"""Reader throughput and peak memory: `etl.readers.open_table` against pandas, on generated
CSV and XLSX files, at two sizes each so you can see whether memory grows with the file.

    python benchmarks/bench_readers.py                     # 1,000,000-row CSV, 100,000-row XLSX
    python benchmarks/bench_readers.py --csv-rows 200000 --xlsx-rows 20000   # quicker

Inputs are generated once (seeded) under benchmarks/data/ (git-ignored) and reused. Every
measurement runs in a fresh child interpreter that reads every row of the file (in lists of
10,000, as the importer takes them) and reports its wall and CPU time (CPU time is steadier
on a shared machine), its peak RSS (VmHWM), and the RSS it had after its imports, before
opening the file — so "growth" is what reading the file cost. Approaches:

- `etl csv`: open_table on the CSV (encoding and delimiter detected, every value text);
- `etl xlsx`: open_table on the XLSX (the streaming reader, the one .xlsx engine);
- `etl xlsx calamine`: the python-calamine engine (the one of .xls/.xlsb/.ods) on the same file;
- `openpyxl read-only`: openpyxl's own iter_rows(values_only=True), as a baseline;
- `pandas read_csv(dtype=str)` and `pandas read_excel(dtype=str)` (openpyxl): the baselines;
  pandas holds the whole table in memory, our readers stream rows.

Prints a Markdown table, then for each approach the peak RSS of the large file against the
small one (flat memory: about the same); `--out PATH` also writes both to a file.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
GROUPS = ["Familia", "Trabajo", "Amigos", "Fútbol", "Vecinos", "Señoras del té"]
NAMES = ["José", "María", "Núñez", "Peña", "Iñaki", "Zoë", "Ana", "Luis", "O'Brien", "Çelik"]

CSV_APPROACHES = ["etl csv", "pandas read_csv(dtype=str)"]
XLSX_APPROACHES = ["etl xlsx", "etl xlsx calamine", "openpyxl read-only", "pandas read_excel(dtype=str)"]


def _record(rng: random.Random, i: int) -> list[object]:
    name = f"{rng.choice(NAMES)} {rng.choice(NAMES)} {i}"
    if i % 1000 == 0:
        name += ', "el de la esquina"\nsegunda línea'
    return [name, f"0{rng.randrange(4_120_000_000, 4_269_999_999)}", rng.choice(GROUPS), rng.randrange(0, 99),
            dt.date(2020, 1, 1) + dt.timedelta(days=i % 1500)]


def make_csv(rows: int) -> Path:
    path = DATA / f"readers-contacts-{rows}.csv"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        rng = random.Random(rows)
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(["nombre", "telefono", "grupo", "edad", "alta"])
            writer.writerows(_record(rng, i) for i in range(1, rows + 1))
        tmp.rename(path)
    return path


def make_xlsx(rows: int) -> Path:
    """Written with XlsxWriter's shared-strings table, as Excel itself saves workbooks."""
    import xlsxwriter

    path = DATA / f"readers-contacts-{rows}.xlsx"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        rng = random.Random(rows)
        tmp = path.with_name(path.stem + ".tmp.xlsx")
        workbook = xlsxwriter.Workbook(str(tmp))
        sheet = workbook.add_worksheet("Contactos")
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        sheet.write_row(0, 0, ["nombre", "telefono", "grupo", "edad", "alta"])
        for i in range(1, rows + 1):
            name, phone, group, age, when = _record(rng, i)
            sheet.write_string(i, 0, name)
            sheet.write_string(i, 1, phone)
            sheet.write_string(i, 2, group)
            sheet.write_number(i, 3, age)
            sheet.write_datetime(i, 4, dt.datetime.combine(when, dt.time()), date_format)
        workbook.close()
        tmp.rename(path)
    return path


def _peak_mib() -> float:
    """This process's peak RSS. VmHWM belongs to the address space exec created, whereas
    ru_maxrss is inherited from the parent across fork+exec and would show its peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(approach: str, path: Path) -> dict[str, float]:
    """Read every row of `path` the way `approach` does; runs in its own interpreter."""
    import pandas as pd

    from etl.readers import ReadOptions, open_table
    from etl.readers.xlsx_reader import open_xlsx

    before = _peak_mib()
    start, cpu_start = time.perf_counter(), time.process_time()
    if approach.startswith("pandas read_csv"):
        rows = len(pd.read_csv(path, dtype=str, keep_default_na=False, sep=";"))
    elif approach.startswith("pandas read_excel"):
        rows = len(pd.read_excel(path, dtype=str, keep_default_na=False))
    elif approach in ("etl csv", "etl xlsx"):
        with open_table(path) as table:
            rows = _count_in_chunks(table.rows)
    elif approach == "openpyxl read-only":
        import openpyxl

        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        rows = sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True)) - 1
        workbook.close()
    else:
        engine = approach.rsplit(" ", 1)[1]
        with open_xlsx(path, ReadOptions(), None, engine) as table:  # type: ignore[arg-type]
            rows = _count_in_chunks(table.rows)
    return {"rows": rows, "seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu_start,
            "base_mib": before, "peak_mib": _peak_mib()}


def _count_in_chunks(rows: Iterator[object]) -> int:
    """Take the rows the way the importer does (lists of 10,000), so no Python frame per row
    is added to the reader's own."""
    count = 0
    while chunk := list(islice(rows, 10_000)):
        count += len(chunk)
    return count


def measure(approach: str, path: Path) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", approach, str(path)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--child", nargs=2, metavar=("APPROACH", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1]))))
        return
    cases = [(a, make_csv(n)) for n in (args.csv_rows // 10, args.csv_rows) for a in CSV_APPROACHES]
    cases += [(a, make_xlsx(n)) for n in (args.xlsx_rows // 10, args.xlsx_rows) for a in XLSX_APPROACHES]
    lines = [
        "| approach | file | rows | seconds | CPU s | rows/s | RSS before (MiB) | peak RSS (MiB) | growth (MiB) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    peaks: dict[str, list[tuple[int, float]]] = {}
    for approach, path in cases:
        result = measure(approach, path)
        line = (
            f"| {approach} | {path.name} | {result['rows']:,} | {result['seconds']:.2f} | {result['cpu_seconds']:.2f} | "
            f"{result['rows'] / result['seconds']:,.0f} | {result['base_mib']:.0f} | "
            f"{result['peak_mib']:.0f} | {result['peak_mib'] - result['base_mib']:.0f} |"
        )
        print(line if len(lines) > 2 else "\n".join([*lines, line]), flush=True)
        lines.append(line)
        peaks.setdefault(approach, []).append((int(result["rows"]), result["peak_mib"]))
    summary = _flatness(peaks)
    print("\n" + "\n".join(summary))
    if args.out:
        args.out.write_text("\n".join([*lines, "", *summary]) + "\n", encoding="utf-8")


def _flatness(peaks: dict[str, list[tuple[int, float]]]) -> list[str]:
    """Peak RSS at the large size against the small one, per approach."""
    lines = ["| approach | small rows | peak (MiB) | large rows | peak (MiB) | large − small (MiB) | large ÷ small |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for approach, ((small, small_peak), (large, large_peak)) in ((a, sorted(p)) for a, p in peaks.items()):
        lines.append(f"| {approach} | {small:,} | {small_peak:.0f} | {large:,} | {large_peak:.0f} | "
                     f"{large_peak - small_peak:+.0f} | {large_peak / small_peak:.2f} |")
    return lines


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
