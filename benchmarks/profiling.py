"""Profile the real `etl import` path with pyinstrument and say where the time goes.

    python -m benchmarks.profiling pets            # 1M-row pets CSV into a fresh SQLite file
    python -m benchmarks.profiling contacts --rows 200000 --db postgresql

Runs exactly what users run (`python -m etl import …`) under pyinstrument, then prints
two flat tables from the same samples: functions by self time (where the CPU is spent)
and etl functions by cumulative time (which step of the pipeline costs what), each as a
share of the whole run, and the call tree. Reports go to benchmarks/out/profiles/ (git-ignored).
"""

from __future__ import annotations

import argparse
import pstats
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks import datagen
from benchmarks.databases import KINDS, bench_database
from benchmarks.run import PROJECT_ROOT, child_env

INPUTS = {"pets": (datagen.pets_csv, ["pet"]), "contacts": (datagen.contacts_csv, ["contactos"])}


def profile_import(pipeline: str, rows: int, kind: str, data_dir: Path, out_dir: Path,
                   top: int) -> Path:
    make_input, tables = INPUTS[pipeline]
    source = make_input(data_dir, rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"{pipeline}-{kind}-{rows}"
    with tempfile.TemporaryDirectory(prefix="etl-profile-") as work:
        database = bench_database(kind, Path(work))
        database.recreate(tables)
        session = stem.with_suffix(".pyisession")
        subprocess.run(
            [sys.executable, "-m", "pyinstrument", "-r", "pyisession", "-o", str(session),
             "-m", "etl", "import", "--db", database.url, pipeline, str(source)],
            cwd=work, env=child_env(), check=True,
        )
        database.drop()
    for renderer, suffix in (("text", ".txt"), ("pstats", ".pstats")):
        subprocess.run(
            [sys.executable, "-m", "pyinstrument", "--load", str(session), "-r", renderer,
             "-p", "processor_options.filter_threshold=0.005", "-o", str(stem.with_suffix(suffix))]
            + (["--show-all"] if renderer == "text" else []),
            check=True, env=child_env(),
        )
    summary = stem.with_suffix(".summary.md")
    summary.write_text(summarise(stem.with_suffix(".pstats"), top), encoding="utf-8")
    return summary


def summarise(pstats_path: Path, top: int) -> str:
    stats = pstats.Stats(str(pstats_path))
    entries = stats.stats  # type: ignore[attr-defined]
    total = max(cumulative for _, _, _, cumulative, _ in entries.values())
    by_self = sorted(entries.items(), key=lambda item: item[1][2], reverse=True)[:top]
    ours = [item for item in entries.items() if f"{Path('etl')}/" in item[0][0]
            and "site-packages" not in item[0][0]]
    by_cumulative = sorted(ours, key=lambda item: item[1][3], reverse=True)[:top]
    lines = [f"Total sampled: {total:.2f} s", "", "## By self time", "",
             "| function | where | self s | share |", "|---|---|---|---|"]
    lines += [_row(key, value[2], total) for key, value in by_self]
    lines += ["", "## etl functions by cumulative time", "",
              "| function | where | cumulative s | share |", "|---|---|---|---|"]
    lines += [_row(key, value[3], total) for key, value in by_cumulative]
    return "\n".join(lines) + "\n"


def _row(key: tuple[str, int, str], seconds: float, total: float) -> str:
    filename, line, function = key
    where = _short_path(filename) + (f":{line}" if line else "")
    return f"| `{function}` | {where} | {seconds:.2f} | {seconds / total:.1%} |"


def _short_path(filename: str) -> str:
    for marker in ("site-packages/", str(PROJECT_ROOT) + "/", "lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profiling", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pipeline", choices=sorted(INPUTS))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", choices=KINDS, default="sqlite")
    parser.add_argument("--top", type=int, default=25, help="rows per table")
    parser.add_argument("--data-dir", type=Path, default=PROJECT_ROOT / "benchmarks" / "data")
    parser.add_argument("--out-dir", type=Path, default=PROJECT_ROOT / "benchmarks" / "out" / "profiles")
    args = parser.parse_args(argv)
    summary = profile_import(args.pipeline, args.rows, args.db, args.data_dir, args.out_dir, args.top)
    print(summary.read_text(encoding="utf-8"))
    print(f"call tree: {summary.with_name(summary.name.replace('.summary.md', '.txt'))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
