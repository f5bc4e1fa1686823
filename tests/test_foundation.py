"""Foundation: `etl init`, the exact target layout, configuration precedence, no password leaks."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Integer, String, inspect

from etl.config import DEFAULT_DATABASE_URL, Settings, resolve_database_url
from etl.db import make_engine, redact, safe_url
from etl.errors import ConfigError
from tests.conftest import clean_env

EXPECTED_LAYOUT = {
    "pet": [("id", Integer, None, False), ("name", String, None, True),
            ("type", String, None, True), ("age", Integer, None, True)],
    "grupos": [("id", Integer, None, False), ("grupo", String, 300, False),
               ("descripcion", String, 500, False)],
    "contactos": [("id", Integer, None, False), ("nombre", String, 100, False),
                  ("telefono", String, 11, False), ("grupo_id", Integer, None, False)],
}
LEDGER_TABLES = {"etl_import_run", "etl_loaded_file", "etl_lock", "etl_run", "etl_run_attempt", "etl_file_claim"}


def test_init_creates_exact_layout_and_is_safe_twice(cli, db_url: str) -> None:
    first = cli("init", "--db", db_url)
    assert first.exit_code == 0, first.output
    assert "created" in first.stdout
    second = cli("init", "--db", db_url)
    assert second.exit_code == 0, second.output
    assert "nothing to do" in second.stdout

    engine = make_engine(db_url)
    inspector = inspect(engine)
    assert set(inspector.get_table_names()) == set(EXPECTED_LAYOUT) | LEDGER_TABLES
    for table, expected in EXPECTED_LAYOUT.items():
        columns = inspector.get_columns(table)
        assert [c["name"] for c in columns] == [name for name, *_ in expected]
        for column, (name, sql_type, length, nullable) in zip(columns, expected):
            assert isinstance(column["type"], sql_type), (table, name, column["type"])
            if length is not None:
                assert column["type"].length == length, (table, name)
            assert column["nullable"] == nullable, (table, name)
        assert inspector.get_pk_constraint(table)["constrained_columns"] == ["id"]
    foreign_keys = inspector.get_foreign_keys("contactos")
    assert [(fk["constrained_columns"], fk["referred_table"], fk["referred_columns"])
            for fk in foreign_keys] == [(["grupo_id"], "grupos", ["id"])]
    engine.dispose()


def test_init_keeps_existing_tables_and_rows(cli, db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE pet (id INTEGER PRIMARY KEY, name VARCHAR(50), type VARCHAR(50), age INTEGER)"
        )
        connection.exec_driver_sql("INSERT INTO pet (id, name, type, age) VALUES (7, 'Rex', 'dog', 3)")
    result = cli("init", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert "pet" not in result.stdout.split(" in ")[0].replace("created ", "").split(", ")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT id, name, type, age FROM pet").all() == [
            (7, "Rex", "dog", 3)
        ]
    assert inspect(engine).get_columns("pet")[1]["type"].length == 50
    engine.dispose()


def test_database_url_precedence() -> None:
    env = {"ETL_DATABASE_URL": "sqlite:///from-env.db"}
    assert resolve_database_url("sqlite:///from-option.db", env) == "sqlite:///from-option.db"
    assert resolve_database_url(None, env) == "sqlite:///from-env.db"
    assert resolve_database_url(None, {}) == DEFAULT_DATABASE_URL == "sqlite:///etl.db"
    assert Settings.resolve(environ={}).database_url == "sqlite:///etl.db"


def test_cli_uses_env_then_option_then_default(run_etl, tmp_path: Path) -> None:
    from_env = tmp_path / "from-env.db"
    from_option = tmp_path / "from-option.db"
    env = clean_env(ETL_DATABASE_URL=f"sqlite:///{from_env}")

    assert run_etl("init", env=env).exit_code == 0
    assert from_env.exists() and not (tmp_path / "etl.db").exists()

    assert run_etl("init", "--db", f"sqlite:///{from_option}", env=env).exit_code == 0
    assert from_option.exists()

    assert run_etl("init").exit_code == 0
    assert (tmp_path / "etl.db").exists()


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://etluser:S3cretPassw0rd@127.0.0.1:1/test",
        "mysql+pymysql://etluser:S3cretPassw0rd@127.0.0.1:1/test",
    ],
)
def test_unreachable_server_error_hides_password(run_etl, url: str, debug: bool) -> None:
    args = ["--debug"] if debug else []
    result = run_etl(*args, "init", "--db", url, timeout=60)
    assert result.exit_code != 0
    combined = result.stdout + result.stderr
    assert "S3cretPassw0rd" not in combined
    if not debug:
        assert result.exit_code == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("etl: error: cannot connect to database")
        assert "etluser:***@127.0.0.1:1" in lines[0]
        assert "Traceback" not in combined


def test_malformed_url_is_a_usage_error(run_etl) -> None:
    result = run_etl("init", "--db", "not a url")
    assert result.exit_code == 2
    assert result.stderr.startswith("etl: error: invalid database URL")


def test_redact_and_safe_url() -> None:
    url = "postgresql+psycopg://me:pa55word@db.example/prod"
    assert safe_url(url) == "postgresql+psycopg://me:***@db.example/prod"
    assert redact("failed for me:pa55word at host", url) == "failed for me:*** at host"
    with pytest.raises(ConfigError):
        make_engine("::nonsense::")


def test_sqlite_engine_settings(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    engine.dispose()


def test_read_only_engine_refuses_writes(db_url: str) -> None:
    writer = make_engine(db_url)
    with writer.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    writer.dispose()
    reader = make_engine(db_url, read_only=True)
    with pytest.raises(Exception):
        with reader.begin() as connection:
            connection.exec_driver_sql("INSERT INTO t (x) VALUES (1)")
    with reader.connect() as connection:
        assert connection.exec_driver_sql("SELECT COUNT(*) FROM t").scalar() == 0
    reader.dispose()


def test_pipelines_lists_builtin_pipelines(cli) -> None:
    result = cli("pipelines")
    assert result.exit_code == 0, result.output
    for name, table in [("pets", "pet"), ("groups", "grupos"), ("contacts", "contactos")]:
        assert name in result.stdout and table in result.stdout
