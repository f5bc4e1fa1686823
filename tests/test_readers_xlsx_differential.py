"""One text semantics for XLSX: generated workbooks (XlsxWriter and openpyxl) with edge
whitespace, control characters (written as `_xHHHH_`), error cells, integers above 2^53,
1900/1904 dates, out-of-range serials, empty strings and a first row of empty strings, read
by every engine: the stream reader (the .xlsx engine) gives the text the generator meant,
openpyxl (the reference, escapes decoded) and python-calamine (the .xls/.xlsb/.ods engine)
give the same text and row numbers wherever they can hold it. Where they cannot is listed
here, and is why .xlsx is read by the stream reader alone: calamine empties error cells,
rounds integers past 2^53 and reads negative date serials as 00:00; openpyxl turns date
serials past 9999 into `#VALUE!`, negative ones into 1899 dates, and reads 1904 serials
below 1 as times."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import openpyxl
import xlsxwriter
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from etl.readers import Row
from etl.readers.calamine_reader import _numbered_rows
from tests.test_readers_xlsx_stream import rows_by
from tests.xlsx_oracle import openpyxl_rows

TEXT = st.text(st.sampled_from(["a", "Ñ", " ", "\t", "\n", "\r", "\x01", "_", "x", "中", "&", "<"]), max_size=8)
CELLS = st.one_of(
    TEXT.map(lambda s: ("text", s, s)),
    st.integers(-(2**63), 2**63).map(lambda i: ("int", i, str(i))),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: ("float", f, None)),
    st.sampled_from(["#N/A", "#DIV/0!", "#VALUE!"]).map(lambda e: ("error", e, e)),
    st.booleans().map(lambda b: ("bool", b, "TRUE" if b else "FALSE")),
    st.dates(dt.date(1900, 3, 1), dt.date(9999, 12, 31)).map(lambda d: ("date", d, d.isoformat())),
    st.sampled_from([-5, 3_000_000, 2_958_466]).map(lambda n: ("serial", n, str(n))),
)


MAC_EPOCH = dt.date(1904, 1, 1)


def _write_xlsxwriter(path: Path, rows: list[list[tuple]], mac: bool) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                              "strings_to_urls": False, "date_1904": mac})
    sheet = workbook.add_worksheet("S")
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_string(0, 0, "")
    sheet.write_string(0, 1, "")  # a first used row holding only empty strings
    for r, row in enumerate(rows, start=2):
        for c, (kind, value, _) in enumerate(row):
            if kind == "text":
                sheet.write_string(r, c, value)
            elif kind == "error":
                sheet.write_formula(r, c, "=1/0", None, value)
            elif kind == "bool":
                sheet.write_boolean(r, c, value)
            elif kind == "date":
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), dates)
            elif kind == "serial":
                sheet.write_number(r, c, value, dates)
            else:
                sheet.write_number(r, c, value)
    workbook.close()


def _read(path: Path, engine: str) -> list[Row]:
    """Every non-blank row, numbered, as the engine gives it (before header rules)."""
    if engine == "stream":
        return rows_by("stream", path)
    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_path(str(path)) as workbook:
        raw = _numbered_rows(path, "S", workbook.get_sheet_by_name("S"))
        return [Row(n, tuple(v)) for n, v in raw if "".join(v).strip()]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(CELLS, min_size=2, max_size=2), min_size=1, max_size=6), st.booleans())
@example([[("text", "", ""), ("date", dt.date(1903, 1, 1), "1903-01-01")]], True)
@example([[("text", "", ""), ("date", dt.date(1904, 1, 1), "1904-01-01")]], True)
def test_every_engine_gives_the_same_text(rows: list[list[tuple]], mac: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "book.xlsx"
        _write_xlsxwriter(path, rows, mac)
        stream = {row.number: row.values for row in _read(path, "stream")}
        calamine = {row.number: row.values for row in _read(path, "calamine")}
        reference = {row.number: row.values for row in openpyxl_rows(path)}
    assert set(stream) == set(reference)
    for number, row in enumerate(rows, start=3):
        if all(kind == "text" and not text.strip() for kind, _, text in row):
            assert number not in stream and number not in calamine  # a blank row, left out by all
            continue
        for column, (kind, value, text) in enumerate(row):
            ours = stream.get(number, ())[column] if column < len(stream.get(number, ())) else ""
            if mac and kind == "date" and value <= MAC_EPOCH:
                # Before 1904-01-01 a 1904 workbook's date is a negative serial (Excel shows ####): its
                # number, as for any negative serial. At the epoch itself (serial 0) calamine and openpyxl give
                # a time (00:00:00) where Excel shows 1904-01-01, as etl does.
                kind, text = ("serial", str((value - MAC_EPOCH).days)) if value < MAC_EPOCH else ("epoch", text)
            if kind not in ("float", "int"):
                assert ours == text, (kind, value)
            theirs = calamine.get(number, ())[column] if column < len(calamine.get(number, ())) else ""
            emptied = number not in calamine and all(  # calamine empties errors: nothing else, no row
                k == "error" or k == "text" and not t.strip() for k, _, t in row)
            negative = kind == "serial" and int(text) < 0
            if not (kind in ("error", "epoch") or emptied or kind == "int" and abs(value) > 2**53 or negative):
                assert theirs == ours, ("calamine", kind, value)
            reference_text = reference.get(number, ())[column] if column < len(reference.get(number, ())) else ""
            if kind not in ("serial", "epoch"):  # openpyxl: #VALUE! past 9999, a 1899 date for negatives, a time at 0
                assert reference_text == ours, ("openpyxl", kind, value)
