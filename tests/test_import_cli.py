"""`etl import` through the CLI on SQLite, PostgreSQL and MariaDB, the database read back after."""

from __future__ import annotations

import csv
import json
import random
from decimal import Decimal
from pathlib import Path

import pytest

from etl.db import make_engine
from etl.load.spill import DiskRun
from tests.conftest import SAMPLE_DATA, execute, log_lines, query, write_csv
from tests.test_keys import needs_proc, temp_fds


def import_json(cli, db_url: str, *args: str) -> tuple[int, dict]:
    result = cli("import", "--db", db_url, "--json", *args)
    return result.exit_code, json.loads(result.stdout)


def test_seed_data_lands_with_leading_zeros_and_accents(cli, db_url: str) -> None:
    for pipeline, name in [("groups", "grupos.csv"), ("contacts", "contactos.csv"), ("pets", "pets.csv")]:
        result = cli("import", "--db", db_url, pipeline, str(SAMPLE_DATA / name))
        assert result.exit_code == 0, result.output
        assert ": committed: " in result.stdout
    assert query(db_url, "SELECT id, grupo, descripcion FROM grupos ORDER BY id") == [
        (1, "Familia", "Familiares cercanos"),
        (2, "Trabajo", "Compañeros de la oficina"),
        (3, "Amigos", "Amigos de la universidad"),
    ]
    assert query(db_url, "SELECT nombre, telefono, grupo_id FROM contactos ORDER BY id") == [
        ("Ernesto Crespo", "04155673029", 2),
        ("Pedro Perez", "0295212223", 1),
        ("Jhon Doe", "04184488484", 3),
        ("Jane Doe", "04184488482", 3),
        ("Pepito de los palotes", "04184588484", 2),
    ]
    assert query(db_url, "SELECT name, type, age FROM pet ORDER BY id") == [
        ("Justin Timbersnake", "snek", 2), ("Pawtrick Stewart", "good boy", 10),
        ("Godzilla", "iguana", 1), ("Marshmallow", "polar bear", 4),
    ]


def test_xlsx_with_title_rows_and_spanish_headers(cli, db_url: str) -> None:
    code, document = import_json(cli, db_url, "pets", str(SAMPLE_DATA / "mascotas.xlsx"))
    assert code == 0, document
    assert document["files"][0]["status"] == "committed"
    assert document["files"][0]["inserted"] == len(query(db_url, "SELECT id FROM pet")) > 0


def test_unknown_groups_are_created_and_counted(cli, db_url: str, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "c.csv", ["nombre", "telefono", "grupo"],
                       [["Ana", "0414", "Compañeros"], ["Luis", "0415", "COMPANEROS "], ["Eva", "0416", "Nuevo"]])
    result = cli("import", "--db", db_url, "contacts", str(source))
    assert result.exit_code == 0, result.output
    assert "2 lookup row(s) created" in result.stdout
    assert query(db_url, "SELECT id, grupo, descripcion FROM grupos ORDER BY id") == [
        (1, "Compañeros", ""), (2, "Nuevo", "")]
    assert query(db_url, "SELECT nombre, grupo_id FROM contactos ORDER BY id") == [
        ("Ana", 1), ("Luis", 1), ("Eva", 2)]


def test_json_document_is_exactly_the_spec(cli, db_url: str, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "p.csv", ["name", "type", "age"], [["Rex", "dog", "3"], ["Tom", "cat", "x"]])
    code, document = import_json(cli, db_url, "pets", str(source))
    assert code == 1
    (entry,) = document["files"]
    assert {k: entry[k] for k in ("path", "status", "rows_read", "inserted", "updated", "unchanged",
                                   "rejected", "errors")} == {
        "path": str(source), "status": "rejected", "rows_read": 2, "inserted": 0, "updated": 0,
        "unchanged": 0, "rejected": 1,
        "errors": [{"row": 3, "column": "age", "value": "x", "message": "not a whole number"}],
    }
    assert isinstance(entry["seconds"], float)
    assert query(db_url, "SELECT * FROM pet") == []


