"""Creating what is missing: target tables and etl's bookkeeping. Never alters a table."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

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
    existing = set(inspect(engine).get_table_names())
    missing = [name for name in names if name not in existing]
    if missing:
        tables = [base.metadata.tables[name] for name in missing]  # type: ignore[attr-defined]
        base.metadata.create_all(engine, tables=tables, checkfirst=True)  # type: ignore[attr-defined]
    return missing
