"""The named baselines: how people load and dump these files without `etl`.

Each function does one whole job — one file into the fresh database at `url`, or the
database at `url` into one file — written the way its library's documentation suggests,
correct on this data (leading zeros kept, groups looked up, one transaction per file)
but with no validation beyond that. Run one as its own process, which is how the
harness measures it:

    python -m benchmarks.baselines NAME URL PATH

Imports are inside the functions so a process pays only for the libraries it uses.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

CHUNK = 10_000
PET_COLUMNS = ("id", "name", "type", "age")
EXPORT_QUERY = "SELECT id, name, type, age FROM pet ORDER BY id"
# The upsert file's columns; (name, type) is the natural key (a unique index on every database).
UPSERT_COLUMNS = ("name", "type", "age")

Baseline = Callable[[str, Path], None]


# ---- plumbing shared by the baselines ---------------------------------------------------

def _dbapi_connect(url: str) -> tuple[Any, str]:
    """A raw DB-API connection for an SQLAlchemy-style URL, and its placeholder."""
    parts = urlsplit(url)
    backend = parts.scheme.split("+")[0]
    if backend == "sqlite":
        import sqlite3

        connection = sqlite3.connect(unquote(parts.path[1:]), isolation_level=None)
        connection.execute("BEGIN")
        return connection, "?"
    database = parts.path.lstrip("/")
    if backend == "postgresql":
        import psycopg

        return psycopg.connect(
            host=parts.hostname, port=parts.port or 5432, user=parts.username,
            password=parts.password, dbname=database,
        ), "%s"
    if backend in ("mysql", "mariadb"):
        import pymysql

        return pymysql.connect(
            host=parts.hostname, port=parts.port or 3306, user=parts.username,
            password=parts.password or "", database=database, charset="utf8mb4",
            local_infile=True,
        ), "%s"
    raise ValueError(f"no DB-API driver for {backend}")


def _chunks(rows: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _insert_sql(table: str, columns: Iterable[str], mark: str) -> str:
    names = list(columns)
    return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"


def _pet_values(row: list[Any]) -> tuple[int, str, str, int | None]:
    row_id, name, kind, age = row
    return int(row_id), name, kind, int(age) if age not in ("", None) else None


def _csv_records(path: Path) -> Iterator[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        yield from reader


def _executemany(url: str, table: str, columns: Iterable[str], rows: Iterable[tuple]) -> None:
    """Insert in chunks of CHUNK rows, one transaction for the whole file."""
    connection, mark = _dbapi_connect(url)
    sql = _insert_sql(table, columns, mark)
    cursor = connection.cursor()
    for chunk in _chunks(rows):
        cursor.executemany(sql, chunk)
    connection.commit()
    connection.close()


class _GroupIds:
    """Group name → id, creating the groups the file names that the table lacks."""

    def __init__(self, connection: Any, mark: str) -> None:
        self.connection = connection
        self.mark = mark
        cursor = connection.cursor()
        cursor.execute("SELECT grupo, id FROM grupos")
        self.ids: dict[str, int] = dict(cursor.fetchall())

    def __call__(self, name: str) -> int:
        found = self.ids.get(name)
        if found is None:
            cursor = self.connection.cursor()
            cursor.execute(_insert_sql("grupos", ("grupo", "descripcion"), self.mark), (name, ""))
            cursor.execute(f"SELECT id FROM grupos WHERE grupo = {self.mark}", (name,))
            found = self.ids[name] = cursor.fetchone()[0]
        return found


def _duckdb_attached(url: str) -> Any:
    """A DuckDB connection with the database at `url` attached as `db`. The scanner
    extensions come from their PyPI wheels (duckdb-extension-sqlite-scanner /
    -postgres-scanner): DuckDB cannot download extensions here, so LOAD takes the file."""
    from importlib import resources

    import duckdb

    parts = urlsplit(url)
    backend = parts.scheme.split("+")[0]
    extension = {"sqlite": "sqlite_scanner", "postgresql": "postgres_scanner"}[backend]
    library = (resources.files(f"duckdb_extension_{extension}") / "extensions"
               / f"v{duckdb.__version__}" / f"{extension}.duckdb_extension")
    connection = duckdb.connect()
    connection.execute(f"LOAD '{library}'")
    if backend == "sqlite":
        connection.execute(f"ATTACH '{unquote(parts.path[1:])}' AS db (TYPE sqlite)")
    else:
        dsn = (f"host={parts.hostname} port={parts.port or 5432} user={parts.username} "
               f"dbname={parts.path.lstrip('/')}" + (f" password={parts.password}" if parts.password else ""))
        connection.execute(f"ATTACH '{dsn}' AS db (TYPE postgres)")
    return connection


def _adbc_connect(url: str) -> Any:
    """An ADBC DB-API connection (not autocommit: one transaction) for an SQLAlchemy-style URL."""
    parts = urlsplit(url)
    backend = parts.scheme.split("+")[0]
    if backend == "sqlite":
        import adbc_driver_sqlite.dbapi

        return adbc_driver_sqlite.dbapi.connect(unquote(parts.path[1:]))
    import adbc_driver_postgresql.dbapi

    credentials = parts.username + (f":{parts.password}" if parts.password else "")
    return adbc_driver_postgresql.dbapi.connect(
        f"postgresql://{credentials}@{parts.hostname}:{parts.port or 5432}{parts.path}"
    )


def _duckdb_csv(path: Path, columns: dict[str, str]) -> str:
    """DuckDB's read_csv of `path` with the given column types (as the table has them)."""
    spec = ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items())
    return f"read_csv('{path}', header = true, columns = {{{spec}}})"


