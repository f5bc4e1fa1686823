"""`etl import --annotate OUT.xlsx`: the input back for its sender with every problem marked,
read back with openpyxl."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from openpyxl.styles import Font, PatternFill

from tests.conftest import write_csv

RED, YELLOW = "FFC7CE", "FFEB9C"


def fill(cell) -> str | None:
    """A cell's solid fill colour as RRGGBB (openpyxl and XlsxWriter write the alpha differently)."""
    return cell.fill.fgColor.rgb[-6:] if cell.fill.fill_type == "solid" else None


def sender_workbook(path: Path) -> Path:
    """A workbook as an office user makes it: a title, a styled header, another sheet with a formula."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Contactos"
    sheet.append(["Listado de contactos"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    sheet.append(["nombre", "telefono", "grupo"])
    for cell in sheet[3]:
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    sheet.append(["Ana Pérez", "04184488484", "Amigos"])
    sheet.append(["Luis Gil", "0416-123", "Familia"])
    sheet.append(["Jhon Doe", 4184488484, "Amigso"])
    sheet.append(["", "04121112233", "Trabajo"])
    sheet.append(["María Díaz", "04141234567", "Amigos", "sobra"])
    notes = book.create_sheet("Notas")
    notes["A1"] = "=LEN(Contactos!A4)"
    book.save(path)
    return path


def entries(book: openpyxl.Workbook) -> list[tuple]:
    rows = list(book["Errors"].iter_rows(values_only=True))
    return rows[2:]


@pytest.mark.parametrize("dry_run", [True, False])
def test_an_xlsx_input_comes_back_marked_with_its_styles_sheets_and_formulas(
    tmp_path: Path, cli, dry_run: bool
) -> None:
    source = sender_workbook(tmp_path / "contactos.xlsx")
    out = tmp_path / "anotado.xlsx"
    done = cli("import", "contacts", str(source), "--annotate", str(out), *(["--dry-run"] if dry_run else []))
    assert done.exit_code == 1
    assert f"annotated copy {out}" in done.stdout
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Errors", "Contactos", "Notas"]
    assert book.active.title == "Errors"
    errors = book["Errors"]
    assert errors["A1"].value == "3 error(s), 2 warning(s)"
    assert [c.value for c in errors[2]] == ["cell", "row", "column", "value", "reason", "kind"]
    assert [row[:4] + row[5:] for row in entries(book)] == [
        ("B5", 5, "telefono", "0416-123", "error"),
        ("B6", 6, "telefono", "4184488484", "warning"),
        ("C6", 6, "grupo", "Amigso", "warning"),
        ("A7", 7, "nombre", None, "error"),
        ("A8", 8, None, None, "error"),
    ]
    assert [errors.cell(row=r, column=1).hyperlink.location for r in range(3, 8)] == [
        "'Contactos'!B5", "'Contactos'!B6", "'Contactos'!C6", "'Contactos'!A7", "'Contactos'!A8"]
    sheet = book["Contactos"]
    assert fill(sheet["B5"]) == RED and sheet["B5"].comment.text == "a phone number is digits only"
    assert fill(sheet["B6"]) == YELLOW and sheet["B6"].comment.text.startswith(
        "warning: a number cell that may have lost its leading zero")
    assert sheet["C6"].comment.text == "warning: creates a new grupos row; did you mean 'Amigos'?"
    assert sheet["A7"].comment.text == "a value is required"
    assert [fill(sheet.cell(row=8, column=c)) for c in (1, 2, 3)] == [RED] * 3  # the whole row
    assert sheet["A8"].comment.text == "the row has 4 cells but the header only 3"
    assert sheet["A4"].fill.fill_type is None and sheet["A4"].comment is None  # good cells untouched
    assert fill(sheet["A3"]) == "DDEBF7" and sheet["A1"].font.b  # the sender's styles
    assert sheet["B6"].value == 4184488484  # the cells themselves as they were
    assert book["Notas"]["A1"].value == "=LEN(Contactos!A4)"


def test_a_header_problem_marks_the_header_cell(tmp_path: Path, cli) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "grupos.xlsx"))
    sheet = book.add_worksheet("Hoja1")
    for column, header in enumerate(["grupo", "descripcion", "Colour"]):
        sheet.write_string(0, column, header)
    sheet.write_row(1, 0, ["Amigos", "de la uni", "rojo"])
    book.close()
    out = tmp_path / "out.xlsx"
    done = cli("import", "groups", str(tmp_path / "grupos.xlsx"), "--annotate", str(out))
    assert done.exit_code == 1
    annotated = openpyxl.load_workbook(out)
    assert [row[:3] for row in entries(annotated)] == [("C1", 1, "Colour")]
    assert fill(annotated["Hoja1"]["C1"]) == RED
    assert annotated["Hoja1"]["C1"].comment.text.startswith("unknown column;")


def test_a_csv_input_becomes_a_workbook_of_text_cells_on_its_own_row_numbers(tmp_path: Path, cli) -> None:
    source = tmp_path / "contactos.csv"
    source.write_text("Exportado del CRM\n\nnombre;telefono;grupo\nAna;04184488484;Amigos\n"
                      '"=1+1";0416-123;Familia\nEva;04121112233;\n', encoding="cp1252")
    out = tmp_path / "anotado.xlsx"
    done = cli("import", "contacts", str(source), "--annotate", str(out), "--json")
    assert json.loads(done.stdout)["files"][0]["annotated"] == str(out)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Errors", "contactos"]
    sheet = book["contactos"]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=1, max_row=6)] == [
        ["Exportado del CRM", None, None], [None, None, None], ["nombre", "telefono", "grupo"],
        ["Ana", "04184488484", "Amigos"], ["=1+1", "0416-123", "Familia"], ["Eva", "04121112233", None]]
    assert sheet["A5"].data_type == "s"  # text, never a formula
    assert [row[:4] for row in entries(book)] == [("B5", 5, "telefono", "0416-123"), ("C6", 6, "grupo", None)]
    assert fill(sheet["C6"]) == RED and sheet["C6"].comment.text == "a value is required"
    assert fill(sheet["B5"]) == RED and sheet["B5"].comment.text == "a phone number is digits only"
    assert book["Errors"]["A3"].hyperlink.location == "'contactos'!B5"


def test_a_clean_file_gets_an_empty_listing_and_several_files_a_copy_each(tmp_path: Path, cli) -> None:
    first = write_csv(tmp_path / "a.csv", ["grupo", "descripcion"], [["Amigos", "x"]])
    second = write_csv(tmp_path / "b.csv", ["grupo", "descripcion"], [["Familia", "y"]])
    done = cli("import", "groups", str(first), str(second), "--annotate", str(tmp_path / "out.xlsx"))
    assert done.exit_code == 0
    for stem in ("a", "b"):
        book = openpyxl.load_workbook(tmp_path / f"out-{stem}.xlsx")
        assert book["Errors"]["A1"].value == "no errors and no warnings"
        assert entries(book) == []


@pytest.mark.parametrize("name, message", [
    ("out.csv", "--annotate writes a workbook; name it out.xlsx"),
    ("missing/out.xlsx", "the folder"),
])
def test_an_annotated_copy_that_cannot_be_written_is_refused_first(
    tmp_path: Path, cli, name: str, message: str
) -> None:
    data = write_csv(tmp_path / "a.csv", ["grupo", "descripcion"], [["Amigos", "x"]])
    done = cli("import", "groups", str(data), "--annotate", str(tmp_path / name))
    assert done.exit_code == 2 and message in done.stderr
    assert "committed" not in done.stdout


MASCOTAS = """name = "mascotas"
table = "mascotas"
key = ["nombre"]
create = true

