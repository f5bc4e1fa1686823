"""Which mapped class a pipeline's rows become, and which writer writes them.

The class is the pipeline's own model (`model = "pkg.mod:Class"`), else the built-in model
of the table (`Pet`, `Group`, `Contact`) when it maps every column the pipeline writes,
else a class mapped onto the reflected table on the spot. Application models are written
through their own table (their type decorators take part in writing and reading back);
the others through the reflected table, which is what the database really has.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, Table, inspect
from sqlalchemy.orm import Mapper, Session, registry

from etl.load.defaults import WithDefaults, has_python_defaults
from etl.load.dialects import writer_for
from etl.load.modes import Behaviour, ModeChoice, behaviours, choose_mode
from etl.load.orm_writers import BulkWriter, ObjectsWriter
from etl.models import TARGET_MODELS
from etl.pipeline.definition import Pipeline
from etl.pipeline.mapped import attribute_names, import_model


class Writer(Protocol):
    def insert(self, connection: Connection, rows: list[tuple[Any, ...]], with_id: bool) -> None: ...

    def update(self, connection: Connection, rows: list[tuple[Any, ...]]) -> None: ...


@dataclass(frozen=True)
class Mapping:
    """The class rows become, the table statements are built on, and the write mode."""

    mapper: Mapper[Any]
    table: Table
    choice: ModeChoice
    own_model: bool

    @property
    def attributes(self) -> dict[str, str]:
        return attribute_names(self.mapper)


def model_class(pipeline: Pipeline) -> type[Any] | None:
    """The pipeline's mapped class, if it has one (its own, or the built-in one)."""
    if pipeline.model is not None:
        return import_model(pipeline.model, pipeline.base_dir)
    builtin = TARGET_MODELS.get(pipeline.table)
    if builtin is not None:
        names = set(attribute_names(inspect(builtin)))
        if all(c.name in names for c in pipeline.columns):
            return builtin
    return None


def mode_behaviours(pipeline: Pipeline, cls: type[Any] | None) -> list[Behaviour]:
    """What the class (and the classes of its lookups) does on write."""
    if cls is None:
        return []
    written = [c.name for c in pipeline.columns]
    found = behaviours(inspect(cls), written)
    for column in pipeline.columns:
        lookup_cls = lookup_class(cls, column.name, column.lookup.table) if column.lookup else None
        if lookup_cls is not None and column.lookup is not None and column.lookup.on_missing == "create":
            names = [column.lookup.match, *column.lookup.create_defaults]
            for behaviour in behaviours(inspect(lookup_cls), names):
                found.append(Behaviour(f"{behaviour.what} (on {lookup_cls.__name__})", behaviour.modes))
    return found


def planned_mode(pipeline: Pipeline, asked: str = "auto") -> ModeChoice:
    """The write mode for the pipeline, without a database (for `etl pipelines`)."""
    return choose_mode(asked, mode_behaviours(pipeline, model_class(pipeline)))


def mapping_for(pipeline: Pipeline, reflected: Table, asked: str) -> Mapping:
    """The mapping a file's rows go through, the mode checked against it."""
    cls = model_class(pipeline)
    choice = choose_mode(asked, mode_behaviours(pipeline, cls))
    own = pipeline.model is not None
    if cls is None:
        cls = automapped(reflected)
    mapper: Mapper[Any] = inspect(cls)
    table = mapper.local_table if own else reflected
    assert isinstance(table, Table)
    return Mapping(mapper, table, choice, own)


def writer(session: Session, mapping: Mapping, pipeline: Pipeline, columns: Sequence[str], primary_key: str,
           labels: dict[str, str], has_id: bool) -> Writer | ObjectsWriter:
    """The writer of the chosen mode."""
    mode = mapping.choice.mode
    if mode == "objects":
        return ObjectsWriter(session, mapping.mapper, columns, primary_key, mapping.attributes, labels, has_id)
    if mode == "bulk":
        return BulkWriter(session, mapping.mapper, columns, primary_key, mapping.attributes)
    connection = session.connection()
    if has_python_defaults(mapping.table, primary_key):
        return WithDefaults(lambda names: writer_for(connection, pipeline, mapping.table, names, primary_key),
                            mapping.table, columns, primary_key)
    return writer_for(connection, pipeline, mapping.table, columns, primary_key)


def lookup_class(cls: type[Any], column: str, table: str) -> type[Any] | None:
    """The class of a lookup's table: the target of the model's relationship through the
    lookup column, else the built-in model of that table."""
    for relationship in inspect(cls).relationships:
        if any(c.name == column for c in relationship.local_columns):
            target: type[Any] = relationship.mapper.class_
            return target
    return TARGET_MODELS.get(table)


def automapped(table: Table) -> type[Any]:
    """A class mapped onto a reflected table, for the ORM modes on a table without a model."""
    mapper_registry = registry()
    cls = type(f"Row_{table.name}", (), {"__init__": mapper_registry.constructor})
    mapper_registry.map_imperatively(cls, table)
    return cls
