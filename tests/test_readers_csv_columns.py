"""The CSV hot path (etl/readers/csv_columns.py) reads exactly what the exact reader reads:
the same rows with the same numbers, the same error at the same row, for any bytes — it only
ever takes plainly simple blocks and hands the rest of the file to the exact reader."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.errors import EtlError
from etl.readers import ReadOptions, open_table
from etl.readers import csv_columns, csv_reader
from etl.readers.base import ColumnChunk

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                            HealthCheck.function_scoped_fixture])


def _outcome(path: Path, exact: bool, chunk_size: int | None, monkeypatch: pytest.MonkeyPatch) -> tuple:
    """(header, rows read (chunk by chunk when chunk_size is given), the error or None)."""
    with monkeypatch.context() as patch:
        if exact:
            patch.setattr(csv_reader, "_plain_data_offset", lambda *args: None)
        rows: list = []
        header = None
        try:
            with open_table(path, ReadOptions()) as table:
                header = table.header
                source: Iterator = table.rows if chunk_size is None else table.chunks(chunk_size)
                for item in source:
                    rows.extend([item] if chunk_size is None else list(item))
        except EtlError as err:
            return header, rows, str(err)
        return header, rows, None


def _same_as_exact(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple:
    exact = _outcome(path, True, None, monkeypatch)
    assert _outcome(path, False, None, monkeypatch) == exact
    for size in (1, 3, 10_000):
        assert _outcome(path, False, size, monkeypatch) == _outcome(path, True, size, monkeypatch)
    return exact


def _uses_plain_blocks(path: Path) -> bool:
    with open_table(path, ReadOptions()) as table:
        return any(type(chunk) is ColumnChunk for chunk in table.chunks(5))


CELL_BYTES = [b"a", b"B", b"7", b"0", b" ", b"\t", b"\xc3\xb1", b"\xc2\xa0", b"\xe2\x80\x83", b"\xe2\x80\x9c",
              b'"', b"\r", b"\x00", b"\x0b", b"\x1c", b"\xff", b"\xc3", b"\xef\xbb\xbf", b";"]
LINE_ENDS = [b"\n", b"\r\n", b"\r", b"\n\n", b"\r\n\r\n", b" \n", b",\n", b",,\n", b"\t\n"]


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    width = draw(st.integers(1, 4))
    header = ",".join(f"c{i}" for i in range(width)).encode()
    lines = []
    for _ in range(draw(st.integers(0, 30))):
        cells = draw(st.integers(max(1, width - 1), width + 1))
        values = [b"".join(draw(st.lists(st.sampled_from(CELL_BYTES), max_size=4))) for _ in range(cells)]
        lines.append(b",".join(values) + draw(st.sampled_from(LINE_ENDS)))
    plain_row = ",".join("x" for _ in range(width)).encode() + b"\n"
    body = b"".join(lines)
    if draw(st.booleans()):
        body = plain_row * draw(st.integers(0, 40)) + body
    if draw(st.booleans()) and body.endswith(b"\n"):
        body = body[:-1]  # no line end after the last line
    return header + b"\n" + body


@SETTINGS
@given(content=csv_bytes(), block=st.sampled_from([16, 64, 1 << 18]))
def test_any_bytes_read_the_same_as_the_exact_reader(content: bytes, block: int, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "any.csv"
    path.write_bytes(content)
    monkeypatch.setattr(csv_columns, "BLOCK_BYTES", block)
    _same_as_exact(path, monkeypatch)


@pytest.mark.parametrize("body", [
    b"1,Luna,dog\n2,Toby,cat\n",
    b"1,Luna,dog\r\n2,Toby,cat\r\n",
    b"1,Luna,dog\n\n\n2,Toby,cat\n",
    b"1,Luna,dog\n , \t,\n2,Toby,cat\n",
    b"1,Luna,dog\n,,\n2,Toby,cat\n,,,,\n3,Coco,fish",
    b"1, Luna ,dog\n2,\tToby\t,cat\n",
    b"1,Luna,dog\n2,\"Toby, the cat\",cat\n3,Coco,fish\n",
    b"1,Luna,dog\n2,\"Toby\nthe cat\",cat\n3,Coco,fish\n",
    b"1,Luna,dog\n2,To\"by,cat\n",
    b"1,Luna,dog\r2,Toby,cat\r",
    b"1,Lu\xc2\xa0na,dog\n2,Toby,cat\n",
    b"1,Lu\xe2\x80\x83na,dog\n2,Toby,cat\n",
    b"1,Lu\xe2\x80\x9cna\xe2\x80\x9d,dog\n2,\xc3\x91and\xc3\xba,bird\n",
    b"1,Luna,dog\n2,Jos\xe9,cat\n",
    b"1,Luna,dog\n2,To\x00by,cat\n",
    b"1,Luna\x1c,dog\n2,Toby,cat\n",
    b"1,Luna,dog\n2,Toby\n3,Coco,fish,\n4,Kira,cat,extra\n",
    b"1,Luna,dog,\n2,Toby,cat,,\n",
])
@pytest.mark.parametrize("block", [8, 1 << 18])
def test_each_kind_of_line_reads_the_same_as_the_exact_reader(body: bytes, block: int, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "pets.csv"
    path.write_bytes(b"id,name,type\n" + body)
    monkeypatch.setattr(csv_columns, "BLOCK_BYTES", block)
    _same_as_exact(path, monkeypatch)


def test_a_plain_file_is_read_in_column_chunks_with_the_numbers_of_its_lines(tmp_path: Path) -> None:
    path = tmp_path / "pets.csv"
    path.write_bytes("Mascotas 2024\n\nid;name;type\n1;Luna;dog\n\n2; Ñandú ;bird\n;;\n3;Coco;fish\n".encode())
    with open_table(path, ReadOptions(header_row=3)) as table:
        chunks = list(table.chunks(2))
    assert table.header == ("id", "name", "type")
    assert [type(chunk) for chunk in chunks] == [ColumnChunk, ColumnChunk]
    assert [tuple(row) for chunk in chunks for row in chunk] == [
        (4, ("1", "Luna", "dog")), (6, ("2", " Ñandú ", "bird")), (8, ("3", "Coco", "fish"))]


def test_a_quote_hands_the_rest_of_the_file_to_the_exact_reader(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_columns, "BLOCK_BYTES", 64)
    lines = [f"{i},Luna {i},dog\n".encode() for i in range(1, 40)]
    lines[30] = b'31,"Luna\n31",dog\n'
    path = tmp_path / "pets.csv"
    path.write_bytes(b"id,name,type\n" + b"".join(lines))
    header, rows, error = _same_as_exact(path, monkeypatch)
    assert error is None and rows[30].values == ("31", "Luna\n31", "dog") and rows[31].number == 33
    assert _uses_plain_blocks(path)


def test_quoted_headers_and_other_encodings_take_the_exact_reader(tmp_path: Path) -> None:
    quoted = tmp_path / "quoted.csv"
    quoted.write_bytes(b'"id","name","type"\n1,Luna,dog\n')
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,name,type\n1,Ñandú,bird\n".encode("cp1252"))
    assert not _uses_plain_blocks(quoted) and not _uses_plain_blocks(latin)


def test_the_whitespace_it_watches_for_is_every_whitespace_python_strips() -> None:
    every = [char.encode() for char in map(chr, range(0x80, sys.maxunicode + 1)) if char.isspace()]
    assert list(csv_columns._OTHER_SPACES) == every
