"""A pipeline written back as its TOML definition (`etl pipelines new` prints one), with only
the keys that differ from their defaults, so the file reads like a hand-written one."""

from __future__ import annotations

import json
from typing import Any

from etl.pipeline.definition import Column, Pipeline


def pipeline_toml(pipeline: Pipeline, comment: str = "") -> str:
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    lines += [f"name = {_value(pipeline.name)}", f"table = {_value(pipeline.table)}"]
    if pipeline.description:
        lines.append(f"description = {_value(pipeline.description)}")
    lines.append(f"key = {_value(list(pipeline.key))}")
    if pipeline.create:
        lines.append("create = true")
    if pipeline.allow_extra_columns:
        lines.append("allow_extra_columns = true")
    for column in pipeline.columns:
        lines += ["", "[[columns]]", *_column_lines(column)]
    return "\n".join(lines) + "\n"


def _column_lines(column: Column) -> list[str]:
    pairs: list[tuple[str, Any]] = [("name", column.name)]
    if column.headers != (column.name,):
        pairs.append(("headers", list(column.headers)))
    pairs.append(("type", column.kind))
    optional: list[tuple[str, Any, Any]] = [
        ("required", column.required, False), ("max_length", column.max_length, None),
        ("min", column.minimum, None), ("max", column.maximum, None),
        ("decimal_separator", column.decimal_separator, "."),
        ("thousands_separator", column.thousands_separator, None),
        ("precision", column.precision, None), ("scale", column.scale, None),
        ("date_format", list(column.date_formats) or None, None),
    ]
    pairs += [(key, value) for key, value, default in optional if value != default]
    return [f"{key} = {_value(value)}" for key, value in pairs]


def _value(value: Any) -> str:
    """TOML for a text, number, boolean or list of texts (JSON's string escapes are TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)) or type(value).__name__ == "Decimal":
        return str(value)
    return json.dumps(value, ensure_ascii=False)
