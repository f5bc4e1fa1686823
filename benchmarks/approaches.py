"""What is measured: the tasks (one job on one input) and the approaches to each task.

An approach is `etl` itself or a named baseline, always a whole child process: `etl` as
`python -m etl …`, Python baselines as `python -m benchmarks.baselines NAME URL PATH`,
and the database shells (`sqlite3`, `psql`) where they are installed.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from benchmarks.databases import BenchDatabase

ETL = "etl"
BASELINE = "baseline"


@dataclass(frozen=True)
class Context:
    """Where one timed run reads and writes."""

    database: BenchDatabase
    source: Path
    work_dir: Path
    output: Path | None = None


@dataclass(frozen=True)
class Task:
    """One job on one input: import a file into fresh tables, or export a table to a file."""

    key: str
    title: str
    tables: tuple[str, ...]
    input_name: str
    databases: tuple[str, ...]
    count_table: str | None = None
    output_suffix: str | None = None
    # An upsert: before every run the table is filled from this input (untimed) and gets
    # the natural key's unique index; afterwards its row count and age total are checked.
    prefill: str | None = None

    @property
    def is_export(self) -> bool:
        return self.output_suffix is not None


@dataclass(frozen=True)
class Approach:
    """One way to do a task; `argv` builds the child's command line for a context."""

    name: str
    task: str
    role: str
    argv: Callable[[Context], list[str]]
    databases: tuple[str, ...] = ("sqlite", "postgresql", "mariadb")
    needs: str | None = None
    reimport: bool = False
    stdin: Callable[[Context], Path] | None = field(default=None)


TASKS = (
    Task("import-pets-csv", "Import pets CSV (id,name,type,age)", ("pet",), "pets_csv",
         ("sqlite", "postgresql", "mariadb"), count_table="pet"),
    Task("import-contacts-csv", "Import contacts CSV (group looked up by name)", ("contactos",),
         "contacts_csv", ("sqlite", "postgresql", "mariadb"), count_table="contactos"),
    Task("import-pets-xlsx", "Import pets XLSX", ("pet",), "pets_xlsx", ("sqlite",),
         count_table="pet"),
    Task("import-contacts-xlsx",
         "Import contacts XLSX (phones typed as numbers, group typos: what warnings cost)",
         ("contactos",), "contacts_xlsx", ("sqlite", "postgresql", "mariadb"), count_table="contactos"),
    Task("import-pets-folder", "Import a folder of 40 pets CSVs, one transaction each", ("pet",),
         "pets_folder", ("sqlite", "postgresql", "mariadb"), count_table="pet"),
    Task("upsert-pets-csv",
         "Upsert pets CSV into a full table (10% changed, 10% new, key name+type, no id)",
         ("pet",), "upsert_csv", ("sqlite", "postgresql", "mariadb"), count_table="pet",
         prefill="pets_csv"),
    Task("export-pets-csv", "Export pets to CSV", ("pet",), "export_db",
         ("sqlite", "postgresql", "mariadb"), output_suffix=".csv"),
    Task("export-pets-xlsx", "Export pets to XLSX", ("pet",), "export_db_xlsx",
         ("sqlite", "postgresql", "mariadb"), output_suffix=".xlsx"),
)
TASKS_BY_KEY = {task.key: task for task in TASKS}


def etl_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "etl", *args]


def baseline(name: str) -> Callable[[Context], list[str]]:
    def argv(context: Context) -> list[str]:
        path = context.output or context.source
        return [sys.executable, "-m", "benchmarks.baselines", name, context.database.url, str(path)]

    return argv


def _etl_import(pipeline: str, *extra: str) -> Callable[[Context], list[str]]:
    def argv(context: Context) -> list[str]:
        return etl_argv("import", "--db", context.database.url, *extra, pipeline, str(context.source))

    return argv


def _etl_import_without_warnings(pipeline: str) -> Callable[[Context], list[str]]:
    """`etl import` with its warnings switched off (`benchmarks/without_warnings.py`)."""
    def argv(context: Context) -> list[str]:
        return [sys.executable, "-m", "benchmarks.without_warnings", "import", "--db", context.database.url,
                pipeline, str(context.source)]

    return argv


def _etl_export(context: Context) -> list[str]:
    return etl_argv("export", "--db", context.database.url, "pets", str(context.output))


