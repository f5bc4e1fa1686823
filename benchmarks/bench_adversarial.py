"""Reader cost on hostile shapes (issue 17 item 10): each adversarial file against a normal
file of the same size — for CSV the same bytes, for XLSX the same uncompressed XML — read
in a fresh child interpreter (wall, CPU, peak RSS growth, and what came of it: rows read or
the one-line refusal). The target: each shape at most 2× the time of its normal twin, and
memory that does not follow the shape.

    python benchmarks/bench_adversarial.py --mib 64        # shapes of 64 MiB (default 256)

Inputs are written under benchmarks/data/adversarial/ (git-ignored) and reused.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data" / "adversarial"
MIB = 1 << 20
WORKBOOK = {
    "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                           'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                   'relationships"><Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/'
                   '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                       'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
                       '<sheet name="S" sheetId="1" r:id="r1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                                  'package/2006/relationships"><Relationship Id="r1" Type="http://schemas.'
                                  'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/'
                                  'sheet1.xml"/><Relationship Id="r2" Type="http://schemas.openxmlformats.org/'
                                  'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                                  '</Relationships>',
}
SHEET_HEAD = ('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<sheetData>')
ROW = '<row r="{n}"><c r="A{n}" t="s"><v>{s}</v></c><c r="B{n}"><v>{n}</v></c><c r="C{n}" t="inlineStr"><is><t>' \
      'Ñandú {n}</t></is></c></row>'


def _write_stream(path: Path, pieces: Callable[[], object]) -> None:
    """Write text pieces (an iterable of str) to `path`."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        for piece in pieces():  # type: ignore[attr-defined]
            handle.write(piece)


def _workbook(path: Path, sheet: Callable[[], object], strings: Callable[[], object]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        for name, text in WORKBOOK.items():
            package.writestr(name, text)
        for name, pieces in (("xl/worksheets/sheet1.xml", sheet), ("xl/sharedStrings.xml", strings)):
            with package.open(name, "w", force_zip64=True) as member:
                for piece in pieces():  # type: ignore[attr-defined]
                    member.write(piece.encode("utf-8"))


def _rows_until(size: int) -> object:
    written, n = 0, 1
    yield SHEET_HEAD
    while written < size:
        row = ROW.format(n=n, s=n % 50)
        written += len(row)
        n += 1
        yield row
    yield "</sheetData></worksheet>"


def _few_strings() -> object:
    yield '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    yield "".join(f"<si><t>grupo {i}</t></si>" for i in range(50))
    yield "</sst>"


def _ten_rows() -> object:
    yield SHEET_HEAD + "".join(ROW.format(n=n, s=n) for n in range(1, 11)) + "</sheetData></worksheet>"


def make(size: int) -> dict[str, Path]:
    DATA.mkdir(parents=True, exist_ok=True)
    paths = {}

    def once(name: str, write: Callable[[Path], None]) -> None:
        path = DATA / f"{name}-{size // MIB}mib{Path(name).suffix or ''}"
        path = DATA / f"{size // MIB}mib-{name}"
        if not path.exists():
            tmp = path.with_name("tmp-" + path.name)
            write(tmp)
            tmp.rename(path)
        paths[name] = path

    line = "José Núñez,0412345678,Fútbol,42,2024-01-31\n"
    once("normal.csv", lambda p: _write_stream(p, lambda: ["nombre,telefono,grupo,edad,alta\n",
                                                           *[line] * (size // len(line.encode()))]))
    once("one-line.csv", lambda p: _write_stream(p, lambda: ["a,b\n", *["z" * MIB] * (size // MIB)]))
    once("wide-header.csv", lambda p: _write_stream(p, lambda: [",".join(f"c{i}" for i in range(3_000_001)), "\n"]))
    once("long-field.csv", lambda p: _write_stream(p, lambda: [
        "nombre,nota\n", *[line[:20] + "\n"] * (size // 2 // 21), 'x,"', "y" * (7 * MIB), '"\n',
        *[line[:20] + "\n"] * (size // 2 // 21)]))
    once("normal.xlsx", lambda p: _workbook(p, lambda: _rows_until(size), _few_strings))
    once("whitespace.xlsx", lambda p: _workbook(p, lambda: [
        SHEET_HEAD, '<row r="1"><c r="A1" t="s"><v>1</v></c>', *[" " * MIB] * (size // MIB),
        '<c r="B1"><v>2</v></c></row></sheetData></worksheet>'], _few_strings))
    once("big-cell.xlsx", lambda p: _workbook(p, lambda: [
        SHEET_HEAD, '<row r="1"><c r="A1" t="inlineStr"><is><t>', *["w" * MIB] * (size // MIB),
        "</t></is></c></row></sheetData></worksheet>"], _few_strings))
    once("big-strings.xlsx", lambda p: _workbook(p, _ten_rows, lambda: [
        '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
        *["".join(f"<si><t>s{i}</t></si>" for i in range(k, k + 50_000)) for k in range(0, size // 16, 50_000)],
        "</sst>"]))
    return paths


def _peak_mib() -> float:
    for text in Path("/proc/self/status").read_text().splitlines():
        if text.startswith("VmHWM:"):
            return int(text.split()[1]) / 1024
    return 0.0


def child(path: Path) -> dict[str, object]:
    from itertools import islice

    from etl.errors import ReadError
    from etl.readers import open_table

    before = _peak_mib()
    start, cpu = time.perf_counter(), time.process_time()
    rows, outcome = 0, "read"
    try:
        with open_table(path) as table:
            while chunk := list(islice(table.rows, 10_000)):
                rows += len(chunk)
    except ReadError as err:
        outcome = "refused: " + str(err).split(": ", 1)[1][:90]
    return {"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu, "rows": rows,
            "growth": _peak_mib() - before, "outcome": outcome}


def measure(path: Path) -> dict[str, object]:
    out = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _size_of(path: Path) -> int:
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as package:
            return sum(info.file_size for info in package.infolist())
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    paths = make(args.mib * MIB)
    results = {name: measure(path) for name, path in paths.items()}
    print("| file | content MiB | seconds | CPU s | ÷ normal | RSS growth MiB | outcome |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, result in results.items():
        normal = results["normal" + Path(name).suffix]
        ratio = float(result["cpu"]) / float(normal["cpu"])  # type: ignore[arg-type]
        print(f"| {name} | {_size_of(paths[name]) / MIB:,.0f} | {result['seconds']:.2f} | {result['cpu']:.2f} | "
              f"{ratio:.2f} | {result['growth']:.0f} | {result['outcome']} ({result['rows']:,} rows) |")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
