"""Command-line interface. Importing the command modules registers them on `app`."""

from etl.cli import export_commands, import_commands, setup_commands  # noqa: F401  (registers commands)
from etl.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
