"""Loading and checking pipeline definitions: one TOML file per pipeline.

A definition is data: target table, key columns, and per column its accepted header
names, type, limits, normalisation and lookup. Nothing here knows about pets or contacts.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

from etl.errors import ConfigError, UsageError
from etl.pipeline.locales import (
    DECIMAL_SEPARATORS, THOUSANDS_SEPARATORS, bad_date_format, date_format_conflict,
)

ColumnKind = Literal["text", "integer", "decimal", "boolean", "date", "datetime", "uuid", "time", "json"]
CaseRule = Literal["lower", "upper", "title"]
FileFormat = Literal["csv", "xlsx", "xlsm", "xls", "xlsb", "ods"]
FORMAT_SUFFIXES: dict[str, tuple[str, ...]] = {
    "csv": (".csv",),
    # "xlsx" names every spreadsheet format: all are read with the same sheets, header and
    # cell-text rules, so a folder of a pipeline that takes workbooks takes them all.
    "xlsx": (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"),
    "xlsm": (".xlsm",), "xls": (".xls",), "xlsb": (".xlsb",), "ods": (".ods",),
}

PIPELINE_KEYS = {
    "name", "table", "description", "key", "formats", "allow_extra_columns", "columns", "create", "model",
}
COLUMN_KEYS = {
    "name", "headers", "type", "required", "max_length", "min", "max", "pattern",
    "pattern_message", "trim", "case", "date_format", "choices", "lookup",
    "decimal_separator", "thousands_separator", "precision", "scale",
}
LOOKUP_KEYS = {"headers", "table", "match", "value", "on_missing", "create_defaults"}


@dataclass(frozen=True)
class Lookup:
    """Fill a column from another table: the file gives `match` text, the row gets `value`."""

    headers: tuple[str, ...]
    table: str
    match: str
    value: str = "id"
    on_missing: Literal["create", "reject"] = "create"
    create_defaults: Mapping[str, str] = field(default_factory=dict)

    @property
    def header(self) -> str:
        """The header written on export and in templates."""
        return self.headers[0]


@dataclass(frozen=True)
class Column:
    """One target column: how to recognise it in a file and how to check its values."""

    name: str
    headers: tuple[str, ...]
    kind: ColumnKind = "text"
    required: bool = False
    max_length: int | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    pattern: str | None = None
    pattern_message: str | None = None
    trim: bool = True
    case: CaseRule | None = None
    date_formats: tuple[str, ...] = ()
    """Formats a date/datetime cell may be written in, tried in order (ISO always works)."""
    choices: tuple[str, ...] | None = None
    lookup: Lookup | None = None
    decimal_separator: str = "."
    thousands_separator: str | None = None
    precision: int | None = None
    """Digits of a decimal column in a table etl creates (`create = true`)."""
    scale: int | None = None
    """Digits after the decimal mark, likewise."""

    @property
    def header(self) -> str:
        """The header written on export and in templates."""
        return self.headers[0]

    @property
    def date_format(self) -> str | None:
        """The first date format: the one exports write dates in."""
        return self.date_formats[0] if self.date_formats else None


@dataclass(frozen=True)
class Pipeline:
    """A declarative mapping from file columns onto one table."""

    name: str
    table: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    description: str = ""
    formats: tuple[FileFormat, ...] = ("csv", "xlsx")
    allow_extra_columns: bool = False
    create: bool = False
    """etl creates the table from the columns when it is missing (`etl init`, `etl import`)."""
    source: Path | None = None
    model: str | None = None
    """An application's mapped class the rows become (`package.module:Class`), if not the table's own."""

    @property
    def base_dir(self) -> Path | None:
        """The folder of the definition file (a model module may sit beside it)."""
        return self.source.parent if self.source is not None else None

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def accepted_headers(self) -> dict[str, tuple[str, ...]]:
        """Column name → accepted header names, lookups listed under `<column> (by <table>.<match>)`."""
        accepted: dict[str, tuple[str, ...]] = {}
        for column in self.columns:
            accepted[column.name] = column.headers
            if column.lookup is not None:
                accepted[f"{column.name} (by {column.lookup.table}.{column.lookup.match})"] = (
                    column.lookup.headers
                )
        return accepted

    @property
    def file_suffixes(self) -> tuple[str, ...]:
        """The file name endings a folder import picks up for this pipeline."""
        return tuple(dict.fromkeys(suffix for fmt in self.formats for suffix in FORMAT_SUFFIXES[fmt]))


def builtin_pipelines_dir() -> Path:
    """`pipelines/` beside the package in a source checkout, else the copy inside the wheel."""
    source_tree = Path(__file__).resolve().parents[2] / "pipelines"
    if source_tree.is_dir():
        return source_tree
    return Path(str(resources.files("etl") / "builtin_pipelines"))


def load_pipelines(extra_dirs: Iterable[Path] = ()) -> dict[str, Pipeline]:
    """Every pipeline: the built-in ones, then those of `extra_dirs`. A name defined twice is an error."""
    pipelines: dict[str, Pipeline] = {}
    for directory in (builtin_pipelines_dir(), *extra_dirs):
        if not directory.is_dir():
            raise UsageError(f"pipelines folder {directory} does not exist")
        for path in sorted(directory.glob("*.toml")):
            pipeline = load_pipeline_file(path)
            if pipeline.name in pipelines:
                other = pipelines[pipeline.name].source
                raise ConfigError(f"{path}: pipeline {pipeline.name!r} is already defined in {other}")
            pipelines[pipeline.name] = pipeline
    return pipelines


def get_pipeline(name: str, extra_dirs: Iterable[Path] = ()) -> Pipeline:
    return pick_definition(load_pipelines(extra_dirs), name, "pipeline")


T = TypeVar("T")


def pick_definition(definitions: Mapping[str, T], name: str, kind: str) -> T:
    """The definition called `name`, or a usage error listing the known ones."""
    if name not in definitions:
        known = ", ".join(sorted(definitions)) or "none"
        raise UsageError(f"unknown {kind} {name!r}; known {kind}s: {known}")
    return definitions[name]


def read_definition_file(path: Path, kind: str) -> dict[str, Any]:
    """The TOML document of a definition file, or a ConfigError naming the file."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: cannot read {kind} definition: {err}") from None