def _sqlite_file(context: Context) -> str:
    return make_url(context.database.url).database or ""


def _sqlite_shell(context: Context) -> list[str]:
    return ["sqlite3", _sqlite_file(context)]


def _sqlite_import_script(context: Context) -> Path:
    script = context.work_dir / "sqlite-import.sql"
    script.write_text(f".import --csv --skip 1 '{context.source}' pet\n", encoding="utf-8")
    return script


def _sqlite_export_script(context: Context) -> Path:
    script = context.work_dir / "sqlite-export.sql"
    script.write_text(
        f".headers on\n.mode csv\n.output '{context.output}'\n"
        "SELECT id, name, type, age FROM pet ORDER BY id;\n",
        encoding="utf-8",
    )
    return script


def _psql(context: Context, command: str) -> list[str]:
    url = make_url(context.database.url)
    return ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", url.host or "127.0.0.1",
            "-p", str(url.port or 5432), "-U", url.username or "postgres",
            "-d", url.database or "", "-c", command]


def _psql_copy(context: Context) -> list[str]:
    return _psql(context, f"\\copy pet (id, name, type, age) FROM '{context.source}' "
                          "WITH (FORMAT csv, HEADER true)")


def _psql_copy_to(context: Context) -> list[str]:
    return _psql(context, "\\copy (SELECT id, name, type, age FROM pet ORDER BY id) "
                          f"TO '{context.output}' WITH (FORMAT csv, HEADER true)")


