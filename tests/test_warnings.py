"""Warnings for silent damage, did-you-mean, --no-create-lookups: through the CLI on real
workbooks (openpyxl and XlsxWriter), reading the database back."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from tests.conftest import query, write_csv

CONTACTS = [
    ["nombre", "telefono", "grupo"],
    ["Ana Pérez", "04184488484", "Amigos"],
    ["Luis Gil", "04161234567", "Familia"],
    ["Jhon Doe", 4184488484, "Amigso"],
]


def openpyxl_book(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def xlsxwriter_book(path: Path, rows: list[list[object]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Contactos")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            else:
                sheet.write_number(r, c, value)
    book.close()
    return path


WRITERS = {"openpyxl": openpyxl_book, "xlsxwriter": xlsxwriter_book}


@pytest.mark.parametrize("writer", WRITERS)
def test_the_issue_sample_gives_its_warnings_and_lands_as_typed(
    writer: str, tmp_path: Path, db_url: str, run_etl
) -> None:
    book = WRITERS[writer](tmp_path / "contactos.xlsx", CONTACTS)
    done = run_etl("import", "--db", db_url, "contacts", str(book), "--json")
    assert done.exit_code == 0, done.stderr
    result = json.loads(done.stdout)["files"][0]
    assert result["status"] == "committed"
    warnings = [(w["row"], w["column"], w["value"], w["message"]) for w in result["warnings"]]
    assert warnings == [
        (4, "telefono", "4184488484",
         "a number cell that may have lost its leading zero: other values start with 0 and have 11 digits "
         "(e.g. '04184488484'); stored as typed (type it as text, '04184488484', if the zero belongs)"),
        (4, "grupo", "Amigso", "creates a new grupos row; did you mean 'Amigos'?"),
    ]
    stored = query(db_url, "SELECT c.nombre, c.telefono, g.grupo FROM contactos c "
                           "JOIN grupos g ON g.id = c.grupo_id ORDER BY c.id")
    assert stored == [("Ana Pérez", "04184488484", "Amigos"), ("Luis Gil", "04161234567", "Familia"),
                      ("Jhon Doe", "4184488484", "Amigso")]


def test_warnings_show_in_the_summary(tmp_path: Path, cli) -> None:
    book = openpyxl_book(tmp_path / "contactos.xlsx", CONTACTS)
    done = cli("import", "contacts", str(book))
    assert done.exit_code == 0
    assert f"{book}:4:telefono: warning: a number cell that may have lost its leading zero" in done.stderr
    assert f"{book}:4:grupo: warning: creates a new grupos row; did you mean 'Amigos'? (value 'Amigso')" \
        in done.stderr
    assert "committed: 3 read, 3 inserted" in done.stdout and "2 warning(s)" in done.stdout


def test_text_cells_and_csv_files_have_no_leading_zero_warning(tmp_path: Path, cli) -> None:
    rows = [[str(cell) for cell in row] for row in CONTACTS]
    book = openpyxl_book(tmp_path / "as-text.xlsx", rows)
    data = write_csv(tmp_path / "contactos.csv", rows[0], rows[1:])
    for path in (book, data):
        done = cli("import", "contacts", str(path), "--json", "--force", "--dry-run")
        warnings = json.loads(done.stdout)["files"][0]["warnings"]
        assert [w["column"] for w in warnings] == ["grupo"], path


def test_a_pattern_or_length_that_wants_the_zero(tmp_path: Path, cli) -> None:
    pipelines = tmp_path / "pipelines"
    pipelines.mkdir()
    (pipelines / "zips.toml").write_text(
        'name = "zips"\ntable = "zips"\nkey = ["code"]\ncreate = true\n'
        '[[columns]]\nname = "code"\npattern = "^[0-9]{5}$"\n'
        '[[columns]]\nname = "town"\n', encoding="utf-8")
    book = openpyxl_book(tmp_path / "zips.xlsx", [["code", "town"], [8001, "Barcelona"], [28001, "Madrid"]])
    done = cli("import", "zips", str(book), "--pipelines-dir", str(pipelines), "--json")
    result = json.loads(done.stdout)["files"][0]
    assert result["status"] == "rejected"  # the pattern refuses 8001 itself; the warning says why
    assert [(w["row"], w["value"]) for w in result["warnings"]] == [(2, "8001")]
    assert "pattern ^[0-9]{5}$ fits '08001' and not the number" in result["warnings"][0]["message"]


def test_no_create_lookups_makes_an_unknown_name_a_row_error(tmp_path: Path, db_url: str, run_etl) -> None:
    groups = write_csv(tmp_path / "grupos.csv", ["grupo", "descripcion"], [["Amigos", "amigos"]])
    assert run_etl("import", "--db", db_url, "groups", str(groups)).exit_code == 0
    data = write_csv(tmp_path / "contactos.csv", ["nombre", "telefono", "grupo"],
                     [["Ana", "0414", "amigos"], ["Juan", "0412", "Amigso"], ["Eva", "0416", "Vecinos"]])
    done = run_etl("import", "--db", db_url, "contacts", str(data), "--no-create-lookups", "--json")
    assert done.exit_code == 1
    result = json.loads(done.stdout)["files"][0]
    assert result["status"] == "rejected"
    assert [(e["row"], e["column"], e["value"], e["message"]) for e in result["errors"]] == [
        (3, "grupo", "Amigso", "no grupos row named like this; did you mean 'Amigos'?"),
        (4, "grupo", "Vecinos", "no grupos row named like this"),
    ]
    assert query(db_url, "SELECT grupo FROM grupos") == [("Amigos",)]
    assert query(db_url, "SELECT COUNT(*) FROM contactos") == [(0,)]


def test_an_unknown_header_names_the_closest_accepted_one(tmp_path: Path, cli) -> None:
    data = write_csv(tmp_path / "contactos.csv", ["nombre", "Telfono", "grupo"], [["Ana", "0414", "Amigos"]])
    done = cli("import", "contacts", str(data))
    assert done.exit_code == 1
    assert f"{data}:1:Telfono: unknown column; did you mean 'telefono'? pipeline 'contacts' accepts" in done.stderr
    far = write_csv(tmp_path / "far.csv", ["nombre", "telefono", "grupo", "Observaciones"], [["Ana", "0414", "A"]])
    assert "did you mean" not in cli("import", "contacts", str(far)).stderr


def test_an_ignored_extra_column_close_to_a_known_one_is_a_warning(tmp_path: Path, cli) -> None:
    pipelines = tmp_path / "pipelines"
    pipelines.mkdir()
    (pipelines / "notes.toml").write_text(
        'name = "notes"\ntable = "notes"\nkey = ["title"]\ncreate = true\nallow_extra_columns = true\n'
        '[[columns]]\nname = "title"\n[[columns]]\nname = "author"\n', encoding="utf-8")
    data = write_csv(tmp_path / "notes.csv", ["title", "autor", "comments"], [["Hola", "Ana", "x"]])
    done = cli("import", "notes", str(data), "--pipelines-dir", str(pipelines), "--json")
    warnings = json.loads(done.stdout)["files"][0]["warnings"]
    assert [(w["row"], w["column"], w["message"]) for w in warnings] == [
        (1, "autor", "column ignored; did you mean 'author'?")]