def load_pipeline_file(path: Path) -> Pipeline:
    """Parse and check one definition; every mistake is a ConfigError naming the file."""
    data = read_definition_file(path, "pipeline")
    try:
        return _build_pipeline(data, path)
    except DefinitionError as err:
        raise ConfigError(f"{path}: {err}") from None


class DefinitionError(ValueError):
    """A mistake in a definition file; loaders add the file's name."""


def _build_pipeline(data: Mapping[str, Any], path: Path) -> Pipeline:
    reject_unknown_keys(data, PIPELINE_KEYS, "pipeline")
    name = required_text(data, "name", "pipeline")
    model = required_text(data, "model", "pipeline") if "model" in data else None
    table = required_text(data, "table", "pipeline") if model is None or "table" in data else ""
    raw_columns = data.get("columns", [] if model is not None else None)
    if not isinstance(raw_columns, list) or (not raw_columns and model is None):
        raise DefinitionError("a pipeline needs at least one [[columns]] entry (or a model)")
    columns = tuple(_build_column(raw) for raw in raw_columns)
    names = [column.name for column in columns]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DefinitionError(f"column(s) defined twice: {', '.join(duplicates)}")
    key = tuple(_str_list(data.get("key"), "key"))
    if not key and model is None:
        raise DefinitionError("'key' must name at least one column")
    unknown_key = [k for k in key if k not in names and columns]
    if unknown_key:
        raise DefinitionError(f"key column(s) not defined in [[columns]]: {', '.join(unknown_key)}")
    formats = tuple(_str_list(data.get("formats", ["csv", "xlsx"]), "formats"))
    bad_formats = [f for f in formats if f not in get_args(FileFormat)]
    if bad_formats:
        raise DefinitionError(
            f"unsupported format(s) {bad_formats}; use csv and/or xlsx (every spreadsheet format), "
            "or name xlsm, xls, xlsb, ods one by one")
    pipeline = Pipeline(
        name=name,
        table=table,
        key=key,
        columns=columns,
        description=str(data.get("description", "")),
        formats=formats,  # type: ignore[arg-type]
        allow_extra_columns=_bool(data, "allow_extra_columns", False),
        create=_bool(data, "create", False),
        source=path,
        model=model,
    )
    if model is None:
        return pipeline
    from etl.pipeline.mapped import bind_model, import_model  # mapped builds on this module

    bound = bind_model(pipeline, import_model(model, path.parent))
    if table and table != bound.table:
        raise DefinitionError(f"table {table!r} is not the table of model {model} ({bound.table})")
    return bound


