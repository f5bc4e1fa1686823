"""What a Table tells about where its cells are: the sheet read, the sheet column of every
header cell and value, and the row numbers as the sheet shows them, so another stage can
point at (or mark) the very cell a problem is in."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from etl.readers import ReadOptions, column_letters, open_table
from etl.readers.xlsx_reader import open_xlsx


def test_column_letters_name_columns_as_a_spreadsheet_does() -> None:
    assert [column_letters(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702, 16383)] == [
        "A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA", "XFD"]


def test_a_csv_table_has_no_sheet_and_values_from_the_first_column(tmp_path: Path) -> None:
    path = tmp_path / "pets.csv"
    path.write_text("name,type\nTom,cat\n", encoding="utf-8")
    with open_table(path) as table:
        assert table.sheet is None
        assert table.column_index(1) == 1
        assert [table.cell_reference(row.number, 1) for row in table.rows] == ["B2"]


@pytest.mark.parametrize("engine", ["stream", "calamine"])
def test_a_sheet_starting_at_c3_keeps_its_columns_and_rows(tmp_path: Path, engine: str) -> None:
    path = tmp_path / "offset.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Resumen"
    sheet = workbook.create_sheet("Mascotas")
    sheet["C3"], sheet["D3"] = "name", "age"
    sheet["C4"], sheet["D4"] = "Tom", 3
    sheet["D6"] = 5
    workbook.save(path)
    with open_xlsx(path, ReadOptions(sheet="Mascotas"), None, engine) as table:  # type: ignore[arg-type]
        rows = list(table.rows)
        assert table.sheet == "Mascotas"
        positions = {name: i for i, name in enumerate(table.header) if name}
        assert {name: table.cell_reference(table.header_row, i) for name, i in positions.items()} == {
            "name": "C3", "age": "D3"}
        found = {table.cell_reference(row.number, i): value
                 for row in rows for i, value in enumerate(row.values) if value}
    assert found == {"C4": "Tom", "D4": "3", "D6": "5"}
    assert found == {cell.coordinate: str(cell.value) for line in sheet.iter_rows(min_row=4) for cell in line
                     if cell.value is not None}
