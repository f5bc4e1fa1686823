"""`etl template`: headers, notes, text-formatted columns and data validation, read back with
openpyxl; a filled-in template imports cleanly."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import text

from etl.cli import app
from etl.db import make_engine

IMPORT_REGISTERED = any(command.name == "import" for command in app.registered_commands)


def validations(sheet) -> dict[str, tuple]:
    """sqref → (type, operator, formula1, formula2); "between" is the default operator."""
    return {
        str(v.sqref): (v.type, v.operator or "between", v.formula1, v.formula2)
        for v in sheet.data_validations.dataValidation
    }


def test_contacts_template(cli, tmp_path: Path) -> None:
    output = tmp_path / "contacts.xlsx"
    result = cli("template", "contacts", str(output))
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(output)
    assert book.sheetnames == ["contacts", "How to fill in"]
    sheet = book["contacts"]
    assert [cell.value for cell in sheet[1]] == ["nombre", "telefono", "grupo"]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.max_row == 1
    assert sheet["A1"].comment.text == "text, required; at most 100 characters"
    assert sheet["B1"].comment.text == (
        "text, required; at most 11 characters; a phone number is digits only"
    )
    assert "the grupo name from grupos (a new name is added); at most 300 characters" in sheet["C1"].comment.text
    assert validations(sheet) == {
        "A2:A1048576": ("textLength", "lessThanOrEqual", "100", None),
        "B2:B1048576": ("textLength", "lessThanOrEqual", "11", None),
        "C2:C1048576": ("textLength", "lessThanOrEqual", "300", None),
    }
    help_rows = list(book["How to fill in"].iter_rows(min_row=4, values_only=True))
    assert help_rows[0] == ("Column", "Type", "Required", "Rules", "Also accepted as")
    assert help_rows[2][:3] == ("telefono", "text", "yes") and help_rows[2][4] == "phone"


def test_text_columns_are_formatted_as_text(cli, tmp_path: Path) -> None:
    """Excel then keeps what a person types in a phone column (0412…) as text."""
    output = tmp_path / "contacts.xlsx"
    assert cli("template", "contacts", str(output)).exit_code == 0
    with zipfile.ZipFile(output) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
        styles_xml = archive.read("xl/styles.xml").decode()
    columns = sheet_xml[sheet_xml.index("<cols>"):sheet_xml.index("</cols>")]
    assert 'min="1"' in columns and 'max="3"' in columns and 'style="' in columns
    assert 'numFmtId="49"' in styles_xml  # the built-in "@" (text) format


def test_pets_template_validates_whole_numbers(cli, tmp_path: Path) -> None:
    output = tmp_path / "pets.xlsx"
    assert cli("template", "pets", str(output)).exit_code == 0
    sheet = openpyxl.load_workbook(output)["pets"]
    assert [cell.value for cell in sheet[1]] == ["name", "type", "age"]
    assert sheet["C1"].comment.text == "whole number, optional; from 0 to 1000"
    assert validations(sheet)["C2:C1048576"] == ("whole", "between", "0", "1000")


def test_template_errors(cli) -> None:
    unknown = cli("template", "nope", "x.xlsx")
    assert unknown.exit_code == 2 and "unknown pipeline 'nope'" in unknown.stderr
    wrong = cli("template", "pets", "x.csv")
    assert wrong.exit_code == 2 and "a template is an .xlsx workbook" in wrong.stderr


@pytest.mark.skipif(not IMPORT_REGISTERED, reason="etl import is not registered yet")
def test_filled_in_template_imports_cleanly(cli, db_url: str, tmp_path: Path) -> None:
    output = tmp_path / "contacts.xlsx"
    assert cli("template", "contacts", str(output)).exit_code == 0
    book = openpyxl.load_workbook(output)
    sheet = book["contacts"]
    rows = [("Ana Pérez", "04125550001", "Familia"), ("Luis", "4155673029", "Trabajo"),
            ("Marta", "02125550003", "familia")]
    for row in rows:
        sheet.append(row)
    book.save(output)
    result = cli("import", "--db", db_url, "contacts", str(output))
    assert result.exit_code == 0, result.output
    engine = make_engine(db_url)
    with engine.connect() as connection:
        loaded = connection.execute(text(
            "SELECT c.nombre, c.telefono, g.grupo FROM contactos c JOIN grupos g ON g.id = c.grupo_id "
            "ORDER BY c.id"
        )).all()
    engine.dispose()
    assert [tuple(row) for row in loaded] == [rows[0], rows[1], ("Marta", "02125550003", "Familia")]


KINDS_PIPELINE = """
name = "kinds"
table = "kinds"
key = ["code"]

[[columns]]
name = "code"
choices = ["A", "B"]
required = true

[[columns]]
name = "price"
type = "decimal"
min = 0

[[columns]]
name = "active"
type = "boolean"

[[columns]]
name = "since"
type = "date"
date_format = "%d/%m/%Y"
"""


def test_template_of_every_kind(cli, tmp_path: Path) -> None:
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "kinds.toml").write_text(KINDS_PIPELINE, encoding="utf-8")
    output = tmp_path / "kinds.xlsx"
    result = cli("template", "--pipelines-dir", str(folder), "kinds", str(output))
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(output)["kinds"]
    assert [cell.value for cell in sheet[1]] == ["code", "price", "active", "since"]
    assert [sheet.cell(1, col).comment.text for col in range(1, 5)] == [
        "text, required; one of A, B",
        "number, optional; from 0 to 2147483647",
        "true or false, optional",
        "date, optional; a date cell (e.g. 2024-12-31) or text as %d/%m/%Y",
    ]
    assert validations(sheet) == {
        "A2:A1048576": ("list", "between", '"A,B"', None),
        "B2:B1048576": ("decimal", "between", "0.0", "2147483647.0"),
        "C2:C1048576": ("list", "between", '"true,false"', None),
        "D2:D1048576": ("date", "greaterThanOrEqual", "1", None),
    }
