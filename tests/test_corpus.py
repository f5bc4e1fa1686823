"""Every file of the shared reader corpus (../shared/corpus, csvkit's fixtures) is either read
correctly or refused with a one-line ReadError naming it — never a traceback — and where a
`*_converted.csv` golden exists and our reading rules agree with csvkit's, the text matches.

Goldens our rules deliberately disagree with (checked against the input text instead):
`blanks_converted.csv` (csvkit turns NA/NULL/. into empty; we keep text as written),
`test_date_format_converted.csv`, `test_locale_converted.csv` (csvkit infers dates and
numbers; we never convert), `testxlsx_noinference_converted.csv` (a space, not ISO `T`,
in datetimes), `sheetsxlsx_converted.csv` (made from another revision of sheets.xlsx: it
has a `time` column the stored workbook lacks) and the `testxls*` goldens (csvkit reads
.xls integers as `40.0`; instead each .xls must read exactly as its .xlsx twin).
Two documented differences are normalised when comparing: booleans are `TRUE`/`FALSE` as
Excel shows them (csvkit: `True`), and a datetime at midnight reads as its date.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from etl.errors import ReadError, UsageError
from etl.readers import ReadOptions, Row, open_table
from tests.conftest import CORPUS

FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file()) if CORPUS.is_dir() else []
pytestmark = pytest.mark.skipif(not FILES, reason=f"reader corpus not found at {CORPUS}")

REFUSED = {
    "LICENSE": "unsupported file format (no extension)",
    "README.md": "unsupported file format (.md)",
    "empty.csv": "the file is empty",
    "null_byte.csv": "row 2: contains a NUL byte",
    "sheets.xls": "sheet 'not this one' is empty; choose another with --sheet",
    "sheets.xlsx": "sheet 'not this one' is empty; choose another with --sheet",
}

# name → (options, header, first data row, number of data rows, detected subset)
EXPECTED: dict[str, tuple[ReadOptions, tuple[str, ...], Row, int, dict[str, str]]] = {
    "test_latin1.csv": (ReadOptions(), ("a", "b", "c"), Row(2, ("1", "2", "3")), 2, {"encoding": "cp1252"}),
    "test_utf8.csv": (ReadOptions(), ("foo", "bar", "baz"), Row(2, ("1", "2", "3")), 2, {"encoding": "utf-8"}),
    "test_utf8_bom.csv": (ReadOptions(), ("foo", "bar", "baz"), Row(2, ("1", "2", "3")), 2, {"encoding": "utf-8-sig"}),
    "test_utf16_big.csv": (ReadOptions(), ("a", "b", "c"), Row(2, ("1", "2", "3")), 2, {"encoding": "utf-16"}),
    "test_utf16_little.csv": (ReadOptions(), ("a", "b", "c"), Row(2, ("1", "2", "3")), 2, {"encoding": "utf-16"}),
    "mac_newlines.csv": (ReadOptions(), ("a", "b", "c"), Row(2, ("1", "2", "3")), 2, {"delimiter": ","}),
    "sniff_limit.csv": (ReadOptions(), ("a", "b", "c"), Row(2, ("1", "2", "3")), 1, {"delimiter": ";"}),
    "dummy.tsv": (ReadOptions(), ("a", "b", "c"), Row(2, ("1", "2", "3")), 1, {"delimiter": "\t"}),
    "test_skip_lines.csv": (ReadOptions(), ("a", "b", "c"), Row(5, ("1", "2", "3")), 1, {"header_row": "4"}),
    "bad_skip_lines.csv": (ReadOptions(), ("column_a", "column_b", "column_c"), Row(5, ("1", "27", "", "I'm too long!")), 3, {"header_row": "4"}),
    "test_no_leading_zeroes.csv": (ReadOptions(), ("a", "b", "c"), Row(2, ("01", "00.11", "0.1")), 1, {}),
    "test_locale.csv": (ReadOptions(), ("a", "b", "c"), Row(2, ("1,7", "200.000.000", "")), 1, {}),
    "blanks.csv": (ReadOptions(), ("a", "b", "c", "d", "e", "f"), Row(2, ("", "NA", "N/A", "NONE", "NULL", ".")), 1, {}),
    "join_a_short.csv": (ReadOptions(), ("a", "b", "c"), Row(2, ("1", "b")), 3, {}),
    "FY09_EDU_Recipients_by_State.csv": (
        ReadOptions(), ("State Name", "State Abbreviate", "Code", "Montgomery GI Bill-Active Duty",
                        "Montgomery GI Bill- Selective Reserve", "Dependents' Educational Assistance",
                        "Reserve Educational Assistance Program",
                        "Post-Vietnam Era Veteran's Educational Assistance Program", "TOTAL"),
        Row(2, ("ALABAMA", "AL", "01", "6,718", "1,728", "2,703", "1,269", "8", "12,426")), 52, {},
    ),
    "Datagov_FY10_EDU_recp_by_State.csv": (
        ReadOptions(header_row=3), ("State Name", "State Abbreviate", "Post-9/11GI Bill Program",
                                    "Montgomery GI Bill - Active Duty", "Montgomery GI Bill - Selective Reserve",
                                    "Dependents' Educational Assistance", "Reserve Educational Assistance Program",
                                    "Post-Vietnam Era Veteran's Educational Assistance Program", "TOTAL"),
        Row(4, ("ALABAMA", "AL", "7738", "5779", "2075", "3102", "883", "5", "19,582")), 55, {},
    ),
    "ne_1033_data.xlsx": (
        ReadOptions(), ("state", "county", "fips", "nsn", "item_name", "quantity", "ui", "acquisition_cost",
                        "total_cost", "ship_date", "federal_supply_category", "federal_supply_category_name",
                        "federal_supply_class", "federal_supply_class_name"),
        Row(2, ("NE", "ADAMS", "31001", "1005-00-589-1271", "RIFLE,7.62 MILLIMETER", "1", "Each", "138", "138",
                "2008-07-11", "10", "WEAPONS", "1005", "Guns, through 30 mm")), 1036, {"sheet": "NE data"},
    ),
}

# input (and options) → golden, for goldens whose rules we share
GOLDENS = [
    ("test.xlsx", ReadOptions(), "testxlsx_converted.csv"),
    ("test_skip_lines.xlsx", ReadOptions(), "testxlsx_converted.csv"),
    ("sheets.xlsx", ReadOptions(sheet="ʤ"), "testxlsx_unicode_converted.csv"),
    ("sheets.xls", ReadOptions(sheet="ʤ"), "testxlsx_unicode_converted.csv"),
]
XLS_TWINS = ["dummy.xls", "sheets.xls", "test.xls", "test_skip_lines.xls"]
_MIDNIGHT = re.compile(r"^(\d{4}-\d\d-\d\d)T00:00:00$")


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(CORPUS)) for p in paths]


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_every_corpus_file_reads_or_is_refused_clearly(path: Path) -> None:
    try:
        with open_table(path) as table:
            rows = list(table.rows)
    except (ReadError, UsageError) as err:
        message = str(err)
        assert message.startswith(f"{path}: ") and "\n" not in message and "Traceback" not in message
        assert path.name in REFUSED, f"unexpected refusal: {message}"
        assert REFUSED[path.name] in message
        return
    assert path.name not in REFUSED, f"{path.name} should have been refused"
    assert table.header and all(isinstance(cell, str) for cell in table.header)
    numbers = [row.number for row in rows]
    assert numbers == sorted(set(numbers)) and all(n > table.header_row for n in numbers)
    assert all(isinstance(v, str) for row in rows for v in row.values)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_content(name: str) -> None:
    options, header, first, count, detected = EXPECTED[name]
    path = next(p for p in FILES if p.name == name)
    with open_table(path, options) as table:
        rows = list(table.rows)
        assert table.header == header
        assert rows[0] == first
        assert len(rows) == count
        assert detected.items() <= table.detected.items()


def test_corpus_text_survives_exactly() -> None:
    by_name = {p.name: p for p in FILES}
    with open_table(by_name["test_utf8.csv"]) as table:
        assert list(table.rows)[-1].values == ("4", "5", "ʤ")
    with open_table(by_name["test_latin1.csv"]) as table:
        assert list(table.rows)[-1].values == ("4", "5", "©")
    with open_table(by_name["mac_newlines.csv"]) as table:
        assert list(table.rows)[-1] == Row(3, ("Once upon\ra time", "5", "6"))
    with open_table(by_name["test_header_newline.csv"]) as table:
        assert table.header[0] == "\t\n\x0b\x0c\r start \t\n\x0b\x0c\r end \t\n\x0b\x0c\r"


@pytest.mark.parametrize(("name", "options", "golden"), GOLDENS, ids=[g[0] for g in GOLDENS])
def test_matches_csvkit_golden(name: str, options: ReadOptions, golden: str) -> None:
    by_name = {p.name: p for p in FILES}
    with by_name[golden].open(encoding="utf-8", newline="") as handle:
        expected_header, *expected_rows = list(csv.reader(handle))
    with open_table(by_name[name], options) as table:
        header = table.header
        rows = [row.values for row in table.rows]
    assert header == tuple(expected_header[: len(header)])
    assert all(name == "" or name.isalpha() and len(name) == 1 for name in expected_header[len(header):])
    assert len(rows) == len(expected_rows)
    for ours, theirs in zip(rows, expected_rows, strict=True):
        width = max(len(ours), len(header))
        assert ours == tuple(_as_ours(cell) for cell in theirs[:width])


def _as_ours(cell: str) -> str:
    if cell in ("True", "False"):
        return cell.upper()
    midnight = _MIDNIGHT.match(cell)
    return midnight.group(1) if midnight else cell


@pytest.mark.parametrize("name", XLS_TWINS)
def test_each_xls_reads_exactly_as_its_xlsx_twin(name: str) -> None:
    """The same workbook saved both ways: python-calamine's .xls text, row numbers and
    header row equal the .xlsx stream reader's, sheet by sheet (test.xls names its sheet
    differently)."""
    import python_calamine

    by_name = {p.name: p for p in FILES}
    twins = [by_name[name], by_name[name + "x"]]
    names = [python_calamine.CalamineWorkbook.from_path(str(path)).sheet_names for path in twins]
    assert len(names[0]) == len(names[1])
    for sheets in zip(*names, strict=True):
        if "not this one" in sheets:
            continue
        read = []
        for path, sheet in zip(twins, sheets, strict=True):
            with open_table(path, ReadOptions(sheet=sheet)) as table:
                read.append((table.header, table.header_row, list(table.rows)))
        assert read[0] == read[1], sheets
