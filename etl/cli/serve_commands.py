"""`etl serve`: parse options and run the local web page (etl/web) for the database."""

from __future__ import annotations

from typing import Annotated

import typer

from etl.cli.app import DbOption, PipelinesDirOption, command, database_for


@command("serve")
def serve_command(
    db: DbOption = None,
    pipelines_dir: PipelinesDirOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on. Only this computer can reach "
                                      "the default; 0.0.0.0 opens the page to the network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on (0: any free one).")] = 8765,
    max_upload_mb: Annotated[int, typer.Option(min=1, help="Largest file the page accepts, in MB.")] = 200,
) -> None:
    """Serve a local web page for checking and importing spreadsheets.

    A person uploads a spreadsheet, sees every problem in its cells, and imports it; the
    command prints the page's address with a fresh access token."""
    from etl.web.server import ServeOptions, serve

    with database_for(db, pipelines_dir) as database:
        serve(database, ServeOptions(host=host, port=port, max_upload_mb=max_upload_mb))