def test_bad_last_row_of_a_large_file_leaves_nothing(cli, db_url: str, tmp_path: Path) -> None:
    rows = [[f"pet{i:06d}", f"type{i % 7}", str(i % 20)] for i in range(20_000)]
    rows[-1][2] = "old"
    source = write_csv(tmp_path / "big.csv", ["name", "type", "age"], rows)
    code, document = import_json(cli, db_url, "--chunk-size", "1000", "pets", str(source))
    assert code == 1
    assert document["files"][0]["status"] == "rejected"
    assert document["files"][0]["errors"] == [
        {"row": 20_001, "column": "age", "value": "old", "message": "not a whole number"}]
    assert query(db_url, "SELECT count(*) FROM pet") == [(0,)]
    assert query(db_url, "SELECT status, rows_read, rejected FROM etl_import_run") == [("rejected", 20_000, 1)]
    assert query(db_url, "SELECT count(*) FROM etl_loaded_file") == [(0,)]


def test_rerun_skips_and_force_reimports_unchanged(cli, db_url: str) -> None:
    source = str(SAMPLE_DATA / "pets.csv")
    assert import_json(cli, db_url, "pets", source)[1]["files"][0]["inserted"] == 4
    code, again = import_json(cli, db_url, "pets", source)
    assert code == 0 and again["files"][0]["status"] == "skipped"
    code, forced = import_json(cli, db_url, "--force", "pets", source)
    assert code == 0
    assert {k: forced["files"][0][k] for k in ("status", "inserted", "updated", "unchanged")} == {
        "status": "committed", "inserted": 0, "updated": 0, "unchanged": 4}
    assert query(db_url, "SELECT count(*) FROM pet") == [(4,)]
    assert [s for (s,) in query(db_url, "SELECT status FROM etl_import_run ORDER BY id")] == [
        "committed", "skipped", "committed"]


def test_edited_file_gives_exact_counts(cli, db_url: str, tmp_path: Path) -> None:
    header = ["name", "type", "age"]
    first = [["Rex", "dog", "3"], ["Tom", "cat", "5"], ["Nemo", "fish", "1"], ["Polly", "parrot", "20"]]
    assert cli("import", "--db", db_url, "pets", str(write_csv(tmp_path / "a.csv", header, first))).exit_code == 0
    edited = [["Rex", "dog", "4"], ["Tom", "cat", "5"], ["Nemo", "fish", ""], ["Polly", "parrot", "20"],
              ["Kitty", "cat", "2"], ["Rex", "cat", "1"]]
    code, document = import_json(cli, db_url, "pets", str(write_csv(tmp_path / "b.csv", header, edited)))
    assert code == 0
    assert {k: document["files"][0][k] for k in ("rows_read", "inserted", "updated", "unchanged")} == {
        "rows_read": 6, "inserted": 2, "updated": 2, "unchanged": 2}
    assert query(db_url, "SELECT id, name, type, age FROM pet ORDER BY id") == [
        (1, "Rex", "dog", 4), (2, "Tom", "cat", 5), (3, "Nemo", "fish", None), (4, "Polly", "parrot", 20),
        (5, "Kitty", "cat", 2), (6, "Rex", "cat", 1)]


def test_rows_with_id_update_the_rows_they_name(cli, db_url: str, tmp_path: Path) -> None:
    header = ["name", "type", "age"]
    cli("import", "--db", db_url, "pets", str(write_csv(tmp_path / "a.csv", header, [["Rex", "dog", "3"]])))
    renamed = write_csv(tmp_path / "b.csv", ["id", *header], [["1", "Max", "dog", "3"], ["40", "Bo", "cat", ""]])
    code, document = import_json(cli, db_url, "pets", str(renamed))
    assert code == 0, document
    assert query(db_url, "SELECT id, name, type, age FROM pet ORDER BY id") == [
        (1, "Max", "dog", 3), (40, "Bo", "cat", None)]
    new = write_csv(tmp_path / "c.csv", header, [["Kit", "cat", "1"]])
    assert cli("import", "--db", db_url, "pets", str(new)).exit_code == 0
    assert query(db_url, "SELECT id FROM pet WHERE name = 'Kit'") == [(41,)]


def test_repeated_key_names_both_rows(cli, db_url: str, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "p.csv", ["name", "type"], [["Rex", "dog"], ["Tom", "cat"], ["Rex", "dog"]])
    result = cli("import", "--db", db_url, "pets", str(source))
    assert result.exit_code == 1
    assert f"{source}:4:name, type: the same name, type as row 2 (value 'Rex / dog')" in result.stderr
    assert query(db_url, "SELECT count(*) FROM pet") == [(0,)]


