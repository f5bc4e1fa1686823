"""Every spreadsheet format read alike (issue 14): .xls, .xlsb and .ods through
python-calamine give the sheets, header row, row numbers and cell text of the .xlsx stream
reader; and the XLSX text rules of issue 17 (items 4-7, 10, 11) on workbooks built here."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from etl.errors import ReadError
from etl.readers import ReadOptions, Row, header_test, open_table
from etl.readers import xlsx_stream
from tests.conftest import PROJECT_ROOT, query
from tests.test_readers_xlsx import make_workbook, patch_part

FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
PETS = header_test(["nombre", "tipo", "edad"])
SHEET = "xl/worksheets/sheet1.xml"


def read(path: Path, options: ReadOptions = ReadOptions(), looks=PETS):
    with open_table(path, options, looks) as table:
        return table.header, table.header_row, list(table.rows), table.detected, table.warnings


@pytest.mark.parametrize("suffix", ["ods", "xls"])
def test_libreoffice_workbooks_read_as_their_xlsx_original(suffix: str) -> None:
    header, header_row, rows, detected, _ = read(FIXTURES / f"pets.{suffix}")
    original = read(FIXTURES / "pets.xlsx")
    assert (header, header_row) == (original[0], original[1]) == (
        ("", "nombre", "tipo", "edad", "telefono", "alta", "vacunada"), 3)
    assert detected == {"format": suffix, "sheet": "Mascotas", "header_row": "3"}
    booleans = {"TRUE": "1", "FALSE": "0"} if suffix == "ods" else {}  # LibreOffice stores them as 1/0
    assert rows == [Row(r.number, tuple(booleans.get(v, v) for v in r.values)) for r in original[2]]
    assert rows[0] == Row(4, ("", "Tom", "gato", "3", "4155673029", "2024-01-31", booleans.get("TRUE", "TRUE")))
    assert read(FIXTURES / f"pets.{suffix}", ReadOptions(sheet="otra"), None)[:3] == (
        ("name", "type"), 1, [Row(2, ("Rex", "perro"))])
    assert read(FIXTURES / f"pets.{suffix}", ReadOptions(header_row=3))[1] == 3


@pytest.mark.parametrize("stem", ["date", "issues"])
def test_xlsb_reads_as_its_xlsx_twin(stem: str) -> None:
    import python_calamine

    twins = [FIXTURES / "calamine" / f"{stem}.{suffix}" for suffix in ("xlsb", "xlsx")]
    for sheet in python_calamine.CalamineWorkbook.from_path(str(twins[1])).sheet_names:
        got = [read(path, ReadOptions(sheet=sheet), None)[:3] for path in twins]
        assert got[0] == got[1], sheet


def test_a_folder_takes_every_spreadsheet_format(cli, db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    for suffix in ("xlsx", "ods", "xls"):
        (folder / f"pets.{suffix}").write_bytes((FIXTURES / f"pets.{suffix}").read_bytes())
    result = cli("import", "--db", db_url, "--json", "pets", str(folder))
    files = json.loads(result.stdout)["files"]
    assert [Path(f["path"]).suffix for f in files] == [".ods", ".xls", ".xlsx"]
    # pets has no telefono/alta/vacunada columns: the same three header problems in each.
    assert [f["status"] for f in files] == ["rejected"] * 3
    assert [[e["column"] for e in f["errors"]] for f in files] == [["telefono", "alta", "vacunada"]] * 3
    assert query(db_url, "SELECT count(*) FROM pet") == [(0,)]


def test_a_web_page_saved_as_xls_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "report.xls"
    path.write_text("<html><table><tr><td>a</td></tr></table></html>")
    with pytest.raises(ReadError, match="not a binary Excel 97-2003 workbook .web page or XML saved as .xls"):
        read(path)


def test_excel_escapes_are_decoded_as_excel_does(tmp_path: Path) -> None:
    path = tmp_path / "escapes.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("S")
    texts = ["a\rb", "literal _x0041_", "tab\tend", "x\x01y", "_x005F_ kept"]
    sheet.write_row(0, 0, ["h1", "h2", "h3", "h4", "h5"])
    sheet.write_row(1, 0, texts)
    workbook.close()
    assert read(path, looks=None)[2] == [Row(2, tuple(texts))]
    patch_part(path, SHEET, lambda xml: xml.replace('<c r="A2" t="s"><v>5</v></c>',
                                                    '<c r="A2" t="inlineStr"><is><t>c_x000D_d</t></is></c>'))
    assert read(path, looks=None)[2][0].values[0] == "c\rd"


def test_a_nul_escape_is_refused_naming_the_cell(cli, sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "nul.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("S")
    sheet.write_row(0, 0, ["name", "type"])
    sheet.write_row(1, 0, ["Tom", "ca\x00t"])
    workbook.close()
    result = cli("import", "--db", sqlite_url, "--json", "pets", str(path))
    assert result.exit_code == 1
    [error] = json.loads(result.stdout)["files"][0]["errors"]
    assert error["message"] == ("row 2: cell B2 holds a NUL character (written _x0000_), which no database "
                                "text column can store; remove it in the workbook")


def test_date_serials_that_name_no_date_read_as_their_number(tmp_path: Path) -> None:
    path = tmp_path / "dates.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("S")
    date, clock = workbook.add_format({"num_format": "yyyy-mm-dd"}), workbook.add_format({"num_format": "hh:mm"})
    sheet.write_row(0, 0, ["a", "b", "c", "d"])
    sheet.write_row(1, 0, [-1, 3_000_000, 45_000.5, 0.25], date)
    sheet.write_number(1, 4, 0.5, clock)
    workbook.close()
    assert read(path, looks=None)[2] == [Row(2, ("-1", "3000000", "2023-03-15T12:00:00", "06:00:00", "12:00:00"))]


def test_serial_zero_in_the_1904_system_is_1904_01_01(tmp_path: Path) -> None:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    path = make_workbook(tmp_path / "mac.xlsx", {"S": {"A1": "when", "B1": "at", "A2": dt.datetime(1904, 1, 1),
                                                       "B2": dt.time(12, 0)}}, epoch=CALENDAR_MAC_1904)
    assert "<v>0</v>" in zipfile.ZipFile(path).read(SHEET).decode()
    assert read(path, looks=None)[2] == [Row(2, ("1904-01-01", "12:00:00"))]


def test_an_empty_self_closing_shared_strings_part_is_a_valid_workbook(tmp_path: Path) -> None:
    path = tmp_path / "sst.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    workbook.add_worksheet("S").write_row(0, 0, [1, 2])
    workbook.add_worksheet("T").write_string(0, 0, "x")
    workbook.close()
    patch_part(path, "xl/sharedStrings.xml", lambda xml: xml[: xml.index("<sst")] + (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>'))
    assert read(path, looks=None)[:3] == (("1", "2"), 1, [])


def test_formulas_without_a_cached_value_are_warned_about(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "f.xlsx", {"S": {"A1": "name", "B1": "total", "A2": "Tom", "B2": "=1+1",
                                                     "A3": "Lu", "B3": "=SUM(B1:B2)"}})
    header, _, rows, _, warnings = read(path, looks=None)
    assert rows == [Row(2, ("Tom", "")), Row(3, ("Lu", ""))]
    assert [(w.row, w.position, w.value) for w in warnings] == [(2, 1, "=1+1"), (3, 1, "=SUM(B1:B2)")]
    assert warnings.total == 2 and "reads as an empty cell" in warnings[0].message


def _workbook_with_sheet_xml(tmp_path: Path, rows_xml: str) -> Path:
    path = make_workbook(tmp_path / "big.xlsx", {"S": {"A1": "a", "A2": "x"}})
    return patch_part(path, SHEET, lambda xml: xml[: xml.index("<sheetData>")] + "<sheetData>" + rows_xml
                      + "</sheetData>" + xml[xml.index("</sheetData>") + len("</sheetData>"):])


def test_a_long_whitespace_stretch_is_read_in_bounded_memory(tmp_path: Path) -> None:
    stretch = " \n\t" * (3 << 20)  # 9 MiB between two cells: squeezed, not kept
    path = _workbook_with_sheet_xml(tmp_path, '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c>'
                                    + stretch + '<c r="B1" t="inlineStr"><is><t xml:space="preserve">  b </t></is>'
                                    '</c></row><row r="2"><c r="A2"><v>1</v></c></row>')
    assert read(path, looks=None)[:3] == (("a", "  b "), 1, [Row(2, ("1", ""))])


def test_a_cell_past_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx_stream, "MAX_FIELD_CHARS", 1000)
    monkeypatch.setattr(xlsx_stream, "MAX_LINE_CHARS", 5000)
    monkeypatch.setattr(xlsx_stream, "COMPACT_CHARS", 2000)
    cell = '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>'
    path = _workbook_with_sheet_xml(tmp_path, cell + "y" * 20_000 + "</t></is></c></row>")
    with pytest.raises(ReadError, match=r"sheet 'S', row 1: cannot read the sheet: row 2: a cell of more than 1,000"):
        read(path, looks=None)


def test_a_zip_with_backslash_names_is_named_for_what_it_is(tmp_path: Path) -> None:
    path = tmp_path / "win.xlsx"
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("xl\\workbook.xml", "<workbook/>")
    with pytest.raises(ReadError, match="part names with backslashes"):
        read(path)
