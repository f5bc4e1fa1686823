"""XLSX reading by the streaming reader (the one .xlsx engine) and by python-calamine (the
engine of .xls/.xlsb/.ods, held to the same rules): cell text, sheet row numbers, header
location, sheet choice, stale dimensions, and a clear ReadError for unreadable workbooks."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import psutil
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from sqlalchemy import create_engine
from sqlalchemy import text as sql

from etl.errors import ReadError
from etl.readers import ReadOptions, Row, header_test, open_table
from etl.readers import xlsx_reader
from etl.readers.xlsx_package import list_sheets
from etl.readers.xlsx_reader import open_xlsx

ENGINES = ["stream", "calamine"]
PETS_HEADER = header_test(["name", "nombre", "type", "tipo", "age", "edad"])


def make_workbook(path: Path, sheets: dict[str, dict[str, object]], **book: object) -> Path:
    """A workbook with the given cells per sheet, in order ({"Hoja1": {"A1": "x"}})."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for attr, value in book.items():
        setattr(workbook, attr, value)
    for title, cells in sheets.items():
        sheet = workbook.create_sheet(title)
        for ref, value in cells.items():
            sheet[ref] = value
    workbook.save(path)
    return path


def patch_part(path: Path, part: str, edit: Callable[[str], str]) -> Path:
    """Rewrite one XML part of the package (for what openpyxl cannot write: cached formula
    results, error cells, stale dimensions)."""
    with zipfile.ZipFile(path) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    parts[part] = edit(parts[part].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)
    return path


def read(path: Path, engine: str = "stream", options: ReadOptions = ReadOptions(), looks=None):
    with open_xlsx(path, options, looks, engine) as table:  # type: ignore[arg-type]
        return table.header, list(table.rows), table.detected


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def test_open_table_reads_a_workbook(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "c.xlsx", {"Hoja1": {"A1": "nombre", "B1": "telefono", "A2": "Ana", "B2": "04155673029"}})
    with open_table(path) as table:
        assert table.header == ("nombre", "telefono")
        assert table.header_row == 1
        assert list(table.rows) == [Row(2, ("Ana", "04155673029"))]
        assert table.detected == {"format": "xlsx", "sheet": "Hoja1", "header_row": "1"}


def test_cell_values_become_the_text_a_person_sees(tmp_path: Path, engine: str) -> None:
    cells = {
        "A1": "text", "B1": "phone", "C1": "float", "D1": "date", "E1": "datetime",
        "F1": "midnight", "G1": "time", "H1": "bool", "I1": "duration", "J1": "big",
        "A2": "04155673029", "B2": 4155673029, "C2": 1.27, "D2": dt.date(2024, 2, 29),
        "E2": dt.datetime(2024, 2, 29, 13, 45, 7), "F2": dt.datetime(1999, 12, 31),
        "G2": dt.time(4, 14), "H2": True, "I2": dt.timedelta(hours=30, minutes=5), "J2": 1e20,
        "A3": " 1e5 ", "B3": 4155673029.0, "C3": -0.5, "H3": False, "J3": 1.5e17,
    }
    path = make_workbook(tmp_path / "v.xlsx", {"Datos": cells})
    header, rows, _ = read(path, engine)
    assert header == ("text", "phone", "float", "date", "datetime", "midnight", "time", "bool", "duration", "big")
    assert rows == [
        Row(2, ("04155673029", "4155673029", "1.27", "2024-02-29", "2024-02-29T13:45:07",
                "1999-12-31", "04:14:00", "TRUE", "30:05:00", "1e+20")),
        Row(3, (" 1e5 ", "4155673029", "-0.5", "", "", "", "", "FALSE", "", "1.5e+17")),
    ]


def test_1904_date_system(tmp_path: Path, engine: str) -> None:
    path = make_workbook(
        tmp_path / "mac.xlsx", {"S": {"A1": "d", "A2": dt.date(1971, 1, 1)}}, epoch=CALENDAR_MAC_1904
    )
    assert read(path, engine)[1] == [Row(2, ("1971-01-01",))]


