"""Times and dates kept exactly on every database (issue 17): microseconds in the tables etl
creates, no fraction of a second cut by a column that keeps fewer, MariaDB TIME durations
exported and compared as the durations they are; the database read back with the driver's
own values (`query` goes through no SQLAlchemy type)."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from tests.conftest import execute, query

EVENTS = """name = "events"
table = "events"
key = ["n"]
create = true

[[columns]]
name = "n"
type = "integer"

[[columns]]
name = "tm"
type = "time"

[[columns]]
name = "at"
type = "datetime"
"""


def kind_of(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "mariadb" if url.startswith("mysql") else "sqlite"


def pipelines(folder: Path, text: str = EVENTS) -> Path:
    folder.mkdir()
    (folder / "events.toml").write_text(text, encoding="utf-8")
    return folder


def counts(stdout: str) -> tuple[int, int, int, int]:
    report = json.loads(stdout)["files"][0]
    return report["inserted"], report["updated"], report["unchanged"], report["rejected"]


def as_time(value: object) -> object:
    """A TIME as the driver gives it (PyMySQL: a timedelta; SQLite: text) as a time of day."""
    if isinstance(value, timedelta):
        return (datetime.min + value).time()
    return time.fromisoformat(value) if isinstance(value, str) else value


def as_datetime(value: object) -> object:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def test_a_created_table_keeps_microseconds_and_imports_back_unchanged(cli, db_url: str, tmp_path: Path) -> None:
    """MariaDB's bare TIME and DATETIME keep whole seconds: a table etl creates there has
    TIME(6)/DATETIME(6), so nothing is cut and the same file again is all `unchanged`."""
    folder = pipelines(tmp_path / "pipelines")
    data = tmp_path / "events.csv"
    data.write_text("n,tm,at\n1,08:30:00.123456,2024-12-31 08:30:00.123456\n2,23:59:59,2024-01-01 00:00:00\n",
                    encoding="utf-8")
    first = cli("import", "--db", db_url, "--pipelines-dir", str(folder), "--json", "events", str(data))
    assert counts(first.stdout) == (2, 0, 0, 0), first.stdout
    stored = [(n, as_time(tm), as_datetime(at)) for n, tm, at in query(db_url, "SELECT n, tm, at FROM events ORDER BY n")]
    assert stored == [(1, time(8, 30, 0, 123456), datetime(2024, 12, 31, 8, 30, 0, 123456)),
                      (2, time(23, 59, 59), datetime(2024, 1, 1))]
    again = cli("import", "--db", db_url, "--pipelines-dir", str(folder), "--json", "--force", "events", str(data))
    assert counts(again.stdout) == (0, 0, 2, 0), again.stdout
    for fmt in ("csv", "xlsx"):
        output = tmp_path / f"events.{fmt}"
        assert cli("export", "--db", db_url, "--pipelines-dir", str(folder), "events", str(output)).exit_code == 0
        back = cli("import", "--db", db_url, "--pipelines-dir", str(folder), "--json", "events", str(output))
        assert counts(back.stdout) == (0, 0, 2, 0), (fmt, back.stdout)


SHORT_COLUMNS = {
    "mariadb": "id INTEGER AUTO_INCREMENT PRIMARY KEY, n INTEGER, tm TIME, at DATETIME(3)",
    "postgresql": "id SERIAL PRIMARY KEY, n INTEGER, tm TIME(0), at TIMESTAMP(3)",
}


@pytest.mark.parametrize("server", ["mariadb", "postgresql"])
def test_a_column_keeping_fewer_digits_of_a_second_refuses_a_finer_value(
    cli, db_url: str, tmp_path: Path, server: str
) -> None:
    """A TIME (whole seconds) or DATETIME(3) column would cut (MariaDB) or round
    (PostgreSQL) a finer value without a word: that value is a row error; one that fits
    imports and imports again as `unchanged`."""
    if kind_of(db_url) != server:
        pytest.skip(f"{server} only")
    execute(db_url, f"CREATE TABLE events ({SHORT_COLUMNS[server]})")
    folder = pipelines(tmp_path / "pipelines", EVENTS.replace("create = true\n", ""))
    fine = tmp_path / "fine.csv"
    fine.write_text("n,tm,at\n1,08:30:00.500000,2024-12-31 08:30:00.1234\n2,08:30:01,2024-12-31 08:30:00.123\n",
                    encoding="utf-8")
    done = cli("import", "--db", db_url, "--pipelines-dir", str(folder), "--json", "events", str(fine))
    assert done.exit_code == 1
    errors = [(e["row"], e["column"], e["message"]) for e in json.loads(done.stdout)["files"][0]["errors"]]
    assert errors == [
        (2, "tm", "the column keeps whole seconds; the database would cut this value's fraction of a second (.500000)"),
        (2, "at", "the column keeps 3 digits of a second; the database would cut this value's fraction of a second "
                  "(.123400)")]
    fitting = tmp_path / "fitting.csv"
    fitting.write_text("n,tm,at\n2,08:30:01,2024-12-31 08:30:00.123\n", encoding="utf-8")
    assert counts(cli("import", "--db", db_url, "--pipelines-dir", str(folder), "--json", "events",
                      str(fitting)).stdout) == (1, 0, 0, 0)
    assert counts(cli("import", "--db", db_url, "--pipelines-dir", str(folder), "--json", "--force", "events",
                      str(fitting)).stdout) == (0, 0, 1, 0)


def test_a_mariadb_time_outside_one_day_is_exported_and_compared_as_its_duration(
    cli, db_url: str, tmp_path: Path
) -> None:
    """MariaDB's TIME holds durations; SQLAlchemy's TIME would read -838:59:59 as 01:00:01.
    The export shows the duration, and a file saying 01:00:01 updates the row."""
    if kind_of(db_url) != "mariadb":
        pytest.skip("MariaDB only")
    execute(db_url, "CREATE TABLE spans (id INTEGER AUTO_INCREMENT PRIMARY KEY, n INTEGER UNIQUE, tm TIME(6))",
            "INSERT INTO spans (n, tm) VALUES (1, '08:30:00.123456'), (2, '-838:59:59'), (3, '25:00:00.000001')")
    output = tmp_path / "spans.csv"
    assert cli("export", "--db", db_url, "spans", str(output)).exit_code == 0
    assert output.read_text(encoding="utf-8").splitlines()[1:] == [
        "1,1,08:30:00.123456", "2,2,-P34DT22H59M59S", "3,3,P1DT1H0.000001S"]
    wrapped = tmp_path / "wrapped.csv"
    wrapped.write_text("n,tm\n1,08:30:00.123456\n2,01:00:01\n3,01:00:00.000001\n", encoding="utf-8")
    done = cli("import", "--db", db_url, "--table", "spans", "--json", str(wrapped))
    assert counts(done.stdout) == (0, 2, 1, 0), done.stdout
    assert query(db_url, "SELECT tm FROM spans ORDER BY n") == [
        (timedelta(hours=8, minutes=30, microseconds=123456),), (timedelta(hours=1, seconds=1),),
        (timedelta(hours=1, microseconds=1),)]
    back = cli("import", "--db", db_url, "--table", "spans", "--json", str(output))  # a duration is no time of day
    assert back.exit_code == 1
    errors = json.loads(back.stdout)["files"][0]["errors"]
    assert [(e["row"], e["column"], e["message"].split(";")[0]) for e in errors] == [
        (3, "tm", "not a time of day"), (4, "tm", "not a time of day")]


def test_postgresql_infinity_dates_export_and_import_back_exactly(cli, db_url: str, tmp_path: Path) -> None:
    """`infinity`/`-infinity` dates and timestamps (no Python date holds them) export as those
    words and import back `unchanged`; a file's own infinities are inserted (through the
    binary COPY's table too) and updated to, exactly."""
    if kind_of(db_url) != "postgresql":
        pytest.skip("PostgreSQL only")
    execute(db_url, "CREATE TABLE dated (id SERIAL PRIMARY KEY, n INTEGER UNIQUE, d DATE)",
            "CREATE TABLE stamped (id SERIAL PRIMARY KEY, n INTEGER UNIQUE, ts TIMESTAMP, tz TIMESTAMPTZ)",
            "INSERT INTO dated (n, d) VALUES (1, 'infinity'), (2, '-infinity'), (3, '2024-01-31')",
            "INSERT INTO stamped (n, ts, tz) VALUES (1, '-infinity', 'infinity'), (2, '2024-01-31 08:30', NULL)")
    for table in ("dated", "stamped"):
        for fmt in ("csv", "xlsx", "jsonl"):
            output = tmp_path / f"{table}.{fmt}"
            assert cli("export", "--db", db_url, table, str(output)).exit_code == 0
            if fmt == "jsonl":
                continue
            back = cli("import", "--db", db_url, "--table", table, "--json", str(output))
            assert back.exit_code == 0, back.stdout
            assert counts(back.stdout)[:3] == (0, 0, 3 if table == "dated" else 2), (table, fmt, back.stdout)
    assert (tmp_path / "dated.csv").read_text(encoding="utf-8").splitlines()[1:3] == ["1,1,infinity", "2,2,-infinity"]
    assert json.loads((tmp_path / "stamped.jsonl").read_text(encoding="utf-8").splitlines()[0])["ts"] == "-infinity"
    new = tmp_path / "new.csv"
    new.write_text("n,d\n4,Infinity\n5,2024-02-01\n1,-infinity\n", encoding="utf-8")
    done = cli("import", "--db", db_url, "--table", "dated", "--json", str(new))
    assert counts(done.stdout) == (2, 1, 0, 0), done.stdout
    assert query(db_url, "SELECT n, d::text FROM dated ORDER BY n") == [
        (1, "-infinity"), (2, "-infinity"), (3, "2024-01-31"), (4, "infinity"), (5, "2024-02-01")]
    stamps = tmp_path / "stamps.csv"
    stamps.write_text("n,ts,tz\n2,infinity,-infinity\n3,+infinity,2024-01-31 08:30:00+00:00\n", encoding="utf-8")
    assert counts(cli("import", "--db", db_url, "--table", "stamped", "--json", str(stamps)).stdout) == (1, 1, 0, 0)
    assert query(db_url, "SELECT n, ts::text, tz::text FROM stamped ORDER BY n") == [
        (1, "-infinity", "infinity"), (2, "infinity", "-infinity"), (3, "infinity", "2024-01-31 08:30:00+00")]


def test_an_infinity_date_is_a_row_error_where_the_database_has_none(cli, db_url: str, tmp_path: Path) -> None:
    if kind_of(db_url) == "postgresql":
        pytest.skip("PostgreSQL has them")
    folder = pipelines(tmp_path / "pipelines", EVENTS.replace('type = "time"', 'type = "date"'))
    data = tmp_path / "events.csv"
    data.write_text("n,tm,at\n1,infinity,-Infinity\n2,2024-01-31,2024-01-31 08:30:00\n", encoding="utf-8")
    done = cli("import", "--db", db_url, "--pipelines-dir", str(folder), "--json", "events", str(data))
    assert done.exit_code == 1
    name = "MariaDB" if kind_of(db_url) == "mariadb" else "SQLite"
    assert [(e["row"], e["column"], e["message"]) for e in json.loads(done.stdout)["files"][0]["errors"]] == [
        (2, "tm", f"only PostgreSQL has a date at infinity; {name} cannot store it"),
        (2, "at", f"only PostgreSQL has a date at -infinity; {name} cannot store it")]