PET_TYPES = {"id": "INTEGER", "name": "VARCHAR", "type": "VARCHAR", "age": "INTEGER"}


# ---- CSV imports --------------------------------------------------------------------------

def dbapi_executemany(url: str, source: Path) -> None:
    """csv module + the driver's executemany, 10k rows per call, one transaction."""
    _executemany(url, "pet", PET_COLUMNS, map(_pet_values, _csv_records(source)))


def core_executemany(url: str, source: Path) -> None:
    """SQLAlchemy Core insert() executemany per 10k chunk, one transaction."""
    from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine

    pet = Table(
        "pet", MetaData(), Column("id", Integer, primary_key=True), Column("name", String),
        Column("type", String), Column("age", Integer),
    )
    engine = create_engine(url)
    with engine.begin() as connection:
        for chunk in _chunks(map(_pet_values, _csv_records(source))):
            connection.execute(pet.insert(), [dict(zip(PET_COLUMNS, row)) for row in chunk])
    engine.dispose()


def orm_bulk_insert(url: str, source: Path) -> None:
    """SQLAlchemy ORM bulk INSERT (session.execute(insert(Model), dicts)) per 10k chunk."""
    from sqlalchemy import Integer, String, create_engine, insert
    from sqlalchemy.orm import DeclarativeBase, Session, mapped_column

    class Base(DeclarativeBase):
        pass

    class Pet(Base):
        __tablename__ = "pet"
        id = mapped_column(Integer, primary_key=True)
        name = mapped_column(String)
        type = mapped_column(String)
        age = mapped_column(Integer)

    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        for chunk in _chunks(map(_pet_values, _csv_records(source))):
            session.execute(insert(Pet), [dict(zip(PET_COLUMNS, row)) for row in chunk])
    engine.dispose()


def pandas_to_sql(url: str, source: Path) -> None:
    """pandas read_csv(chunksize=10k) + DataFrame.to_sql(append), one transaction."""
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as connection:
        for frame in pd.read_csv(source, chunksize=CHUNK):
            frame.to_sql("pet", connection, if_exists="append", index=False)
    engine.dispose()


def postgresql_copy(url: str, source: Path) -> None:
    """psycopg 3 cursor.copy() fed the raw CSV bytes: the server parses the file."""
    connection, _ = _dbapi_connect(url)
    with connection.cursor() as cursor, source.open("rb") as handle:
        statement = "COPY pet (id, name, type, age) FROM STDIN (FORMAT csv, HEADER true)"
        with cursor.copy(statement) as copy:
            while block := handle.read(1 << 20):
                copy.write(block)
    connection.commit()
    connection.close()


def mariadb_load_data(url: str, source: Path) -> None:
    """MariaDB LOAD DATA LOCAL INFILE: the server parses the file (MariaDB's COPY)."""
    connection, _ = _dbapi_connect(url)
    with connection.cursor() as cursor:
        cursor.execute(
            "LOAD DATA LOCAL INFILE %s INTO TABLE pet CHARACTER SET utf8mb4 "
            "FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' LINES TERMINATED BY '\\n' "
            "IGNORE 1 LINES (id, name, type, age)",
            (str(source),),
        )
    connection.commit()
    connection.close()


