"""`etl init` and `etl pipelines`: parse options, call one `Database` method, render the
outcome (rich is imported inside the command that uses it, to keep start-up short)."""

from __future__ import annotations

import typer

from etl.cli.app import DbOption, PipelinesDirOption, command, database_for


@command("init")
def init_command(db: DbOption = None, pipelines_dir: PipelinesDirOption = None) -> None:
    """Create the target tables (the built-in ones and those of pipelines with create = true)
    and etl's bookkeeping if missing (safe to run again)."""
    with database_for(db, pipelines_dir) as database:
        created = database.init()
    if created:
        typer.echo(f"created {', '.join(created)} in {database.url}")
    else:
        typer.echo(f"nothing to do: every table already exists in {database.url}")


@command("pipelines")
def pipelines_command(pipelines_dir: PipelinesDirOption = None) -> None:
    """List the pipelines: target table, key and accepted column names."""
    from rich.console import Console
    from rich.table import Table

    table = Table("pipeline", "table", "key", "accepted columns", show_lines=True)
    for pipeline in database_for(pipelines_dir=pipelines_dir).pipelines().values():
        accepted = "\n".join(
            f"{column}: {' | '.join(headers)}" for column, headers in pipeline.accepted_headers.items()
        )
        table.add_row(pipeline.name, pipeline.table, ", ".join(pipeline.key), accepted)
    Console().print(table)