def test_max_errors_and_rejects_round_trip(cli, db_url: str, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "p.csv", ["Nombre", "Tipo", "Edad"],
                       [["Rex", "dog", "3"], ["", "cat", "2"], ["Nemo", "fish", "-1"], ["Tom", "cat", "5"]])
    rejects = tmp_path / "rejects.csv"
    too_strict = cli("import", "--db", db_url, "--max-errors", "1", "pets", str(source))
    assert too_strict.exit_code == 1
    assert query(db_url, "SELECT count(*) FROM pet") == [(0,)]
    code, document = import_json(cli, db_url, "--max-errors", "2", "--rejects", str(rejects), "pets", str(source))
    assert code == 0 and document["files"][0]["rejected"] == 2
    assert query(db_url, "SELECT name FROM pet ORDER BY id") == [("Rex",), ("Tom",)]
    with rejects.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["row", "error", "Nombre", "Tipo", "Edad"],
        ["3", "Nombre: a value is required", "", "cat", "2"],
        ["4", "Edad: must be at least 0", "Nemo", "fish", "-1"],
    ]
    rows[1][2], rows[2][4] = "Kitty", "1"
    write_csv(rejects, rows[0], rows[1:])
    code, document = import_json(cli, db_url, "pets", str(rejects))
    assert code == 0 and document["files"][0]["inserted"] == 2
    assert query(db_url, "SELECT name, type, age FROM pet ORDER BY id") == [
        ("Rex", "dog", 3), ("Tom", "cat", 5), ("Kitty", "cat", 2), ("Nemo", "fish", 1)]


def test_dry_run_reports_and_leaves_nothing(cli, db_url: str) -> None:
    code, document = import_json(cli, db_url, "--dry-run", "contacts", str(SAMPLE_DATA / "contactos.csv"))
    assert code == 0
    entry = document["files"][0]
    assert (entry["status"], entry["inserted"], entry["lookups_created"]) == ("dry_run", 5, 3)
    assert query(db_url, "SELECT count(*) FROM contactos") == [(0,)]
    assert query(db_url, "SELECT count(*) FROM grupos") == [(0,)]
    code, document = import_json(cli, db_url, "contacts", str(SAMPLE_DATA / "contactos.csv"))
    assert document["files"][0]["status"] == "committed"


def test_broken_sample_lists_every_error(cli, db_url: str) -> None:
    source = SAMPLE_DATA / "contactos_con_errores.csv"
    result = cli("import", "--db", db_url, "contacts", str(source))
    assert result.exit_code == 1
    assert log_lines(result.stderr) == [
        f"{source}:3:Nombre: a value is required",
        f"{source}:4:Teléfono: a phone number is digits only (value '0414-ABC-123')",
        f"{source}:5:Teléfono: text is 15 characters long; at most 11 fit (value '041412345678901')",
        f"{source}:6:Teléfono: text is 15 characters long; at most 11 fit (value '041412345678901')",
        f"{source}:6:nombre, telefono: the same nombre, telefono as row 5 (value 'Carla Ruiz / 041412345678901')",
    ]
    assert query(db_url, "SELECT count(*) FROM contactos") == [(0,)]
    assert query(db_url, "SELECT count(*) FROM grupos") == [(0,)]


PLAIN_TABLES = {
    "sqlite": "INTEGER PRIMARY KEY",
    "postgresql": "SERIAL PRIMARY KEY",
    "mysql": "INTEGER AUTO_INCREMENT PRIMARY KEY",
}


