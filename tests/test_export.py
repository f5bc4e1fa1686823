"""`etl export`: every pipeline and format on every database, read back and compared exactly;
the options that shape a query; XLSX cell types and layout; CSV/JSONL details."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine, insert

from etl.db import make_engine
from etl.exporter import ExportRequest, export
from etl.models import Contact, Group, Pet
from etl.pipeline import load_pipelines
from etl.schema import init_database
from etl.writers.csv import write_csv
from etl.writers.jsonl import write_jsonl
from etl.writers.xlsx import write_xlsx
from tests.conftest import PROJECT_ROOT, clean_env

FORMULA_NAME = '=HYPERLINK("http://example.com","x")'
GROUPS = [(1, "Familia", "La familia"), (2, "Trabajo", "Compañeros"), (3, "Ñandú & Co", "acentos")]
CONTACTS = [
    (1, "Ana Pérez", "04125550001", 1),
    (2, FORMULA_NAME, "4155673029", 2),
    (3, "+34 Luis", "00000000001", 3),
    (4, "-menos", "12", 1),
    (5, "@arroba", "0", 2),
]
PETS = [(1, "Rex", "dog", 3), (2, "Tom", "cat", None), (3, "Kit", "cat", 12), (4, "007", "fish", 0)]
EXPECTED = {
    "pets": (["id", "name", "type", "age"], [list(row) for row in PETS]),
    "groups": (["id", "grupo", "descripcion"], [list(row) for row in GROUPS]),
    "contacts": (
        ["id", "nombre", "telefono", "grupo"],
        [[i, n, t, dict((g[0], g[1]) for g in GROUPS)[gid]] for i, n, t, gid in CONTACTS],
    ),
}


def seed(engine: Engine) -> None:
    init_database(engine)
    with engine.begin() as connection:
        connection.execute(insert(Group), [dict(zip(("id", "grupo", "descripcion"), r)) for r in GROUPS])
        connection.execute(insert(Contact), [dict(zip(("id", "nombre", "telefono", "grupo_id"), r))
                                             for r in CONTACTS])
        connection.execute(insert(Pet), [dict(zip(("id", "name", "type", "age"), r)) for r in PETS])


def read_back(path: Path) -> tuple[list[str], list[list]]:
    """Header and rows of an exported file, with the types each format keeps."""
    if path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path)
        rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
        return rows[0], rows[1:]
    if path.suffix == ".jsonl":
        objects = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        return list(objects[0]), [list(obj.values()) for obj in objects]
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def as_csv_text(rows: list[list]) -> list[list[str]]:
    return [["" if value is None else str(value) for value in row] for row in rows]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
@pytest.mark.parametrize("source", ["pets", "groups", "contacts"])
def test_export_pipeline_every_format(cli, seeded: str, tmp_path: Path, source: str, fmt: str) -> None:
    output = tmp_path / f"{source}.{fmt}"
    result = cli("export", "--db", seeded, source, str(output))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"exported {len(EXPECTED[source][1])} rows to {output}"
    header, rows = read_back(output)
    expected_header, expected_rows = EXPECTED[source]
    assert header == expected_header
    assert rows == (as_csv_text(expected_rows) if fmt == "csv" else expected_rows)


def test_export_table_by_name_and_to_stdout(cli, seeded: str) -> None:
    result = cli("export", "--db", seeded, "contactos", "-")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows == [["id", "nombre", "telefono", "grupo_id"]] + as_csv_text([list(r) for r in CONTACTS])
    assert "exported 5 rows to stdout" in result.stderr


def test_shaping_options(cli, seeded: str) -> None:
    result = cli("export", "--db", seeded, "contacts", "-", "--columns", "nombre, grupo",
                 "--where", "grupo = 'Familia' OR telefono LIKE '0%'", "--order-by", "id DESC",
                 "--limit", "2")
    assert result.exit_code == 0, result.output
    assert list(csv.reader(io.StringIO(result.stdout))) == [
        ["nombre", "grupo"], ["@arroba", "Trabajo"], ["-menos", "Familia"],
    ]


def test_columns_accept_any_accepted_header(cli, seeded: str) -> None:
    result = cli("export", "--db", seeded, "pets", "-", "--columns", "Species,Edad,ID", "--limit", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["type,age,id", "dog,3,1"]


def test_sql_query_export(cli, seeded: str, tmp_path: Path) -> None:
    output = tmp_path / "q.jsonl"
    result = cli("export", "--db", seeded, "--sql",
                 "SELECT type, COUNT(*) AS n FROM pet GROUP BY type ORDER BY type", str(output))
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in output.read_text().splitlines()] == [
        {"type": "cat", "n": 2}, {"type": "dog", "n": 1}, {"type": "fish", "n": 1},
    ]


def test_format_option_overrides_extension(cli, seeded: str, tmp_path: Path) -> None:
    output = tmp_path / "pets.txt"
    result = cli("export", "--db", seeded, "pets", str(output), "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert json.loads(output.read_text().splitlines()[0]) == {"id": 1, "name": "Rex", "type": "dog", "age": 3}


def test_excel_compatible_csv_has_bom(cli, seeded: str, tmp_path: Path) -> None:
    plain, excel = tmp_path / "plain.csv", tmp_path / "excel.csv"
    assert cli("export", "--db", seeded, "groups", str(plain)).exit_code == 0
    assert cli("export", "--db", seeded, "groups", str(excel), "--excel-compatible").exit_code == 0
    assert not plain.read_bytes().startswith(b"\xef\xbb\xbf")
    assert excel.read_bytes() == b"\xef\xbb\xbf" + plain.read_bytes()
    assert "Ñandú & Co".encode() in plain.read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "x.csv"], "unknown pipeline or table 'nope'"),
        (["pets", "x.pdf"], "cannot tell the export format"),
        (["pets", "-", "--format", "xlsx"], "needs a file name"),
        (["pets", "x.csv", "--columns", "colour"], "--columns: unknown column 'colour'"),
        (["pets", "x.csv", "--where", "colour = 1"], "export query failed"),
        (["pets", "x.csv", "--where", "name = :who"], "a value is required for bind parameter 'who'"),
        (["--sql", "SELECT * FROM pet WHERE name = :who", "x.csv"], "a value is required for bind parameter 'who'"),
        (["pets", "x.csv", "--sql", "SELECT 1"], "--sql exports its own query"),
        (["pets", "missing/x.csv"], "does not exist"),
        (["pets", "x.xlsx", "--excel-compatible"], "--excel-compatible is for CSV"),
    ],
)
def test_usage_errors_are_one_line_exit_2(cli, seeded: str, args: list[str], message: str) -> None:
    result = cli("export", "--db", seeded, *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert not Path("x.csv").exists()


def test_missing_pipeline_table_is_explained(cli, db_url: str) -> None:
    result = cli("export", "--db", db_url, "pets", "x.csv")
    assert result.exit_code == 2
    assert "table 'pet' of pipeline 'pets' does not exist yet" in result.stderr


def test_xlsx_cells_keep_their_types_and_layout(cli, seeded: str, tmp_path: Path) -> None:
    output = tmp_path / "contacts.xlsx"
    assert cli("export", "--db", seeded, "contacts", str(output)).exit_code == 0
    sheet = openpyxl.load_workbook(output).worksheets[0]
    assert [cell.font.b for cell in sheet[1]] == [True] * 4
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:D6"
    for row in sheet.iter_rows(min_row=2):
        assert row[0].data_type == "n"
        assert [cell.data_type for cell in row[1:]] == ["s", "s", "s"]
    assert sheet["B3"].value == FORMULA_NAME
    assert sheet["C4"].value == "00000000001"
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCD"}
    assert widths["B"] > widths["A"]
    assert widths["B"] >= len(FORMULA_NAME)


def test_xlsx_writer_dates_numbers_and_sheet_overflow(tmp_path: Path) -> None:
    rows = [(n, f"0{n}", date(2024, 1, n), datetime(2024, 1, n, 8, 30), Decimal("1.5"), True)
            for n in range(1, 8)]
    stream = io.BytesIO()
    header = ["n", "code", "day", "at", "amount", "flag"]
    assert write_xlsx(header, rows, stream, sheet_name="data", max_rows=4) == 7
    book = openpyxl.load_workbook(io.BytesIO(stream.getvalue()))
    assert book.sheetnames == ["data", "data (2)", "data (3)"]
    seen = []
    for sheet in book.worksheets:
        values = list(sheet.iter_rows(values_only=True))
        assert list(values[0]) == header
        assert sheet.freeze_panes == "A2"
        seen += values[1:]
    assert seen == [(n, f"0{n}", datetime(2024, 1, n), datetime(2024, 1, n, 8, 30), 1.5, True)
                    for n in range(1, 8)]
    first = book.worksheets[0]
    assert first["C2"].is_date and first["C2"].number_format == "yyyy-mm-dd"
    assert first["D2"].number_format == "yyyy-mm-dd hh:mm:ss"


def test_xlsx_exactly_full_sheet_adds_no_empty_sheet() -> None:
    stream = io.BytesIO()
    assert write_xlsx(["n"], [(1,), (2,), (3,)], stream, max_rows=4) == 3
    assert openpyxl.load_workbook(io.BytesIO(stream.getvalue())).sheetnames == ["export"]


def test_csv_and_jsonl_writers_value_forms() -> None:
    rows = [(1, None, date(2024, 2, 3), Decimal("2.50"), "a,\"b\"\nc")]
    csv_out, jsonl_out = io.BytesIO(), io.BytesIO()
    assert write_csv(["a", "b", "c", "d", "e"], rows, csv_out) == 1
    assert csv_out.getvalue() == b'a,b,c,d,e\r\n1,,2024-02-03,2.50,"a,""b""\nc"\r\n'
    assert write_jsonl(["a", "b", "c", "d", "e"], rows, jsonl_out) == 1
    assert json.loads(jsonl_out.getvalue()) == {"a": 1, "b": None, "c": "2024-02-03", "d": 2.5,
                                                "e": "a,\"b\"\nc"}


def test_export_to_stream_and_failed_export_keeps_old_file(seeded: str, tmp_path: Path) -> None:
    engine = make_engine(seeded, read_only=True)
    pipelines = load_pipelines()
    stream = io.BytesIO()
    assert export(engine, ExportRequest(source="groups", limit=1), pipelines, stream, "csv") == 1
    assert stream.getvalue().decode().splitlines() == ["id,grupo,descripcion", "1,Familia,La familia"]
    output = tmp_path / "keep.csv"
    output.write_text("old")
    with pytest.raises(Exception):
        export(engine, ExportRequest(source="pets", where="nonexistent = 1"), pipelines, output, "csv")
    assert output.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".keep")] == []
    engine.dispose()


@pytest.mark.slow
def test_xlsx_continues_past_the_real_sheet_limit(tmp_path: Path) -> None:
    """1,048,575 data rows fill a sheet (the header takes the 1,048,576th row); one more row
    starts the next sheet under the same header."""
    output = tmp_path / "big.xlsx"
    with output.open("wb") as stream:
        assert write_xlsx(["n"], ((n,) for n in range(1, 1_048_577)), stream) == 1_048_576
    with zipfile.ZipFile(output) as archive:
        first = archive.open("xl/worksheets/sheet1.xml").read(1000).decode()
    assert '<dimension ref="A1:A1048576"/>' in first
    book = openpyxl.load_workbook(output, read_only=True)
    assert book.sheetnames == ["export", "export (2)"]
    assert list(book.worksheets[1].iter_rows(values_only=True)) == [("n",), (1_048_576,)]


def test_stdout_reader_stopping_early_is_not_an_error(sqlite_url: str, tmp_path: Path) -> None:
    """`etl export pets - | head -1`: quiet, exit 0, once the pipe buffer is long full."""
    engine = make_engine(sqlite_url)
    init_database(engine)
    with engine.begin() as connection:
        connection.execute(insert(Pet), [{"id": n, "name": f"pet {n}", "type": "cat", "age": 1}
                                         for n in range(1, 50_001)])
    engine.dispose()
    process = subprocess.Popen(
        [sys.executable, "-m", "etl", "export", "--db", sqlite_url, "pets", "-"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, env=clean_env(),
    )
    assert process.stdout.readline() == b"id,name,type,age\r\n"
    process.stdout.close()
    assert process.wait(timeout=120) == 0
    assert process.stderr.read() == b""


PEAK_MEMORY_SCRIPT = """
import sys
from pathlib import Path
from etl.db import make_engine
from etl.exporter import ExportRequest, export
from etl.pipeline import load_pipelines
url, limit, output = sys.argv[1], int(sys.argv[2]), sys.argv[3]
export(make_engine(url, read_only=True), ExportRequest(source="pets", limit=limit), load_pipelines(),
       Path(output), output.rsplit(".", 1)[1])
status = Path("/proc/self/status").read_text()
print(next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")))
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc for peak memory")
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_memory_stays_flat_as_rows_grow(db_url: str, tmp_path: Path, fmt: str) -> None:
    """Peak memory (the process's own high-water mark) of exporting 200,000 rows is within a
    few MB of exporting 10,000: rows stream from a server-side cursor to the writer."""
    engine = make_engine(db_url)
    init_database(engine)
    with engine.begin() as connection:
        for start in range(0, 200_000, 50_000):
            connection.execute(insert(Pet), [
                {"id": n, "name": f"pet number {n}", "type": "cat", "age": n % 20}
                for n in range(start + 1, start + 50_001)
            ])
    engine.dispose()

    def peak_kib(limit: int) -> int:
        process = subprocess.run(
            [sys.executable, "-c", PEAK_MEMORY_SCRIPT, db_url, str(limit), str(tmp_path / f"out.{fmt}")],
            capture_output=True, text=True, cwd=PROJECT_ROOT, env=clean_env(), timeout=600,
        )
        assert process.returncode == 0, process.stderr
        return int(process.stdout.split()[-1])

    small, large = peak_kib(10_000), peak_kib(200_000)
    assert large - small < 15 * 1024, (small, large)
