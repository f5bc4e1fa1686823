"""`etl history`: the ledger's latest import attempts, readable on an 80-column terminal or
as one JSON document."""

from __future__ import annotations

import shutil
import textwrap
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from etl.cli.app import DbOption, command, database_for
from etl.cli.output import print_json

if TYPE_CHECKING:  # the ledger imports the ORM models, which `etl` must not load at start-up
    from etl.ledger import RunRecord

MIN_WIDTH = 80
RUN_WIDTH = 5
STARTED_WIDTH = 19
STATUS_WIDTH = 11


@command("history", json_collection="runs")
def history_command(
    db: DbOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many attempts to show.")] = 20,
    pipeline: Annotated[str | None, typer.Option(help="Only attempts of this pipeline.")] = None,
    status: Annotated[
        str | None,
        typer.Option(help="Only attempts with this status: committed, skipped, rejected, "
                          "rolled_back, dry_run or running."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead.")] = False,
) -> None:
    """Show the latest import attempts from the ledger, newest first.

    Each attempt takes two lines: its run (the `etl import` command that made it, as named
    in that command's log), when it started, its pipeline, status and file; then its row
    counts and, for a failed file, the first error.
    """
    with database_for(db) as database:
        runs = database.history(limit=limit, pipeline=pipeline, status=status)
        where = database.url
    if as_json:
        print_json({"runs": [run_to_dict(run) for run in runs]})
    elif not runs:
        typer.echo(f"no import attempts recorded in {where}")
    else:
        width = max(MIN_WIDTH, shutil.get_terminal_size((MIN_WIDTH, 24)).columns)
        typer.echo("\n".join(history_lines(runs, width)))


def history_lines(runs: list[RunRecord], width: int = MIN_WIDTH) -> list[str]:
    """The history as lines of at most `width` characters."""
    pipeline_width = min(12, max(len("pipeline"), *(len(run.pipeline) for run in runs)))
    path_width = width - (RUN_WIDTH + STARTED_WIDTH + pipeline_width + STATUS_WIDTH + 4 * 2)
    lines = [f"{'run':>{RUN_WIDTH}}  {'started (UTC)':<{STARTED_WIDTH}}  {'pipeline':<{pipeline_width}}  "
             f"{'status':<{STATUS_WIDTH}}  file"]
    indent = " " * (RUN_WIDTH + 2)
    for run in runs:
        label = "-" if run.run is None else str(run.run)
        lines.append(f"{label:>{RUN_WIDTH}}  {run.started_at:%Y-%m-%d %H:%M:%S}  "
                     f"{_fit_end(run.pipeline, pipeline_width):<{pipeline_width}}  "
                     f"{run.status:<{STATUS_WIDTH}}  {_fit_start(run.path, path_width)}")
        lines.extend(textwrap.wrap(_counts(run), width, initial_indent=indent, subsequent_indent=indent))
        if run.error:
            first = run.error.splitlines()[0].replace(run.path, Path(run.path).name)
            lines.append(indent + _fit_end(first, width - len(indent)))
    return lines


def _counts(run: RunRecord) -> str:
    counts = (f"{run.rows_read:,} read, {run.inserted:,} inserted, {run.updated:,} updated, "
              f"{run.unchanged:,} unchanged, {run.rejected:,} rejected")
    if run.seconds is not None:
        counts += f"; {run.seconds:,.2f} s"
    elif run.status == "running":
        counts += "; still running, or its process was killed"
    return counts


def _fit_start(text: str, width: int) -> str:
    """`text`, or its end after an ellipsis when it is too long (a path's file name matters most)."""
    return text if len(text) <= width else "…" + text[-(width - 1):]


def _fit_end(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def run_to_dict(run: RunRecord) -> dict[str, Any]:
    """One attempt in `etl history --json`: the keys of an `etl import --json` file entry
    (path, status, the counts, seconds) plus the ledger's own."""
    return {
        "run": run.run,
        "attempt": run.id,
        "pipeline": run.pipeline,
        "path": run.path,
        "status": run.status,
        "rows_read": run.rows_read,
        "inserted": run.inserted,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "rejected": run.rejected,
        "seconds": None if run.seconds is None else round(run.seconds, 3),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "error": run.error,
        "sha256": run.sha256,
        "host": run.host,
        "pid": run.pid,
    }


def _iso(moment: datetime | None) -> str | None:
    """Naive UTC from the ledger → `2026-11-01T02:30:05Z`."""
    return None if moment is None else moment.isoformat(timespec="seconds") + "Z"