def duckdb_insert(url: str, source: Path) -> None:
    """DuckDB read_csv → INSERT INTO the attached SQLite/PostgreSQL table, one transaction."""
    connection = _duckdb_attached(url)
    connection.execute("BEGIN")
    connection.execute(f"INSERT INTO db.pet (id, name, type, age) SELECT * FROM {_duckdb_csv(source, PET_TYPES)}")
    connection.execute("COMMIT")
    connection.close()


def polars_adbc(url: str, source: Path) -> None:
    """polars read_csv → DataFrame.write_database(engine="adbc") appending to the table."""
    import polars as pl

    frame = pl.read_csv(source, schema={"id": pl.Int32, "name": pl.String, "type": pl.String,
                                        "age": pl.Int32})
    connection = _adbc_connect(url)
    frame.write_database("pet", connection, if_table_exists="append", engine="adbc")
    connection.commit()
    connection.close()


def sqlite_executemany_one_transaction(url: str, source: Path) -> None:
    """sqlite3 only: csv.reader straight into one executemany in one transaction (what the
    sqlite3 shell's .import does, minus the shell)."""
    connection, mark = _dbapi_connect(url)
    connection.executemany(_insert_sql("pet", PET_COLUMNS, mark), map(_pet_values, _csv_records(source)))
    connection.commit()
    connection.close()


def contacts_dbapi_executemany(url: str, source: Path) -> None:
    """Contacts: csv module + executemany, group names resolved through a dict."""
    connection, mark = _dbapi_connect(url)
    group_id = _GroupIds(connection, mark)
    sql = _insert_sql("contactos", ("nombre", "telefono", "grupo_id"), mark)
    cursor = connection.cursor()
    rows = ((name, phone, group_id(group)) for name, phone, group in _csv_records(source))
    for chunk in _chunks(rows):
        cursor.executemany(sql, chunk)
    connection.commit()
    connection.close()


def contacts_pandas_to_sql(url: str, source: Path) -> None:
    """Contacts: read_csv(dtype=str) + groups mapped to ids + to_sql, one transaction."""
    import pandas as pd
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        ids = {name: key for name, key in connection.execute(text("SELECT grupo, id FROM grupos"))}
        for frame in pd.read_csv(source, chunksize=CHUNK, dtype=str, keep_default_na=False):
            for name in set(frame["grupo"].unique()) - ids.keys():
                connection.execute(
                    text("INSERT INTO grupos (grupo, descripcion) VALUES (:g, '')"), {"g": name}
                )
                ids[name] = connection.execute(
                    text("SELECT id FROM grupos WHERE grupo = :g"), {"g": name}
                ).scalar_one()
            frame["grupo_id"] = frame["grupo"].map(ids)
            frame[["nombre", "telefono", "grupo_id"]].to_sql(
                "contactos", connection, if_exists="append", index=False
            )
    engine.dispose()


# ---- upserts: the "limit" (a staging table and one set-based statement) ---------------------

def _upsert_values(row: list[str]) -> tuple[str, str, int | None]:
    name, kind, age = row
    return name, kind, int(age) if age else None


def upsert_sqlite_staging(url: str, source: Path) -> None:
    """SQLite: executemany into a TEMP staging table, then one INSERT … SELECT … ON CONFLICT
    (name, type) DO UPDATE … WHERE the age changed, one transaction."""
    connection, mark = _dbapi_connect(url)
    connection.execute("CREATE TEMP TABLE staging (name TEXT, type TEXT, age INTEGER)")
    connection.executemany(_insert_sql("staging", UPSERT_COLUMNS, mark),
                           map(_upsert_values, _csv_records(source)))
    connection.execute(
        "INSERT INTO pet (name, type, age) SELECT name, type, age FROM staging WHERE true "
        "ON CONFLICT (name, type) DO UPDATE SET age = excluded.age WHERE pet.age IS NOT excluded.age"
    )
    connection.commit()
    connection.close()


