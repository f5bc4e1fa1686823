"""Pipelines for an application's own mapped classes (`model = "package.module:Class"`).

The class is imported from `sys.path`, the current folder or the pipeline's folder
(`path/to/file.py:Class` loads that file). A pipeline names the class's attributes, which
may differ from the column names; inside the engine every column is known by its column
name, so `bind_model` translates, keeping the attribute name as the column's header.
Without a pipeline file (`etl import --model`), `model_pipeline` takes everything from the
mapping: one column per mapped column but the primary key, accepted under its attribute
name, its column name and `info={"etl": {"headers": [...]}}`; type, length and
required-ness from the column; a many-to-one relationship to a table with a unique text
column is a lookup by that column under the relationship's name.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import Column as SqlColumn
from sqlalchemy import String, Table, UniqueConstraint, inspect
from sqlalchemy.exc import NoInspectionAvailable
from sqlalchemy.orm import Mapper

from etl.errors import ConfigError
from etl.pipeline.definition import Column, Lookup, Pipeline
from etl.pipeline.reflected import column_kind

MODEL_PIPELINE_PREFIX = "model:"
"""Ledger name of `--model` imports: `model:shop:Product`."""

_loaded_files: dict[Path, Any] = {}


def import_model(spec: str, base_dir: Path | None = None) -> type[Any]:
    """The mapped class `spec` names; a ConfigError saying what is wrong otherwise."""
    module_name, _, class_name = spec.rpartition(":")
    if not module_name or not class_name:
        raise ConfigError(f"model {spec!r}: write it as package.module:ClassName or path/to/file.py:ClassName")
    folders = [Path.cwd(), *([base_dir] if base_dir is not None else [])]
    if module_name.endswith(".py") or "/" in module_name:
        module = _load_file(spec, module_name, folders)
    else:
        module = _import_module(spec, module_name, folders)
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise ConfigError(f"model {spec!r}: {module_name} has no class {class_name}")
    try:
        mapper: Any = inspect(cls)
    except NoInspectionAvailable:
        mapper = None
    if not isinstance(mapper, Mapper):
        raise ConfigError(f"model {spec!r}: {class_name} is not a mapped SQLAlchemy class")
    if len(mapped_table(cls).primary_key.columns) != 1:
        raise ConfigError(f"model {spec!r}: {class_name} needs a single-column primary key")
    return cls


def _import_module(spec: str, name: str, folders: list[Path]) -> Any:
    for folder in reversed(folders):
        if str(folder) not in sys.path:
            sys.path.append(str(folder))
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name is not None and name.startswith(err.name):
            where = ", ".join(str(f) for f in folders)
            raise ConfigError(f"model {spec!r}: no module {name} on sys.path or in {where}") from None
        raise


def _load_file(spec: str, name: str, folders: list[Path]) -> Any:
    candidates = [Path(name)] if Path(name).is_absolute() else [folder / name for folder in folders]
    for path in candidates:
        if path.is_file():
            resolved = path.resolve()
            if resolved not in _loaded_files:
                module_spec = importlib.util.spec_from_file_location(f"etl_model_{len(_loaded_files)}", resolved)
                assert module_spec is not None and module_spec.loader is not None
                module = importlib.util.module_from_spec(module_spec)
                sys.modules[module_spec.name] = module
                module_spec.loader.exec_module(module)
                _loaded_files[resolved] = module
            return _loaded_files[resolved]
    raise ConfigError(f"model {spec!r}: no file {name} (looked in {', '.join(str(f) for f in folders)})")


def mapped_table(cls: type[Any]) -> Table:
    table = inspect(cls).local_table
    assert isinstance(table, Table)
    return table


def attribute_names(mapper: Mapper[Any]) -> dict[str, str]:
    """Column name → the attribute it is mapped to."""
    return {prop.columns[0].name: prop.key for prop in mapper.column_attrs if prop.columns}


def model_columns(cls: type[Any]) -> tuple[Column, ...]:
    """A pipeline column per mapped column but the primary key, described by the mapping."""
    mapper = inspect(cls)
    table = mapped_table(cls)
    attributes = attribute_names(mapper)
    primary = {c.name for c in table.primary_key.columns}
    lookups = _relationship_lookups(mapper)
    columns = []
    for sql_column in table.columns:
        if sql_column.name in primary or sql_column.name not in attributes:
            continue
        column = _model_column(sql_column, attributes[sql_column.name])
        columns.append(replace(column, lookup=lookups.get(column.name)))
    return tuple(columns)


def _relationship_lookups(mapper: Mapper[Any]) -> dict[str, Lookup]:
    """Column name → a lookup by name for each many-to-one relationship whose target has a
    unique text column: a file gives `category` (the relationship's name) as the category's
    name, and a new name becomes a new row, as a contacts file's group does."""
    lookups = {}
    for relationship in mapper.relationships:
        local = list(relationship.local_columns)
        if relationship.direction.name != "MANYTOONE" or len(local) != 1:
            continue
        remote = list(relationship.remote_side)
        target = relationship.mapper.local_table
        if not isinstance(target, Table) or len(remote) != 1:
            continue
        match = _unique_text_column(target)
        if match is None:
            continue
        lookups[local[0].name] = Lookup(headers=(relationship.key,), table=target.name, match=match,
                                        value=remote[0].name)
    return lookups


def _unique_text_column(table: Table) -> str | None:
    for column in table.columns:
        if isinstance(column.type, String) and column.unique:
            return column.name
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and len(constraint.columns) == 1:
            (column,) = constraint.columns
            if isinstance(column.type, String):
                return column.name
    return None


def _model_column(sql_column: SqlColumn[Any], attribute: str) -> Column:
    info = sql_column.info.get("etl", {}) if isinstance(sql_column.info, dict) else {}
    extra = info.get("headers", []) if isinstance(info, dict) else []
    headers = tuple(dict.fromkeys([attribute, *(str(h) for h in extra), sql_column.name]))
    length = sql_column.type.length if isinstance(sql_column.type, String) else None
    filled = sql_column.default is not None or sql_column.server_default is not None
    return Column(name=sql_column.name, headers=headers, kind=column_kind(sql_column),
                  required=not sql_column.nullable and not filled, max_length=length)


def default_key(cls: type[Any], columns: tuple[Column, ...]) -> tuple[str, ...]:
    """The first unique constraint (or unique column) of the model's table, else every column."""
    table = mapped_table(cls)
    names = {c.name for c in columns}
    for constraint in sorted(table.constraints, key=lambda c: str(c.name)):
        if isinstance(constraint, UniqueConstraint):
            wanted = tuple(c.name for c in constraint.columns)
            if wanted and set(wanted) <= names:
                return wanted
    for column in table.columns:
        if column.unique and column.name in names:
            return (column.name,)
    return tuple(c.name for c in columns)


def model_pipeline(spec: str) -> Pipeline:
    """The pipeline of `etl import --model SPEC`: everything from the mapping."""
    cls = import_model(spec)
    columns = model_columns(cls)
    if not columns:
        raise ConfigError(f"model {spec!r}: {cls.__name__} maps no column besides its primary key")
    return Pipeline(name=f"{MODEL_PIPELINE_PREFIX}{spec}", table=mapped_table(cls).name,
                    key=default_key(cls, columns), columns=columns, model=spec,
                    description=f"Rows as {cls.__name__} objects")


def bind_model(pipeline: Pipeline, cls: type[Any]) -> Pipeline:
    """A pipeline file's model, bound: its attribute names become column names (the
    attribute stays an accepted header); without [[columns]] every mapped column is taken,
    and without `key` the table's unique constraint."""
    attributes = {attr: column for column, attr in attribute_names(inspect(cls)).items()}
    table = mapped_table(cls)
    if not pipeline.columns:
        columns = model_columns(cls)
    else:
        columns = tuple(_bound_column(pipeline, column, attributes, table) for column in pipeline.columns)
    key = tuple(attributes.get(k, k) for k in pipeline.key) or default_key(cls, columns)
    unknown = [k for k in key if k not in {c.name for c in columns}]
    if unknown:
        raise ConfigError(f"pipeline {pipeline.name!r}: key {', '.join(unknown)} is not a column of the pipeline")
    return replace(pipeline, table=table.name, columns=columns, key=key)


def _bound_column(pipeline: Pipeline, column: Column, attributes: dict[str, str], table: Table) -> Column:
    name = attributes.get(column.name)
    if name is None:
        known = ", ".join(sorted(attributes))
        raise ConfigError(f"pipeline {pipeline.name!r}: model {pipeline.model} has no attribute "
                          f"{column.name!r} (it has {known})")
    headers = column.headers if name == column.name else tuple(dict.fromkeys([*column.headers, column.name]))
    sql_type = table.c[name].type
    if column.max_length is None and isinstance(sql_type, String):
        column = replace(column, max_length=sql_type.length)
    return replace(column, name=name, headers=headers)
