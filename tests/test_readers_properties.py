"""Property-based round trips: whatever the csv module (in every supported encoding,
delimiter, quoting and line ending) or openpyxl writes, the readers give back exactly —
quotes, newlines, accents, leading zeros and all — with the expected row numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import tempfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from etl.readers import ReadOptions, Row, open_table
from etl.readers.csv_reader import DELIMITERS
from etl.readers.xlsx_reader import open_xlsx

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]
# Accented letters are all ≥ 0xC0 in cp1252/Latin-1, so single-byte text holding one is
# never valid UTF-8 — the one ambiguity a detector cannot resolve is kept out.
ACCENTS = "áéíóúÁÉÍÓÚñÑüÜçÇàèÀÈ"
PLAIN = "abcXYZ019 .-_/'\""
NEWLINES = "\n\r"
OTHERS_FOR_UTF = "€“”ʤΣ中"

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _alphabet(encoding: str, delimiters: str) -> str:
    extra = OTHERS_FOR_UTF if encoding.startswith("utf") else "€" if encoding == "cp1252" else ""
    return PLAIN + ACCENTS + NEWLINES + extra + delimiters


def _cells(alphabet: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(alphabet, max_size=12),
        st.from_regex(r"\A0[0-9]{1,11}\Z"),
        st.sampled_from(["1e5", "04155673029", "007", "-0", "1,5", "TRUE", "=1+1"]),
    )


@st.composite
def csv_tables(draw: st.DrawFn, any_delimiter_in_values: bool) -> tuple[str, str, list[list[str]], dict]:
    encoding = draw(st.sampled_from(ENCODINGS))
    delimiter = draw(st.sampled_from(DELIMITERS))
    alphabet = _alphabet(encoding, "".join(DELIMITERS) if any_delimiter_in_values else delimiter)
    width = draw(st.integers(2, 5))
    header = draw(st.lists(st.text(PLAIN[:6] + ACCENTS, min_size=1, max_size=8), min_size=width, max_size=width))
    rows = draw(
        st.lists(
            st.lists(_cells(alphabet), min_size=width, max_size=width).filter(
                lambda row: "".join(row).strip()
            ),
            max_size=12,
        )
    )
    writer_options = {
        "lineterminator": draw(st.sampled_from(["\r\n", "\n"])),
        "quoting": draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
    }
    return encoding, delimiter, [header, *rows], writer_options


def _write_csv(directory: Path, encoding: str, delimiter: str, table: list[list[str]], options: dict) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, **options).writerows(table)
    data = buffer.getvalue().encode(encoding)
    path = directory / "data.csv"
    path.write_bytes(data)
    return path


UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")


def _assume_unambiguous(encoding: str, table: list[list[str]], options: dict) -> None:
    if options["quoting"] == csv.QUOTE_MINIMAL and options["lineterminator"] == "\n":
        # csv.writer then leaves a lone "\r" unquoted: the file really has a line break there.
        assume(not any("\r" in cell for row in table for cell in row))
    if encoding in ("utf-8", "utf-8-sig", "utf-16"):
        return
    text = "".join(itertools.chain.from_iterable(table))
    assume(text.isascii() or any(ch in ACCENTS for ch in text))
    # Bytes of a single-byte encoding that also form a UTF-8 sequence ('Ç€' is C7 80 in cp1252,
    # 'ǀ' in UTF-8) make the file valid, or partly valid, UTF-8: the reader takes it as UTF-8 or
    # refuses it as mixed, which is its documented rule, not a round-trip failure.
    assume(UTF8_SEQUENCE.search(text.encode(encoding, errors="replace")) is None)
    # Text whose letters are mostly not ASCII is checked against other scripts (Cyrillic
    # read as cp1252 looks just like that), as real Western text never is.
    letters = [ch for ch in text if ch.isalpha()]
    foreign = sum(not ch.isascii() for ch in letters)
    assume(foreign < 8 or foreign * 2 <= len(letters))


@SETTINGS
@given(csv_tables(any_delimiter_in_values=False))
def test_csv_round_trip_with_detected_encoding_and_delimiter(case) -> None:
    encoding, delimiter, table, options = case
    _assume_unambiguous(encoding, table, options)
    with tempfile.TemporaryDirectory() as tmp:
        path = _write_csv(Path(tmp), encoding, delimiter, table, options)
        with open_table(path) as read:
            rows = list(read.rows)
            assert read.detected["delimiter"] == delimiter
            assert read.header == tuple(table[0])
    assert rows == [Row(number, tuple(values)) for number, values in enumerate(table[1:], start=2)]


@SETTINGS
@given(csv_tables(any_delimiter_in_values=True))
def test_csv_round_trip_with_given_delimiter_and_any_delimiters_in_values(case) -> None:
    encoding, delimiter, table, options = case
    _assume_unambiguous(encoding, table, options)
    with tempfile.TemporaryDirectory() as tmp:
        path = _write_csv(Path(tmp), encoding, delimiter, table, options)
        with open_table(path, ReadOptions(delimiter=delimiter)) as read:
            rows = list(read.rows)
            assert read.header == tuple(table[0])
    assert rows == [Row(number, tuple(values)) for number, values in enumerate(table[1:], start=2)]


# What openpyxl can store as a cell, and the text a reader must give back for it. Not
# generated: "\r" (XML turns a stored one into "\n"), strings starting with "=" (openpyxl
# writes them as formulas), and whitespace-only strings (openpyxl omits xml:space="preserve"
# for them, so a conforming XML reader such as calamine sees an empty cell).
XLSX_TEXT = st.text(PLAIN + ACCENTS + OTHERS_FOR_UTF + "\n\t,;|", max_size=12).filter(
    lambda s: not s.startswith("=") and (s.strip() or not s)
)
XLSX_CELLS = st.one_of(
    XLSX_TEXT.map(lambda s: (s, s)),
    st.from_regex(r"\A0[0-9]{1,11}\Z").map(lambda s: (s, s)),
    st.integers(-(2**53), 2**53).map(lambda i: (i, str(i))),
    st.integers(-10**6, 10**6).filter(lambda i: i % 100).map(lambda i: (i / 100, repr(i / 100))),
    st.booleans().map(lambda b: (b, "TRUE" if b else "FALSE")),
    st.dates(dt.date(1900, 3, 1), dt.date(2200, 1, 1)).map(lambda d: (d, d.isoformat())),
    st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2200, 1, 1)).map(
        lambda d: (d.replace(microsecond=0), d.replace(microsecond=0).isoformat().removesuffix("T00:00:00"))
    ),
)


@st.composite
def xlsx_tables(draw: st.DrawFn) -> tuple[list[str], list[list[tuple[object, str]]], int]:
    width = draw(st.integers(1, 5))
    header = draw(st.lists(st.text(PLAIN[:6] + ACCENTS, min_size=1, max_size=8), min_size=width, max_size=width))
    rows = draw(
        st.lists(
            st.lists(XLSX_CELLS, min_size=width, max_size=width).filter(
                lambda row: "".join(text for _, text in row).strip()
            ),
            max_size=10,
        )
    )
    return header, rows, draw(st.integers(0, 3))


@SETTINGS
@given(xlsx_tables(), st.sampled_from(["stream", "calamine"]))
def test_xlsx_round_trip(case, engine: str) -> None:
    header, rows, title_rows = case
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Hoja1"
    for _ in range(title_rows):
        sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append([value for value, _ in row])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.xlsx"
        workbook.save(path)
        with open_xlsx(path, ReadOptions(), None, engine) as read:  # type: ignore[arg-type]
            got = list(read.rows)
            assert read.header == tuple(header)
            assert read.header_row == title_rows + 1
    expected = [
        Row(number, tuple(text for _, text in row))
        for number, row in enumerate(rows, start=title_rows + 2)
    ]
    assert got == expected
