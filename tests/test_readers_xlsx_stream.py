"""The streaming XLSX reader gives exactly the text rows openpyxl's read-only mode gives:
on the corpus workbooks, on generated workbooks (written by openpyxl and by XlsxWriter,
which lay out their XML differently), and on both of its parsers (the patterns, and
ElementTree for what they cannot read), with shared strings kept in memory or spilled."""

from __future__ import annotations

import datetime as dt
import zipfile
from contextlib import ExitStack
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.errors import ReadError
from etl.readers import Row
from etl.readers import xlsx_stream
from etl.readers.base import Warnings
from etl.readers.xlsx_package import list_sheets
from etl.readers.xlsx_reader import _damage_as_read_error
from etl.readers.xlsx_stream import SheetDamage, stream_rows
from tests.conftest import CORPUS
from tests.test_readers_xlsx import make_workbook, patch_part
from tests.xlsx_oracle import openpyxl_rows

SHEET = "xl/worksheets/sheet1.xml"


def rows_by(engine: str, path: Path, sheet_name: str | None = None) -> list[Row]:
    """Every non-blank row of a sheet (title rows too) by the stream reader or by openpyxl."""
    sheets = [s for s in list_sheets(path) if s.is_worksheet and s.part]
    sheet = next(s for s in sheets if sheet_name in (None, s.name))
    if engine == "openpyxl":
        return openpyxl_rows(path, sheet.name)
    with ExitStack() as stack:
        raw = _damage_as_read_error(path, sheet.name, lambda: stream_rows(path, sheet, stack, Warnings()), SheetDamage)
        return [Row(n, tuple(v)) for n, v in raw if "".join(v).strip()]


def assert_same_rows(path: Path) -> None:
    for sheet in (s for s in list_sheets(path) if s.is_worksheet and s.part):
        assert rows_by("stream", path, sheet.name) == rows_by("openpyxl", path, sheet.name), sheet.name


CORPUS_BOOKS = sorted(CORPUS.rglob("*.xlsx")) if CORPUS.is_dir() else []


@pytest.mark.skipif(not CORPUS_BOOKS, reason=f"reader corpus not found at {CORPUS}")
@pytest.mark.parametrize("path", CORPUS_BOOKS, ids=[p.name for p in CORPUS_BOOKS])
def test_corpus_workbooks_read_as_openpyxl_reads_them(path: Path) -> None:
    assert_same_rows(path)


def _text() -> st.SearchStrategy[str]:
    # openpyxl refuses control characters other than tab and line ends, and reads a
    # leading "=" as a formula.
    chars = st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\t\n\r&<>\"' ")
    return st.text(chars, max_size=12).filter(lambda s: not s.startswith("="))


VALUES = st.one_of(
    _text(),
    st.integers(min_value=-(2**62), max_value=2**62),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
    st.times(),
    st.none(),
)
CELLS = st.dictionaries(
    st.tuples(st.integers(1, 30), st.integers(1, 6)), VALUES, min_size=1, max_size=40
)


def _write_openpyxl(path: Path, cells: dict[tuple[int, int], object]) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for (row, column), value in cells.items():
        sheet.cell(row=row, column=column, value=value)
    workbook.save(path)


def _write_xlsxwriter(path: Path, cells: dict[tuple[int, int], object]) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    sheet = workbook.add_worksheet()
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for (row, column), value in sorted(cells.items()):
        if isinstance(value, (dt.date, dt.time)):
            sheet.write_datetime(row - 1, column - 1, value, date_format)
        elif isinstance(value, str):
            sheet.write_string(row - 1, column - 1, value)
        elif value is not None:
            sheet.write(row - 1, column - 1, value)
    workbook.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=CELLS, writer=st.sampled_from([_write_openpyxl, _write_xlsxwriter]))
def test_generated_workbooks_read_as_openpyxl_reads_them(tmp_path: Path, cells, writer) -> None:
    path = tmp_path / "generated.xlsx"
    writer(path, cells)
    assert_same_rows(path)
    # The same sheet through ElementTree: a comment in sheetData turns the patterns off.
    patch_part(path, SHEET, lambda xml: xml.replace("<sheetData>", "<sheetData><!-- x -->", 1))
    assert_same_rows(path)


def test_both_parsers_and_a_spilled_string_table_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cells = {f"A{n}": f"texto {n} ñ" for n in range(1, 200)} | {f"B{n}": n * 1.5 for n in range(1, 200)}
    path = make_workbook(tmp_path / "s.xlsx", {"S": cells})
    expected = rows_by("openpyxl", path)
    monkeypatch.setattr(xlsx_stream, "SPILL_BYTES", 64)
    monkeypatch.setattr(xlsx_stream, "CACHE_SIZE", 3)
    monkeypatch.setattr(xlsx_stream, "CHUNK", 100)
    assert rows_by("stream", path) == expected
    patch_part(path, SHEET, lambda xml: xml.replace("<sheetData>", "<sheetData><?pi x?>", 1))
    assert rows_by("stream", path) == expected


