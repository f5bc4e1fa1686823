"""Make the report pictures in docs/: a demo database (1M pets, 1M contacts in 12 groups,
three months of nightly imports in the ledger), each built-in report written from it and
rendered through LibreOffice, its first page cropped to what is on it.

    python docs/render_reports.py [--rows 1000000] [--work /tmp/etl-docs]

Needs LibreOffice (`soffice`) and poppler (`pdftoppm`), e.g. `apt-get install -y
libreoffice-calc poppler-utils`. The pictures are for looking at: the tests read the same
workbooks back with openpyxl.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image, ImageChops

import etl

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

from tests.company_workbook import company_workbook  # noqa: E402

PET_TYPES = {"perro": 30, "gato": 26, "pez": 14, "loro": 9, "conejo": 8, "hámster": 6, "tortuga": 4, "iguana": 3}
PICTURES: dict[str, dict[str, float]] = {"imports-by-day": {"dpi": 160, "keep": 0.68}}
GROUPS = {"Familia": 3, "Trabajo": 20, "Amigos": 12, "Clientes": 25, "Proveedores": 10, "Vecinos": 4,
          "Club de lectura": 2, "Universidad": 8, "Colegio": 5, "Deportes": 6, "Médicos": 1, "Otros": 4}


def demo_database(path: Path, rows: int) -> str:
    url = f"sqlite:///{path}"
    path.unlink(missing_ok=True)
    with etl.connect(url) as database:
        database.init()
    rnd = random.Random(7)
    with sqlite3.connect(path) as connection:
        types, weights = list(PET_TYPES), list(PET_TYPES.values())
        connection.executemany("INSERT INTO pet (name, type, age) VALUES (?, ?, ?)", (
            (f"mascota {n}", rnd.choices(types, weights)[0], min(int(rnd.expovariate(1 / 6)), 25))
            for n in range(rows)))
        connection.executemany("INSERT INTO grupos (id, grupo, descripcion) VALUES (?, ?, ?)",
                               ((n, name, name) for n, name in enumerate(GROUPS, start=1)))
        group_ids, group_weights = list(range(1, len(GROUPS) + 1)), list(GROUPS.values())
        connection.executemany("INSERT INTO contactos (nombre, telefono, grupo_id) VALUES (?, ?, ?)", (
            (f"Contacto {n}", f"04{rnd.randint(0, 10**9 - 1):09d}", rnd.choices(group_ids, group_weights)[0])
            for n in range(rows)))
        connection.executemany(
            "INSERT INTO etl_import_run (pipeline, path, sha256, status, rows_read, inserted, updated, unchanged,"
            " rejected, started_at, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)", _nightly_runs(rnd))
    return url


def _nightly_runs(rnd: random.Random) -> list[tuple[object, ...]]:
    """Three months of 02:00 runs, none on Sundays, now and then a rejected file."""
    runs = []
    start = datetime(2026, 9, 1, 2, 0)
    for day in range(91):
        if day % 7 == 6:
            continue
        for pipeline in ("contacts", "pets", "groups"):
            when = start + timedelta(days=day, minutes=rnd.randint(0, 50))
            rejected_file = rnd.random() < 0.06
            read = rnd.randint(2_000, 40_000) if pipeline != "groups" else rnd.randint(0, 30)
            bad = rnd.randint(1, 40) if rejected_file else (rnd.randint(0, 20) if rnd.random() < 0.2 else 0)
            inserted = 0 if rejected_file else int(read * rnd.uniform(0.5, 0.9))
            updated = 0 if rejected_file else int((read - inserted) * rnd.uniform(0.2, 0.8))
            runs.append((pipeline, f"/srv/entrada/{pipeline}-{when:%Y%m%d}.csv", "0" * 64,
                         "rejected" if rejected_file else "committed", read, inserted, updated,
                         max(read - inserted - updated - bad, 0), bad, when.isoformat(" "),
                         (when + timedelta(seconds=rnd.randint(5, 200))).isoformat(" ")))
    return runs


def render(workbook: Path, picture: Path, *, dpi: float = 110, keep: float = 1.0) -> None:
    """The workbook's first page through LibreOffice, cropped to its content (its top
    `keep` part: a long table's charts sit at its top)."""
    pdf = workbook.with_suffix(".pdf")
    export = 'pdf:calc_pdf_Export:{"PageRange":{"type":"string","value":"1"}}'
    subprocess.run(["soffice", "--headless", "--convert-to", export, "--outdir", str(workbook.parent),
                    str(workbook)], check=True, capture_output=True, timeout=1800)
    stem = workbook.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", str(int(dpi)), "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
                   check=True)
    page = Image.open(f"{stem}.png").convert("RGB")
    box = ImageChops.difference(page, Image.new("RGB", page.size, "white")).getbbox()
    if box is not None:
        bottom = box[1] + int((box[3] - box[1]) * keep)
        page = page.crop((max(box[0] - 16, 0), max(box[1] - 16, 0), box[2] + 16, bottom + 16))
    page.quantize(colors=64).save(picture, optimize=True)
    print(f"{picture} ({picture.stat().st_size // 1024} KB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/etl-docs"))
    options = parser.parse_args()
    options.work.mkdir(parents=True, exist_ok=True)
    url = demo_database(options.work / "demo.db", options.rows)
    with etl.connect(url) as database:
        for name in ("contacts-by-group", "pets-by-type", "imports-by-day"):
            workbook = options.work / f"{name}.xlsx"
            database.report(name, workbook)
            render(workbook, DOCS / f"report-{name}.png", **PICTURES.get(name, {}))
        english = options.work / "pets-by-type-en.xlsx"
        database.report("pets-by-type", english, lang="en")
        render(english, DOCS / "report-pets-by-type-en.png")
        template = company_workbook(options.work / "plantilla.xlsx")
        filled = options.work / "informe.xlsx"
        database.report("contacts-by-group", filled, into=template)
        render(filled, DOCS / "report-into.png")


if __name__ == "__main__":
    main()
