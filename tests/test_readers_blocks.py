"""The CSV reader reads records a block at a time (etl.readers.csv_reader.BLOCK_RECORDS):
rows, row numbers and failures must be exactly those of reading one record at a time,
wherever the block boundaries fall."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.errors import ReadError
from etl.readers import Row, open_table
from etl.readers import csv_reader

CELLS = st.sampled_from(["", " ", "x", "Ana", "a b", "1,5", 'say "hi"', "two\nlines", "ñ"])
RECORDS = st.lists(
    st.one_of(
        st.lists(CELLS, min_size=1, max_size=6),
        st.just([]),  # an empty line
        st.just(["  ", ""]),  # a whitespace-only record
    ),
    max_size=40,
)


@pytest.fixture(params=[1, 2, 3, 4096], ids=lambda size: f"block{size}")
def block_records(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Small blocks put boundaries everywhere; 4096 is the real size."""
    monkeypatch.setattr(csv_reader, "BLOCK_RECORDS", request.param)
    return request.param


def write(tmp_path: Path, data: str | bytes) -> Path:
    path = tmp_path / "data.csv"
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def one_record_at_a_time(text: str) -> tuple[tuple[str, ...], list[Row]]:
    """The reader's rules spelled out record by record: blank records skipped but counted,
    the header's trailing empty cells dropped, data rows' empty cells past the header dropped."""
    numbered = [
        (number, values)
        for number, values in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
        if "".join(values).strip()
    ]
    (_header_number, header), rest = numbered[0], numbered[1:]
    while header and not header[-1].strip():
        header = header[:-1]
    width = len(header)
    rows = []
    for number, values in rest:
        if len(values) > width and not values[-1]:
            while len(values) > width and not values[-1]:
                values = values[:-1]
        rows.append(Row(number, tuple(values)))
    return tuple(header), rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=RECORDS)
def test_blocks_give_the_rows_of_reading_record_by_record(block_records: int, records: list[list[str]]) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows([["id", "name", "note"], *records])
    text = buffer.getvalue()
    with tempfile.TemporaryDirectory() as tmp:
        with open_table(write(Path(tmp), text)) as table:
            got = table.header, list(table.rows)
    assert got == one_record_at_a_time(text)


@pytest.mark.parametrize("bad_row", [51, 52, 53, 57, 90])  # past the 50 rows the header search reads
@pytest.mark.parametrize(("bad", "reason"), [("\x00", "contains a NUL byte"), (b"\xff", "is not valid UTF-8")])
def test_rows_before_bad_text_are_read_then_the_exact_row_is_named(
    tmp_path: Path, block_records: int, bad_row: int, bad: str | bytes, reason: str
) -> None:
    lines = [b"a,b"] + [f"{n},x".encode() for n in range(2, 101)]
    lines[bad_row - 1] = b"1," + (bad.encode() if isinstance(bad, str) else bad)
    path = write(tmp_path, b"\n".join(lines) + b"\n")
    read: list[Row] = []
    with open_table(path, csv_reader.ReadOptions(encoding="utf-8")) as table:
        with pytest.raises(ReadError) as err:
            read.extend(table.rows)
    assert [row.number for row in read] == list(range(2, bad_row))
    assert str(err.value).startswith(f"{path}: row {bad_row}: ")
    assert reason in str(err.value)


def test_rows_before_malformed_csv_are_read_then_its_row_is_named(tmp_path: Path, block_records: int) -> None:
    good = "".join(f"{n},x\n" if n % 7 else "\n" for n in range(2, 61))
    path = write(tmp_path, "a,b\n" + good + '61,"6\n' + "x" * 140_000)
    read: list[Row] = []
    with open_table(path) as table:
        with pytest.raises(ReadError, match=r"row 61: the file ends inside a quoted value") as err:
            read.extend(table.rows)
    assert read == [Row(n, (str(n), "x")) for n in range(2, 61) if n % 7]
    assert str(err.value).startswith(f"{path}: ")


def test_header_row_option_with_blocks(tmp_path: Path, block_records: int) -> None:
    path = write(tmp_path, "title\n\nnote,\na,b,,\n1,2,,\n\n3,\n4,5,6\n")
    with open_table(path, csv_reader.ReadOptions(header_row=4)) as table:
        assert table.header == ("a", "b")
        assert list(table.rows) == [Row(5, ("1", "2")), Row(7, ("3", "")), Row(8, ("4", "5", "6"))]


def test_row_is_a_light_named_pair() -> None:
    row = Row(7, ("a", ""))
    assert (row.number, row.values) == (7, ("a", ""))
    assert row == Row(7, ("a", "")) and row != Row(8, ("a", ""))
    assert hash(row) == hash(Row(7, ("a", "")))
    with pytest.raises(AttributeError):
        row.number = 8  # type: ignore[misc]
