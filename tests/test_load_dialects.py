"""The dialect write paths (PostgreSQL COPY, MariaDB multi-row upserts, SQLite executemany):
the same files give the same counts and the same table contents on every database, a
refused chunk rolls the file back naming its rows, and ids keep counting after explicit ones.
On PostgreSQL, COPY is binary only where every value's Python type is the column's; tables
made by others with other types take the text format and still load exactly."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pymysql.cursors
import pytest
from sqlalchemy import Engine, text

from etl.db import make_engine
from etl.load.executemany import ExecutemanyWriter
from etl.pipeline.definition import load_pipelines
from etl.load.dialects import (
    MysqlUpsertWriter,
    PostgresCopyWriter,
    binary_copy_types,
    writer_for,
)
from etl.pipeline.target import reflect_table
from etl.schema import init_database
from tests.conftest import execute, query, write_csv

TRICKY_NAMES = ["tab\there", "line\nbreak", "carriage\rreturn", "back\\slash", "\\N", "quote\"s, commas",
                "ñandú"]


def import_json(cli, db_url: str, *args: str) -> tuple[int, dict]:
    result = cli("import", "--db", db_url, "--json", *args)
    return result.exit_code, json.loads(result.stdout)["files"][0]


def counts(report: dict) -> tuple[str, int, int, int]:
    return report["status"], report["inserted"], report["updated"], report["unchanged"]


def pets(db_url: str) -> list[tuple]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.execute(text("SELECT id, name, type, age FROM pet ORDER BY id"))]
    finally:
        engine.dispose()


def test_fresh_reimport_and_edit_give_the_same_counts_and_rows_everywhere(cli, db_url: str, tmp_path: Path) -> None:
    rows = [[f"pet {i}", ["cat", "dog", "bird"][i % 3], i % 20] for i in range(1, 2501)]
    first = write_csv(tmp_path / "pets.csv", ["name", "type", "age"], rows)
    code, report = import_json(cli, db_url, "--chunk-size", "1000", "pets", str(first))
    assert (code, counts(report)) == (0, ("committed", 2500, 0, 0))
    expected = [(i, *row) for i, row in enumerate(rows, start=1)]
    assert pets(db_url) == expected

    code, report = import_json(cli, db_url, "--force", "--chunk-size", "1000", "pets", str(first))
    assert (code, counts(report)) == (0, ("committed", 0, 0, 2500))

    edited_rows = [[n, t, a + 1 if i % 2 else a] for i, (n, t, a) in enumerate(rows)]
    edited_rows += [["newcomer", "fish", 3], ["late", "cat", None]]
    edited = write_csv(tmp_path / "pets-edited.csv", ["name", "type", "age"], edited_rows)
    code, report = import_json(cli, db_url, "--chunk-size", "700", "pets", str(edited))
    assert (code, counts(report)) == (0, ("committed", 2, 1250, 1250))
    assert pets(db_url) == [(i, *row) for i, row in enumerate(edited_rows, start=1)]


def test_values_that_copy_must_escape_arrive_exactly(cli, db_url: str, tmp_path: Path) -> None:
    rows = [[name, "odd", index] for index, name in enumerate(TRICKY_NAMES)]
    path = write_csv(tmp_path / "odd.csv", ["name", "type", "age"], rows)
    code, report = import_json(cli, db_url, "pets", str(path))
    assert (code, counts(report)) == (0, ("committed", len(rows), 0, 0))
    assert pets(db_url) == [(i, *row) for i, row in enumerate(rows, start=1)]

    renamed = [[f"{name}!", "odd", index] for name, _, index in rows]
    with_ids = write_csv(tmp_path / "odd-ids.csv", ["id", "name", "type", "age"],
                         [[i, *row] for i, row in enumerate(renamed, start=1)])
    code, report = import_json(cli, db_url, "pets", str(with_ids))
    assert (code, counts(report)) == (0, ("committed", 0, len(rows), 0))
    assert pets(db_url) == [(i, *row) for i, row in enumerate(renamed, start=1)]


def test_leading_zeros_accents_and_escapes_survive_import_and_export(cli, db_url: str, tmp_path: Path) -> None:
    """Text that looks like a number stays text through COPY, and what `etl export` reads
    back (straight from the driver's cursor) is byte for byte what was imported."""
    rows = [["José Ñandú", "04121234567", "Familia"], ["back\\slash\ttab", "0000000001", "Amigos"],
            ["\\N", "007", "Familia"]]
    path = write_csv(tmp_path / "contacts.csv", ["nombre", "telefono", "grupo"], rows)
    code, report = import_json(cli, db_url, "contacts", str(path))
    assert (code, counts(report)) == (0, ("committed", 3, 0, 0))
    assert query(db_url, "SELECT nombre, telefono FROM contactos ORDER BY id") == [(n, t) for n, t, _ in rows]

    assert cli("export", "--db", db_url, "contacts", str(tmp_path / "out.csv")).exit_code == 0
    exported = (tmp_path / "out.csv").read_text(encoding="utf-8")
    assert list(csv.reader(io.StringIO(exported, newline=""))) == [
        ["id", "nombre", "telefono", "grupo"], *([str(i), *row] for i, row in enumerate(rows, start=1))
    ]


def test_explicit_ids_land_as_given_and_later_rows_get_fresh_ids(cli, db_url: str, tmp_path: Path) -> None:
    given = [[10, "Rex", "dog", 3], [500, "Tom", "cat", 7], [42, "Piolín", "bird", None]]
    path = write_csv(tmp_path / "ids.csv", ["id", "name", "type", "age"], given)
    code, report = import_json(cli, db_url, "pets", str(path))
    assert (code, counts(report)) == (0, ("committed", 3, 0, 0))

    later = write_csv(tmp_path / "later.csv", ["name", "type", "age"], [["Nemo", "fish", 1], ["Dory", "fish", 2]])
    code, report = import_json(cli, db_url, "pets", str(later))
    assert (code, counts(report)) == (0, ("committed", 2, 0, 0))
    assert pets(db_url) == [(10, "Rex", "dog", 3), (42, "Piolín", "bird", None), (500, "Tom", "cat", 7),
                            (501, "Nemo", "fish", 1), (502, "Dory", "fish", 2)]

    mixed = write_csv(tmp_path / "mixed.csv", ["id", "name", "type", "age"],
                      [[900, "Kira", "cat", 4], ["", "Luna", "cat", 5]])
    code, report = import_json(cli, db_url, "pets", str(mixed))
    assert (code, counts(report)) == (0, ("committed", 2, 0, 0))
    execute(db_url, "INSERT INTO pet (name, type, age) VALUES ('Coco', 'dog', 9)")
    assert pets(db_url)[-3:] == [(503, "Luna", "cat", 5), (900, "Kira", "cat", 4), (901, "Coco", "dog", 9)]


@pytest.fixture
def pet_with_unique_name(db_url: str) -> str:
    """A `pet` table made by someone else, with a unique index the pipeline knows nothing of."""
    execute(db_url, "CREATE TABLE pet (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50), type VARCHAR(50), age INTEGER)")
    execute(db_url, "CREATE UNIQUE INDEX pet_name ON pet (name)",
            "INSERT INTO pet (id, name, type, age) VALUES (1, 'Rex', 'dog', 3), (2, 'Tom', 'cat', 7)")
    return db_url


def test_a_refused_insert_rolls_the_file_back_naming_the_chunk(cli, pet_with_unique_name: str, tmp_path: Path) -> None:
    db_url = pet_with_unique_name
    rows = [[f"pet {i}", "cat", 1] for i in range(1, 8)] + [["Rex", "cat", 2]]
    path = write_csv(tmp_path / "clash.csv", ["id", "name", "type", "age"],
                     [[i + 10, *row] for i, row in enumerate(rows)])
    code, report = import_json(cli, db_url, "--chunk-size", "5", "pets", str(path))
    assert code == 1
    assert counts(report) == ("rolled_back", 0, 0, 0)
    [error] = report["errors"]
    assert error["message"].startswith("the database refused rows 7-9: ")
    assert pets(db_url) == [(1, "Rex", "dog", 3), (2, "Tom", "cat", 7)]


def test_a_refused_update_rolls_the_file_back_naming_the_chunk(cli, pet_with_unique_name: str, tmp_path: Path) -> None:
    db_url = pet_with_unique_name
    path = write_csv(tmp_path / "rename.csv", ["id", "name", "type", "age"],
                     [[3, "Kira", "cat", 1], [1, "Rex", "dog", 4], [2, "Rex", "cat", 7]])
    code, report = import_json(cli, db_url, "pets", str(path))
    assert code == 1
    assert counts(report) == ("rolled_back", 0, 0, 0)
    [error] = report["errors"]
    assert error["message"].startswith("the database refused rows 2-4: ")
    assert pets(db_url) == [(1, "Rex", "dog", 3), (2, "Tom", "cat", 7)]


def test_updates_over_several_chunks_land_exactly(cli, db_url: str, tmp_path: Path) -> None:
    rows = [[i, f"pet {i}", "cat", 1] for i in range(1, 31)]
    write_csv(tmp_path / "v1.csv", ["id", "name", "type", "age"], rows)
    assert import_json(cli, db_url, "pets", str(tmp_path / "v1.csv"))[0] == 0
    changed = [[i, name.upper(), kind, age + i] for i, name, kind, age in rows]
    write_csv(tmp_path / "v2.csv", ["id", "name", "type", "age"], changed)
    code, report = import_json(cli, db_url, "--chunk-size", "7", "pets", str(tmp_path / "v2.csv"))
    assert (code, counts(report)) == (0, ("committed", 0, 30, 0))
    assert pets(db_url) == [tuple(row) for row in changed]


@pytest.fixture
def pet_engine(engine: Engine) -> Engine:
    init_database(engine)
    return engine


def test_writer_for_picks_the_dialects_path(pet_engine: Engine) -> None:
    with pet_engine.connect() as connection:
        table = reflect_table(connection, "pet")
        writer = writer_for(connection, load_pipelines()["pets"], table, ["name", "type", "age"], "id")
    expected = {"postgresql": PostgresCopyWriter, "mysql": MysqlUpsertWriter, "mariadb": MysqlUpsertWriter,
                "sqlite": ExecutemanyWriter}[pet_engine.dialect.name]
    assert type(writer) is expected


def test_mysql_statements_take_pymysqls_multi_row_rewrite(pet_engine: Engine) -> None:
    """PyMySQL batches executemany into multi-row statements only for statements its regex matches."""
    if pet_engine.dialect.name not in ("mysql", "mariadb"):
        pytest.skip("MySQL/MariaDB only")
    with pet_engine.connect() as connection:
        writer = MysqlUpsertWriter(connection.dialect, reflect_table(connection, "pet"), ["name", "type", "age"], "id")
    for sql in (writer._insert_sql, writer._insert_id_sql, writer._upsert_sql):
        assert pymysql.cursors.RE_INSERT_VALUES.match(sql), sql


@pytest.mark.parametrize("types", [(), ("varchar", "varchar", "int4", "int4")], ids=["text", "binary"])
def test_copy_writes_inside_the_callers_transaction(pet_engine: Engine, types: tuple[str, ...]) -> None:
    if pet_engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    with pet_engine.connect() as connection:
        writer = PostgresCopyWriter(connection.dialect, reflect_table(connection, "pet"), ["name", "type", "age"], "id",
                                    types)
        writer.insert(connection, [("Rex", "dog", 3), ("Tom", None, None)], with_id=False)
        writer.insert(connection, [("Kira", "cat", 1, 40)], with_id=True)
        writer.update(connection, [("Rexy", "dog", 4, 1)])
        assert connection.execute(text("SELECT id, name, type, age FROM pet ORDER BY id")).all() == [
            (1, "Rexy", "dog", 4), (2, "Tom", None, None), (40, "Kira", "cat", 1)]
        connection.rollback()
        assert connection.execute(text("SELECT count(*) FROM pet")).scalar() == 0


def postgresql_only(db_url: str) -> str:
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: the binary COPY")
    return db_url


def copy_types(db_url: str, pipeline: str, columns: list[str], pipelines_dir: Path | None = None) -> list:
    """What `etl import` would COPY each of `columns`, then the id, as (None: text format)."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            definition = load_pipelines([pipelines_dir] if pipelines_dir else [])[pipeline]
            return binary_copy_types(connection, definition, reflect_table(connection, definition.table), columns, "id")
    finally:
        engine.dispose()


KINDS_PIPELINE = """
name = "kinds"
table = "kinds"
key = ["label"]
[[columns]]
name = "label"
headers = ["label"]
required = true
[[columns]]
name = "code"
headers = ["code"]
[[columns]]
name = "n"
headers = ["n"]
type = "integer"
[[columns]]
name = "big"
headers = ["big"]
type = "integer"
[[columns]]
name = "amount"
headers = ["amount"]
type = "decimal"
[[columns]]
name = "day"
headers = ["day"]
type = "date"
[[columns]]
name = "flag"
headers = ["flag"]
type = "boolean"
"""
KINDS_HEADER = ["label", "code", "n", "big", "amount", "day", "flag"]
KINDS_ROWS = [
    ["José Ñandú\ttab\\slash", "007", "-2147483648", "9223372036854775807", "1234.5", "2024-02-29", "sí"],
    ["line\nbreak", "0000000001", "2147483647", "-9223372036854775808", "-0.001", "0001-01-01", "no"],
    ["\\N", "", "", "", "", "", ""],
    ["plain", "1e3", "0", "5000000000", "1E+3", "9999-12-31", "true"],
]
KINDS_STORED = [
    ("José Ñandú\ttab\\slash", "007", -2147483648, 9223372036854775807, Decimal("1234.500"), date(2024, 2, 29), True),
    ("line\nbreak", "0000000001", 2147483647, -9223372036854775808, Decimal("-0.001"), date(1, 1, 1), False),
    ("\\N", None, None, None, None, None, None),
    ("plain", "1e3", 0, 5000000000, Decimal("1000.000"), date(9999, 12, 31), True),
]


@pytest.fixture
def kinds_dir(db_url: str, tmp_path: Path) -> Path:
    postgresql_only(db_url)
    (tmp_path / "pipes").mkdir()
    (tmp_path / "pipes" / "kinds.toml").write_text(KINDS_PIPELINE, encoding="utf-8")
    return tmp_path / "pipes"


def test_every_kind_goes_binary_and_arrives_exactly(cli, db_url: str, kinds_dir: Path, tmp_path: Path) -> None:
    execute(db_url, "CREATE TABLE kinds (id SERIAL PRIMARY KEY, label TEXT NOT NULL, code VARCHAR(20), n INTEGER, "
                    "big BIGINT, amount NUMERIC(12, 3), day DATE, flag BOOLEAN)")
    assert copy_types(db_url, "kinds", KINDS_HEADER, kinds_dir) == [
        "text", "varchar", "int4", "int8", "numeric", "date", "bool", "int4"]
    path = write_csv(tmp_path / "kinds.csv", KINDS_HEADER, KINDS_ROWS)
    code, report = import_json(cli, db_url, "--pipelines-dir", str(kinds_dir), "kinds", str(path))
    assert (code, counts(report)) == (0, ("committed", 4, 0, 0))
    stored = query(db_url, f"SELECT {', '.join(KINDS_HEADER)} FROM kinds ORDER BY id")
    assert stored == KINDS_STORED
    assert [type(v) for v in stored[0]] == [str, str, int, int, Decimal, date, bool]


def test_a_value_beyond_the_columns_integer_type_is_a_row_error_not_a_wrapped_number(
        cli, db_url: str, kinds_dir: Path, tmp_path: Path) -> None:
    """The binary int2/int4 forms would wrap 2**15 around: the converter's range check stops it."""
    execute(db_url, "CREATE TABLE kinds (id SERIAL PRIMARY KEY, label TEXT NOT NULL, code TEXT, n SMALLINT, "
                    "big INTEGER, amount NUMERIC, day DATE, flag BOOLEAN)")
    assert copy_types(db_url, "kinds", ["label", "n", "big"], kinds_dir) == ["text", "int2", "int4", "int4"]
    rows = [["a", "", "32767", "2147483647", "", "", ""], ["b", "", "32768", "1", "", "", ""],
            ["c", "", "1", "2147483648", "", "", ""]]
    path = write_csv(tmp_path / "big.csv", KINDS_HEADER, rows)
    code, report = import_json(cli, db_url, "--pipelines-dir", str(kinds_dir), "--max-errors", "5", "kinds", str(path))
    assert (code, report["inserted"], report["rejected"]) == (0, 1, 2)
    assert query(db_url, "SELECT label, n, big FROM kinds") == [("a", 32767, 2147483647)]


def test_datetime_columns_take_the_text_format(cli, db_url: str, tmp_path: Path) -> None:
    """A written UTC offset reaches the converter's value: a timestamp column ignores it in
    text, as it always did, where the binary dumper would refuse the whole file."""
    postgresql_only(db_url)
    pipes = tmp_path / "pipes"
    pipes.mkdir()
    (pipes / "events.toml").write_text(
        'name = "events"\ntable = "events"\nkey = ["label"]\n'
        '[[columns]]\nname = "label"\nheaders = ["label"]\n'
        '[[columns]]\nname = "at"\nheaders = ["at"]\ntype = "datetime"\n', encoding="utf-8")
    execute(db_url, "CREATE TABLE events (id SERIAL PRIMARY KEY, label TEXT, at TIMESTAMP)")
    assert copy_types(db_url, "events", ["label", "at"], pipes) == ["text", None, "int4"]
    path = write_csv(tmp_path / "events.csv", ["label", "at"],
                     [["naive", "2024-12-31 18:30:00"], ["offset", "2024-12-31T18:30:00+02:00"], ["none", ""]])
    code, report = import_json(cli, db_url, "--pipelines-dir", str(pipes), "events", str(path))
    assert (code, counts(report)) == (0, ("committed", 3, 0, 0))
    assert query(db_url, "SELECT label, at FROM events ORDER BY id") == [
        ("naive", datetime(2024, 12, 31, 18, 30)), ("offset", datetime(2024, 12, 31, 18, 30)), ("none", None)]


def test_a_table_with_other_compatible_types_goes_binary(cli, db_url: str, tmp_path: Path) -> None:
    postgresql_only(db_url)
    execute(db_url, "CREATE TABLE pet (id BIGINT PRIMARY KEY, name TEXT NOT NULL, type VARCHAR(10) NOT NULL, "
                    "age NUMERIC)")
    assert copy_types(db_url, "pets", ["name", "type", "age"]) == ["text", "varchar", "numeric", "int8"]
    rows = [[5000000000, "Rex\\", "dog", 3], [1, "Ñandú", "bird", None], [2, "007", "cat", 0]]
    path = write_csv(tmp_path / "pets.csv", ["id", "name", "type", "age"], rows)
    code, report = import_json(cli, db_url, "pets", str(path))
    assert (code, counts(report)) == (0, ("committed", 3, 0, 0))
    assert query(db_url, "SELECT id, name, type, age FROM pet ORDER BY id") == [
        (1, "Ñandú", "bird", None), (2, "007", "cat", Decimal(0)), (5000000000, "Rex\\", "dog", Decimal(3))]


def test_a_table_with_types_binary_cannot_take_falls_back_to_text(cli, db_url: str, tmp_path: Path) -> None:
    """An integer pipeline column into VARCHAR, CHAR (no binary dumper) and an enum: text COPY."""
    postgresql_only(db_url)
    execute(db_url, "DROP TYPE IF EXISTS species", "CREATE TYPE species AS ENUM ('cat', 'dog')",
            "CREATE TABLE pet (id SERIAL PRIMARY KEY, name CHAR(8) NOT NULL, type species NOT NULL, age VARCHAR(4))")
    assert copy_types(db_url, "pets", ["name", "type", "age"]) == [None, None, None, "int4"]
    path = write_csv(tmp_path / "pets.csv", ["name", "type", "age"], [["Rex", "dog", "007"], ["Tom", "cat", ""]])
    code, report = import_json(cli, db_url, "pets", str(path))
    assert (code, counts(report)) == (0, ("committed", 2, 0, 0))
    assert query(db_url, "SELECT id, name, type::text, age FROM pet ORDER BY id") == [
        (1, "Rex     ", "dog", "7"), (2, "Tom     ", "cat", None)]


def test_a_lookup_column_is_binary_only_when_the_lookup_values_have_its_type(
        cli, db_url: str, tmp_path: Path) -> None:
    """Group ids come from `grupos`: BIGINT ids into an INTEGER column must go as text, where
    the server checks the range (binary int4 would wrap around)."""
    postgresql_only(db_url)
    execute(db_url, "CREATE TABLE grupos (id BIGINT PRIMARY KEY, grupo VARCHAR(300) NOT NULL, "
                    "descripcion VARCHAR(500) NOT NULL)",
            "CREATE TABLE contactos (id SERIAL PRIMARY KEY, nombre VARCHAR(100) NOT NULL, "
            "telefono VARCHAR(11) NOT NULL, grupo_id INTEGER NOT NULL)",
            "INSERT INTO grupos VALUES (7, 'Familia', ''), (4294967296, 'Lejanos', '')")
    assert copy_types(db_url, "contacts", ["nombre", "telefono", "grupo_id"]) == ["varchar", "varchar", None, "int4"]
    path = write_csv(tmp_path / "contacts.csv", ["nombre", "telefono", "grupo"], [["Ana", "0412", "familia"]])
    code, report = import_json(cli, db_url, "contacts", str(path))
    assert (code, counts(report)) == (0, ("committed", 1, 0, 0))
    far = write_csv(tmp_path / "far.csv", ["nombre", "telefono", "grupo"], [["Leo", "0414", "Lejanos"]])
    code, report = import_json(cli, db_url, "contacts", str(far))
    assert (code, report["status"]) == (1, "rolled_back")
    assert "out of range" in report["errors"][0]["message"]
    assert query(db_url, "SELECT nombre, telefono, grupo_id FROM contactos") == [("Ana", "0412", 7)]


def test_built_in_tables_go_binary_lookups_included(db_url: str) -> None:
    postgresql_only(db_url)
    init_database(make_engine(db_url))
    assert copy_types(db_url, "pets", ["name", "type", "age"]) == ["varchar", "varchar", "int4", "int4"]
    assert copy_types(db_url, "contacts", ["nombre", "telefono", "grupo_id"]) == [
        "varchar", "varchar", "int4", "int4"]
