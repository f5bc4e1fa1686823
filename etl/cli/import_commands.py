"""`etl import` and `etl history`: parse options, call one `Database` method, render the outcome.

rich is imported inside the commands, and `Database` imports the importer (with the loader,
numpy and SQLAlchemy's ORM) only when a method needs it: this module is imported on every
start of `etl` to register its commands, and those imports would cost every other command
about 0.3 s.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from etl.cli.app import DbOption, PipelinesDirOption, command, database_for
from etl.errors import EXIT_OK, EXIT_REJECTED
from etl.importing.results import FileResult, Progress


@command("import")
def import_command(
    pipeline: Annotated[str, typer.Argument(help="Pipeline name (see `etl pipelines`); with --table, the first file.")],
    paths: Annotated[list[Path] | None, typer.Argument(help="Files, or folders of files, to import.")] = None,
    db: DbOption = None,
    pipelines_dir: PipelinesDirOption = None,
    chunk_size: Annotated[int, typer.Option(min=1, help="Rows per flush.")] = 10_000,
    max_errors: Annotated[int, typer.Option(min=0, help="Skip up to N bad rows and commit the rest.")] = 0,
    rejects: Annotated[Path | None, typer.Option(help="Write rejected rows to this CSV.", dir_okay=False)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Do everything but commit.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Import files already imported.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    encoding: Annotated[str | None, typer.Option(help="CSV encoding (default: detected).")] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter (default: detected).")] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet (default: the first).")] = None,
    header_row: Annotated[int | None, typer.Option(min=1, help="Row number of the header.")] = None,
    archive_dir: Annotated[Path | None, typer.Option(file_okay=False, help="Move committed files here.")] = None,
    error_dir: Annotated[Path | None, typer.Option(file_okay=False, help="Move rejected files here.")] = None,
    create_lookups: Annotated[bool, typer.Option(
        "--create-lookups/--no-create-lookups",
        help="Create lookup rows (groups) for unknown names; --no-create-lookups makes such a name a row error.",
    )] = True,
    decimal_comma: Annotated[bool, typer.Option(
        "--decimal-comma", help="Numbers are written 1.234,50 (decimal comma, . between thousands).",
    )] = False,
    date_format: Annotated[list[str] | None, typer.Option(
        "--date-format", help="Dates are written in this strptime format, e.g. %d/%m/%Y (repeat for several).",
    )] = None,
    annotate: Annotated[Path | None, typer.Option(
        "--annotate", dir_okay=False,
        help="Write a copy of the file for its sender (.xlsx): every problem marked, an Errors sheet first.",
    )] = None,
    table: Annotated[str | None, typer.Option(
        "--table", help="Import into this table, no pipeline file: headers matched to its columns.",
    )] = None,
    create: Annotated[bool, typer.Option(
        "--create", help="With --table: create the table if missing, types inferred from the first file.",
    )] = False,
    key: Annotated[str | None, typer.Option(
        "--key", help="With --table: the column(s) rows match on for updates, comma-separated.",
    )] = None,
) -> None:
    """Import files: validate every row, then write each file in one transaction.
    `etl import --table NAME FILE…` imports into any table without a pipeline."""
    from etl.cli.setup_commands import split_columns

    files = [Path(pipeline), *(paths or [])] if table else list(paths or [])
    if not files:
        raise typer.BadParameter("name at least one file (or folder) to import", param_hint="PATHS")
    if (create or key) and not table:
        raise typer.BadParameter("--create and --key go with --table NAME", param_hint="--table")
    with database_for(db, pipelines_dir) as database, \
            _progress(enabled=not (quiet or as_json) and sys.stderr.isatty()) as progress:
        run = (partial(database.import_table, table, create=create, key=split_columns(key)) if table
               else partial(database.import_files, pipeline))
        results = run(
            files, chunk_size=chunk_size, max_errors=max_errors, rejects=rejects,
            dry_run=dry_run, force=force, encoding=encoding, delimiter=delimiter, sheet=sheet,
            header_row=header_row, archive_dir=archive_dir, error_dir=error_dir, progress=progress,
            create_lookups=create_lookups, decimal_comma=decimal_comma, date_formats=date_format or (),
            annotate=annotate,
        )
    _render(results, as_json)
    raise typer.Exit(EXIT_OK if all(r.succeeded for r in results) else EXIT_REJECTED)


@command("history")
def history_command(
    db: DbOption = None,
    limit: Annotated[int, typer.Option(min=1, help="How many runs to show.")] = 20,
    pipeline: Annotated[str | None, typer.Option(help="Only runs of this pipeline.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines instead.")] = False,
) -> None:
    """Recent import runs from the ledger, newest first."""
    from rich.console import Console
    from rich.table import Table

    with database_for(db) as database:
        runs = database.history(limit=limit, pipeline=pipeline)
    if as_json:
        for run in runs:
            typer.echo(json.dumps({**run.__dict__, "started_at": str(run.started_at),
                                   "finished_at": str(run.finished_at) if run.finished_at else None}))
        return
    table = Table("run", "started (UTC)", "pipeline", "status", "read", "ins", "upd", "same", "rej", "file")
    for run in runs:
        table.add_row(str(run.id), run.started_at.strftime("%Y-%m-%d %H:%M:%S"), run.pipeline, run.status,
                      *(str(n) for n in (run.rows_read, run.inserted, run.updated, run.unchanged, run.rejected)),
                      run.path + (f"\n{run.error.splitlines()[0]}" if run.error else ""))
    Console(width=200 if not sys.stdout.isatty() else None).print(table)


def _render(results: list[FileResult], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"files": [r.to_dict() for r in results]}, ensure_ascii=False))
        return
    if not results:
        typer.echo("no files to import")
    for result in results:
        for error in result.errors:
            typer.echo(error.describe(result.path), err=True)
        if result.errors_total > len(result.errors):
            typer.echo(f"{result.path}: ... and {result.errors_total - len(result.errors)} more errors", err=True)
        for warning in result.warnings:
            typer.echo(warning.describe(result.path, "warning"), err=True)
        typer.echo(summary_line(result))


def summary_line(result: FileResult) -> str:
    """`pets.csv: committed: 4 read, 4 inserted, 0 updated, 0 unchanged, 0 rejected (0.05 s)`."""
    counts = (f"{result.rows_read} read, {result.inserted} inserted, {result.updated} updated, "
              f"{result.unchanged} unchanged, {result.rejected} rejected")
    if result.lookups_created:
        counts += f", {result.lookups_created} lookup row(s) created"
    if result.warnings:
        counts += f", {len(result.warnings)} warning(s)"
    moved = f"; moved to {result.moved_to}" if result.moved_to else ""
    annotated = f"; annotated copy {result.annotated}" if result.annotated else ""
    return f"{result.path}: {result.status}: {counts} ({result.seconds:.2f} s){moved}{annotated}"


@contextmanager
def _progress(enabled: bool) -> Iterator[Progress | None]:
    """A rich progress display on stderr (rows so far per file), or nothing."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress as ProgressBar
    from rich.progress import SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed:,} rows"),
               TimeElapsedColumn())
    with ProgressBar(*columns, console=Console(stderr=True), transient=True) as bar:
        tasks: dict[Path, TaskID] = {}

        def update(path: Path, rows: int) -> None:
            if path not in tasks:
                tasks[path] = bar.add_task(path.name, total=None)
            bar.update(tasks[path], completed=rows)

        yield update
