"""CSV input that used to be read wrongly, or at unbounded cost (issue 17 items 1, 8, 9, 11):
each case is built here, read through the reader and, where it matters, through `etl import`
with the database read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from etl.errors import ReadError
from etl.readers import ReadOptions, Row, open_table
from etl.readers import csv_lines, csv_reader
from etl.readers.limits import MAX_COLUMNS, MAX_FIELD_CHARS
from tests.conftest import query


def read_all(path: Path, options: ReadOptions = ReadOptions()) -> tuple[tuple[str, ...], list[Row]]:
    with open_table(path, options) as table:
        return table.header, list(table.rows)


def write(tmp_path: Path, data: str | bytes, name: str = "pets.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def import_json(cli, db_url: str, *args: str) -> tuple[int, dict]:
    result = cli("import", "--db", db_url, "--json", *args)
    return result.exit_code, json.loads(result.stdout)


def test_a_stray_quote_no_longer_swallows_the_rest_of_the_file(cli, db_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, 'name,type,age\nTom,"cat,5\nLu,bird,1\nMax,dog,3\n')
    code, document = import_json(cli, db_url, "pets", str(path))
    assert code == 1
    [entry] = document["files"]
    assert entry["status"] == "rejected"
    assert entry["errors"] == [{
        "row": None, "column": None, "value": None,
        "message": "row 2: the file ends inside a quoted value that starts in this row: a closing quote is missing "
                   "(a stray quote?), or the file was cut off"}]
    assert query(db_url, "SELECT count(*) FROM pet") == [(0,)]


@pytest.mark.parametrize("data", [
    'name,type\nTom,"cat',  # cut off inside the last quoted value
    'name,type\nTom,cat\nLu,"bi\nrd',  # cut off inside a value spanning lines
])
def test_a_file_cut_off_inside_quotes_is_not_complete(tmp_path: Path, data: str) -> None:
    with pytest.raises(ReadError, match=r": row \d: the file ends inside a quoted value"):
        read_all(write(tmp_path, data))


def test_a_quote_closing_in_mid_value_is_refused_not_dropped(tmp_path: Path) -> None:
    """Lenient parsing read `"5" screen"` as `5 screen"`, silently losing a quote."""
    with pytest.raises(ReadError, match=r"row 3: a quote inside a quoted value must be written twice"):
        read_all(write(tmp_path, 'name,size\nTV,"42"\nMonitor,"5" screen"\n'))


def test_quotes_inside_unquoted_values_are_kept_as_written(tmp_path: Path) -> None:
    assert read_all(write(tmp_path, 'name,size\nTV,42"\nMonitor,5 "big" screen\n')) == (
        ("name", "size"), [Row(2, ("TV", '42"')), Row(3, ("Monitor", '5 "big" screen'))])


def test_values_far_over_the_old_128_kib_limit_import_exactly(cli, db_url: str, tmp_path: Path) -> None:
    if db_url.startswith("mysql"):
        pytest.skip("pet.name is VARCHAR(255) on MariaDB")
    long_name = "ñ" * 300_000 + "\nend"
    path = write(tmp_path, f'name,type,age\n"{long_name}",cat,3\n')
    code, document = import_json(cli, db_url, "pets", str(path))
    assert (code, document["files"][0]["status"]) == (0, "committed")
    assert query(db_url, "SELECT name, type, age FROM pet") == [(long_name, "cat", 3)]


def test_the_longest_value_read_and_one_character_more(tmp_path: Path) -> None:
    fits = write(tmp_path, f'a,b\n1,"{"x" * MAX_FIELD_CHARS}"\n', "fits.csv")
    header, rows = read_all(fits)
    assert [len(value) for value in rows[0].values] == [1, MAX_FIELD_CHARS]
    too_long = write(tmp_path, f'a,b\n1,2\n3,"{"x" * (MAX_FIELD_CHARS + 1)}"\n', "long.csv")
    with pytest.raises(ReadError, match=rf"row 3: a value longer than {MAX_FIELD_CHARS:,} characters"):
        read_all(too_long)


def test_a_line_without_end_is_refused_at_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_lines, "MAX_LINE_CHARS", 1000)
    monkeypatch.setattr(csv_lines, "READ_CHARS", 100)
    path = write(tmp_path, "a,b\n1,2\n" + "y" * 5000 + "\n3,4\n")
    with pytest.raises(ReadError, match="row 3: a line of more than 1,000 characters"):
        read_all(path)


def test_a_200_mb_line_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "one-line.csv"
    with path.open("w", encoding="ascii") as handle:
        handle.write("a,b\n")
        for _ in range(200):
            handle.write("z" * (1 << 20))
    with pytest.raises(ReadError, match="row 2: a line of more than"):
        read_all(path)


def test_three_million_header_cells_are_one_error(cli, sqlite_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, ",".join(f"c{i}" for i in range(3_000_001)) + "\n")
    code, document = import_json(cli, sqlite_url, "pets", str(path))
    assert code == 1
    assert document["files"][0]["errors"] == [{
        "row": None, "column": None, "value": None,
        "message": f"row 1: more than {MAX_COLUMNS:,} columns, the most a spreadsheet has "
                   "(is the delimiter right? try --delimiter)"}]


def test_a_quoted_value_full_of_delimiters_is_not_taken_for_columns(tmp_path: Path) -> None:
    values = ",".join(["7"] * (MAX_COLUMNS + 10))
    header, rows = read_all(write(tmp_path, f'name,numbers\nTom,"{values}"\nLu,"x\n{values}"\n'))
    assert rows == [Row(2, ("Tom", values)), Row(3, ("Lu", f"x\n{values}"))]


def test_a_row_over_the_column_limit_spread_over_lines_is_refused(tmp_path: Path) -> None:
    cells = ",".join(["1"] * (MAX_COLUMNS // 2))
    with pytest.raises(ReadError, match=r"row 3: more than 16,384 columns"):
        read_all(write(tmp_path, f'a,b\n"x\ny",{cells}\n,{cells},"\n",{cells}\n'))


def test_unknown_header_cells_are_capped_in_the_report(cli, sqlite_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, "name,type," + ",".join(f"extra{i}" for i in range(5_000)) + "\nTom,cat\n")
    code, document = import_json(cli, sqlite_url, "pets", str(path))
    errors = document["files"][0]["errors"]
    assert code == 1
    assert [e["column"] for e in errors[:20]] == [f"extra{i}" for i in range(20)]
    assert errors[20:] == [{"row": 1, "column": None, "value": None, "message": "and 4,980 more unknown columns"}]


def test_data_under_a_blank_header_cell_is_reported(cli, db_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, "name,,type\nTom,,cat\nLu,note,bird\n")
    code, document = import_json(cli, db_url, "pets", str(path))
    assert code == 1
    assert document["files"][0]["errors"] == [{
        "row": 3, "column": None, "value": "note",
        "message": "a value under a blank header cell (column 2): name the column in the header row, "
                   "or remove the value"}]
    assert query(db_url, "SELECT count(*) FROM pet") == [(0,)]


def test_a_blank_spacer_column_is_fine(cli, sqlite_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, "name,,type\nTom,,cat\nLu, ,bird\n")
    code, document = import_json(cli, sqlite_url, "pets", str(path))
    assert (code, document["files"][0]["status"]) == (0, "committed")


def test_header_cells_are_printed_on_one_line_without_raw_controls(cli, sqlite_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, 'name,type,"bad\r\nhead\x1b[31m"\nTom,cat,1\n')
    result = cli("import", "--db", sqlite_url, "pets", str(path))
    assert result.exit_code == 1
    output = result.stdout + result.stderr
    assert "\x1b" not in output and "\r" not in output
    [line] = [line for line in output.splitlines() if "unknown column" in line]
    assert "bad\\r\\nhead\\x1b[31m" in line


def test_lines_are_cut_where_open_newline_cuts_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces of 7 characters put a piece boundary inside CR LF and inside values; form feed
    and other `str.splitlines` breaks stay inside values."""
    monkeypatch.setattr(csv_lines, "READ_CHARS", 7)
    monkeypatch.setattr(csv_reader, "BLOCK_RECORDS", 3)
    data = 'a,b\r\n1,"x\r\ny"\r2,page\x0cbreak\n\n3,\u2028sep\x85\r\n4,"\r"\r\n5,end'
    assert read_all(write(tmp_path, data)) == (("a", "b"), [
        Row(2, ("1", "x\r\ny")), Row(3, ("2", "page\x0cbreak")), Row(5, ("3", "\u2028sep\x85")),
        Row(6, ("4", "\r")), Row(7, ("5", "end"))])
