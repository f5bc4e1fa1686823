"""`etl export`, `etl report` and `etl template`: the commands that write files from the database.

Each parses its options and calls one `Database` method, which imports the exporter, the
report and template writers only when used: this module is imported on every start of `etl`
to register its commands, and those imports (XlsxWriter, SQLAlchemy's ORM, the writers)
would cost every other command, `etl import` included, a few tenths of a second.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from etl.cli.app import DbOption, PipelinesDirOption, command, database_for
from etl.errors import UsageError


@command("export")
def export_command(
    source: Annotated[str, typer.Argument(help="Pipeline or table name; with --sql, the OUTPUT.")],
    output: Annotated[
        str | None, typer.Argument(help="File to write (.csv, .xlsx, .jsonl), or - for CSV on stdout.")
    ] = None,
    db: DbOption = None,
    pipelines_dir: PipelinesDirOption = None,
    sql: Annotated[str | None, typer.Option("--sql", help="Export this SELECT query instead.")] = None,
    columns: Annotated[
        str | None, typer.Option("--columns", help="Comma-separated columns to export, in order.")
    ] = None,
    where: Annotated[str | None, typer.Option("--where", help="SQL condition on the exported columns.")] = None,
    order_by: Annotated[str | None, typer.Option("--order-by", help="SQL ORDER BY list (default: id).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=0, help="Export at most this many rows.")] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv, xlsx or jsonl (default: from OUTPUT's extension).")
    ] = None,
    excel_compatible: Annotated[
        bool, typer.Option("--excel-compatible", help="CSV: add the BOM Excel needs for accents.")
    ] = False,
) -> None:
    """Export a table, a pipeline's table or a query to a file.

    The query runs read-only and streams, so memory does not grow with the rows.
    """
    name: str | None = source
    if sql is not None and output is None:
        name, output = None, source
    if output is None:
        raise UsageError("give SOURCE and OUTPUT, e.g. `etl export pets pets.xlsx`")
    picked = tuple(c.strip() for c in columns.split(",") if c.strip()) if columns else ()
    try:
        with database_for(db, pipelines_dir) as database:
            count = database.export(name, output, sql=sql, columns=picked, where=where, order_by=order_by,
                                    limit=limit, file_format=fmt, excel_compatible=excel_compatible)
    except BrokenPipeError:
        # The reader of stdout stopped early (`| head`): not an error, and nothing more to say.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None
    typer.echo(f"exported {count} rows to {output if output != '-' else 'stdout'}", err=output == "-")


@command("report")
def report_command(
    name: Annotated[str, typer.Argument(help="Report name, e.g. contacts-by-group.")],
    output: Annotated[Path, typer.Argument(help="The .xlsx file to write.")],
    db: DbOption = None,
    pipelines_dir: PipelinesDirOption = None,
    lang: Annotated[str | None, typer.Option(
        "--lang", help="Label the report in this language, e.g. en (default: the report's own; Spanish for the "
                       "built-in reports).")] = None,
    into: Annotated[Path | None, typer.Option(
        "--into", metavar="TEMPLATE.xlsx",
        help="Fill this workbook of your own instead: each report sheet's rows go into its sheet or Excel table "
             "of the same name, keeping its styles, images, formulas and charts. The template is not changed.")] = None,
) -> None:
    """Write a named report: a workbook with sheets and charts."""
    with database_for(db, pipelines_dir) as database:
        counts = database.report(name, output, lang=lang, into=into)
    summary = ", ".join(f"{sheet}: {rows} rows" for sheet, rows in counts.items())
    typer.echo(f"wrote report {name} to {output} ({summary})")


@command("template")
def template_command(
    pipeline_name: Annotated[str, typer.Argument(metavar="PIPELINE", help="Pipeline name, e.g. contacts.")],
    output: Annotated[Path, typer.Argument(help="The .xlsx file to write.")],
    db: DbOption = None,
    pipelines_dir: PipelinesDirOption = None,
) -> None:
    """Write an empty spreadsheet with a pipeline's headers.

    Each header carries a note saying what the column accepts, and cells are validated
    as Excel allows.
    """
    database = database_for(db, pipelines_dir)
    database.template(pipeline_name, output)
    typer.echo(f"wrote template for {pipeline_name} to {output}")
