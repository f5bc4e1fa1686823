"""A company's own workbook for `etl report --into`, built with openpyxl as a manager would
make it in Excel: a cover sheet with a logo, formulas over the data and a chart; a summary
sheet holding an Excel table (a formula column, a totals row); a plain listing sheet; a notes
sheet the report does not touch; a defined name over the listing."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from PIL import Image as PILImage, ImageDraw

BRAND = "1F4E78"
COVER_FORMULAS = {
    "B4": "=SUM(Resumen!B4:B5)",
    "B5": "=SUM(TablaResumen[Contactos])",
    "B6": "=COUNTA(Contactos!A2:A3)",
}


def logo_png() -> bytes:
    image = PILImage.new("RGB", (160, 48), f"#{BRAND}")
    ImageDraw.Draw(image).text((12, 16), "ACME S.A.", fill="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def company_workbook(path: Path) -> Path:
    book = Workbook()
    cover = book.active
    cover.title = "Portada"
    _cover(cover)
    _summary(book.create_sheet("Resumen"))
    _listing(book.create_sheet("Contactos"))
    notes = book.create_sheet("Notas")
    notes["A1"] = "Preparado por el departamento comercial"
    notes["A1"].font = Font(italic=True)
    book.defined_names["ListaContactos"] = DefinedName("ListaContactos", attr_text="Contactos!$A$1:$C$3")
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Contactos por grupo"
    chart.add_data(Reference(book["Resumen"], min_col=2, min_row=3, max_row=5), titles_from_data=True)
    chart.set_categories(Reference(book["Resumen"], min_col=1, min_row=4, max_row=5))
    chart.width, chart.height = 20, 10
    cover.add_chart(chart, "D3")
    book.save(path)
    return path


def _cover(sheet) -> None:
    sheet.add_image(Image(io.BytesIO(logo_png())), "A1")
    sheet.row_dimensions[1].height = 40
    sheet["B2"] = "Informe mensual de contactos"
    sheet["B2"].font = Font(name="Calibri", bold=True, size=16, color=BRAND)
    for cell, label in (("A4", "Contactos (rango)"), ("A5", "Contactos (tabla)"), ("A6", "Filas del listado")):
        sheet[cell] = label
        sheet[cell].font = Font(name="Calibri", bold=True)
    for cell, formula in COVER_FORMULAS.items():
        sheet[cell] = formula
        sheet[cell].number_format = "#,##0"
    sheet.column_dimensions["A"].width = 22
    sheet.page_setup.orientation = "landscape"
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.fitToHeight = 0


def _summary(sheet) -> None:
    sheet["A1"] = "Resumen por grupo"
    sheet["A1"].font = Font(name="Calibri", bold=True, size=14, color=BRAND)
    header = ["Grupo", "Contactos", "Porcentaje"]
    for col, label in enumerate(header, start=1):
        cell = sheet.cell(3, col, label)
        cell.font = Font(name="Calibri", bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor=BRAND)
    last_month = [("Antiguo", 7), ("Viejo", 3)]
    for row, (group, count) in enumerate(last_month, start=4):
        sheet.cell(row, 1, group).font = Font(name="Calibri", color="333333")
        sheet.cell(row, 2, count).number_format = "#,##0"
        sheet.cell(row, 3, f"=B{row}/SUM($B$4:$B$5)").number_format = "0.0%"
    sheet["A6"] = "Total"
    sheet["B6"] = "=SUBTOTAL(109,TablaResumen[Contactos])"
    table = Table(displayName="TablaResumen", ref="A3:C6", totalsRowCount=1)
    table.tableColumns = [TableColumn(id=1, name="Grupo", totalsRowLabel="Total"),
                          TableColumn(id=2, name="Contactos", totalsRowFunction="sum"),
                          TableColumn(id=3, name="Porcentaje")]
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    sheet.add_table(table)
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 12
    sheet.column_dimensions["C"].width = 12


def _listing(sheet) -> None:
    for col, label in enumerate(["Grupo", "Nombre", "Teléfono"], start=1):
        cell = sheet.cell(1, col, label)
        cell.font = Font(name="Calibri", bold=True, color=BRAND)
        cell.alignment = Alignment(horizontal="center")
    for row, values in enumerate([("Antiguo", "Persona vieja", "0000"), ("Viejo", "Otra", "1111")], start=2):
        for col, value in enumerate(values, start=1):
            sheet.cell(row, col, value).font = Font(name="Arial", size=10)
    sheet.column_dimensions["B"].width = 24
