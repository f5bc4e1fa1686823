"""The pages of a one-off load: the first page (upload), an upload's page (what was detected,
the preview with its marked cells, the check's counts, import), its progress, its downloads,
and the import history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from etl.importing.preview import Preview
from etl.web.app import state_of
from etl.web.uploads import ReceivedFile, UploadRefused, receive_file
from etl.web.work import CheckOutcome, check_upload, import_upload
from etl.web.workspace import ReadChoice, Upload

ENCODINGS = {"utf-8": "UTF-8", "cp1252": "Windows (cp1252)", "latin-1": "Latin-1 (ISO-8859-1)",
             "utf-16": "UTF-16"}
DELIMITERS = {",": "comma  ,", ";": "semicolon  ;", "\t": "tab", "|": "vertical bar  |"}
STATUS_WORDS = {"committed": "imported", "skipped": "already imported", "rejected": "refused",
                "rolled_back": "undone (database error)", "dry_run": "checked only", "running": "running"}
HISTORY_LIMIT = 100


async def home(request: Request) -> Response:
    web = state_of(request)
    pipelines = await run_in_threadpool(web.database.pipelines)
    return web.page(request, "home.html", pipelines=pipelines.values(), uploads=web.workspace.uploads(),
                    max_mb=web.config.max_upload_bytes // (1024 * 1024))


async def upload(request: Request) -> Response:
    """Stream the file into a new private folder, then start its check."""
    web = state_of(request)
    upload_id, folder = web.workspace.new_folder()
    try:
        received = await receive_file(request, folder, web.config.max_upload_bytes)
    except UploadRefused as refusal:
        await run_in_threadpool(_remove_folder, folder)
        if _wants_json(request):
            return JSONResponse({"error": str(refusal)}, refusal.status_code)
        return web.message(request, "The file was not taken", str(refusal), refusal.status_code)
    item = _new_upload(upload_id, received)
    web.workspace.add(item)
    _start_check(request, item)
    location = request.url_for("upload_page", upload_id=upload_id).path
    if _wants_json(request):
        return JSONResponse({"location": location})
    return RedirectResponse(location, 303)


def _new_upload(upload_id: str, received: ReceivedFile) -> Upload:
    return Upload(upload_id, received.name, received.path.parent, received.path, received.size, received.sha256)


def _remove_folder(folder: Any) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _start_check(request: Request, item: Upload) -> None:
    web = state_of(request)
    item.imported = None
    item.check = web.jobs.start("check", lambda job: check_upload(web.database, item, job))


def _upload_of(request: Request) -> Upload:
    item = state_of(request).workspace.get(request.path_params["upload_id"])
    if item is None:
        raise HTTPException(404)
    return item


async def upload_page(request: Request) -> Response:
    web = state_of(request)
    item = _upload_of(request)
    pipelines = await run_in_threadpool(web.database.pipelines)
    check = item.check.outcome if item.check is not None and item.check.state == "done" else None
    return web.page(request, "upload.html", upload=item, check=check, imported=item.imported,
                    pipelines=pipelines, encodings=ENCODINGS, delimiters=DELIMITERS,
                    choice=item.read, busy=item.busy)


async def upload_status(request: Request) -> Response:
    """What the page polls while a job runs."""
    item = _upload_of(request)
    job = item.imported or item.check
    if job is None:
        return JSONResponse({"state": "idle"})
    return JSONResponse({"kind": job.kind, "state": job.state, "rows": job.rows,
                         "seconds": round(job.seconds, 1), "error": job.error})


async def recheck(request: Request) -> Response:
    """Check again with the pipeline and reading choices of the form."""
    web = state_of(request)
    item = _upload_of(request)
    if not item.busy and item.path.exists():
        form = await request.form()
        pipelines = await run_in_threadpool(web.database.pipelines)
        item.pipeline = _chosen(form, "pipeline", pipelines)
        item.read = _read_choice(form, item)
        _start_check(request, item)
    return RedirectResponse(request.url_for("upload_page", upload_id=item.id).path, 303)


def _chosen(form: FormData, name: str, allowed: Any) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) and value in allowed else None


def _read_choice(form: FormData, item: Upload) -> ReadChoice:
    header_row = form.get("header_row")
    row = int(header_row) if isinstance(header_row, str) and header_row.isdigit() and int(header_row) >= 1 else None
    sheets = _sheets(item)
    return ReadChoice(encoding=_chosen(form, "encoding", ENCODINGS),
                      delimiter=_chosen(form, "delimiter", DELIMITERS),
                      sheet=_chosen(form, "sheet", sheets), header_row=row)


def _sheets(item: Upload) -> tuple[str, ...]:
    outcome = item.check.outcome if item.check is not None else None
    return outcome.preview.sheets if isinstance(outcome, CheckOutcome) else ()


async def start_import(request: Request) -> Response:
    """Import with the checked pipeline; `skip_bad` allows exactly the bad rows the check found."""
    web = state_of(request)
    item = _upload_of(request)
    outcome = item.check.outcome if item.check is not None else None
    if not item.busy and isinstance(outcome, CheckOutcome) and outcome.pipeline and item.path.exists():
        form = await request.form()
        result = outcome.result
        allowed = result.rejected if result is not None and form.get("skip_bad") == "yes" else 0
        pipeline = outcome.pipeline
        item.imported = web.jobs.start(
            "import", lambda job: import_upload(web.database, item, pipeline, allowed, job))
    return RedirectResponse(request.url_for("upload_page", upload_id=item.id).path, 303)


async def discard(request: Request) -> Response:
    web = state_of(request)
    item = _upload_of(request)
    if not item.busy:
        await run_in_threadpool(web.workspace.discard, item)
    return RedirectResponse(request.url_for("home").path, 303)


def _download(request: Request, kind: str) -> Response:
    item = _upload_of(request)
    files = {
        "rejects": (item.rejects_path, f"{item.stem}-rows-with-problems.csv", "text/csv"),
        "skipped": (item.skipped_rows_path, f"{item.stem}-rows-not-imported.csv", "text/csv"),
        "annotated": (item.annotated_path, f"{item.stem}-marked.xlsx",
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    }
    path, name, media_type = files[kind]
    if not path.exists():
        raise HTTPException(404)
    return FileResponse(path, filename=name, media_type=media_type)


async def download_rejects(request: Request) -> Response:
    return _download(request, "rejects")


async def download_skipped(request: Request) -> Response:
    return _download(request, "skipped")


async def download_annotated(request: Request) -> Response:
    return _download(request, "annotated")


async def history(request: Request) -> Response:
    web = state_of(request)
    pipelines = await run_in_threadpool(web.database.pipelines)
    chosen = _chosen(request.query_params, "pipeline", pipelines)  # type: ignore[arg-type]
    runs = await run_in_threadpool(lambda: web.database.history(limit=HISTORY_LIMIT, pipeline=chosen))
    return web.page(request, "history.html", runs=runs, pipelines=pipelines, chosen=chosen)


def _detected_text(preview: Preview) -> str:
    """`Read as CSV text in Windows (cp1252), columns separated by semicolon ( ; ), …`."""
    detected = preview.detected
    row = detected.get("header_row", str(preview.header_row))
    if detected.get("format") == "csv":
        encoding = ENCODINGS.get(detected.get("encoding", ""), detected.get("encoding", "?"))
        delimiter = DELIMITERS.get(detected.get("delimiter", ""), repr(detected.get("delimiter", "?")))
        return f"Read as CSV text in {encoding}, columns separated by {delimiter}, column names on row {row}."
    sheet = detected.get("sheet")
    where = f", sheet “{sheet}”" if sheet else ""
    return f"Read as a workbook{where}, column names on row {row}."


def _plural(count: int, one: str, many: str) -> str:
    """`1 row`, `4 rows`, `1,000 rows`."""
    return f"{count:,} {one if count == 1 else many}"


def _run_error(path: str, error: str) -> str:
    """A ledger error's first line without the file name it starts with (the row shows it):
    `contacts.csv:3:Nombre: a value is required` → `row 3, Nombre: a value is required`."""
    line = error.splitlines()[0].removeprefix(f"{path}:")
    row, _, rest = line.partition(":")
    return f"row {row}, {rest}" if row.isdigit() else line


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


def _number(value: int) -> str:
    return f"{value:,}"


def _size(value: int) -> str:
    if value < 1024:
        return f"{value:,} bytes"
    if value < 1024 * 1024:
        return f"{value / 1024:,.1f} KB"
    return f"{value / (1024 * 1024):,.1f} MB"


FILTERS = {"detected_text": _detected_text, "plural": _plural, "run_error": _run_error, "when": _when, "number": _number, "size": _size, "status_word": STATUS_WORDS.get}

ROUTES = [
    Route("/", home, name="home"),
    Route("/uploads", upload, methods=["POST"], name="upload"),
    Route("/uploads/{upload_id}", upload_page, name="upload_page"),
    Route("/uploads/{upload_id}/status", upload_status, name="upload_status"),
    Route("/uploads/{upload_id}/check", recheck, methods=["POST"], name="recheck"),
    Route("/uploads/{upload_id}/import", start_import, methods=["POST"], name="start_import"),
    Route("/uploads/{upload_id}/discard", discard, methods=["POST"], name="discard"),
    Route("/uploads/{upload_id}/rows-with-problems.csv", download_rejects, name="download_rejects"),
    Route("/uploads/{upload_id}/rows-not-imported.csv", download_skipped, name="download_skipped"),
    Route("/uploads/{upload_id}/marked.xlsx", download_annotated, name="download_annotated"),
    Route("/history", history, name="history"),
]
