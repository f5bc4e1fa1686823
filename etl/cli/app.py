"""The Typer application, the options every command shares, and the one error boundary.

Commands live in the sibling modules; each is a thin function that parses options, calls
one library function and renders its result. Library code raises EtlError; only
`error_boundary` turns it into a one-line message and an exit code, the same with and
without `--debug` (which adds the traceback). Under `--json` a failure outside any file is
also one JSON document on stdout: `{"files": [], "error": {"message", "exit_code"}}`.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.exc import SQLAlchemyError
from typer.core import TyperCommand, TyperGroup

from etl.api import Database
from etl.cli.output import Log, error_document, print_json
from etl.config import DATABASE_URL_ENV, Settings
from etl.db import error_reason, redact, safe_url
from etl.errors import EXIT_REJECTED, EXIT_USAGE, EtlError
from etl.printable import printable

COMMAND_ORDER = ("init", "pipelines", "import", "export", "report", "template", "history", "serve")
"""How `etl --help` lists the commands: set up, import, get data out, look back."""

JSON_COLLECTIONS: dict[str, str] = {}
"""Command name → the list its `--json` document holds (`files`, `runs`), for commands
that have `--json`."""

ClickException: type[Exception] = next(
    kind for kind in typer.BadParameter.__mro__ if kind.__name__ == "ClickException"
)
"""Click's usage-error base (typer vendors click, and does not export it by this name)."""

EXIT_INTERRUPTED = 130
"""128 + SIGINT, what a shell reports for a command stopped by Ctrl-C."""


class EtlGroup(TyperGroup):
    """The `etl` command group: commands in COMMAND_ORDER, and usage errors (a bad option, a
    missing argument) also as a JSON document when `--json` was asked for."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = list(self.commands)
        rank = {name: index for index, name in enumerate(COMMAND_ORDER)}
        return sorted(names, key=lambda name: (rank.get(name, len(rank)), names.index(name)))

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        try:
            code = super().main(argv, prog_name, complete_var, standalone_mode=False,
                                windows_expand_args=windows_expand_args, **extra)
        except ClickException as err:
            if not standalone_mode:
                raise
            err.show()  # type: ignore[attr-defined]
            code = err.exit_code  # type: ignore[attr-defined]
            if _wants_json(argv):
                collection = JSON_COLLECTIONS.get(_command_name(argv, self.commands), "files")
                message = err.format_message()  # type: ignore[attr-defined]
                print_json({collection: [], "error": error_document(message, code)})
        except typer.Abort:
            if not standalone_mode:
                raise
            typer.echo("Aborted!", err=True)
            code = EXIT_REJECTED
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


class EtlCommand(TyperCommand):
    """A command whose usage reads `etl import [OPTIONS] PIPELINE PATH...`, the convention
    of Unix manuals, with its arguments listed by those names."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        return pieces + [_usage_name(param) for param in self.get_params(ctx)
                         if param.param_type_name == "argument"]

    def format_options(self, ctx: Any, formatter: Any) -> None:
        params = self.get_params(ctx)
        arguments = [(_argument_name(param), getattr(param, "help", None) or "") for param in params
                     if param.param_type_name == "argument"]
        options = [record for param in params if param.param_type_name == "option"
                   if (record := param.get_help_record(ctx)) is not None]
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def _argument_name(param: Any) -> str:
    name = str(param.metavar or param.name).upper()
    return f"{name}..." if param.nargs != 1 else name


def _usage_name(param: Any) -> str:
    name = _argument_name(param)
    return name if param.required else f"[{name}]"


def _wants_json(argv: list[str]) -> bool:
    return "--json" in argv[: argv.index("--")] if "--" in argv else "--json" in argv


def _command_name(argv: list[str], commands: Any) -> str:
    return next((arg for arg in argv if arg in commands), "")


HELP_OPTIONS = ["-h", "--help"]

app = typer.Typer(
    cls=EtlGroup,
    name="etl",
    help="Move tabular data between CSV/Excel files and SQL databases.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": HELP_OPTIONS},
)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL",
        help="Database URL, e.g. postgresql://user@host/db (default: $ETL_DATABASE_URL, "
        "else sqlite:///etl.db in the current folder). Accepted before or after the command's "
        "name; after wins.",
        show_default=False,
    ),
]
PipelinesDirOption = Annotated[
    Path | None,
    typer.Option(
        "--pipelines-dir",
        metavar="DIR",
        help="A folder of extra pipeline definitions (default: $ETL_PIPELINES_DIR).",
        file_okay=False,
        show_default=False,
    ),
]


