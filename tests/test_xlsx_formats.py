"""How exported and report workbooks read: number formats chosen per column, numbers and
their headers right-aligned with an indent (an id does not run into the name beside it),
widths that fit the formatted values. Read back with openpyxl."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from etl.writers.xlsx_formats import excel_format, is_date_format, is_integer_format, layout_columns
from tests.conftest import execute


def test_export_formats_ids_counts_amounts_and_dates(cli, db_url: str, tmp_path: Path) -> None:
    execute(db_url,
            "CREATE TABLE sales (id INTEGER PRIMARY KEY, customer VARCHAR(40), day DATE, "
            "amount NUMERIC(12, 2), qty INTEGER, shop_id INTEGER)",
            "INSERT INTO sales VALUES (1, 'Ana', '2024-03-01', 1234567.5, 1200, 7), "
            "(22, 'Luis', '2024-03-02', 0.25, 3, 8)")
    output = tmp_path / "sales.xlsx"
    result = cli("export", "--db", db_url, "sales", str(output))
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(output).worksheets[0]
    assert [cell.value for cell in sheet[1]] == ["id", "customer", "day", "amount", "qty", "shop_id"]
    assert sheet["C2"].value == datetime(2024, 3, 1)
    formats = [cell.number_format for cell in sheet[2]]
    assert formats == ["0", "General", "yyyy-mm-dd", "#,##0.00", "#,##0", "0"]
    for cell in (*sheet[1], *sheet[2]):
        numeric = cell.column_letter != "B"
        assert (cell.alignment.horizontal == "right") is numeric, cell.coordinate
        assert cell.alignment.indent == (0 if numeric else 1), "the name starts clear of the id before it"
    assert sheet.column_dimensions["D"].width >= len("1,234,567.50") + 1
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:F3"


def test_layout_from_values() -> None:
    header = ["id", "name", "price", "weight", "when", "mixed", "empty", "grupo_id"]
    rows = [
        (1, "Ana", Decimal("10.50"), Decimal("1.125"), date(2024, 1, 2), 1, None, 3),
        (2, "Luis", Decimal("3"), Decimal("2"), date(2024, 1, 3), "x", None, 4),
    ]
    layouts = layout_columns(header, rows)
    assert [layout.number_format for layout in layouts] == [
        "0", None, "#,##0.00", "#,##0.000", "yyyy-mm-dd", None, None, "0"]
    assert [layout.right_aligned for layout in layouts] == [True, False, True, True, True, False, False, True]
    assert [layout.indented for layout in layouts] == [False, True, False, False, False, True, False, False]
    assert layout_columns(["n"], [(1_234_567,)])[0].width >= len("1,234,567")


def test_explicit_formats_win() -> None:
    layouts = layout_columns(["share", "when"], [(0.25, "2024-01-02")], {"share": "0.0%", "when": "yyyy-mm-dd"})
    assert [(layout.number_format, layout.right_aligned) for layout in layouts] == [
        ("0.0%", True), ("yyyy-mm-dd", True)]


@pytest.mark.parametrize(
    ("name", "code"),
    [("integer", "#,##0"), ("Decimal", "#,##0.00"), ("percent", "0.0%"), ("date", "yyyy-mm-dd"),
     ("text", "@"), ("#,##0.0", "#,##0.0"), ("dd/mm/yyyy", "dd/mm/yyyy")],
)
def test_format_names(name: str, code: str) -> None:
    assert excel_format(name) == code


def test_format_kinds() -> None:
    assert is_integer_format("#,##0") and is_integer_format("0") and not is_integer_format("#,##0.00")
    assert not is_integer_format("0%") and not is_integer_format("yyyy")
    assert is_date_format("yyyy-mm-dd hh:mm") and not is_date_format('#,##0" días"')
    assert not is_date_format("General")
