"""Command-line interface. Importing the command modules registers them on `app`."""

import gc

from etl.cli import (  # noqa: F401  (registers commands)
    export_commands,
    history_commands,
    import_commands,
    serve_commands,
    setup_commands,
)
from etl.cli.app import app

GC_THRESHOLD = (10_000, 10, 10)
"""Python's default is (700, 10, 10). An import keeps a chunk of rows alive while it makes
millions of small objects, so the default collects every 700 allocations and each row
survives into the older generations, whose collections walk everything that is alive."""


def main() -> None:
    tune_garbage_collector()
    app(prog_name="etl")


def tune_garbage_collector() -> None:
    """Move what start-up built (typer, SQLAlchemy, the models: some 60,000 objects that
    live until exit) out of the collector's sight with `gc.freeze()`, and collect less
    often. Measured on a 1,000,000-row pets import into SQLite: 4.7 s of CPU → 3.35 s
    (−29%), peak memory unchanged."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


__all__ = ["app", "main"]
