"""The dialect write paths (PostgreSQL COPY, MariaDB multi-row upserts, SQLite executemany):
the same files give the same counts and the same table contents on every database, a
refused chunk rolls the file back naming its rows, and ids keep counting after explicit ones."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pymysql.cursors
import pytest
from sqlalchemy import Engine, text

from etl.db import make_engine
from etl.pipeline.bulk import ExecutemanyWriter
from etl.pipeline.dialect_writers import (
    MysqlUpsertWriter,
    PostgresCopyWriter,
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
        writer = writer_for(connection.dialect, table, ["name", "type", "age"], "id")
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


def test_copy_writes_inside_the_callers_transaction(pet_engine: Engine) -> None:
    if pet_engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    with pet_engine.connect() as connection:
        writer = PostgresCopyWriter(connection.dialect, reflect_table(connection, "pet"), ["name", "type", "age"], "id")
        writer.insert(connection, [("Rex", "dog", 3), ("Tom", None, None)], with_id=False)
        writer.update(connection, [("Rexy", "dog", 4, 1)])
        assert connection.execute(text("SELECT id, name, type, age FROM pet ORDER BY id")).all() == [
            (1, "Rexy", "dog", 4), (2, "Tom", None, None)]
        connection.rollback()
        assert connection.execute(text("SELECT count(*) FROM pet")).scalar() == 0
