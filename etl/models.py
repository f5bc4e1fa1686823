"""The target tables (exactly the seed articles' names and columns) and etl's own ledger.

Attribute names equal column names on purpose: the same pipelines serve these models and
tables reflected from a database etl did not create. `Contact.group` is the relationship
the contacts pipeline's group lookup fills.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# MySQL/MariaDB need a length for VARCHAR; the seed schema's bare String means "text".
UnboundedString = String().with_variant(String(255), "mysql", "mariadb")


class Base(DeclarativeBase):
    """Declarative base of the target tables."""

    metadata = MetaData()


class LedgerBase(DeclarativeBase):
    """Declarative base of etl's bookkeeping tables, kept apart from the targets."""

    metadata = MetaData()


class Pet(Base):
    __tablename__ = "pet"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(UnboundedString)
    type: Mapped[str | None] = mapped_column(UnboundedString)
    age: Mapped[int | None] = mapped_column(Integer)


class Group(Base):
    __tablename__ = "grupos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grupo: Mapped[str] = mapped_column(String(300), nullable=False)
    descripcion: Mapped[str] = mapped_column(String(500), nullable=False)


class Contact(Base):
    __tablename__ = "contactos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nombre: Mapped[str] = mapped_column(String(100), nullable=False)
    telefono: Mapped[str] = mapped_column(String(11), nullable=False)
    grupo_id: Mapped[int] = mapped_column(Integer, ForeignKey("grupos.id"), nullable=False)
    group: Mapped[Group] = relationship()
    """The group the contact is in: a contacts file names it, and a name the table does
    not have yet becomes a new `Group` (in objects mode, as a `Group` object)."""


class ImportRun(LedgerBase):
    """One attempt to import one file: every attempt, failed ones included."""

    __tablename__ = "etl_import_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pipeline: Mapped[str] = mapped_column(String(100), nullable=False)
    path: Mapped[str] = mapped_column(String(1000), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    rows_read: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    inserted: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rejected: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    error: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_etl_import_run_file", "pipeline", "sha256"),)


class LoadedFile(LedgerBase):
    """A file content committed for a pipeline. Written in the same transaction as the
    file's rows, so "already imported?" and the data can never disagree, and its unique
    key is what makes concurrent importers of one file load it exactly once."""

    __tablename__ = "etl_loaded_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pipeline: Mapped[str] = mapped_column(String(100), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    run_id: Mapped[int | None] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(1000), nullable=False)
    loaded_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)

    __table_args__ = (UniqueConstraint("pipeline", "sha256", name="uq_etl_loaded_file"),)


class Run(LedgerBase):
    """One `etl import` command in one process: the run its log's header line names, and
    the run a later "skipped: imported before by run N" points to."""

    __tablename__ = "etl_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pipeline: Mapped[str] = mapped_column(String(100), nullable=False)
    files: Mapped[int] = mapped_column(Integer, nullable=False)
    host: Mapped[str] = mapped_column(String(255), nullable=False)
    pid: Mapped[int] = mapped_column(Integer, nullable=False)
    started_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class RunAttempt(LedgerBase):
    """Which run made each attempt. A table of its own rather than a column of
    etl_import_run, so ledgers made by earlier versions keep working unaltered (their
    attempts simply have no run)."""

    __tablename__ = "etl_run_attempt"

    attempt_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    run_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)


class FileClaim(LedgerBase):
    """A file content some run is importing right now, so that every other run (on this host
    or another) skips it as "taken by another run" instead of waiting for it or failing when
    the file is moved away. The row names the holder for messages; whether the holder is
    alive is told by a lock the database drops with the holder's connection (PostgreSQL
    advisory lock, MariaDB GET_LOCK) or, on SQLite, by its process id."""

    __tablename__ = "etl_file_claim"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pipeline: Mapped[str] = mapped_column(String(100), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    run_id: Mapped[int | None] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(1000), nullable=False)
    host: Mapped[str] = mapped_column(String(255), nullable=False)
    pid: Mapped[int] = mapped_column(Integer, nullable=False)
    claimed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)

    __table_args__ = (UniqueConstraint("pipeline", "sha256", name="uq_etl_file_claim"),)


class Lock(LedgerBase):
    """Rows that a transaction locks FOR UPDATE to serialise work that has no row of its
    own to lock. MariaDB's gap locks do not exclude each other, so "lock the range, then
    insert" can deadlock; an exclusive lock on an existing row cannot."""

    __tablename__ = "etl_lock"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)


LOOKUPS_LOCK = "lookups"
"""Held while an import may create lookup rows (groups), on databases that need it."""
LOCK_NAMES = (LOOKUPS_LOCK,)


TARGET_MODELS: dict[str, type[Base]] = {
    model.__tablename__: model for model in (Pet, Group, Contact)
}
