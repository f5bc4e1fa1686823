"""`etl init` and `etl pipelines`: parse options, call one `Database` method, render the
outcome (rich is imported inside the command that uses it, to keep start-up short)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from etl.cli.app import HELP_OPTIONS, DbOption, EtlCommand, PipelinesDirOption, app, command, database_for, error_boundary


@command("init")
def init_command(db: DbOption = None, pipelines_dir: PipelinesDirOption = None) -> None:
    """Create the target tables and etl's bookkeeping where missing.

    The tables are the built-in ones and those of pipelines with create = true. Safe to run
    again: an existing table is never altered.
    """
    with database_for(db, pipelines_dir) as database:
        created = database.init()
    if created:
        typer.echo(f"created {', '.join(created)} in {database.url}")
    else:
        typer.echo(f"nothing to do: every table already exists in {database.url}")


pipelines_app = typer.Typer(help="List the pipelines, or make a new one from a file.", no_args_is_help=False,
                            context_settings={"help_option_names": HELP_OPTIONS})
app.add_typer(pipelines_app, name="pipelines")


@pipelines_app.callback(invoke_without_command=True)
@error_boundary
def pipelines_command(context: typer.Context, db: DbOption = None, pipelines_dir: PipelinesDirOption = None) -> None:
    """List the pipelines: target table, key and accepted column names."""
    if context.invoked_subcommand is not None:
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("pipeline", "table", "key", "write mode", "accepted columns", show_lines=True)
    database = database_for(db, pipelines_dir)
    for pipeline in database.pipelines().values():
        accepted = "\n".join(
            f"{column}: {' | '.join(headers)}" for column, headers in pipeline.accepted_headers.items()
        )
        target = pipeline.table if pipeline.model is None else f"{pipeline.table}\n(model {pipeline.model})"
        mode = database.write_mode(pipeline).describe()
        table.add_row(pipeline.name, target, ", ".join(pipeline.key), mode, accepted)
    Console().print(table)


@pipelines_app.command("new", cls=EtlCommand)
@error_boundary
def pipelines_new_command(
    name: Annotated[str, typer.Argument(help="Name of the new pipeline (and of its table).")],
    file: Annotated[Path, typer.Argument(help="A CSV or Excel file whose header and values shape it.")],
    db: DbOption = None,
    key: Annotated[str | None, typer.Option(help="Column(s) that identify a row, comma-separated.")] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet (default: the first).")] = None,
    header_row: Annotated[int | None, typer.Option(min=1, help="Row number of the header.")] = None,
    encoding: Annotated[str | None, typer.Option(help="CSV encoding (default: detected).")] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter (default: detected).")] = None,
    decimal_comma: Annotated[bool, typer.Option("--decimal-comma", help="Numbers are written 1.234,50.")] = False,
    date_format: Annotated[list[str] | None, typer.Option("--date-format", help="strptime format of its dates.")] = None,
) -> None:
    """Print a pipeline (TOML) with the file's columns and inferred types, for a repeated load:
    save it in a folder and pass that folder as --pipelines-dir."""
    from etl.pipeline.render import pipeline_toml

    pipeline = database_for(db).infer_pipeline(
        name, file, key=split_columns(key), sheet=sheet, header_row=header_row, encoding=encoding,
        delimiter=delimiter, decimal_comma=decimal_comma, date_formats=date_format or ())
    typer.echo(pipeline_toml(pipeline, f"Inferred by `etl pipelines new` from {file.name}: check the types and the key.\n"
                                       "Without a key that names the column(s) identifying a row, rows match on every column."),
               nl=False)


def split_columns(value: str | None) -> tuple[str, ...]:
    """`--key a,b` → ("a", "b")."""
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())
