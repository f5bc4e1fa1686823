"""Pipeline definitions (declarative TOML files) and the engine that applies them to rows."""

from etl.pipeline.definition import (
    Column,
    ColumnKind,
    Lookup,
    Pipeline,
    builtin_pipelines_dir,
    get_pipeline,
    load_pipeline_file,
    load_pipelines,
)

__all__ = [
    "Column",
    "ColumnKind",
    "Lookup",
    "Pipeline",
    "builtin_pipelines_dir",
    "get_pipeline",
    "load_pipeline_file",
    "load_pipelines",
]
