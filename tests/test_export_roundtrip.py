"""Export, then `etl import` the file: every row is `unchanged`, for every pipeline, CSV and
XLSX, on every database; and an edited export updates the very rows it came from."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from etl.cli import app
from etl.db import make_engine
from tests.test_export import CONTACTS, GROUPS, PETS

IMPORT_REGISTERED = any(command.name == "import" for command in app.registered_commands)
pytestmark = pytest.mark.skipif(not IMPORT_REGISTERED, reason="etl import is not registered yet")
ROWS = {"pets": len(PETS), "groups": len(GROUPS), "contacts": len(CONTACTS)}


def table_rows(url: str) -> dict[str, list[tuple]]:
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = {
            table: [tuple(row) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))]
            for table in ("pet", "grupos", "contactos")
        }
    engine.dispose()
    return rows


def import_json(cli, url: str, pipeline: str, path: Path) -> dict:
    result = cli("import", "--db", url, "--json", pipeline, str(path))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["files"][0]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("pipeline", ["pets", "groups", "contacts"])
def test_reimporting_an_export_changes_nothing(cli, seeded: str, tmp_path: Path, pipeline: str, fmt: str) -> None:
    before = table_rows(seeded)
    output = tmp_path / f"{pipeline}.{fmt}"
    assert cli("export", "--db", seeded, pipeline, str(output)).exit_code == 0
    report = import_json(cli, seeded, pipeline, output)
    assert report["status"] == "committed", report
    assert (report["rows_read"], report["unchanged"]) == (ROWS[pipeline], ROWS[pipeline]), report
    assert (report["inserted"], report["updated"], report["rejected"]) == (0, 0, 0), report
    assert table_rows(seeded) == before


def test_excel_compatible_csv_reimports_unchanged(cli, seeded: str, tmp_path: Path) -> None:
    output = tmp_path / "contacts.csv"
    assert cli("export", "--db", seeded, "contacts", str(output), "--excel-compatible").exit_code == 0
    report = import_json(cli, seeded, "contacts", output)
    assert report["unchanged"] == len(CONTACTS) and report["detected"]["encoding"].startswith("utf-8")


def test_edited_export_updates_its_rows(cli, seeded: str, tmp_path: Path) -> None:
    output = tmp_path / "contacts.csv"
    assert cli("export", "--db", seeded, "contacts", str(output)).exit_code == 0
    with output.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[1][1] = "Ana María Pérez"  # a rename: matched on id, not on the (nombre, telefono) key
    rows[2][3] = "Familia"
    with output.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    report = import_json(cli, seeded, "contacts", output)
    assert (report["updated"], report["unchanged"], report["inserted"]) == (2, len(CONTACTS) - 2, 0), report
    contacts = table_rows(seeded)["contactos"]
    assert contacts[0] == (1, "Ana María Pérez", "04125550001", 1)
    assert contacts[1][3] == 1


def test_group_created_by_a_contacts_import_round_trips(cli, db_url: str, tmp_path: Path) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("nombre,telefono,grupo\nAna,04125550001,Nuevo\n", encoding="utf-8")
    assert cli("import", "--db", db_url, "contacts", str(contacts)).exit_code == 0
    groups = tmp_path / "groups.csv"
    assert cli("export", "--db", db_url, "groups", str(groups)).exit_code == 0
    report = import_json(cli, db_url, "groups", groups)
    assert report["unchanged"] == 1


EVENTS_PIPELINE = """
name = "events"
table = "event"
key = ["title"]

[[columns]]
name = "title"
headers = ["title", "titulo"]
required = true

[[columns]]
name = "day"
headers = ["day", "dia"]
type = "date"
date_format = "%d/%m/%Y"