[[columns]]
name = "nombre"
type = "text"

[[columns]]
name = "tipo"
type = "text"

[[columns]]
name = "edad"
type = "integer"
max = 10

[[columns]]
name = "telefono"
type = "text"

[[columns]]
name = "alta"
type = "date"

[[columns]]
name = "vacunada"
type = "boolean"
"""


@pytest.mark.parametrize("suffix", ["xls", "ods"])
def test_an_xls_or_ods_input_becomes_a_workbook_of_its_sheet_on_its_own_cells(
    tmp_path: Path, cli, suffix: str
) -> None:
    """openpyxl cannot open them: the copy is the chosen sheet's cells as text, on the sheet's
    own rows and columns (the fixture's title row, header on row 3 from column B, blank rows
    between the data rows)."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "mascotas.toml").write_text(MASCOTAS, encoding="utf-8")
    out = tmp_path / "anotado.xlsx"
    source = Path(__file__).parent / "fixtures" / f"pets.{suffix}"
    done = cli("import", "--pipelines-dir", str(folder), "mascotas", str(source), "--annotate", str(out),
               "--dry-run", "--json")
    assert done.exit_code == 1, done.stderr
    assert json.loads(done.stdout)["files"][0]["annotated"] == str(out)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Errors", "Mascotas"]
    sheet = book["Mascotas"]
    assert sheet["B1"].value == "Listado de mascotas"
    assert [c.value for c in sheet[3]][:4] == [None, "nombre", "tipo", "edad"]
    assert [c.value for c in sheet[8]][:4] == [None, "Ñandú", "ave", "12"]
    assert [row[:4] for row in entries(book)] == [("D8", 8, "edad", "12")]
    assert fill(sheet["D8"]) == RED and "10" in sheet["D8"].comment.text
    assert fill(sheet["B8"]) is None and sheet["B8"].comment is None
    assert book["Errors"]["A3"].hyperlink.location == "'Mascotas'!D8"
