"""`etl report NAME OUT.xlsx --into TEMPLATE.xlsx`: a company's workbook (built here with
openpyxl: logo, styles, formulas, a chart, an Excel table with a formula column and a totals
row, a defined name) filled with the report's rows on every database, and read back: what
was written, where, and that everything else survived; the template is never changed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.table import Table, TableColumn

import etl
from tests.company_workbook import COVER_FORMULAS, company_workbook, logo_png
from tests.conftest import execute

GROUPS = [("Familia", 2), ("Trabajo", 2), ("Ñandú & Co", 1)]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def template(tmp_path: Path) -> Path:
    return company_workbook(tmp_path / "plantilla.xlsx")


def test_filled_template_keeps_everything_else(cli, seeded: str, template: Path, tmp_path: Path) -> None:
    before = digest(template)
    output = tmp_path / "informe.xlsx"
    result = cli("report", "--db", seeded, "contacts-by-group", str(output), "--into", str(template))
    assert result.exit_code == 0, result.output
    assert "Resumen: 3 rows, Contactos: 5 rows" in result.stdout
    assert digest(template) == before, "the template itself is never written"
    book = openpyxl.load_workbook(output)
    assert book.sheetnames == ["Portada", "Resumen", "Contactos", "Notas"]

    summary = book["Resumen"]
    table = summary.tables["TablaResumen"]
    assert table.ref == "A3:C7", "3 rows and the totals row"
    assert table.autoFilter is None or table.autoFilter.ref == "A3:C6"
    assert [[cell.value for cell in row] for row in summary["A4:B6"]] == [list(group) for group in GROUPS]
    assert [summary.cell(row, 3).value for row in (4, 5, 6)] == [
        "=B4/SUM($B$4:$B$6)", "=B5/SUM($B$4:$B$6)", "=B6/SUM($B$4:$B$6)"]
    assert (summary["A7"].value, summary["B7"].value) == ("Total", "=SUBTOTAL(109,TablaResumen[Contactos])")
    assert summary["A1"].value == "Resumen por grupo" and summary["A1"].font.b
    assert summary["A3"].fill.fgColor.rgb == "001F4E78", "the header keeps its style"
    assert summary["B6"].number_format == "#,##0" and summary["C6"].number_format == "0.0%"
    assert summary["A6"].font.color.rgb == "00333333", "new rows take the first data row's style"

    listing = book["Contactos"]
    rows = list(listing.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 5 and ("Familia", "Ana Pérez", "04125550001") in rows
    assert listing["B1"].font.color.rgb == "001F4E78" and listing["B6"].font.name == "Arial"
    assert all(cell.data_type == "s" for row in listing.iter_rows(min_row=2) for cell in row), \
        "'=HYPERLINK(…)' and '+34…' stay text"
    assert book.defined_names["ListaContactos"].attr_text == "Contactos!$A$1:$C$6"

    cover = book["Portada"]
    assert len(cover._images) == 1 and cover._images[0].ref is not None
    assert (cover["B4"].value, cover["B5"].value, cover["B6"].value) == (
        "=SUM(Resumen!B4:B6)", COVER_FORMULAS["B5"], "=COUNTA(Contactos!A2:A6)")
    assert cover["B2"].font.sz == 16
    (chart,) = cover._charts
    series = chart.series[0]
    assert (series.val.numRef.f, (series.cat.strRef or series.cat.numRef).f) == ("'Resumen'!$B$4:$B$6", "'Resumen'!$A$4:$A$6")
    assert book["Notas"]["A1"].value == "Preparado por el departamento comercial"
    assert book.calculation.fullCalcOnLoad


def test_fewer_rows_than_last_month_clear_the_rest(cli, seeded: str, template: Path, tmp_path: Path) -> None:
    execute(seeded, "DELETE FROM contactos WHERE id <> 1", "DELETE FROM grupos WHERE id <> 1")
    output = tmp_path / "informe.xlsx"
    result = cli("report", "--db", seeded, "contacts-by-group", str(output), "--into", str(template))
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(output)
    summary = book["Resumen"]
    assert summary.tables["TablaResumen"].ref == "A3:C5"
    assert [[cell.value for cell in row] for row in summary["A4:C6"]] == [
        ["Familia", 1, "=B4/SUM($B$4:$B$4)"], ["Total", "=SUBTOTAL(109,TablaResumen[Contactos])", None],
        [None, None, None]]
    assert [row for row in book["Contactos"].iter_rows(min_row=2, values_only=True) if any(row)] == [
        ("Familia", "Ana Pérez", "04125550001")]
    assert book.defined_names["ListaContactos"].attr_text == "Contactos!$A$1:$C$2"
    assert book["Portada"]["B4"].value == "=SUM(Resumen!B4:B4)"


def test_blank_sheet_gets_header_and_rows(seeded: str, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Resumen"
    book.create_sheet("Contactos")
    template = tmp_path / "blank.xlsx"
    book.save(template)
    with etl.connect(seeded) as database:
        counts = database.report("contacts-by-group", tmp_path / "out.xlsx", into=template)
    assert counts == {"Resumen": 3, "Contactos": 5}
    filled = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert list(filled["Resumen"].iter_rows(values_only=True)) == [("Grupo", "Contactos"), *GROUPS]
    assert filled["Resumen"]["B2"].number_format == "#,##0"
    assert filled["Contactos"]["C1"].value == "Teléfono" and filled["Contactos"]["C2"].number_format == "@"


def test_english_report_into_a_table_named_like_its_sheet(seeded: str, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Cover"
    sheet["A1"] = "Our numbers"
    data = book.create_sheet("Data")
    for col, label in enumerate(["GROUP", "contacts"], start=3):
        data.cell(2, col, label)
    data.add_table(Table(displayName="Summary", ref="C2:D3",
                         tableColumns=[TableColumn(id=1, name="GROUP"), TableColumn(id=2, name="contacts")]))
    book.create_sheet("Contacts")
    template = tmp_path / "en.xlsx"
    book.save(template)
    with etl.connect(seeded) as database:
        database.report("contacts-by-group", tmp_path / "out.xlsx", lang="en", into=template)
    filled = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert filled["Data"].tables["Summary"].ref == "C2:D5"
    assert [[cell.value for cell in row] for row in filled["Data"]["C2:D5"]] == [
        ["GROUP", "contacts"], *[list(group) for group in GROUPS]], "headers matched ignoring case"
    assert filled["Cover"]["A1"].value == "Our numbers"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda book: book.remove(book["Contactos"]),
         "no sheet or table named 'Contactos' for the report's sheet; the template has sheets "
         "Portada, Resumen, Notas; tables TablaResumen"),
        (lambda book: book["Contactos"].__setitem__("B1", "Apellido"),
         "sheet 'Contactos' has no row (in its first 50) with the headers Grupo, Nombre, Teléfono"),
        (lambda book: book["Contactos"].__setitem__("A5", "no borrar"),
         "the rows of 'Contactos' would overwrite Contactos!A5 ('no borrar') below sheet 'Contactos'"),
        (lambda book: setattr(book["Resumen"].tables["TablaResumen"].tableColumns[1], "name", "Total"),
         "table 'TablaResumen' has no column 'Contactos'; its columns: Grupo, Total, Porcentaje"),
    ],
)
def test_template_problems_are_one_line_and_write_nothing(
    cli, sqlite_url: str, template: Path, tmp_path: Path, change, message: str
) -> None:
    from tests.test_export import seed
    from etl.db import make_engine

    engine = make_engine(sqlite_url)
    seed(engine)
    engine.dispose()
    book = openpyxl.load_workbook(template)
    change(book)
    book.save(template)
    output = tmp_path / "out.xlsx"
    result = cli("report", "--db", sqlite_url, "contacts-by-group", str(output), "--into", str(template))
    assert result.exit_code == 2, result.output
    assert message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not output.exists()


@pytest.mark.parametrize(
    ("into", "message"),
    [
        ("missing.xlsx", "--into missing.xlsx: no such file"),
        ("notes.txt", "the template must be an .xlsx workbook"),
        ("broken.xlsx", "cannot open the workbook"),
        ("same.xlsx", "the output must be another file than the template"),
    ],
)
def test_bad_templates(cli, seeded: str, tmp_path: Path, into: str, message: str) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "broken.xlsx").write_bytes(b"PK not really a zip")
    company_workbook(tmp_path / "same.xlsx")
    output = "same.xlsx" if into == "same.xlsx" else "out.xlsx"
    result = cli("report", "--db", seeded, "contacts-by-group", output, "--into", into)
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.xlsx").exists()
    if into == "same.xlsx":
        assert openpyxl.load_workbook(tmp_path / "same.xlsx")["Resumen"]["A4"].value == "Antiguo"


def test_logo_is_the_same_image(seeded: str, template: Path, tmp_path: Path) -> None:
    with etl.connect(seeded) as database:
        database.report("contacts-by-group", tmp_path / "out.xlsx", into=template)
    image = openpyxl.load_workbook(tmp_path / "out.xlsx")["Portada"]._images[0]
    assert image._data() == logo_png()


def test_no_rows_leave_an_empty_table_that_can_be_filled_again(seeded: str, template: Path, tmp_path: Path) -> None:
    execute(seeded, "DELETE FROM contactos", "DELETE FROM grupos")
    empty = tmp_path / "vacio.xlsx"
    with etl.connect(seeded) as database:
        assert database.report("contacts-by-group", empty, into=template) == {"Resumen": 0, "Contactos": 0}
    summary = openpyxl.load_workbook(empty)["Resumen"]
    assert summary.tables["TablaResumen"].ref == "A3:C5", "the header, one empty row, the totals"
    assert [cell.value for cell in summary[4]] == [None, None, "=B4/SUM($B$4:$B$4)"]
    assert summary["A5"].value == "Total"
    execute(seeded, "INSERT INTO grupos VALUES (1, 'Familia', 'f'), (2, 'Trabajo', 't')",
            "INSERT INTO contactos VALUES (1, 'Ana', '0412', 1)")
    with etl.connect(seeded) as database:
        database.report("contacts-by-group", tmp_path / "otra-vez.xlsx", into=empty)
    again = openpyxl.load_workbook(tmp_path / "otra-vez.xlsx")["Resumen"]
    assert [[cell.value for cell in row] for row in again["A4:C6"]] == [
        ["Familia", 1, "=B4/SUM($B$4:$B$5)"], ["Trabajo", 0, "=B5/SUM($B$4:$B$5)"],
        ["Total", "=SUBTOTAL(109,TablaResumen[Contactos])", None]]