def _build_column(raw: Any) -> Column:
    if not isinstance(raw, Mapping):
        raise DefinitionError("each [[columns]] entry must be a table")
    name = required_text(raw, "name", "column")
    where = f"column {name!r}"
    reject_unknown_keys(raw, COLUMN_KEYS, where)
    headers = tuple(_str_list(raw.get("headers", [name]), f"{where} headers")) or (name,)
    kind = raw.get("type", "text")
    if kind not in get_args(ColumnKind):
        raise DefinitionError(f"{where}: type {kind!r} is not one of {', '.join(get_args(ColumnKind))}")
    case = raw.get("case")
    if case is not None and case not in get_args(CaseRule):
        raise DefinitionError(f"{where}: case {case!r} is not one of lower, upper, title")
    pattern = raw.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except (re.error, TypeError) as err:
            raise DefinitionError(f"{where}: invalid pattern: {err}") from None
    max_length = raw.get("max_length")
    if max_length is not None and (not isinstance(max_length, int) or max_length < 1):
        raise DefinitionError(f"{where}: max_length must be a positive whole number")
    choices = raw.get("choices")
    return Column(
        name=name,
        headers=headers,
        kind=kind,
        required=_bool(raw, "required", False, where),
        max_length=max_length,
        minimum=_decimal(raw.get("min"), f"{where} min"),
        maximum=_decimal(raw.get("max"), f"{where} max"),
        pattern=pattern,
        pattern_message=raw.get("pattern_message"),
        trim=_bool(raw, "trim", True, where),
        case=case,
        date_formats=date_formats(raw.get("date_format"), f"{where}: date_format"),
        choices=tuple(_str_list(choices, f"{where} choices")) if choices is not None else None,
        lookup=_build_lookup(raw["lookup"], where) if "lookup" in raw else None,
        **_separators(raw, kind, where),
        **_size(raw, kind, where),
    )


def date_formats(value: Any, where: str) -> tuple[str, ...]:
    """`date_format` as given (one format or a list), checked: each must be a usable format
    and no two may read one text as different dates."""
    formats = tuple(_str_list(value, where)) if value is not None else ()
    problem = next(filter(None, map(bad_date_format, formats)), None) or date_format_conflict(formats)
    if problem is not None:
        raise DefinitionError(f"{where}: {problem}")
    return formats


def _size(raw: Mapping[str, Any], kind: str, where: str) -> dict[str, Any]:
    precision, scale = raw.get("precision"), raw.get("scale")
    if precision is None and scale is None:
        return {}
    if kind != "decimal":
        raise DefinitionError(f"{where}: precision/scale apply to decimal columns")
    for value, key in ((precision, "precision"), (scale, "scale")):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise DefinitionError(f"{where}: {key} must be a whole number, 0 or more")
    if precision is None or precision < 1 or (scale is not None and scale > precision):
        raise DefinitionError(f"{where}: precision must be at least 1 and at least the scale")
    return {"precision": precision, "scale": scale}


def _separators(raw: Mapping[str, Any], kind: str, where: str) -> dict[str, Any]:
    thousands = raw.get("thousands_separator")
    decimal = raw.get("decimal_separator", "," if thousands == "." else ".")
    if ("decimal_separator" in raw or thousands is not None) and kind not in ("integer", "decimal"):
        raise DefinitionError(f"{where}: decimal_separator/thousands_separator apply to integer and decimal columns")
    if decimal not in DECIMAL_SEPARATORS:
        raise DefinitionError(f"{where}: decimal_separator must be '.' or ','")
    if thousands is not None and (thousands not in THOUSANDS_SEPARATORS or thousands == decimal):
        shown = ", ".join(repr(t) for t in THOUSANDS_SEPARATORS if t != decimal)
        raise DefinitionError(f"{where}: thousands_separator must be one of {shown}")
    return {"decimal_separator": decimal, "thousands_separator": thousands}


def _build_lookup(raw: Any, where: str) -> Lookup:
    where = f"{where} lookup"
    if not isinstance(raw, Mapping):
        raise DefinitionError(f"{where} must be a table")
    reject_unknown_keys(raw, LOOKUP_KEYS, where)
    on_missing = raw.get("on_missing", "create")
    if on_missing not in ("create", "reject"):
        raise DefinitionError(f"{where}: on_missing must be 'create' or 'reject'")
    defaults = raw.get("create_defaults", {})
    if not isinstance(defaults, Mapping):
        raise DefinitionError(f"{where}: create_defaults must be a table")
    headers = tuple(_str_list(raw.get("headers"), f"{where} headers"))
    if not headers:
        raise DefinitionError(f"{where}: headers must name at least one header")
    return Lookup(
        headers=headers,
        table=required_text(raw, "table", where),
        match=required_text(raw, "match", where),
        value=str(raw.get("value", "id")),
        on_missing=on_missing,
        create_defaults={str(k): str(v) for k, v in defaults.items()},
    )


def reject_unknown_keys(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise DefinitionError(f"{where}: unknown key(s) {', '.join(unknown)}")


def required_text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DefinitionError(f"{where}: {key!r} is required and must be text")
    return value.strip()


def _str_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise DefinitionError(f"{where} must be a list of non-empty texts")
    return [v.strip() for v in value]


def _bool(data: Mapping[str, Any], key: str, default: bool, where: str = "pipeline") -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise DefinitionError(f"{where}: {key!r} must be true or false")
    return value


def _decimal(value: Any, where: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise DefinitionError(f"{where} must be a number")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise DefinitionError(f"{where} must be a number") from None