def upsert_postgresql_staging(url: str, source: Path) -> None:
    """PostgreSQL: COPY the file into a TEMP staging table, then INSERT … ON CONFLICT
    (name, type) DO UPDATE … WHERE age IS DISTINCT FROM the new one, one transaction."""
    connection, _ = _dbapi_connect(url)
    with connection.cursor() as cursor, source.open("rb") as handle:
        cursor.execute("CREATE TEMP TABLE staging (name varchar, type varchar, age integer) ON COMMIT DROP")
        with cursor.copy("COPY staging (name, type, age) FROM STDIN (FORMAT csv, HEADER true)") as copy:
            while block := handle.read(1 << 20):
                copy.write(block)
        cursor.execute(
            "INSERT INTO pet (name, type, age) SELECT name, type, age FROM staging "
            "ON CONFLICT (name, type) DO UPDATE SET age = EXCLUDED.age "
            "WHERE pet.age IS DISTINCT FROM EXCLUDED.age"
        )
    connection.commit()
    connection.close()


def upsert_mariadb_staging(url: str, source: Path) -> None:
    """MariaDB: LOAD DATA LOCAL INFILE into a TEMPORARY staging table, then INSERT … SELECT …
    ON DUPLICATE KEY UPDATE (an unchanged row is left as it is), one transaction."""
    connection, _ = _dbapi_connect(url)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE staging (name varchar(255), type varchar(255), age int)")
        cursor.execute(
            "LOAD DATA LOCAL INFILE %s INTO TABLE staging CHARACTER SET utf8mb4 "
            "FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' LINES TERMINATED BY '\\n' "
            "IGNORE 1 LINES (name, type, age)",
            (str(source),),
        )
        cursor.execute(
            "INSERT INTO pet (name, type, age) SELECT name, type, age FROM staging "
            "ON DUPLICATE KEY UPDATE age = VALUES(age)"
        )
    connection.commit()
    connection.close()


def upsert_duckdb(url: str, source: Path) -> None:
    """DuckDB: read_csv into a staging table, then UPDATE … FROM for the changed rows and
    INSERT … anti-join for the new ones into the attached table, one transaction."""
    connection = _duckdb_attached(url)
    columns = {"name": "VARCHAR", "type": "VARCHAR", "age": "INTEGER"}
    connection.execute(f"CREATE TEMP TABLE staging AS SELECT * FROM {_duckdb_csv(source, columns)}")
    connection.execute("BEGIN")
    connection.execute(
        "UPDATE db.pet SET age = s.age FROM staging s WHERE pet.name = s.name AND pet.type = s.type "
        "AND pet.age IS DISTINCT FROM s.age"
    )
    connection.execute(
        "INSERT INTO db.pet (name, type, age) SELECT s.name, s.type, s.age FROM staging s "
        "ANTI JOIN db.pet p ON p.name = s.name AND p.type = s.type"
    )
    connection.execute("COMMIT")
    connection.close()


# ---- XLSX imports -----------------------------------------------------------------------

def xlsx_pandas_to_sql(url: str, source: Path) -> None:
    """pandas read_excel (openpyxl engine) + to_sql, one transaction."""
    import pandas as pd
    from sqlalchemy import create_engine

    frame = pd.read_excel(source)
    engine = create_engine(url)
    with engine.begin() as connection:
        frame.to_sql("pet", connection, if_exists="append", index=False, chunksize=CHUNK)
    engine.dispose()


def xlsx_openpyxl_executemany(url: str, source: Path) -> None:
    """openpyxl read-only iter_rows(values_only) + executemany."""
    from openpyxl import load_workbook

    workbook = load_workbook(source, read_only=True, data_only=True)
    rows = workbook.worksheets[0].iter_rows(min_row=2, values_only=True)
    _executemany(url, "pet", PET_COLUMNS, (_pet_values(list(row)) for row in rows))
    workbook.close()


def xlsx_calamine_executemany(url: str, source: Path) -> None:
    """python-calamine iter_rows + executemany."""
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(source)).get_sheet_by_index(0)
    rows = islice(sheet.iter_rows(), 1, None)
    _executemany(url, "pet", PET_COLUMNS, (_pet_values(list(row)) for row in rows))


# ---- exports ------------------------------------------------------------------------------

