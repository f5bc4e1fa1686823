"""The databases an approach runs against: a new SQLite file, or the dedicated `etl_bench`
database on a local server, dropped and created again before every timed run.

Every approach, ours and the baselines, starts from the same state: a database holding
the empty target tables with the DDL `etl init` uses, so nobody's numbers include a
different schema (pandas would otherwise create TEXT/BIGINT columns of its own).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, column as column_clause, create_engine, func, select, table, text
from sqlalchemy.engine import make_url

from etl.db import make_engine
from etl.schema import ensure_target_tables

# ETL_BENCH_DATABASE: a private name for trying the harness while someone else benchmarks.
BENCH_DATABASE = os.environ.get("ETL_BENCH_DATABASE", "etl_bench")
NATURAL_KEY_INDEX = "pet_name_type"
SERVER_URLS = {
    "postgresql": os.environ.get(
        "ETL_BENCH_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    ),
    "mariadb": os.environ.get("ETL_BENCH_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/mysql"),
}
KINDS = ("sqlite", *SERVER_URLS)


@dataclass(frozen=True)
class BenchDatabase:
    """One database kind; `url` names the database every run of an approach uses."""

    kind: str
    url: str
    admin_url: str | None = None

    def recreate(self, tables: list[str]) -> None:
        """Start from nothing but the empty `tables` (and the tables they reference)."""
        if self.kind == "sqlite":
            path = Path(make_url(self.url).database or "")
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            self._recreate_server_database()
        engine = make_engine(self.url)
        try:
            ensure_target_tables(engine, tables)
        finally:
            engine.dispose()
        leftovers = {name: self.count(name) for name in tables}
        if any(leftovers.values()):
            raise RuntimeError(f"{self.kind} {BENCH_DATABASE} is not empty after re-creation: {leftovers}"
                               " (is another benchmark using it?)")

    def count(self, table_name: str) -> int:
        engine = make_engine(self.url)
        try:
            with engine.connect() as connection:
                return connection.execute(select(func.count()).select_from(table(table_name))).scalar_one()
        finally:
            engine.dispose()

    def total(self, table_name: str, column: str) -> int:
        """SUM(column) of the table (0 when empty): checks what an upsert changed."""
        engine = make_engine(self.url)
        try:
            with engine.connect() as connection:
                found = connection.execute(
                    select(func.coalesce(func.sum(column_clause(column)), 0)).select_from(table(table_name))
                ).scalar_one()
                return int(found)
        finally:
            engine.dispose()

    def add_natural_key(self) -> None:
        """A unique index on pet (name, type): what an upsert on the natural key needs
        (ON CONFLICT / ON DUPLICATE KEY name it), given to every approach alike."""
        self.execute(f"CREATE UNIQUE INDEX {NATURAL_KEY_INDEX} ON pet (name, type)")

    def execute(self, statement: str) -> None:
        engine = make_engine(self.url)
        try:
            with engine.begin() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()

    def server_version(self) -> str:
        engine = make_engine(self.admin_url or self.url)
        try:
            with engine.connect() as connection:
                if self.kind == "sqlite":
                    return "SQLite " + connection.exec_driver_sql("select sqlite_version()").scalar_one()
                return str(connection.exec_driver_sql("select version()").scalar_one()).split(" on ")[0]
        finally:
            engine.dispose()

    def _recreate_server_database(self) -> None:
        assert self.admin_url is not None
        engine = _admin_engine(self.admin_url)
        try:
            with engine.connect() as connection:
                if self.kind == "postgresql":
                    connection.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)"))
                    connection.execute(text(f"CREATE DATABASE {BENCH_DATABASE}"))
                else:
                    connection.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DATABASE}"))
                    connection.execute(
                        text(f"CREATE DATABASE {BENCH_DATABASE} CHARACTER SET utf8mb4")
                    )
        finally:
            engine.dispose()

    def drop(self) -> None:
        """Remove what the benchmark created (the SQLite file or the server database)."""
        if self.kind == "sqlite":
            path = Path(make_url(self.url).database or "")
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return
        assert self.admin_url is not None
        engine = _admin_engine(self.admin_url)
        try:
            with engine.connect() as connection:
                suffix = " WITH (FORCE)" if self.kind == "postgresql" else ""
                connection.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DATABASE}{suffix}"))
        finally:
            engine.dispose()


def bench_database(kind: str, work_dir: Path) -> BenchDatabase:
    """The benchmark database of `kind`; raises if its server cannot be reached."""
    if kind == "sqlite":
        return BenchDatabase("sqlite", f"sqlite:///{work_dir / 'bench.sqlite'}")
    if kind not in SERVER_URLS:
        raise ValueError(f"unknown database {kind!r}; choose from {', '.join(KINDS)}")
    admin_url = SERVER_URLS[kind]
    engine = _admin_engine(admin_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        engine.dispose()
    url = make_url(admin_url).set(database=BENCH_DATABASE).render_as_string(hide_password=False)
    return BenchDatabase(kind, url, admin_url)


def _admin_engine(admin_url: str) -> Engine:
    return create_engine(admin_url, isolation_level="AUTOCOMMIT")