ALL = ("sqlite", "postgresql", "mariadb")
DUCKDB = ("sqlite", "postgresql")  # the scanners PyPI has wheels for
ADBC = ("sqlite", "postgresql")    # the ADBC drivers PyPI has
WITHOUT_WARNINGS = "etl import, warnings off"
# The names of the issue-18 baselines, used by the report's targets.
DUCKDB_IMPORT, POLARS_IMPORT = "DuckDB read_csv → INSERT", "polars + ADBC"
UPSERT_LIMIT = "limit: staging table + set-based upsert"
DUCKDB_EXPORT = "DuckDB COPY … TO"
APPROACHES = (
    Approach("etl import", "import-pets-csv", ETL, _etl_import("pets"), needs="import"),
    Approach("etl import --force (all unchanged)", "import-pets-csv", ETL,
             _etl_import("pets", "--force"), needs="import", reimport=True),
    Approach("sqlite3 shell .import", "import-pets-csv", BASELINE, _sqlite_shell, ("sqlite",),
             needs="sqlite3", stdin=_sqlite_import_script),
    Approach("psycopg COPY", "import-pets-csv", BASELINE, baseline("postgresql_copy"),
             ("postgresql",)),
    Approach("psql \\copy", "import-pets-csv", BASELINE, _psql_copy, ("postgresql",), needs="psql"),
    Approach("LOAD DATA LOCAL INFILE", "import-pets-csv", BASELINE, baseline("mariadb_load_data"),
             ("mariadb",)),
    Approach(DUCKDB_IMPORT, "import-pets-csv", BASELINE, baseline("duckdb_insert"), DUCKDB,
             needs="python:duckdb"),
    Approach(POLARS_IMPORT, "import-pets-csv", BASELINE, baseline("polars_adbc"), ADBC,
             needs="python:polars,adbc_driver_sqlite"),
    Approach("sqlite3 executemany, one call", "import-pets-csv", BASELINE,
             baseline("sqlite_executemany_one_transaction"), ("sqlite",)),
    Approach("csv + executemany", "import-pets-csv", BASELINE, baseline("dbapi_executemany"), ALL),
    Approach("Core executemany/10k", "import-pets-csv", BASELINE, baseline("core_executemany"), ALL),
    Approach("pandas to_sql", "import-pets-csv", BASELINE, baseline("pandas_to_sql"), ALL),
    Approach("ORM bulk insert/10k", "import-pets-csv", BASELINE, baseline("orm_bulk_insert"), ALL),
    Approach("etl import --workers 2", "import-pets-folder", ETL, _etl_import("pets", "--workers", "2"),
             needs="import"),
    Approach("etl import --workers 1", "import-pets-folder", BASELINE,
             _etl_import("pets", "--workers", "1"), needs="import"),
    Approach("etl import", "import-contacts-csv", ETL, _etl_import("contacts"), needs="import"),
    Approach("csv + executemany", "import-contacts-csv", BASELINE,
             baseline("contacts_dbapi_executemany"), ALL),
    Approach("pandas to_sql", "import-contacts-csv", BASELINE, baseline("contacts_pandas_to_sql"),
             ALL),
    Approach(WITHOUT_WARNINGS, "import-contacts-csv", BASELINE, _etl_import_without_warnings("contacts"),
             needs="import"),
    Approach("etl import", "import-contacts-xlsx", ETL, _etl_import("contacts"), needs="import"),
    Approach(WITHOUT_WARNINGS, "import-contacts-xlsx", BASELINE, _etl_import_without_warnings("contacts"),
             needs="import"),
    Approach("etl import", "import-pets-xlsx", ETL, _etl_import("pets"), needs="import"),
    Approach("pandas read_excel + to_sql", "import-pets-xlsx", BASELINE,
             baseline("xlsx_pandas_to_sql")),
    Approach("openpyxl read-only + executemany", "import-pets-xlsx", BASELINE,
             baseline("xlsx_openpyxl_executemany")),
    Approach("calamine + executemany", "import-pets-xlsx", BASELINE,
             baseline("xlsx_calamine_executemany")),
    Approach("etl import", "upsert-pets-csv", ETL, _etl_import("pets"), needs="import"),
    Approach(UPSERT_LIMIT, "upsert-pets-csv", BASELINE, baseline("upsert_sqlite_staging"),
             ("sqlite",)),
    Approach(UPSERT_LIMIT, "upsert-pets-csv", BASELINE, baseline("upsert_postgresql_staging"),
             ("postgresql",)),
    Approach(UPSERT_LIMIT, "upsert-pets-csv", BASELINE, baseline("upsert_mariadb_staging"),
             ("mariadb",)),
    Approach("DuckDB staging + UPDATE … FROM + INSERT", "upsert-pets-csv", BASELINE,
             baseline("upsert_duckdb"), DUCKDB, needs="python:duckdb"),
    Approach("etl export", "export-pets-csv", ETL, _etl_export, needs="export"),
    Approach(DUCKDB_EXPORT, "export-pets-csv", BASELINE, baseline("export_csv_duckdb"), DUCKDB,
             needs="python:duckdb"),
    Approach("sqlite3 shell .mode csv", "export-pets-csv", BASELINE, _sqlite_shell, ("sqlite",),
             needs="sqlite3", stdin=_sqlite_export_script),
    Approach("psql \\copy … TO", "export-pets-csv", BASELINE, _psql_copy_to, ("postgresql",),
             needs="psql"),
    Approach("polars + ADBC write_csv", "export-pets-csv", BASELINE, baseline("export_csv_polars"),
             ADBC, needs="python:polars,adbc_driver_sqlite"),
    Approach("cursor + csv.writer", "export-pets-csv", BASELINE, baseline("export_csv_dbapi")),
    Approach("pandas read_sql + to_csv", "export-pets-csv", BASELINE, baseline("export_csv_pandas")),
    Approach("etl export", "export-pets-xlsx", ETL, _etl_export, needs="export"),
    Approach("pandas to_excel", "export-pets-xlsx", BASELINE, baseline("export_xlsx_pandas")),
    Approach("polars + ADBC write_excel", "export-pets-xlsx", BASELINE,
             baseline("export_xlsx_polars"), ADBC, needs="python:polars,adbc_driver_sqlite"),
    Approach("openpyxl write-only", "export-pets-xlsx", BASELINE, baseline("export_xlsx_openpyxl")),
    Approach("xlsxwriter constant_memory", "export-pets-xlsx", BASELINE,
             baseline("export_xlsx_xlsxwriter")),
)


def missing_tool(needs: str | None, etl_commands: set[str]) -> str | None:
    """Why an approach cannot run here ("not available: …"), or None when it can."""
    if needs is None:
        return None
    if needs in ("import", "export"):
        return None if needs in etl_commands else f"`etl {needs}` does not exist yet"
    if needs.startswith("python:"):
        absent = [m for m in needs.removeprefix("python:").split(",") if importlib.util.find_spec(m) is None]
        return f"`{', '.join(absent)}` not installed (pip install -e '.[bench]')" if absent else None
    return None if shutil.which(needs) else f"`{needs}` is not installed"