def export_csv_pandas(url: str, target: Path) -> None:
    """pandas read_sql(chunksize=10k) + to_csv appended chunk by chunk."""
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as connection:
        frames = pd.read_sql(EXPORT_QUERY, connection, chunksize=CHUNK)
        for number, frame in enumerate(frames):
            frame.to_csv(target, mode="w" if number == 0 else "a", header=number == 0, index=False)
    engine.dispose()


def export_csv_dbapi(url: str, target: Path) -> None:
    """A DB-API cursor straight into csv.writer."""
    connection, _ = _dbapi_connect(url)
    cursor = connection.cursor()
    cursor.execute(EXPORT_QUERY)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(PET_COLUMNS)
        while rows := cursor.fetchmany(CHUNK):
            writer.writerows(rows)
    connection.close()


def export_csv_duckdb(url: str, target: Path) -> None:
    """DuckDB COPY (SELECT … FROM the attached table ORDER BY id) TO 'file' (HEADER)."""
    connection = _duckdb_attached(url)
    query = EXPORT_QUERY.replace("FROM pet", "FROM db.pet")
    connection.execute(f"COPY ({query}) TO '{target}' (FORMAT csv, HEADER)")
    connection.close()


def export_csv_polars(url: str, target: Path) -> None:
    """polars read_database (ADBC) + write_csv."""
    import polars as pl

    connection = _adbc_connect(url)
    pl.read_database(EXPORT_QUERY, connection).write_csv(target)
    connection.close()


def export_xlsx_polars(url: str, target: Path) -> None:
    """polars read_database (ADBC) + write_excel (XlsxWriter underneath)."""
    import polars as pl

    connection = _adbc_connect(url)
    pl.read_database(EXPORT_QUERY, connection).write_excel(target, worksheet="pet")
    connection.close()


def export_xlsx_pandas(url: str, target: Path) -> None:
    """pandas read_sql + to_excel (its default xlsx engine: xlsxwriter when installed)."""
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as connection:
        frame = pd.read_sql(EXPORT_QUERY, connection)
    engine.dispose()
    frame.to_excel(target, index=False, sheet_name="pet")


def export_xlsx_openpyxl(url: str, target: Path) -> None:
    """openpyxl write-only workbook, one append() per row."""
    from openpyxl import Workbook

    connection, _ = _dbapi_connect(url)
    cursor = connection.cursor()
    cursor.execute(EXPORT_QUERY)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("pet")
    sheet.append(PET_COLUMNS)
    while rows := cursor.fetchmany(CHUNK):
        for row in rows:
            sheet.append(row)
    workbook.save(target)
    connection.close()


def export_xlsx_xlsxwriter(url: str, target: Path) -> None:
    """xlsxwriter in constant_memory mode, one write_row() per row."""
    import xlsxwriter

    connection, _ = _dbapi_connect(url)
    cursor = connection.cursor()
    cursor.execute(EXPORT_QUERY)
    workbook = xlsxwriter.Workbook(str(target), {"constant_memory": True})
    sheet = workbook.add_worksheet("pet")
    sheet.write_row(0, 0, PET_COLUMNS)
    number = 1
    while rows := cursor.fetchmany(CHUNK):
        for row in rows:
            sheet.write_row(number, 0, row)
            number += 1
    workbook.close()
    connection.close()


BASELINES: dict[str, Baseline] = {
    function.__name__: function
    for function in (
        dbapi_executemany, core_executemany, orm_bulk_insert, pandas_to_sql, postgresql_copy,
        mariadb_load_data, duckdb_insert, polars_adbc, sqlite_executemany_one_transaction,
        contacts_dbapi_executemany, contacts_pandas_to_sql,
        upsert_sqlite_staging, upsert_postgresql_staging, upsert_mariadb_staging, upsert_duckdb,
        xlsx_pandas_to_sql, xlsx_openpyxl_executemany, xlsx_calamine_executemany,
        export_csv_pandas, export_csv_dbapi, export_csv_duckdb, export_csv_polars,
        export_xlsx_pandas, export_xlsx_polars, export_xlsx_openpyxl,
        export_xlsx_xlsxwriter,
    )
}


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] not in BASELINES:
        print(f"usage: python -m benchmarks.baselines {{{','.join(BASELINES)}}} URL PATH",
              file=sys.stderr)
        return 2
    name, url, path = argv
    BASELINES[name](url, Path(path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
