"""Creating what is missing: target tables and etl's bookkeeping. Never alters a table."""

from __future__ import annotations

from sqlalchemy import Engine, inspect
from sqlalchemy.exc import DBAPIError

from etl.models import TARGET_MODELS, Base, LedgerBase


def ensure_ledger(engine: Engine) -> list[str]:
    """Create etl's own bookkeeping tables if missing; returns the names created."""
    return _create_missing(engine, LedgerBase, list(LedgerBase.metadata.tables))


def ensure_target_tables(engine: Engine, names: list[str]) -> list[str]:
    """Create the named built-in target tables (and those they reference) if missing."""
    wanted = set(names)
    for name in names:
        model = TARGET_MODELS.get(name)
        if model is not None:
            wanted |= {fk.column.table.name for fk in model.__table__.foreign_keys}
    return _create_missing(engine, Base, [t for t in Base.metadata.tables if t in wanted])


def init_database(engine: Engine) -> list[str]:
    """What `etl init` does: every built-in target table and the ledger, created if missing."""
    created = ensure_target_tables(engine, list(TARGET_MODELS))
    return created + ensure_ledger(engine)


def _create_missing(engine: Engine, base: type, names: list[str]) -> list[str]:
    """Create the missing tables one by one, in dependency order. Another process may be
    creating the same table at the same moment (two cron jobs on a fresh database): a
    failure is fine when the table exists afterwards."""
    existing = set(inspect(engine).get_table_names())
    # SQLite: a transaction that reads (checkfirst) before it writes cannot wait for the
    # write lock; BEGIN IMMEDIATE takes it first, so a concurrent process waits instead.
    ddl_engine = engine.execution_options(sqlite_begin="IMMEDIATE")
    created: list[str] = []
    for table in base.metadata.sorted_tables:  # type: ignore[attr-defined]
        if table.name not in names or table.name in existing:
            continue
        try:
            table.create(ddl_engine, checkfirst=True)
        except DBAPIError:
            if not inspect(engine).has_table(table.name):
                raise
            continue
        created.append(table.name)
    return created