def test_tables_made_beforehand_without_index_or_foreign_key(cli, db_url: str, tmp_path: Path) -> None:
    pk = primary_key_sql(db_url)
    execute(
        db_url,
        f"CREATE TABLE grupos (id {pk}, grupo VARCHAR(300) NOT NULL, descripcion VARCHAR(500) NOT NULL)",
        f"CREATE TABLE contactos (id {pk}, nombre VARCHAR(100) NOT NULL, telefono VARCHAR(11) NOT NULL, "
        "grupo_id INTEGER NOT NULL)",
        f"CREATE TABLE pet (id {pk}, name VARCHAR(50), type VARCHAR(50), age INTEGER)",
        "INSERT INTO grupos (grupo, descripcion) VALUES ('Familia', 'la de siempre')",
        "INSERT INTO grupos (grupo, descripcion) VALUES ('Trabajo', 'oficina')",
        "INSERT INTO contactos (nombre, telefono, grupo_id) VALUES ('Pedro Perez', '0295212223', 1)",
        "INSERT INTO pet (name, type, age) VALUES ('Godzilla', 'iguana', 7)",
        "INSERT INTO pet (name, type, age) VALUES ('Rex', 'dog', 1)",
        "INSERT INTO pet (name, type, age) VALUES ('Rex', 'dog', 2)",
    )
    code, document = import_json(cli, db_url, "contacts", str(SAMPLE_DATA / "contactos.csv"))
    assert code == 0, document
    entry = document["files"][0]
    assert (entry["inserted"], entry["unchanged"], entry["lookups_created"]) == (4, 1, 1)
    assert query(db_url, "SELECT id, grupo FROM grupos ORDER BY id") == [(1, "Familia"), (2, "Trabajo"), (3, "Amigos")]
    assert query(db_url, "SELECT nombre, grupo_id FROM contactos ORDER BY id") == [
        ("Pedro Perez", 1), ("Ernesto Crespo", 2), ("Jhon Doe", 3), ("Jane Doe", 3), ("Pepito de los palotes", 2)]
    code, document = import_json(cli, db_url, "pets", str(SAMPLE_DATA / "pets.csv"))
    assert code == 0
    assert (document["files"][0]["inserted"], document["files"][0]["updated"]) == (3, 1)
    assert query(db_url, "SELECT name, age FROM pet WHERE name = 'Godzilla'") == [("Godzilla", 1)]
    ambiguous = write_csv(tmp_path / "rex.csv", ["name", "type", "age"], [["Rex", "dog", "3"]])
    result = cli("import", "--db", db_url, "pets", str(ambiguous))
    assert result.exit_code == 1
    assert "matches 2 rows of pet (id 2, 3); add an id column to say which one" in result.stderr
    engine = make_engine(db_url)
    from sqlalchemy import inspect

    assert inspect(engine).get_indexes("pet") == [] and inspect(engine).get_foreign_keys("contactos") == []
    engine.dispose()


def primary_key_sql(url: str) -> str:
    engine = make_engine(url)
    try:
        return PLAIN_TABLES[engine.dialect.name]
    finally:
        engine.dispose()


def test_pipeline_for_a_table_only_in_the_database(cli, db_url: str, tmp_path: Path) -> None:
    pk = primary_key_sql(db_url)
    execute(db_url, f"CREATE TABLE tienda (id {pk}, codigo VARCHAR(5) NOT NULL, "
                    "precio DECIMAL(10, 2), abierta BOOLEAN, desde DATE, nota VARCHAR(20) NOT NULL)")
    pipelines = tmp_path / "pipelines"
    pipelines.mkdir()
    (pipelines / "shops.toml").write_text(
        'name = "shops"\ntable = "tienda"\nkey = ["codigo"]\n'
        '[[columns]]\nname = "codigo"\nheaders = ["codigo", "code"]\nrequired = true\ncase = "upper"\n'
        '[[columns]]\nname = "precio"\ntype = "decimal"\nmin = 0\n'
        '[[columns]]\nname = "abierta"\ntype = "boolean"\n'
        '[[columns]]\nname = "desde"\ntype = "date"\ndate_format = "%d/%m/%Y"\n', encoding="utf-8")
    good = write_csv(tmp_path / "s.csv", ["Code", "precio", "abierta", "desde"],
                     [["a1", "10.5", "sí", "31/12/2024"], ["b2", "0", "no", ""]])
    result = cli("import", "--db", db_url, "--pipelines-dir", str(pipelines), "shops", str(good))
    assert result.exit_code == 1
    assert "rolled_back" in result.stdout
    assert "the database refused rows 2-3" in result.stderr
    assert query(db_url, "SELECT count(*) FROM tienda") == [(0,)]
    execute(db_url, "DELETE FROM tienda", "DROP TABLE tienda",
            f"CREATE TABLE tienda (id {pk}, codigo VARCHAR(5) NOT NULL, "
            "precio DECIMAL(10, 2), abierta BOOLEAN, desde DATE)")
    code, document = import_json(cli, db_url, "--pipelines-dir", str(pipelines), "shops", str(good))
    assert code == 0, document
    rows = query(db_url, "SELECT codigo, precio, abierta, desde FROM tienda ORDER BY codigo")
    assert [(r[0], Decimal(str(r[1])), bool(r[2]), str(r[3])) for r in rows] == [
        ("A1", Decimal("10.5"), True, "2024-12-31"), ("B2", Decimal(0), False, "None")]
    bad = write_csv(tmp_path / "bad.csv", ["code", "precio", "desde"], [["toolong", "-1", "12/31/2024"]])
    code, document = import_json(cli, db_url, "--pipelines-dir", str(pipelines), "shops", str(bad))
    assert [e["message"] for e in document["files"][0]["errors"]] == [
        "text is 7 characters long; at most 5 fit", "must be at least 0",
        "not a date in the format %d/%m/%Y (e.g. 31/12/2024)"]


