"""`etl import`: parse options, call one `Database` method, report the run as it goes.

The report, rich and `Database`'s importer (with the loader, numpy and SQLAlchemy's ORM)
are imported inside the command: this module is imported on every start of `etl` to
register its commands, and those imports would cost every other command about 0.3 s.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from etl.api import ImportKeywords
from etl.cli.app import DbOption, PipelinesDirOption, command, database_for
from etl.cli.output import Log, error_document, is_terminal, print_json
from etl.errors import EXIT_OK, EXIT_REJECTED, UsageError

STDIN = "-"


@command("import", json_collection="files", timestamps=True)
def import_command(
    pipeline: Annotated[str, typer.Argument(
        metavar="PIPELINE", help="Pipeline name (see `etl pipelines`); with --table or --model, the first file.")],
    paths: Annotated[list[Path] | None, typer.Argument(
        metavar="PATH", help="Files, or folders of files, to import; - reads CSV from standard input.")] = None,
    db: DbOption = None,
    pipelines_dir: PipelinesDirOption = None,
    chunk_size: Annotated[int, typer.Option(min=1, help="Rows per flush.")] = 10_000,
    max_errors: Annotated[int, typer.Option(min=0, help="Skip up to N bad rows and commit the rest.")] = 0,
    rejects: Annotated[Path | None, typer.Option(help="Write rejected rows to this CSV.", dir_okay=False)] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Do everything but commit (files imported before are checked too).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Import files already imported.")] = False,
    workers: Annotated[int, typer.Option(
        min=1, max=8, help="Import up to N files at once, each in its own transaction.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    name: Annotated[str | None, typer.Option(
        help="With -, the name standard input gets in the ledger and messages (default: -).")] = None,
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
    model: Annotated[str | None, typer.Option(
        "--model", metavar="MODULE:CLASS",
        help="Rows become objects of this SQLAlchemy mapped class (package.module:Class or file.py:Class), "
             "no pipeline file: headers are its attribute and column names.",
    )] = None,
    write_mode: Annotated[str, typer.Option(
        "--write-mode", metavar="MODE",
        help="auto (the fastest mode that honours the model), objects, bulk or native.",
    )] = "auto",
) -> None:
    """Import files, or every file of a folder, one transaction each.

    Every row is validated before anything is written; a file lands whole or not at all,
    and a file already imported is skipped. Any number of runs may share a folder and a
    database: each file is imported, and archived or set aside, by exactly one of them.
    `etl import --table NAME FILE...` imports into any table without a pipeline.
    """
    from etl.cli.import_report import ImportReport, progress_bar
    from etl.cli.setup_commands import split_columns
    from etl.cli.signals import stop_on_signals
    from etl.importing.workers import Cancel

    files = [Path(pipeline), *(paths or [])] if table or model else list(paths or [])
    if not files:
        raise typer.BadParameter("name at least one file (or folder) to import", param_hint="PATH")
    if (create or key) and not table:
        raise typer.BadParameter("--create and --key go with --table NAME", param_hint="--table")
    if table and model:
        raise typer.BadParameter("give --table or --model, not both", param_hint="--model")
    out, err = Log("stdout"), Log("stderr")
    report = ImportReport(out, err, dry_run=dry_run, silent=as_json)
    cancel = Cancel()
    options: ImportKeywords = dict(
        chunk_size=chunk_size, max_errors=max_errors, rejects=rejects, dry_run=dry_run, force=force,
        encoding=encoding, delimiter=delimiter, sheet=sheet, header_row=header_row, archive_dir=archive_dir,
        error_dir=error_dir, workers=workers, listener=report, cancel=cancel, create_lookups=create_lookups,
        decimal_comma=decimal_comma, date_formats=date_format or (), annotate=annotate, write_mode=write_mode)
    show_bar = not (quiet or as_json) and is_terminal(sys.stderr)
    with stop_on_signals(cancel, err), database_for(db, pipelines_dir) as database, \
            progress_bar(report, show_bar):
        if table:
            results = database.import_table(table, files, create=create, key=split_columns(key), **options)
        elif model:
            results = database.import_files(database.model_pipeline(model), files, **options)
        elif [str(p) for p in files] == [STDIN]:
            with _stdin_copy() as copy:
                results = [database.import_file(pipeline, copy, name=name or STDIN, **_for_stdin(options))]
        else:
            _refuse_stdin_mixed(files, name)
            results = database.import_files(pipeline, files, **options)
    stopped = cancel.reason if cancel.is_set() else None
    if as_json:
        document: dict[str, Any] = {"run": report.run_id, "files": [r.to_dict() for r in results]}
        if stopped:
            document["error"] = error_document(stopped, cancel.exit_code)
        print_json(document)
    else:
        report.finish(stopped)
    if stopped:
        raise typer.Exit(cancel.exit_code)
    raise typer.Exit(EXIT_OK if all(r.succeeded for r in results) else EXIT_REJECTED)


def _for_stdin(options: ImportKeywords) -> ImportKeywords:
    """Standard input is CSV and cannot be moved: the options about sheets and folders do not apply."""
    for option, flag in (("sheet", "--sheet"), ("archive_dir", "--archive-dir"), ("error_dir", "--error-dir"),
                         ("annotate", "--annotate")):
        if options.get(option) is not None:
            raise UsageError(f"{flag} does not apply to standard input (-)")
    chosen = options.copy()
    for option in ("sheet", "archive_dir", "error_dir", "annotate"):
        chosen.pop(option, None)  # type: ignore[misc]
    return chosen


def _refuse_stdin_mixed(paths: list[Path], name: str | None) -> None:
    if any(str(p) == STDIN for p in paths):
        raise UsageError("- (standard input) cannot be mixed with files; import it on its own")
    if name is not None:
        raise UsageError("--name names standard input: use it with - as the only PATH")


@contextmanager
def _stdin_copy() -> Iterator[Path]:
    """Standard input copied to a private temporary .csv file (the SHA-256 that decides
    "already imported" needs the whole content before a row is read), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="etl-stdin-") as folder:
        copy = Path(folder) / "stdin.csv"
        with copy.open("wb") as handle:
            shutil.copyfileobj(sys.stdin.buffer, handle, 1 << 20)
        yield copy
