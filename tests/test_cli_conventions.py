"""Command-line conventions: -h everywhere, --version, --db before or after the command's
name, URL schemes people write, commands listed in order with whole descriptions, no
database file from a command that failed before touching data, the same exit codes with
--debug, and one JSON document under --json whatever happens."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import typer
from sqlalchemy.engine import make_url

from etl.cli.app import COMMAND_ORDER, app
from etl.db import parse_url
from tests.conftest import SAMPLE_DATA, clean_env, query

COMMANDS = [name for name in COMMAND_ORDER if name in typer.main.get_command(app).commands]


@pytest.mark.parametrize("args", [["-h"], ["--help"], ["pipelines", "new", "-h"], *[[name, "-h"] for name in COMMANDS]])
def test_help_everywhere(run_etl, args: list[str]) -> None:
    result = run_etl(*args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Usage: etl ")
    assert result.stderr == ""


def test_version(run_etl) -> None:
    from importlib.metadata import version

    result = run_etl("--version")
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"etl {version('etl')}\n", "")


def test_commands_listed_in_order_with_whole_one_line_descriptions(run_etl) -> None:
    result = run_etl("--help", env=clean_env(COLUMNS="80"))
    listed = result.stdout.split("Commands:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in listed] == COMMANDS
    group = typer.main.get_command(app)
    docs = {name: command.get_short_help_str(1000) for name, command in group.commands.items()}
    for line in listed:
        name, description = line.split(maxsplit=1)
        assert description == docs[name]
        assert len(line) <= 80


@pytest.mark.parametrize(("name", "usage"), [
    ("import", "Usage: etl import [OPTIONS] PIPELINE [PATH...]"),  # with --table, PIPELINE is the first file
    ("export", "Usage: etl export [OPTIONS] SOURCE [OUTPUT]"),
    ("template", "Usage: etl template [OPTIONS] PIPELINE OUTPUT"),
    ("report", "Usage: etl report [OPTIONS] NAME OUTPUT"),
])
def test_plain_usage_lines(run_etl, name: str, usage: str) -> None:
    assert run_etl(name, "-h").stdout.splitlines()[0] == usage


def test_db_before_or_after_the_command_name_and_after_wins(run_etl, db_url: str, tmp_path: Path) -> None:
    elsewhere = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    pets = str(SAMPLE_DATA / "pets.csv")
    assert run_etl("--db", db_url, "init").exit_code == 0
    assert run_etl("--db", elsewhere, "import", "--db", db_url, "pets", pets).exit_code == 0
    assert not (tmp_path / "elsewhere.db").exists()
    assert query(db_url, "SELECT COUNT(*) FROM pet") == [(4,)]
    history = run_etl("--db", db_url, "history", "--json")
    assert [r["status"] for r in json.loads(history.stdout)["runs"]] == ["committed"]
    assert run_etl("--db", db_url, "export", "pets", str(tmp_path / "p.csv")).exit_code == 0
    assert len((tmp_path / "p.csv").read_text(encoding="utf-8").splitlines()) == 5
    assert run_etl("--db", db_url, "report", "pets-by-type", str(tmp_path / "r.xlsx")).exit_code == 0
    assert run_etl("--db", db_url, "pipelines").exit_code == 0
    assert run_etl("pipelines", "--db", db_url).exit_code == 0
    assert run_etl("template", "--db", db_url, "pets", str(tmp_path / "t.xlsx")).exit_code == 0
    assert run_etl("--db", db_url, "template", "pets", str(tmp_path / "t2.xlsx")).exit_code == 0


@pytest.mark.parametrize(("given", "expected"), [
    ("postgres://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgres+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("mysql://root@h:3306/db", "mysql+pymysql://root@h:3306/db"),
    ("mariadb://root@h/db", "mariadb+pymysql://root@h/db"),
    ("mysql+pymysql://root@h/db", "mysql+pymysql://root@h/db"),
    ("sqlite:///etl.db", "sqlite:///etl.db"),
])
def test_url_schemes_map_to_the_installed_drivers(given: str, expected: str) -> None:
    assert parse_url(given).render_as_string(hide_password=False) == expected


@pytest.mark.parametrize(("kind", "schemes"), [("postgresql", ["postgres", "postgresql"]),
                                               ("mariadb", ["mysql", "mariadb"])])
def test_plain_url_schemes_reach_the_servers(run_etl, server_databases: dict, kind: str,
                                             schemes: list[str]) -> None:
    url = server_databases[kind]
    if isinstance(url, Exception):
        pytest.skip(f"{kind} unreachable")
    for scheme in schemes:
        plain = make_url(url).set(drivername=scheme).render_as_string(hide_password=False)
        result = run_etl("--db", plain, "history", "--json")
        assert result.exit_code == 0, result.stderr
        assert "runs" in json.loads(result.stdout)


FAILS_BEFORE_DATA = [
    (["export", "pest", "out.csv"], 2, "unknown pipeline or table 'pest'"),
    (["export", "pets", "out.csv"], 2, "table 'pet' of pipeline 'pets' does not exist yet"),
    (["report", "contacts-by-group", "r.xlsx"], 2, "no such table"),
    (["import", "pest", "x.csv"], 2, "unknown pipeline 'pest'"),
    (["import", "pets", "missing.csv"], 2, "no such file or folder: missing.csv"),
    (["import", "--table", "nope", str(SAMPLE_DATA / "pets.csv")], 2, "table 'nope' does not exist"),
    (["history"], 0, ""),
]


@pytest.mark.parametrize(("args", "code", "message"), FAILS_BEFORE_DATA)
def test_failing_before_touching_data_creates_no_database_file(run_etl, tmp_path: Path, args: list[str],
                                                               code: int, message: str) -> None:
    result = run_etl(*args)
    assert result.exit_code == code, result.stderr
    assert message in result.stderr
    assert sorted(os.listdir(tmp_path)) == []


@pytest.mark.parametrize(("args", "code"), [
    (["import", "nope", "x.csv"], 2),
    (["import", "pets", "missing.csv"], 2),
    (["import", "contacts", str(SAMPLE_DATA / "contactos_con_errores.csv")], 1),
    (["import", "pets", str(SAMPLE_DATA / "pets.csv"), "--db", "postgresql://u:pw@127.0.0.1:1/x"], 2),
    (["export", "pets", "out.pdf"], 2),
    (["import", "--bogus", "pets", "x.csv"], 2),
])
def test_exit_codes_are_the_same_with_debug(run_etl, tmp_path: Path, args: list[str], code: int) -> None:
    env = clean_env(ETL_DATABASE_URL=f"sqlite:///{tmp_path / 'etl.db'}")
    plain = run_etl(*args, env=env)
    debug = run_etl("--debug", *args, env=env)
    assert (plain.exit_code, debug.exit_code) == (code, code), plain.stderr + debug.stderr
    assert "Traceback" not in plain.stderr
    assert "pw@" not in debug.stderr + debug.stdout


def test_debug_adds_the_traceback_to_the_one_line_error(run_etl) -> None:
    result = run_etl("--debug", "import", "--db", "postgresql://u:pw@127.0.0.1:1/x", "pets",
                     str(SAMPLE_DATA / "pets.csv"))
    assert result.exit_code == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert "etl: error: cannot connect to database postgresql+psycopg://u:***@127.0.0.1:1/x: " in (
        result.stderr.rstrip().splitlines()[-1])


@pytest.mark.parametrize(("args", "collection", "code", "message"), [
    (["import", "--db", "postgresql://u:pw@127.0.0.1:1/x", "--json", "pets", str(SAMPLE_DATA / "pets.csv")],
     "files", 2, "cannot connect to database postgresql+psycopg://u:***@127.0.0.1:1/x"),
    (["history", "--db", "mysql://root:pw@127.0.0.1:1/x", "--json"], "runs", 2, "cannot connect to database"),
    (["import", "--json", "nope", "x.csv"], "files", 2, "unknown pipeline 'nope'"),
    (["import", "--json", "pets"], "files", 2, "name at least one file (or folder) to import"),
    (["history", "--json", "--limit", "0"], "runs", 2, "--limit"),
])
def test_json_is_always_one_document(run_etl, args: list[str], collection: str, code: int,
                                     message: str) -> None:
    result = run_etl(*args, timeout=60)
    assert result.exit_code == code
    document = json.loads(result.stdout)
    assert document[collection] == []
    assert document["error"]["exit_code"] == code
    assert message in document["error"]["message"]
    assert "pw@" not in result.stdout + result.stderr
