"""Exports are read-only twice over: the SQL check refuses writes up front, and the database's
read-only transaction refuses whatever gets past it. Both layers are tested on every database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from etl.db import make_engine
from etl.errors import ReadOnlyViolation, UsageError
from etl.query_guard import check_fragment, check_select

WRITES = [
    "DELETE FROM pet",
    "DROP TABLE pet",
    "UPDATE pet SET age = 99",
    "SELECT 1; DELETE FROM pet",
    "SELECT * FROM pet; DROP TABLE pet",
    "WITH gone AS (SELECT id FROM pet) DELETE FROM pet",
    "SELECT * INTO pet_copy FROM pet",
    "SELECT 1 /*!; DELETE FROM pet */",
    "SELECT 'x\\'; DELETE FROM pet; -- '",
    "CREATE TABLE evil (a INTEGER)",
    "PRAGMA query_only = OFF",
    "SELECT * FROM pet FOR UPDATE",
    "SELECT dblink_exec('dbname=test', 'DELETE FROM pet')",
]


def pet_state(url: str) -> tuple[list[str], list[tuple]]:
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, name, type, age FROM pet ORDER BY id")).all()
    tables = sorted(inspect(engine).get_table_names())
    engine.dispose()
    return tables, [tuple(row) for row in rows]


@pytest.mark.parametrize("sql", WRITES)
def test_sql_that_writes_is_refused_and_changes_nothing(cli, seeded: str, tmp_path: Path, sql: str) -> None:
    before = pet_state(seeded)
    output = tmp_path / "out.csv"
    result = cli("export", "--db", seeded, "--sql", sql, str(output))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("etl: error: --sql ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not output.exists()
    assert pet_state(seeded) == before


@pytest.mark.parametrize(
    ("option", "fragment"),
    [
        ("--where", "1=1; DELETE FROM pet"),
        ("--where", "age > 0) ; DROP TABLE pet; SELECT (1"),
        ("--order-by", "id; DELETE FROM pet"),
        ("--where", "id IN (SELECT id FROM pet) -- ; DELETE FROM pet"),
        ("--where", "1=1 UNION SELECT 1,2,3,4 INTO OUTFILE '/tmp/x'"),
    ],
)
def test_smuggled_fragments_are_refused(cli, seeded: str, option: str, fragment: str) -> None:
    before = pet_state(seeded)
    result = cli("export", "--db", seeded, "pets", "out.csv", option, fragment)
    assert result.exit_code == 2, result.output
    assert option in result.stderr
    assert pet_state(seeded) == before
    assert not Path("out.csv").exists()


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM pet",
        "DROP TABLE pet",
        "CREATE TABLE evil (a INTEGER)",
        "SELECT 1; COMMIT; DELETE FROM pet",
        "SELECT 1; COMMIT; DROP TABLE pet",
    ],
)
def test_database_guard_refuses_what_the_check_would_miss(seeded: str, sql: str) -> None:
    """The read-only engine alone, with the SQL check bypassed."""
    before = pet_state(seeded)
    engine = make_engine(seeded, read_only=True)
    with pytest.raises(DBAPIError):
        with engine.connect() as connection, connection.begin():
            connection.exec_driver_sql(sql)
    engine.dispose()
    assert pet_state(seeded) == before


def test_report_queries_are_checked_too(cli, seeded: str, tmp_path: Path) -> None:
    reports = tmp_path / "extra" / "reports"
    reports.mkdir(parents=True)
    (reports / "evil.toml").write_text(
        'name = "evil"\ntitle = "Evil"\n[[sheets]]\nname = "x"\nquery = "DELETE FROM pet"\n'
    )
    before = pet_state(seeded)
    result = cli("report", "--db", seeded, "--pipelines-dir", str(tmp_path / "extra"), "evil", "r.xlsx")
    assert result.exit_code == 2, result.output
    assert "report 'evil', sheet 'x' query must be a SELECT query; found DELETE" in result.stderr
    assert pet_state(seeded) == before
    assert not Path("r.xlsx").exists()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM pet",
        "select id from pet;",
        "  (SELECT 1) UNION (SELECT 2)",
        "WITH t AS (SELECT 1 AS a) SELECT a FROM t",
        "SELECT 'delete; drop table pet' AS note",
        'SELECT "update" FROM t',
        "SELECT replace(name, 'a', 'b') FROM pet -- trailing comment; DELETE\n",
        "SELECT 'it''s'",
        "SELECT 'a\\' FROM pet",
        "SELECT $$ ; DELETE $$",
    ],
)
def test_check_accepts_reads(sql: str) -> None:
    check_select(sql)


@pytest.mark.parametrize(
    ("sql", "error"),
    [(sql, ReadOnlyViolation) for sql in WRITES if not sql.startswith("PRAGMA")]
    + [("", UsageError), ("SELECT 'open", UsageError), ("SELECT 1 /* open", UsageError)],
)
def test_check_refuses_writes(sql: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        check_select(sql)


def test_fragment_check() -> None:
    check_fragment("name = 'a;b' AND (age > 1)", "--where")
    for bad in ("1=1; DELETE FROM pet", "age > 1) OR (1=1", "x = 'open"):
        with pytest.raises((ReadOnlyViolation, UsageError)):
            check_fragment(bad, "--where")


def test_read_only_refusals_are_told_by_error_code(seeded: str) -> None:
    """PostgreSQL SQLSTATE 25006, SQLite SQLITE_READONLY, MariaDB 1792: by code, not by wording."""
    from etl.db import error_reason, is_read_only_refusal
    from etl.export_cursor import query_error

    engine = make_engine(seeded, read_only=True)
    refusals = []
    for sql in ("INSERT INTO pet (id, name, type) VALUES (99, 'x', 'y')", "SELECT * FROM no_such_table"):
        with pytest.raises(DBAPIError) as caught:
            with engine.connect() as connection, connection.begin():
                connection.exec_driver_sql(sql)
        refusals.append(caught.value)
    engine.dispose()
    write, missing = refusals
    assert is_read_only_refusal(write) and not is_read_only_refusal(missing)
    assert isinstance(query_error(write), ReadOnlyViolation)
    assert str(query_error(write)) == f"refused: exports are read-only ({error_reason(write)})"
    assert type(query_error(missing)) is UsageError
    assert "\n" not in error_reason(write) and error_reason(write)


def test_error_reason_of_an_error_without_a_message() -> None:
    from etl.db import error_reason

    assert error_reason(DBAPIError("SELECT 1", None, Exception())) == "Exception"


@pytest.mark.parametrize("sql", ["SELECT p.drop, p.merge FROM pet AS p", "VALUES (1), (2)",
                                 'SELECT name AS "grant" FROM pet WHERE type IN (SELECT type FROM pet)'])
def test_parsed_check_accepts_reads_that_use_writing_words(sql: str) -> None:
    """Parsed, not scanned: a column named `drop` is a column."""
    check_select(sql)


@pytest.mark.parametrize(("sql", "word"), [
    ("WITH gone AS (DELETE FROM pet RETURNING id) SELECT * FROM gone", "DELETE"),
    ("SELECT * FROM (SELECT dblink('dbname=test', 'SELECT 1')) AS d", "DBLINK"),
    ("SELECT 1 FOR SHARE", "FOR UPDATE/SHARE"),
])
def test_parsed_check_finds_writes_inside_a_query(sql: str, word: str) -> None:
    with pytest.raises(ReadOnlyViolation, match=f"{word} is not allowed"):
        check_select(sql)
