"""Exports of unusual values: never a crash, never a cut or a Python repr, the same exact text
in CSV, JSON Lines and XLSX text cells, on every database where the type exists."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.conftest import execute

FORMATS = ("csv", "jsonl", "xlsx")


def export_table(cli: Any, url: str, table: str, output: Path, *args: str) -> Any:
    return cli("export", "--db", url, table, str(output), "--order-by", "id", *args)


def read_rows(path: Path) -> list[list[Any]]:
    """The data rows of an export: CSV text, strict JSON values, XLSX cell values."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.reader(handle))[1:]
    if path.suffix == ".jsonl":
        def refuse(constant: str) -> None:
            raise AssertionError(f"{constant} is not JSON")

        return [list(json.loads(line, parse_constant=refuse).values())
                for line in path.read_text(encoding="utf-8").splitlines()]
    sheet = openpyxl.load_workbook(path).worksheets[0]
    return [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]


def exported(cli: Any, url: str, table: str, tmp_path: Path, fmt: str) -> list[list[Any]]:
    output = tmp_path / f"{table}.{fmt}"
    result = export_table(cli, url, table, output)
    assert result.exit_code == 0, result.output
    return read_rows(output)


def test_text_longer_than_an_excel_cell_is_refused_never_cut(cli, db_url: str, tmp_path: Path) -> None:
    long_text = "x" * 39_999 + "é"
    execute(db_url, "CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)",
            f"INSERT INTO note (id, body) VALUES (1, 'short'), (2, '{long_text}')")
    output = tmp_path / "note.xlsx"
    result = export_table(cli, db_url, "note", output)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [
        "etl: error: sheet 'note', cell B3: text of 40,000 characters is longer than an Excel cell "
        "holds (32,767); export to .csv or .jsonl to keep it whole"
    ]
    assert not output.exists()
    for fmt in ("csv", "jsonl"):
        assert exported(cli, db_url, "note", tmp_path, fmt) == [["1", "short"], ["2", long_text]] if fmt == "csv" \
            else [[1, "short"], [2, long_text]]


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.parametrize("fmt", FORMATS)
def test_nan_and_infinities_are_spelled_out(cli, db_url: str, tmp_path: Path, fmt: str) -> None:
    if db_url.startswith("sqlite"):  # SQLite stores NaN as NULL: only the infinities exist
        execute(db_url, "CREATE TABLE m (id INTEGER PRIMARY KEY, x REAL, d REAL)",
                "INSERT INTO m VALUES (1, 9e999, 0.5), (2, -9e999, 9e999), (3, 0.1, 1.5)")
        expected = [["Infinity", 0.5], ["-Infinity", "Infinity"], [0.1, 1.5]]
    else:
        execute(db_url, "CREATE TABLE m (id INTEGER PRIMARY KEY, x FLOAT8, d NUMERIC)",
                "INSERT INTO m VALUES (1, 'Infinity', 'NaN'), (2, '-Infinity', 'Infinity'), (3, 0.1, 1.5),"
                " (4, 'NaN', '-Infinity')")
        expected = [["Infinity", "NaN"], ["-Infinity", "Infinity"], [0.1, 1.5], ["NaN", "-Infinity"]]
    if fmt == "csv":
        expected = [[str(value) for value in row] for row in expected]
    assert [row[1:] for row in exported(cli, db_url, "m", tmp_path, fmt)] == expected


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_types_in_every_format(cli, db_url: str, tmp_path: Path) -> None:
    execute(
        db_url,
        "CREATE TABLE odd (id INTEGER PRIMARY KEY, span INTERVAL, at TIMETZ, raw BYTEA, doc JSONB,"
        " tags INTEGER[], yes BOOLEAN, big NUMERIC)",
        "INSERT INTO odd VALUES"
        " (1, '1 year 2 mons 3 days 04:05:06.5', '12:30:00+02', '\\x00ff', '{\"a\": [1, \"x\"]}',"
        "  '{1,NULL,3}', true, 12345678901234567890.123456789),"
        " (2, '-1 day', '00:00:00-03:30', '', 'null', '{}', false, 0.5),"
        " (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
    )
    text = [
        ["P1Y2M3DT4H5M6.5S", "12:30:00+02:00", "00ff", '{"a": [1, "x"]}', "[1, null, 3]", "true",
         "12345678901234567890.123456789"],
        ["P-1D", "00:00:00-03:30", "", "null", "[]", "false", "0.5"],
        ["", "", "", "", "", "", ""],
    ]
    assert [row[1:] for row in exported(cli, db_url, "odd", tmp_path, "csv")] == text
    jsonl = [row[1:] for row in exported(cli, db_url, "odd", tmp_path, "jsonl")]
    assert jsonl[0][:4] == text[0][:4] and jsonl[0][4:6] == [[1, None, 3], True]
    assert '"big": 12345678901234567890.123456789' in (tmp_path / "odd.jsonl").read_text().splitlines()[0]
    assert jsonl[1] == ["P-1D", "00:00:00-03:30", "", "null", [], False, 0.5]
    assert jsonl[2] == [None] * 7  # SQL NULL, distinct from the document `null` above
    xlsx = [row[1:] for row in exported(cli, db_url, "odd", tmp_path, "xlsx")]
    assert xlsx[0] == [*text[0][:5], True, text[0][6]]
    assert xlsx[1] == [*text[1][:5], False, 0.5]
    assert xlsx[2] == [None] * 7


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_year_one_and_infinity_export_in_any_session_time_zone(
    cli, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    execute(db_url, "CREATE TABLE t (id INTEGER PRIMARY KEY, at TIMESTAMPTZ, day DATE, local TIMESTAMP)",
            "INSERT INTO t VALUES (1, '0001-01-01 00:00:00+00', '0001-01-01', '0001-01-01 00:00:00'),"
            " (2, 'infinity', 'infinity', '-infinity'), (3, '-infinity', '0044-03-15 BC', '10000-01-01')")
    monkeypatch.setenv("PGTZ", "America/New_York")  # year 1 UTC is year 0 BC there
    assert [row[1:] for row in exported(cli, db_url, "t", tmp_path, "csv")] == [
        ["0001-01-01 00:00:00+00:00", "0001-01-01", "0001-01-01 00:00:00"],
        ["infinity", "infinity", "-infinity"],
        ["-infinity", "0044-03-15 BC", "10000-01-01 00:00:00"],
    ]
    assert [row[1:] for row in exported(cli, db_url, "t", tmp_path, "xlsx")][1] == ["infinity"] * 2 + ["-infinity"]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("fmt", FORMATS)
def test_timestamptz_keeps_its_instant(cli, db_url: str, tmp_path: Path, fmt: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The two 01:30s of New York's 2024 fall-back, and microseconds, stay exact."""
    execute(db_url, "CREATE TABLE t (id INTEGER PRIMARY KEY, at TIMESTAMPTZ)",
            "INSERT INTO t VALUES (1, '2024-11-03 01:30:00.123456-04'), (2, '2024-11-03 01:30:00.123456-05')")
    monkeypatch.setenv("PGTZ", "America/New_York")
    cells = [row[1] for row in exported(cli, db_url, "t", tmp_path, fmt)]
    first = datetime(2024, 11, 3, 5, 30, 0, 123456, tzinfo=timezone.utc)
    assert [datetime.fromisoformat(cell) for cell in cells] == [first, first + timedelta(hours=1)]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("fmt", FORMATS)
def test_sqlite_date_column_holding_text_exports_the_text(cli, db_url: str, tmp_path: Path, fmt: str) -> None:
    execute(db_url, "CREATE TABLE d (id INTEGER PRIMARY KEY, day DATE, at DATETIME)",
            "INSERT INTO d VALUES (1, '2024-12-31', '2024-12-31 08:30:00.000000'), (2, '31/12/2024', 'soon'),"
            " (3, 20241231, NULL)")
    rows = [row[1:] for row in exported(cli, db_url, "d", tmp_path, fmt)]
    if fmt == "xlsx":
        assert rows == [[datetime(2024, 12, 31), datetime(2024, 12, 31, 8, 30)], ["31/12/2024", "soon"],
                        [20241231, None]]
    else:
        first = ["2024-12-31", "2024-12-31 08:30:00" if fmt == "csv" else "2024-12-31T08:30:00"]
        assert rows == [first, ["31/12/2024", "soon"], ["20241231", ""] if fmt == "csv" else [20241231, None]]


def test_bytes_and_booleans_have_one_exact_text(cli, db_url: str, tmp_path: Path) -> None:
    blob = "BYTEA" if db_url.startswith("postgresql") else "BLOB"
    literal = "'\\x00ff'" if db_url.startswith("postgresql") else "X'00FF'"
    execute(db_url, f"CREATE TABLE b (id INTEGER PRIMARY KEY, raw {blob}, ok BOOLEAN)",
            f"INSERT INTO b VALUES (1, {literal}, TRUE), (2, NULL, FALSE)")
    rows = [row[1:] for row in exported(cli, db_url, "b", tmp_path, "csv")]
    # MariaDB's BOOLEAN is TINYINT(1): its values are the numbers 1 and 0, which import as yes/no.
    yes, no = ("1", "0") if db_url.startswith("mysql") else ("true", "false")
    assert rows == [["00ff", yes], ["", no]]