# Set by the root callback for the current invocation (typer vendors click, so there is
# no public current-context lookup to rely on). Every key is set on every invocation.
_state: dict[str, Any] = {"debug": False, "db": None, "pipelines_dir": None}


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"etl {package_version()}")
        raise typer.Exit(0)


def package_version() -> str:
    try:
        return version("etl")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown (not installed)"


@app.callback()
def main_options(
    db: DbOption = None,
    pipelines_dir: PipelinesDirOption = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Also show the Python traceback of an error (same exit codes).")
    ] = False,
    show_version: Annotated[
        bool, typer.Option("--version", is_eager=True, callback=_show_version,
                           help="Show etl's version and exit.")
    ] = False,
) -> None:
    """Move tabular data between CSV/Excel files and SQL databases.

    Exit codes: 0 every file committed or skipped as already imported; 1 a file was
    rejected or rolled back; 2 usage or configuration error (unknown pipeline, no such file,
    bad option, database unreachable); 130 / 143 interrupted by SIGINT / SIGTERM.
    """
    _state.update(debug=debug, db=db, pipelines_dir=pipelines_dir)


def settings_for(db: str | None = None, pipelines_dir: Path | None = None) -> Settings:
    """Resolve the shared options of the current command (its own `--db` wins over the one
    given before the command's name) into Settings."""
    return Settings.resolve(db=db or _state["db"], pipelines_dir=pipelines_dir or _state["pipelines_dir"],
                            debug=_debug_enabled())


def database_for(db: str | None = None, pipelines_dir: Path | None = None) -> Database:
    """The `Database` the current command works on (nothing is opened until it is used)."""
    return Database(settings_for(db, pipelines_dir))


def _debug_enabled() -> bool:
    return bool(_state["debug"]) or os.environ.get("ETL_DEBUG") == "1"


def fail(message: str, exit_code: int, log: Log | None = None) -> typer.Exit:
    """Print one error line on stderr and return the Exit to raise."""
    (log or Log("stderr", timestamps=False)).line(f"etl: error: {printable(message)}")
    return typer.Exit(exit_code)


F = TypeVar("F", bound=Callable[..., Any])


def error_boundary(func: F, json_collection: str | None = None, timestamps: bool = False) -> F:
    """Turn expected failures into one line and an exit code, the same with `--debug` (which
    prints the traceback first); under `--json`, also the JSON document with its "error"."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        url = kwargs.get("db") or _state["db"] or os.environ.get(DATABASE_URL_ENV)
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except BaseException as err:  # each kind is classified below; a bug stays a bug (exit 1)
            message, code = describe_failure(err, url)
            if _debug_enabled():
                traceback.print_exception(err, file=sys.stderr)
            if json_collection is not None and kwargs.get("as_json"):
                print_json({json_collection: [], "error": error_document(message, code)})
            raise fail(message, code, Log("stderr") if timestamps else None) from None

    return wrapper  # type: ignore[return-value]


def describe_failure(err: BaseException, url: str | None) -> tuple[str, int]:
    """The one-line message (password removed) and exit code for a failure of a command."""
    if isinstance(err, EtlError):
        return redact(str(err), url), err.exit_code
    if isinstance(err, SQLAlchemyError):
        reason = error_reason(err)
        target = f" ({safe_url(url)})" if url else ""
        return redact(f"database error{target}: {reason}", url), EXIT_REJECTED
    if isinstance(err, KeyboardInterrupt):
        return "interrupted", EXIT_INTERRUPTED
    if isinstance(err, Exception):
        hint = "" if _debug_enabled() else " (run with --debug for the traceback)"
        return redact(f"internal error: {type(err).__name__}: {err}{hint}", url), EXIT_REJECTED
    raise err  # SystemExit, GeneratorExit: not failures of the command


def command(name: str | None = None, *, json_collection: str | None = None,
            timestamps: bool = False, **kwargs: Any) -> Callable[[F], F]:
    """Register a command on the app, wrapped in the error boundary. Its help's first line
    is its one-line description in `etl --help`, shown whole. `json_collection` names the
    list of its `--json` document; `timestamps` puts a timestamp on its error line off a
    terminal, like its other log lines."""

    def register(func: F) -> F:
        summary = (func.__doc__ or "").strip().splitlines()[0] if func.__doc__ else None
        settings = {"help_option_names": HELP_OPTIONS, **kwargs.pop("context_settings", {})}
        app.command(name, cls=EtlCommand, short_help=summary, context_settings=settings, **kwargs)(
            error_boundary(func, json_collection, timestamps))
        if json_collection is not None:
            JSON_COLLECTIONS[name or func.__name__] = json_collection
        return func

    return register


__all__ = [
    "EXIT_USAGE", "DbOption", "PipelinesDirOption", "app", "command", "database_for", "fail",
    "settings_for",
]
