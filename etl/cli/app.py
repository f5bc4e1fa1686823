"""The Typer application, the options every command shares, and the one error boundary.

Commands live in the sibling modules; each is a thin function that parses options, calls
one library function and renders its result. Library code raises EtlError; only
`error_boundary` turns it into a one-line message and an exit code.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.exc import SQLAlchemyError

from etl.api import Database
from etl.config import Settings
from etl.db import error_reason, redact, safe_url
from etl.errors import EXIT_REJECTED, EXIT_USAGE, EtlError
from etl.printable import printable

app = typer.Typer(
    name="etl",
    help="Move tabular data between CSV/Excel files and SQL databases.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL. Default: $ETL_DATABASE_URL, else sqlite:///etl.db",
        show_default=False,
    ),
]
PipelinesDirOption = Annotated[
    Path | None,
    typer.Option(
        "--pipelines-dir",
        help="Extra folder of pipeline definitions (also $ETL_PIPELINES_DIR).",
        file_okay=False,
        show_default=False,
    ),
]


# Set by the root callback for the current invocation (typer vendors click, so there is
# no public current-context lookup to rely on).
_state: dict[str, bool] = {"debug": False}


@app.callback()
def main_options(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the Python traceback of an error.")
    ] = False,
) -> None:
    """Move tabular data between CSV/Excel files and SQL databases."""
    _state["debug"] = debug


def settings_for(db: str | None = None, pipelines_dir: Path | None = None) -> Settings:
    """Resolve the shared options of the current command into Settings."""
    return Settings.resolve(db=db, pipelines_dir=pipelines_dir, debug=_debug_enabled())


def database_for(db: str | None = None, pipelines_dir: Path | None = None) -> Database:
    """The `Database` the current command works on (nothing is opened until it is used)."""
    return Database(settings_for(db, pipelines_dir))


def _debug_enabled() -> bool:
    return _state["debug"] or os.environ.get("ETL_DEBUG") == "1"


def fail(message: str, exit_code: int) -> typer.Exit:
    """Print one error line on stderr and return the Exit to raise."""
    typer.echo(f"etl: error: {printable(message)}", err=True)
    return typer.Exit(exit_code)


F = TypeVar("F", bound=Callable[..., Any])


def error_boundary(func: F) -> F:
    """Turn expected failures into one line and an exit code; hide tracebacks unless --debug."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        url = kwargs.get("db") or os.environ.get("ETL_DATABASE_URL")
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except EtlError as err:
            if _debug_enabled():
                raise
            raise fail(redact(str(err), url), err.exit_code) from None
        except SQLAlchemyError as err:
            if _debug_enabled():
                raise
            reason = error_reason(err)
            target = f" ({safe_url(url)})" if url else ""
            raise fail(redact(f"database error{target}: {reason}", url), EXIT_REJECTED) from None
        except KeyboardInterrupt:
            raise fail("interrupted", EXIT_USAGE) from None
        except Exception as err:  # the last resort: a bug, reported without a traceback
            if _debug_enabled():
                raise
            message = f"internal error: {type(err).__name__}: {err} (run with --debug for the traceback)"
            raise fail(redact(message, url), EXIT_REJECTED) from None

    return wrapper  # type: ignore[return-value]


def command(name: str | None = None, **kwargs: Any) -> Callable[[F], F]:
    """Register a command on the app, wrapped in the error boundary."""

    def register(func: F) -> F:
        app.command(name, **kwargs)(error_boundary(func))
        return func

    return register