def test_hot_folder_archive_and_error_dirs(cli, db_url: str, tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    write_csv(incoming / "1-good.csv", ["name", "type"], [["Rex", "dog"]])
    write_csv(incoming / "2-bad.csv", ["name", "type", "age"], [["Tom", "cat", "many"]])
    (incoming / "notes.txt").write_text("not a data file", encoding="utf-8")
    archive, errors = tmp_path / "archive", tmp_path / "errors"
    result = cli("import", "--db", db_url, "--archive-dir", str(archive), "--error-dir", str(errors),
                 "pets", str(incoming))
    assert result.exit_code == 1
    assert sorted(p.name for p in incoming.iterdir()) == ["notes.txt"]
    assert [p.name for p in archive.iterdir()] == ["1-good.csv"]
    assert sorted(p.name for p in errors.iterdir()) == ["2-bad.csv", "2-bad.csv.errors.txt"]
    assert (errors / "2-bad.csv.errors.txt").read_text(encoding="utf-8") == (
        f"{incoming / '2-bad.csv'}:2:age: not a whole number (value 'many')\n")
    assert query(db_url, "SELECT name FROM pet") == [("Rex",)]


def test_several_files_are_independent(cli, db_url: str, tmp_path: Path) -> None:
    good = write_csv(tmp_path / "a.csv", ["name", "type"], [["Rex", "dog"]])
    bad = write_csv(tmp_path / "b.csv", ["name", "kind"], [["Tom", "cat"]])
    code, document = import_json(cli, db_url, "pets", str(good), str(bad))
    assert code == 1
    assert [f["status"] for f in document["files"]] == ["committed", "rejected"]
    assert document["files"][1]["errors"][0] == {
        "row": 1, "column": "kind", "value": None,
        "message": "unknown column; pipeline 'pets' accepts name, nombre, type, tipo, species, age, edad and id"}
    assert query(db_url, "SELECT name FROM pet") == [("Rex",)]


@pytest.mark.parametrize("args, message", [
    (["nope", "x.csv"], "unknown pipeline 'nope'"),
    (["pets", "missing.csv"], "no such file or folder: missing.csv"),
])
def test_usage_errors_exit_2(cli, sqlite_url: str, args: list[str], message: str) -> None:
    result = cli("import", "--db", sqlite_url, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_unreachable_database_exits_2(run_etl, tmp_path: Path) -> None:
    result = run_etl("import", "--db", "postgresql+psycopg://nobody:secret@127.0.0.1:1/x", "pets",
                     str(SAMPLE_DATA / "pets.csv"))
    assert result.exit_code == 2
    assert "secret" not in result.stderr and "cannot connect" in result.stderr


def test_history_lists_runs_newest_first(cli, db_url: str) -> None:
    cli("import", "--db", db_url, "pets", str(SAMPLE_DATA / "pets.csv"))
    cli("import", "--db", db_url, "contacts", str(SAMPLE_DATA / "contactos_con_errores.csv"))
    result = cli("history", "--db", db_url, "--json")
    assert result.exit_code == 0
    runs = json.loads(result.stdout)["runs"]
    assert [(r["pipeline"], r["status"], r["rows_read"], r["inserted"], r["rejected"]) for r in runs] == [
        ("contacts", "rejected", 5, 0, 4), ("pets", "committed", 4, 4, 0)]
    assert runs[0]["error"].startswith(f"{SAMPLE_DATA / 'contactos_con_errores.csv'}:3:Nombre")
    table = cli("history", "--db", db_url)
    assert "contactos_con_errores.csv" in table.stdout and "rejected" in table.stdout


def test_groups_without_description_round_trip_and_header_is_needed(cli, db_url: str, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "g.csv", ["Group", "Description"], [["Nuevo", ""], ["Viejo", "x"]])
    code, document = import_json(cli, db_url, "groups", str(source))
    assert code == 0, document
    assert query(db_url, "SELECT grupo, descripcion FROM grupos ORDER BY id") == [("Nuevo", ""), ("Viejo", "x")]
    headless = write_csv(tmp_path / "h.csv", ["grupo"], [["Otro"]])
    code, document = import_json(cli, db_url, "groups", str(headless))
    assert code == 1
    assert document["files"][0]["errors"][0]["message"] == "missing column 'descripcion' or 'description'"


def test_reader_options_are_passed_on(cli, db_url: str) -> None:
    code, document = import_json(cli, db_url, "--encoding", "cp1252", "--delimiter", ";", "groups",
                                 str(SAMPLE_DATA / "grupos.csv"))
    assert code == 0, document
    assert document["files"][0]["detected"]["encoding"] == "cp1252"
    assert query(db_url, "SELECT descripcion FROM grupos WHERE grupo = 'Trabajo'") == [("Compañeros de la oficina",)]
    code, document = import_json(cli, db_url, "--sheet", "Mascotas", "--header-row", "3", "pets",
                                 str(SAMPLE_DATA / "mascotas.xlsx"))
    assert code == 0, document
    assert (document["files"][0]["detected"]["header_row"], document["files"][0]["inserted"]) == ("3", 4)
    code, document = import_json(cli, db_url, "--force", "--sheet", "Nope", "pets",
                                 str(SAMPLE_DATA / "mascotas.xlsx"))
    assert code == 1 and document["files"][0]["status"] == "rejected"
    assert "Nope" in document["files"][0]["errors"][0]["message"]


def test_no_progress_or_noise_under_cron(run_etl, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cron.db'}"
    result = run_etl("import", "--db", url, "pets", str(SAMPLE_DATA / "pets.csv"))
    assert result.exit_code == 0
    assert result.stderr == ""
    header, summary, closing = log_lines(result.stdout)
    assert header.startswith("etl import pets: 1 file, run 1 (host ")
    assert summary.startswith(f"{SAMPLE_DATA / 'pets.csv'}: committed: 4 read, 4 inserted")
    assert closing.startswith("run 1 done: 1 file: 1 committed; 4 rows read")


def test_unreadable_file_is_rejected_with_one_line(cli, sqlite_url: str, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = cli("import", "--db", sqlite_url, "pets", str(empty))
    assert result.exit_code == 1
    (line,) = log_lines(result.stderr)
    assert line.startswith(f"{empty}: ") and str(empty) not in line[len(str(empty)):]
    header_only = write_csv(tmp_path / "header.csv", ["name", "type"], [])
    assert cli("import", "--db", sqlite_url, "pets", str(header_only)).exit_code == 0


@pytest.mark.parametrize("chunk_size", ["1", "2", "10000"])
def test_fresh_table_all_inserts_still_catch_repeats(cli, db_url: str, tmp_path: Path, chunk_size: str) -> None:
    """An empty table makes every row an insert (the loader skips matching), within a chunk
    and across chunks; repeated ids and repeated keys are still rejected naming both rows."""
    with_ids = write_csv(tmp_path / "ids.csv", ["id", "name", "type", "age"],
                         [["7", "Rex", "dog", "3"], ["3", "Tom", "cat", ""], ["9", "Kit", "cat", "1"],
                          ["7", "Max", "dog", "2"], ["5", "Bo", "cat", "4"]])
    result = cli("import", "--db", db_url, "--json", "--chunk-size", chunk_size, "--max-errors", "5",
                 "pets", str(with_ids))
    (entry,) = json.loads(result.stdout)["files"]
    assert (result.exit_code, entry["status"]) == (0, "committed"), result.output
    assert [entry[k] for k in ("rows_read", "inserted", "updated", "unchanged", "rejected")] == [5, 4, 0, 0, 1]
    assert entry["errors"] == [{"row": 5, "column": "id", "value": "7", "message": "the same id as row 2"}]
    assert query(db_url, "SELECT id, name, type, age FROM pet ORDER BY id") == [
        (3, "Tom", "cat", None), (5, "Bo", "cat", 4), (7, "Rex", "dog", 3), (9, "Kit", "cat", 1)]
    execute(db_url, "DELETE FROM pet")
    by_key = write_csv(tmp_path / "keys.csv", ["name", "type", "age"],
                       [["Rex", "dog", "3"], ["Tom", "cat", "1"], ["Kit", "cat", "2"], ["Rex", "dog", "4"]])
    result = cli("import", "--db", db_url, "--chunk-size", chunk_size, "pets", str(by_key))
    assert result.exit_code == 1
    assert f"{by_key}:5:name, type: the same name, type as row 2 (value 'Rex / dog')" in result.stderr
    assert query(db_url, "SELECT count(*) FROM pet") == [(0,)]
    code, document = import_json(cli, db_url, "--chunk-size", chunk_size, "--max-errors", "1", "pets", str(by_key))
    assert code == 0, document
    assert [document["files"][0][k] for k in ("inserted", "updated", "unchanged", "rejected")] == [3, 0, 0, 1]
    assert query(db_url, "SELECT name, type, age FROM pet ORDER BY name") == [
        ("Kit", "cat", 2), ("Rex", "dog", 3), ("Tom", "cat", 1)]


def test_fresh_table_id_given_to_an_earlier_row_of_the_file_is_matched(cli, db_url: str, tmp_path: Path) -> None:
    """A row written without an id takes a generated id; a later row naming that id updates it,
    as it would on a table that was not empty (so the fresh-table shortcut must stop there)."""
    source = write_csv(tmp_path / "p.csv", ["id", "name", "type", "age"],
                       [["", "Rex", "dog", "3"], ["1", "Max", "dog", "3"], ["2", "Tom", "cat", "1"]])
    code, document = import_json(cli, db_url, "--chunk-size", "1", "pets", str(source))
    assert code == 0, document
    assert [document["files"][0][k] for k in ("inserted", "updated", "unchanged", "rejected")] == [2, 1, 0, 0]
    assert query(db_url, "SELECT id, name, type, age FROM pet ORDER BY id") == [
        (1, "Max", "dog", 3), (2, "Tom", "cat", 1)]


@needs_proc
def test_repeats_far_apart_are_caught_after_the_seen_keys_move_to_disk(
        cli, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a memory budget of 8 keys the file's ids and keys go to temporary files after the
    first chunks; a repeat hundreds of rows later still names the earlier row, and no
    temporary file outlives the import."""
    monkeypatch.setattr("etl.load.keys.MEMORY_BUDGET", 8)
    spilled: list[int] = []
    write = DiskRun.write
    monkeypatch.setattr(DiskRun, "write", lambda blocks, length: spilled.append(length) or write(blocks, length))
    before = temp_fds()
    ids = random.Random(5).sample(range(1, 10_000), 300)
    with_ids = write_csv(tmp_path / "ids.csv", ["id", "name", "type", "age"],
                         [[str(i), f"pet {i}", "cat", "1"] for i in ids] + [[str(ids[3]), "Max", "dog", "2"]])
    code, document = import_json(cli, db_url, "--chunk-size", "7", "--max-errors", "1", "pets", str(with_ids))
    (entry,) = document["files"]
    assert (code, entry["inserted"], entry["rejected"]) == (0, 300, 1), document
    assert entry["errors"] == [{"row": 302, "column": "id", "value": str(ids[3]),
                                "message": "the same id as row 5"}]
    by_key = write_csv(tmp_path / "keys.csv", ["name", "type", "age"],
                       [[f"cat {i}", "cat", "1"] for i in range(300)] + [["cat 1", "cat", "2"]])
    result = cli("import", "--db", db_url, "--chunk-size", "7", "pets", str(by_key))
    assert result.exit_code == 1
    assert f"{by_key}:302:name, type: the same name, type as row 3 (value 'cat 1 / cat')" in result.stderr
    assert spilled and temp_fds() == before
