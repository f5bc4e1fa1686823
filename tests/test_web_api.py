"""The API methods the page needs: Database.preview, suggest_pipeline and reports."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

import etl
from etl.errors import ReadError
from tests.conftest import PROJECT_ROOT, SAMPLE_DATA


@pytest.fixture
def database(tmp_path: Path) -> etl.Database:
    return etl.connect(f"sqlite:///{tmp_path / 'etl.db'}")


def test_preview_gives_the_header_first_rows_and_detection_without_the_database(
        database: etl.Database, tmp_path: Path) -> None:
    preview = database.preview(SAMPLE_DATA / "contactos_con_errores.csv", rows=2)
    assert preview.header == ("Nombre", "Teléfono", "Grupo")
    assert preview.header_row == 1
    assert [tuple(row) for row in preview.rows] == [
        (2, ("Ana María Peña", "04141234567", "Familia")), (3, ("", "04141112233", "Trabajo"))]
    assert preview.detected == {"format": "csv", "encoding": "cp1252", "delimiter": ";", "header_row": "1"}
    assert preview.sheets == ()
    assert not (tmp_path / "etl.db").exists()


def test_preview_skips_title_rows_and_honours_choices(database: etl.Database, tmp_path: Path) -> None:
    path = tmp_path / "pets.csv"
    path.write_text("Our pets\n\nname;type;age\nRex;dog;3\n", encoding="utf-8")
    found = database.preview(path, pipeline="pets")
    assert (found.header, found.header_row) == (("name", "type", "age"), 3)
    forced = database.preview(path, delimiter=",", header_row=3)
    assert forced.header == ("name;type;age",)


def test_preview_maps_error_columns_to_header_positions(database: etl.Database) -> None:
    preview = database.preview(SAMPLE_DATA / "contactos_con_errores.csv", pipeline="contacts")
    assert preview.positions("Teléfono") == (1,)
    assert preview.positions("telefono") == (1,)
    assert preview.positions("nombre, telefono") == (0, 1)
    assert preview.positions("grupo_id/Grupo") == (2,)
    assert preview.positions(None) == ()


def test_preview_lists_a_workbooks_sheets(database: etl.Database, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Summary"
    book.create_sheet("Pets").append(["name", "type", "age"])
    book["Pets"].append(["Rex", "dog", 3])
    path = tmp_path / "book.xlsx"
    book.save(path)
    preview = database.preview(path, sheet="Pets")
    assert preview.sheets == ("Summary", "Pets")
    assert preview.detected["sheet"] == "Pets"
    assert [tuple(r.values) for r in preview.rows] == [("Rex", "dog", "3")]


@pytest.mark.parametrize("suffix", ["xls", "ods"])
def test_preview_lists_an_xls_or_ods_workbooks_sheets(database: etl.Database, suffix: str) -> None:
    path = PROJECT_ROOT / "tests" / "fixtures" / f"pets.{suffix}"
    first = database.preview(path)
    assert first.sheets == ("Mascotas", "Otra")
    assert (first.detected["sheet"], first.header_row, first.header[1:3]) == ("Mascotas", 3, ("nombre", "tipo"))
    chosen = database.preview(path, sheet="Otra")
    assert chosen.sheets == ("Mascotas", "Otra") and chosen.detected["sheet"] == "Otra"
    assert [tuple(r.values) for r in chosen.rows] == [("Rex", "perro")]


def test_preview_of_an_unreadable_file_raises_read_error(database: etl.Database, tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("text")
    with pytest.raises(ReadError, match="not an Excel .xlsx workbook"):
        database.preview(path)


@pytest.mark.parametrize(("header", "expected"), [
    (("Nombre", "Teléfono", "Grupo"), "contacts"),
    (("name", "phone", "group_id"), "contacts"),
    (("Name", "Species", "Age"), "pets"),
    (("grupo", "descripcion"), "groups"),
    (("foo", "bar"), None),
    ((), None),
])
def test_suggest_pipeline_picks_the_best_fitting_header(database: etl.Database, header: tuple[str, ...],
                                                        expected: str | None) -> None:
    assert database.suggest_pipeline(header) == expected


def test_reports_lists_the_report_definitions(database: etl.Database) -> None:
    reports = database.reports()
    assert {"contacts-by-group", "pets-by-type"} <= set(reports)
    assert reports["pets-by-type"].title
