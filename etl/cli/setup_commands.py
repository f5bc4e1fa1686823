"""`etl init` and `etl pipelines`. The schema (SQLAlchemy's ORM models) and rich are imported
inside the commands that use them, to keep every command's start-up short."""

from __future__ import annotations

import typer

from etl.cli.app import DbOption, PipelinesDirOption, command, settings_for
from etl.db import open_database, safe_url
from etl.pipeline import load_pipelines


@command("init")
def init_command(db: DbOption = None) -> None:
    """Create the target tables and etl's bookkeeping if missing (safe to run again)."""
    from etl.schema import init_database

    settings = settings_for(db)
    engine = open_database(settings.database_url)
    try:
        created = init_database(engine)
    finally:
        engine.dispose()
    where = safe_url(settings.database_url)
    if created:
        typer.echo(f"created {', '.join(created)} in {where}")
    else:
        typer.echo(f"nothing to do: every table already exists in {where}")


@command("pipelines")
def pipelines_command(pipelines_dir: PipelinesDirOption = None) -> None:
    """List the pipelines: target table, key and accepted column names."""
    from rich.console import Console
    from rich.table import Table

    settings = settings_for(pipelines_dir=pipelines_dir)
    table = Table("pipeline", "table", "key", "accepted columns", show_lines=True)
    for pipeline in load_pipelines(settings.pipelines_dirs).values():
        accepted = "\n".join(
            f"{column}: {' | '.join(headers)}" for column, headers in pipeline.accepted_headers.items()
        )
        table.add_row(pipeline.name, pipeline.table, ", ".join(pipeline.key), accepted)
    Console().print(table)
