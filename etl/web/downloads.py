"""Files to take away: empty templates to fill in, report workbooks, and exports of a table
or of a query (which the database runs read-only). Each is written into a private folder
by a worker thread, sent, and deleted once sent."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from etl.web.app import WebState, state_of

FORMATS = {"xlsx": "Excel workbook (.xlsx)", "csv": "CSV text (.csv)", "jsonl": "JSON Lines (.jsonl)"}
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "jsonl": "application/x-ndjson",
}
QUERY_SOURCE = "(query)"


async def downloads_page(request: Request) -> Response:
    web = state_of(request)
    pipelines = await run_in_threadpool(web.database.pipelines)
    reports = await run_in_threadpool(web.database.reports)
    return web.page(request, "downloads.html", pipelines=pipelines, reports=reports, formats=FORMATS,
                    query_source=QUERY_SOURCE)


async def template(request: Request) -> Response:
    web = state_of(request)
    name = request.path_params["pipeline"]
    if name not in await run_in_threadpool(web.database.pipelines):
        raise HTTPException(404)
    return await _send(web, f"{name}-template.xlsx", lambda path: web.database.template(name, path))


async def report(request: Request) -> Response:
    web = state_of(request)
    name = request.path_params["report"]
    if name not in await run_in_threadpool(web.database.reports):
        raise HTTPException(404)
    return await _send(web, f"{name}.xlsx", lambda path: web.database.report(name, path))


async def export(request: Request) -> Response:
    """Export a pipeline's table, or the form's query, in the chosen format."""
    web = state_of(request)
    form = await request.form()
    source, file_format = str(form.get("source", "")), str(form.get("format", ""))
    sql = str(form.get("sql", "")).strip() or None
    if file_format not in FORMATS:
        raise HTTPException(400, "Choose a file format.")
    if source == QUERY_SOURCE:
        if sql is None:
            raise HTTPException(400, "Write the query to export (one SELECT statement).")
        name, table = "query", None
    elif source in await run_in_threadpool(web.database.pipelines):
        name, table, sql = source, source, None
    else:
        raise HTTPException(400, "Choose what to export.")
    return await _send(web, f"{name}.{file_format}",
                       lambda path: web.database.export(table, path, sql=sql, file_format=file_format))


async def _send(web: WebState, name: str, write: Callable[[Path], object]) -> Response:
    """Write the file with `write` in a worker thread, then send it as `name` and delete it."""
    folder = web.workspace.scratch_folder()
    path = folder / name
    try:
        await run_in_threadpool(write, path)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    suffix = path.suffix.lstrip(".")
    return FileResponse(path, filename=name, media_type=MEDIA_TYPES.get(suffix),
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))


ROUTES = [
    Route("/downloads", downloads_page, name="downloads"),
    Route("/templates/{pipeline}.xlsx", template, name="template"),
    Route("/reports/{report}.xlsx", report, name="report"),
    Route("/exports", export, methods=["POST"], name="export"),
]
