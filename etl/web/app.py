"""The web application: configuration, the routes, the templates, and the one place where
errors become pages (the CLI's `error_boundary`, for the browser)."""

from __future__ import annotations

import logging
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from etl.api import Database
from etl.db import error_reason, redact
from etl.errors import EtlError
from etl.web.jobs import JobRunner
from etl.web.security import AccessGuard, csrf_token
from etl.web.workspace import Workspace

HERE = Path(__file__).parent
log = logging.getLogger("etl.web")


@dataclass(frozen=True)
class WebConfig:
    """What one server needs: the database, its access token, its private work folder, the
    upload limit, and (when it listens on loopback) the host names it answers to."""

    database: Database
    token: str
    work_dir: Path
    max_upload_bytes: int = 200 * 1024 * 1024
    allowed_hosts: tuple[str, ...] = ()
    cookie_name: str = "etl_token"
    workers: int = 2


@dataclass
class WebState:
    """The running server's objects, shared by every request (`request.app.state.web`)."""

    config: WebConfig
    templates: Jinja2Templates
    jobs: JobRunner
    workspace: Workspace
    csrf: str = field(init=False)

    def __post_init__(self) -> None:
        self.csrf = csrf_token(self.config.token)

    @property
    def database(self) -> Database:
        return self.config.database

    def page(self, request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
        """Render a page template with what every page needs."""
        context.update(csrf=self.csrf, database_url=self.database.url)
        return self.templates.TemplateResponse(request, name, context, status_code=status_code)

    def message(self, request: Request, title: str, text: str, status_code: int = 400) -> Response:
        """A page with one message and a way back (errors, refusals)."""
        return self.page(request, "message.html", status_code, title=title, text=text)


def state_of(request: Request) -> WebState:
    web: WebState = request.app.state.web
    return web


def create_app(config: WebConfig) -> Starlette:
    """The ASGI application for `config`; its work folder is removed when it shuts down."""
    from etl.web import downloads, pages

    environment = Environment(loader=FileSystemLoader(HERE / "templates"),
                              autoescape=select_autoescape(("html",)))
    environment.filters.update(pages.FILTERS)
    web = WebState(config, Jinja2Templates(env=environment), JobRunner(config.database.url, config.workers),
                   Workspace(config.work_dir))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            web.jobs.shutdown()
            web.workspace.remove_all()

    routes = [*pages.ROUTES, *downloads.ROUTES,
              Mount("/static", StaticFiles(directory=HERE / "static"), name="static")]
    guard = Middleware(AccessGuard, token=config.token, cookie_name=config.cookie_name,
                       allowed_hosts=config.allowed_hosts)
    app = Starlette(routes=routes, middleware=[guard], lifespan=lifespan, exception_handlers={
        EtlError: _etl_error, SQLAlchemyError: _database_error, HTTPException: _http_error,
        Exception: _internal_error,
    })
    app.state.web = web
    return app


async def _etl_error(request: Request, error: Exception) -> Response:
    web = state_of(request)
    return web.message(request, "That did not work", redact(str(error), web.database.settings.database_url))


async def _database_error(request: Request, error: Exception) -> Response:
    web = state_of(request)
    reason = error_reason(error)
    text = redact(f"The database answered with an error: {reason}", web.database.settings.database_url)
    return web.message(request, "Database error", text, 500)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    titles = {404: "Not found", 405: "Not allowed"}
    text = error.detail if error.status_code != 404 else (
        "There is nothing here. The file may have been removed after its import, or the "
        "server was restarted: start again from the first page.")
    return state_of(request).message(request, titles.get(error.status_code, "Refused"), text, error.status_code)


async def _internal_error(request: Request, error: Exception) -> Response:
    """A bug: its traceback (passwords removed) goes to the server's log, a short page to the person."""
    web = state_of(request)
    log.error("%s", redact("".join(traceback.format_exception(error)), web.database.settings.database_url))
    return web.message(request, "Something went wrong",
                       f"internal error: {type(error).__name__} (the details are in the output of etl serve)", 500)