def test_cached_formula_values_and_error_cells(tmp_path: Path, engine: str) -> None:
    path = make_workbook(tmp_path / "f.xlsx", {"S": {"A1": "a", "B1": "b", "A2": "=1+1", "B2": "=1/0"}})
    patch_part(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace("<c r=\"A2\"><f>1+1</f><v /></c>", "<c r=\"A2\"><f>1+1</f><v>2</v></c>")
        .replace("<c r=\"B2\"><f>1/0</f><v /></c>", "<c r=\"B2\" t=\"e\"><f>1/0</f><v>#DIV/0!</v></c>"),
    )
    header, rows, _ = read(path, engine)
    # calamine empties error cells: one reason .xlsx is read by the stream reader alone.
    expected_error = "" if engine == "calamine" else "#DIV/0!"
    assert rows == [Row(2, ("2", expected_error))]


def test_title_rows_gaps_and_leading_columns_keep_sheet_numbers(tmp_path: Path, engine: str) -> None:
    cells = {
        "B2": "Lista de mascotas", "B4": "Nombre", "C4": "Tipo", "D4": "Edad",
        "B5": "Rex", "C5": "perro", "D5": 3, "B9": "Mia", "C9": "gata", "D9": 2.0,
    }
    path = make_workbook(tmp_path / "t.xlsx", {"Mascotas": cells})
    header, rows, detected = read(path, engine, looks=PETS_HEADER)
    assert header == ("", "Nombre", "Tipo", "Edad")
    assert detected == {"format": "xlsx", "sheet": "Mascotas", "header_row": "4"}
    assert rows == [Row(5, ("", "Rex", "perro", "3")), Row(9, ("", "Mia", "gata", "2"))]
    assert read(path, engine, ReadOptions(header_row=2))[0] == ("", "Lista de mascotas")
    assert read(path, engine)[0] == ("", "Lista de mascotas")


def test_short_rows_are_padded_and_trailing_empties_dropped(tmp_path: Path, engine: str) -> None:
    cells = {"A1": "a", "B1": "b", "C1": "c", "A2": "1", "A3": "1", "B3": "2", "C3": "3", "E3": "extra"}
    header, rows, _ = read(make_workbook(tmp_path / "r.xlsx", {"S": cells}), engine)
    assert header == ("a", "b", "c")
    assert rows == [Row(2, ("1", "", "")), Row(3, ("1", "2", "3", "", "extra"))]


def test_stale_dimension_and_formatted_empty_cells_are_ignored(tmp_path: Path, engine: str) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["a", "b"])
    sheet.append(["1", "2"])
    for ref in ("Z5000", "AB20", "C2"):
        sheet[ref].number_format = "0.00"
    path = tmp_path / "stale.xlsx"
    workbook.save(path)
    patch_part(path, "xl/worksheets/sheet1.xml",
               lambda xml: xml.replace('<dimension ref="A1:AB5000"/>', '<dimension ref="A1:XFD1048576"/>'))
    header, rows, _ = read(path, engine)
    assert (header, rows) == (("a", "b"), [Row(2, ("1", "2"))])


def test_sheet_option_default_sheet_and_missing_sheet(tmp_path: Path, engine: str) -> None:
    path = make_workbook(
        tmp_path / "s.xlsx",
        {"Oculta": {"A1": "hidden"}, "Hoja1": {"A1": "first"}, "Datos": {"A1": "x", "A2": "1"}},
    )
    workbook = openpyxl.load_workbook(path)
    workbook["Oculta"].sheet_state = "hidden"
    workbook.save(path)
    assert read(path, engine)[2]["sheet"] == "Hoja1"
    assert read(path, engine, ReadOptions(sheet="Datos"))[:2] == (("x",), [Row(2, ("1",))])
    assert read(path, engine, ReadOptions(sheet="datos"))[2]["sheet"] == "Datos"
    assert read(path, engine, ReadOptions(sheet="Oculta"))[0] == ("hidden",)
    with pytest.raises(ReadError) as err:
        read(path, engine, ReadOptions(sheet="Ventas"))
    assert str(err.value) == f"{path}: there is no sheet named 'Ventas'; the sheets are: 'Oculta', 'Hoja1', 'Datos'"