[[columns]]
name = "at"
headers = ["at"]
type = "datetime"
"""


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_pipeline_dates_round_trip(cli, db_url: str, tmp_path: Path, fmt: str) -> None:
    """A table etl did not create, a date column with its own format: CSV writes that format."""
    pipelines = tmp_path / "pipelines"
    pipelines.mkdir()
    (pipelines / "events.toml").write_text(EVENTS_PIPELINE, encoding="utf-8")
    engine = make_engine(db_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE event (id INTEGER PRIMARY KEY, title VARCHAR(50), day DATE, at TIMESTAMP NULL)"
        )
        connection.exec_driver_sql(
            "INSERT INTO event (id, title, day, at) VALUES (1, 'Fiesta', '2024-12-31', '2024-12-31 22:30:00'),"
            " (2, 'Nada', NULL, NULL)"
        )
    engine.dispose()
    output = tmp_path / f"events.{fmt}"
    assert cli("export", "--db", db_url, "--pipelines-dir", str(pipelines), "events", str(output)).exit_code == 0
    if fmt == "csv":
        assert output.read_text(encoding="utf-8").splitlines() == [
            "id,title,day,at", "1,Fiesta,31/12/2024,2024-12-31 22:30:00", "2,Nada,,",
        ]
    result = cli("import", "--db", db_url, "--pipelines-dir", str(pipelines), "--json", "events", str(output))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["files"][0]
    assert (report["unchanged"], report["updated"], report["inserted"]) == (2, 0, 0), report


EVERY_KIND = {"t": "text", "i": "integer", "d": "decimal", "b": "boolean", "day": "date", "at": "datetime",
              "u": "uuid", "tm": "time", "doc": "json"}
KIND_DDL = {
    "sqlite": "t TEXT, i INTEGER, d NUMERIC(12, 3), b BOOLEAN, day DATE, at DATETIME, u CHAR(36), tm TIME, doc JSON",
    "postgresql": "t TEXT, i INTEGER, d NUMERIC(12, 3), b BOOLEAN, day DATE, at TIMESTAMP, u UUID, tm TIME,"
                  " doc JSONB",
    "mariadb": "t TEXT, i INTEGER, d DECIMAL(12, 3), b BOOLEAN, day DATE, at DATETIME(6), u CHAR(36), tm TIME(6),"
               " doc JSON",
}
KIND_ROWS = (
    "(1, 'Ana', 7, 1234.5, TRUE, '2024-12-31', '2024-12-31 08:30:00.123456',"
    " '123e4567-e89b-12d3-a456-426614174000', '08:30:00.123456', '{\"a\": [1, 2.5, \"x\"], \"b\": null}'),"
    " (2, '007', -2, 0.001, FALSE, '1999-01-01', '2000-02-29 23:59:59',"
    " '00000000-0000-0000-0000-00000000000a', '23:59:59', 'null'),"
    " (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"
)


def kinds_pipeline(folder: Path) -> Path:
    folder.mkdir()
    columns = "".join(f'\n[[columns]]\nname = "{name}"\ntype = "{kind}"\n' for name, kind in EVERY_KIND.items())
    (folder / "kinds.toml").write_text(f'name = "kinds"\ntable = "kinds"\nkey = ["i"]\n{columns}',
                                       encoding="utf-8")
    return folder


def kinds_rows(url: str) -> list[tuple]:
    from tests.conftest import query

    return query(url, "SELECT * FROM kinds ORDER BY id")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_pipeline_kind_round_trips_exactly(cli, db_url: str, tmp_path: Path, fmt: str) -> None:
    """text, integer, decimal, boolean, date, datetime, uuid, time and json: export, then
    import the file back: every row `unchanged`, the table's values equal."""
    from tests.conftest import execute

    kind = "postgresql" if db_url.startswith("postgresql") else "mariadb" if db_url.startswith("mysql") else "sqlite"
    execute(db_url, f"CREATE TABLE kinds (id INTEGER PRIMARY KEY, {KIND_DDL[kind]})",
            f"INSERT INTO kinds VALUES {KIND_ROWS}")
    pipelines = kinds_pipeline(tmp_path / "pipelines")
    before = kinds_rows(db_url)
    output = tmp_path / f"kinds.{fmt}"
    result = cli("export", "--db", db_url, "--pipelines-dir", str(pipelines), "kinds", str(output))
    assert result.exit_code == 0, result.output
    result = cli("import", "--db", db_url, "--pipelines-dir", str(pipelines), "--json", "kinds", str(output))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["files"][0]
    assert (report["unchanged"], report["updated"], report["inserted"], report["rejected"]) == (3, 0, 0, 0), report
    assert kinds_rows(db_url) == before


def test_new_kinds_import_into_a_fresh_table_and_refuse_bad_values(cli, db_url: str, tmp_path: Path) -> None:
    from tests.conftest import execute

    kind = "postgresql" if db_url.startswith("postgresql") else "mariadb" if db_url.startswith("mysql") else "sqlite"
    execute(db_url, f"CREATE TABLE kinds (id INTEGER PRIMARY KEY, {KIND_DDL[kind]})")
    pipelines = kinds_pipeline(tmp_path / "pipelines")
    good = tmp_path / "good.csv"
    good.write_text("id,i,u,tm,doc\n1,1,123E4567-E89B-12D3-A456-426614174000,08:30,\"{\"\"k\"\": [1.10]}\"\n"
                    "2,2,,,null\n", encoding="utf-8")
    result = cli("import", "--db", db_url, "--pipelines-dir", str(pipelines), "--json", "kinds", str(good))
    assert result.exit_code == 0, result.output
    again = cli("import", "--db", db_url, "--pipelines-dir", str(pipelines), "--json", "--force", "kinds", str(good))
    assert json.loads(again.stdout)["files"][0]["unchanged"] == 2, again.stdout
    from tests.conftest import query

    stored = query(db_url, "SELECT u, doc FROM kinds ORDER BY i")
    assert str(stored[0][0]).lower() == "123e4567-e89b-12d3-a456-426614174000"
    assert stored[1][1] in ("null", None) and stored[1][1] is not None  # the document null, not SQL NULL
    bad = tmp_path / "bad.csv"
    bad.write_text("id,i,u,tm,doc\n3,3,not-a-uuid,25:00,{oops\n", encoding="utf-8")
    result = cli("import", "--db", db_url, "--pipelines-dir", str(pipelines), "--json", "kinds", str(bad))
    assert result.exit_code == 1
    messages = {error["column"]: error["message"] for error in json.loads(result.stdout)["files"][0]["errors"]}
    assert messages["u"].startswith("not a UUID") and messages["tm"].startswith("not a time of day")
    assert messages["doc"].startswith("not valid JSON")
