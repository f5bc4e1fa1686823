"""Creating what is missing: target tables and etl's bookkeeping. Never alters a table."""

from __future__ import annotations

import time

from sqlalchemy import Engine, MetaData, Table, inspect, insert, select
from sqlalchemy.exc import DBAPIError

from etl.models import LOCK_NAMES, TARGET_MODELS, Base, LedgerBase, Lock
from etl.pipeline.definition import Pipeline


def ensure_ledger(engine: Engine) -> list[str]:
    """Create etl's own bookkeeping tables (and lock rows) if missing; returns the tables created."""
    created = _create_missing(engine, LedgerBase, list(LedgerBase.metadata.tables))
    _ensure_lock_rows(engine)
    return created


def _ensure_lock_rows(engine: Engine) -> None:
    with engine.connect() as connection:
        present = set(connection.execute(select(Lock.name)).scalars())
    for name in LOCK_NAMES:
        if name in present:
            continue
        try:
            with engine.begin() as connection:
                connection.execute(insert(Lock).values(name=name))
        except DBAPIError:  # another process inserted it at the same moment
            pass


def ensure_target_tables(engine: Engine, names: list[str]) -> list[str]:
    """Create the named built-in target tables (and those they reference) if missing."""
    wanted = set(names)
    for name in names:
        model = TARGET_MODELS.get(name)
        if model is not None:
            wanted |= {fk.column.table.name for fk in model.__table__.foreign_keys}
    return _create_missing(engine, Base, [t for t in Base.metadata.tables if t in wanted])


def ensure_model_table(engine: Engine, pipeline: Pipeline) -> list[str]:
    """Create the table of a pipeline's own model (and what it references in the model's
    metadata) if missing."""
    from etl.pipeline.mapped import import_model, mapped_table

    table = mapped_table(import_model(pipeline.model or "", pipeline.base_dir))
    wanted = {table.name, *(fk.column.table.name for fk in table.foreign_keys)}
    return _create_missing(engine, table.metadata, sorted(wanted))


def init_database(engine: Engine) -> list[str]:
    """What `etl init` does: every built-in target table and the ledger, created if missing."""
    created = ensure_target_tables(engine, list(TARGET_MODELS))
    return created + ensure_ledger(engine)


def _create_missing(engine: Engine, base: type | MetaData, names: list[str]) -> list[str]:
    """Create the missing tables one by one, in dependency order. Another process may be
    creating the same table at the same moment (two cron jobs on a fresh database): a
    failure is fine when the table exists afterwards."""
    existing = set(inspect(engine).get_table_names())
    # SQLite: a transaction that reads (checkfirst) before it writes cannot wait for the
    # write lock; BEGIN IMMEDIATE takes it first, so a concurrent process waits instead.
    ddl_engine = engine.execution_options(sqlite_begin="IMMEDIATE")
    created: list[str] = []
    metadata = base if isinstance(base, MetaData) else base.metadata  # type: ignore[attr-defined]
    for table in metadata.sorted_tables:
        if table.name not in names or table.name in existing:
            continue
        if _create_table(engine, ddl_engine, table):
            created.append(table.name)
    return created


CREATE_ATTEMPTS = 5


def _create_table(engine: Engine, ddl_engine: Engine, table: Table) -> bool:
    """Create `table`; False when a racing process created it. MariaDB can refuse a foreign
    key to a table another session is still creating (error 1005), so a failure with the
    table still missing is retried briefly before it counts."""
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            table.create(ddl_engine, checkfirst=True)
            return True
        except DBAPIError:
            if inspect(engine).has_table(table.name):
                return False
            if attempt == CREATE_ATTEMPTS:
                raise
            time.sleep(0.2 * attempt)
    return False