def test_empty_sheet_and_header_only(tmp_path: Path, engine: str) -> None:
    path = make_workbook(tmp_path / "e.xlsx", {"Vacia": {}, "Cabecera": {"A1": "a", "B1": "b"}})
    with pytest.raises(ReadError) as err:
        read(path, engine)
    assert str(err.value) == (
        f"{path}: sheet 'Vacia' is empty; choose another with --sheet (the sheets are: 'Vacia', "
        "'Cabecera')"
    )
    assert read(path, engine, ReadOptions(sheet="Cabecera"))[:2] == (("a", "b"), [])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty (0 bytes), not an Excel workbook"),
        (b"nombre,telefono\nAna,1\n", "not an Excel .xlsx workbook (the file is not a zip package)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "legacy Excel 97-2003 (.xls) file named .xlsx"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512 + "EncryptionInfo".encode("utf-16-le"),
            "the workbook is password-protected",
        ),
        (b"PK\x03\x04" + b"\x00" * 100, "not a readable .xlsx workbook (damaged zip package"),
    ],
)
def test_unreadable_workbooks(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "book.xlsx"
    path.write_bytes(content)
    with pytest.raises(ReadError) as err:
        with open_table(path):
            pass
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "doc.xlsx"
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("word/document.xml", "<document/>")
    with pytest.raises(ReadError, match="not an Excel workbook .the package has no workbook part"):
        with open_table(path):
            pass


def test_damaged_sheet_is_a_read_error(tmp_path: Path, engine: str) -> None:
    path = make_workbook(tmp_path / "d.xlsx", {"S": {"A1": "a", "A2": "1"}})
    patch_part(path, "xl/worksheets/sheet1.xml", lambda xml: xml[: len(xml) // 2])
    with pytest.raises(ReadError) as err:
        read(path, engine)
    assert str(err.value).startswith(f"{path}: ")


def test_workbook_is_closed_when_the_block_exits(tmp_path: Path, engine: str) -> None:
    path = make_workbook(tmp_path / "o.xlsx", {"S": {"A1": "a", "A2": "1", "A3": "2"}})
    with open_xlsx(path, ReadOptions(), None, engine) as table:  # type: ignore[arg-type]
        assert next(table.rows) == Row(2, ("1",))
    assert str(path) not in [f.path for f in psutil.Process().open_files()]


def test_cli_imports_a_workbook_with_title_rows_and_numeric_phones(cli, sqlite_url: str, tmp_path: Path) -> None:
    cells = {
        "A1": "Agenda de la oficina", "A3": "Nombre", "B3": "Teléfono", "C3": "Grupo",
        "A4": "Ana", "B4": 4155673029, "C4": "Trabajo", "A6": "Luis", "B6": "04155673029", "C6": "trabajo",
    }
    path = make_workbook(tmp_path / "agenda.xlsx", {"Hoja1": cells})
    result = cli("import", "--db", sqlite_url, "contacts", str(path))
    assert result.exit_code == 0, result.output
    engine = create_engine(sqlite_url)
    with engine.connect() as connection:
        rows = connection.execute(sql("SELECT nombre, telefono FROM contactos ORDER BY nombre")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("Ana", "4155673029"), ("Luis", "04155673029")]


def test_cli_names_the_sheets_when_the_sheet_is_missing(cli, sqlite_url: str, tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "libro.xlsx", {"Hoja1": {"A1": "name"}, "Datos": {"A1": "name"}})
    result = cli("import", "--db", sqlite_url, "--sheet", "Ventas", "pets", str(path))
    assert result.exit_code == 1
    assert "there is no sheet named 'Ventas'; the sheets are: 'Hoja1', 'Datos'" in result.output
    assert "Traceback" not in result.output