def test_rows_the_patterns_do_not_take_are_parsed_alone(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "r.xlsx", {"S": {"A1": "a", "B1": "b", "A2": 1, "B2": 2, "A3": 3, "B3": 4}})
    rich = (
        '<c r="A2" t="inlineStr"><is><r><t>ri</t></r><r><rPr><sz val="11"/></rPr><t>ch</t></r>'
        "<rPh sb=\"0\" eb=\"1\"><t>phonetic</t></rPh></is></c>"
    )
    patch_part(
        path, SHEET,
        lambda xml: xml.replace('<c r="A2" t="n"><v>1</v></c>', rich)
        .replace('<c r="B3" t="n"><v>4</v></c>', "<c r='B3' t='str'><v>&lt;4&#10;&amp;</v></c>")
        .replace("</sheetData>", '<row r="5"/><row r="4"><c r="A4" t="n"><v>9</v></c></row></sheetData>'),
    )
    expected = [Row(1, ("a", "b")), Row(2, ("rich", "2")), Row(3, ("3", "<4\n&"))]
    assert rows_by("openpyxl", path) == expected
    assert rows_by("stream", path) == expected


def test_cells_out_of_column_order_and_without_references(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "o.xlsx", {"S": {"A1": "a", "B1": "b", "C1": "c", "A2": 1}})
    patch_part(
        path, SHEET,
        lambda xml: xml.replace('<c r="A2" t="n"><v>1</v></c>', '<c r="C2" t="n"><v>3</v></c><c r="A2" t="n"><v>1</v></c>')
        .replace('<c r="B1" t="s">', '<c t="s">'),
    )
    assert rows_by("stream", path) == rows_by("openpyxl", path)


def test_a_sheet_cut_short_is_an_error(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "d.xlsx", {"S": {f"A{n}": n for n in range(1, 50)}})
    with zipfile.ZipFile(path) as package:
        size = len(package.read(SHEET))
    patch_part(path, SHEET, lambda xml: xml[: size * 2 // 3])
    with pytest.raises(ReadError, match="cannot read the sheet: the XML ends early"):
        rows_by("stream", path)


def test_a_reference_to_a_character_xml_forbids_is_an_error_as_in_openpyxl(tmp_path: Path) -> None:
    """`&#233;` is text; `&#0;` or a surrogate would reach the database as a NUL or an
    unencodable string, and expat (openpyxl) refuses both, so the patterns refuse them too."""
    path = make_workbook(tmp_path / "c.xlsx", {"S": {"A1": "a", "A2": 1}})
    patch_part(path, SHEET, lambda xml: xml.replace('<c r="A2" t="n"><v>1</v></c>',
                                                    "<c r='A2' t='str'><v>caf&#233;</v></c>"))
    assert rows_by("stream", path) == rows_by("openpyxl", path) == [Row(1, ("a",)), Row(2, ("café",))]
    for reference in ("&#0;", "&#x1;", "&#xD800;", "&#xFFFE;"):
        bad = make_workbook(tmp_path / "bad.xlsx", {"S": {"A1": "a", "A2": 1}})
        cell = f'<c r="A2" t="str"><v>caf{reference}</v></c>'  # double quotes: the patterns' path
        patch_part(bad, SHEET, lambda xml, cell=cell: xml.replace('<c r="A2" t="n"><v>1</v></c>', cell))
        with pytest.raises(ReadError, match="not a character XML allows"):
            rows_by("stream", bad)
        with pytest.raises(Exception):
            rows_by("openpyxl", bad)


def test_a_damaged_compressed_sheet_is_a_read_error_not_a_crash(tmp_path: Path, cli) -> None:
    """Bytes flipped inside the deflated sheet: inflating fails (zlib.error) or the CRC does
    not match (BadZipFile); either way one line naming the file, exit 1, nothing written."""
    path = make_workbook(tmp_path / "pets.xlsx",
                         {"S": {"A1": "name", "B1": "type", **{f"A{n}": f"pet {n}" for n in range(2, 400)},
                                **{f"B{n}": "cat" for n in range(2, 400)}}})
    with zipfile.ZipFile(path) as package:
        info = package.getinfo(SHEET)
    data = bytearray(path.read_bytes())
    name_length, extra_length = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little"), \
        int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_length + extra_length
    for offset in range(start + info.compress_size // 3, start + info.compress_size // 3 + 16):
        data[offset] ^= 0xFF
    path.write_bytes(data)
    with pytest.raises(ReadError, match=f"{path}: "):
        rows_by("stream", path)
    database = tmp_path / "t.db"
    result = cli("import", "--db", f"sqlite:///{database}", "pets", str(path))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and str(path) in result.stderr
