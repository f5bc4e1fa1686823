"""Shared fixtures: one parametrized database fixture over SQLite, PostgreSQL and MariaDB,
and ways to run the CLI as a user would.

Each pytest process gets its own database on each server (created from the `test`
database and dropped at the end), so parallel test runs never see each other's tables;
each test starts from an empty database. A server that cannot be reached skips its tests
with the reason.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner, Result

from etl.cli import app
from etl.db import make_engine

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DATA = PROJECT_ROOT / "sample_data"
CORPUS = PROJECT_ROOT.parent / "shared" / "corpus"

SERVER_URLS = {
    "postgresql": os.environ.get(
        "ETL_TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
    "mariadb": os.environ.get("ETL_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}
DATABASE_KINDS = ["sqlite", *SERVER_URLS]


def _server_engine(admin_url: str) -> Engine:
    if admin_url.startswith("postgresql"):
        return create_engine(admin_url, isolation_level="AUTOCOMMIT")
    return create_engine(admin_url)


@pytest.fixture(scope="session")
def server_databases() -> Iterator[dict[str, str | Exception]]:
    """kind → URL of a private database for this pytest process, or the reason it is unreachable."""
    urls: dict[str, str | Exception] = {}
    created: list[tuple[str, str]] = []
    for kind, admin_url in SERVER_URLS.items():
        name = f"etl_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        try:
            engine = _server_engine(admin_url)
            with engine.connect() as connection:
                connection.execute(text(f"CREATE DATABASE {name}"))
                connection.commit()
            engine.dispose()
        except Exception as err:  # unreachable server: its tests skip with this reason
            urls[kind] = err
            continue
        urls[kind] = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        created.append((admin_url, name))
    yield urls
    for admin_url, name in created:
        engine = _server_engine(admin_url)
        with engine.connect() as connection:
            if admin_url.startswith("postgresql"):
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            else:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            connection.commit()
        engine.dispose()


def drop_all_tables(url: str) -> None:
    engine = make_engine(url)
    metadata = MetaData()
    metadata.reflect(engine)
    metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture(params=DATABASE_KINDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, server_databases: dict) -> str:
    """URL of an empty database of each kind (SQLite file, PostgreSQL, MariaDB)."""
    kind = request.param
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'etl.db'}"
    url = server_databases[kind]
    if isinstance(url, Exception):
        pytest.skip(f"{kind} unreachable at {SERVER_URLS[kind]}: {str(url).splitlines()[0]}")
    drop_all_tables(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'etl.db'}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


def clean_env(**extra: str) -> dict[str, str]:
    """The environment a user would have: no ETL_* variables unless given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ETL_")}
    env.update(extra)
    return env


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run `etl ARGS…` in-process (typer's CliRunner) in a temporary working directory."""
    for key in list(os.environ):
        if key.startswith("ETL_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        return CliRunner().invoke(app, list(args), env=env, input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def run_etl(tmp_path: Path):
    """Run `python -m etl ARGS…` as a separate process, as cron would."""

    def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 300) -> CliResult:
        proc = subprocess.run(
            [sys.executable, "-m", "etl", *args],
            capture_output=True, text=True, cwd=cwd or tmp_path,
            env=env if env is not None else clean_env(), timeout=timeout, stdin=subprocess.DEVNULL,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def seeded(db_url: str) -> str:
    """A database of each kind holding the export tests' groups, contacts and pets."""
    from tests.test_export import seed

    engine = make_engine(db_url)
    seed(engine)
    engine.dispose()
    return db_url


def query(url: str, sql: str) -> list[tuple]:
    """All rows of a query, as tuples."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def execute(url: str, *statements: str) -> None:
    """Run statements in one transaction."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


LOG_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d) ")
"""What starts every line `etl import` writes off a terminal."""


def log_lines(text: str) -> list[str]:
    """The lines of `etl import` output with their timestamps taken off (each must have one)."""
    lines = text.splitlines()
    for line in lines:
        assert LOG_TIMESTAMP.match(line), f"no timestamp: {line!r}"
    return [LOG_TIMESTAMP.sub("", line, count=1) for line in lines]


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    """A UTF-8, comma-separated CSV file."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path
