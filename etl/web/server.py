"""Running the page: a fresh access token, a private work folder, a socket on the chosen
address, and uvicorn serving the application until Ctrl-C."""

from __future__ import annotations

import logging
import secrets
import shutil
import socket
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import uvicorn

from etl.api import Database
from etl.db import redact
from etl.errors import UsageError
from etl.web.app import WebConfig, create_app
from etl.web.security import LOOPBACK_NAMES, loopback_only

WORK_DIR_PREFIX = "etl-serve-"


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8765
    max_upload_mb: int = 200


def serve(database: Database, options: ServeOptions, out: TextIO = sys.stdout) -> None:
    """Serve the page for `database` until interrupted; prints the address with its token."""
    if options.max_upload_mb < 1:
        raise UsageError("--max-upload-mb must be at least 1")
    database.engine  # connect now: an unreachable database is an error before the page opens
    listener = _listen(options.host, options.port)
    token = secrets.token_urlsafe(32)
    port = listener.getsockname()[1]
    work_dir = Path(tempfile.mkdtemp(prefix=WORK_DIR_PREFIX))
    config = WebConfig(
        database=database, token=token, work_dir=work_dir,
        max_upload_bytes=options.max_upload_mb * 1024 * 1024,
        allowed_hosts=tuple(LOOPBACK_NAMES | {options.host}) if loopback_only(options.host) else (),
        cookie_name=f"etl_token_{port}",
    )
    _log_redacted(database.settings.database_url)
    server = uvicorn.Server(uvicorn.Config(create_app(config), log_config=None, access_log=False,
                                           log_level="warning", timeout_graceful_shutdown=5))
    try:
        print(f"etl serve: the page for {database.url} is at", file=out)
        print(f"    {page_address(options.host, port)}/?token={token}", file=out)
        if not loopback_only(options.host):
            print(f"etl serve: listening on {options.host}: anyone who can reach this machine and has "
                  "the link can use the page", file=out)
        print("etl serve: press Ctrl-C to stop (uploaded files are deleted then)", file=out, flush=True)
        server.run(sockets=[listener])
    except KeyboardInterrupt:  # uvicorn stops gracefully on Ctrl-C, then raises it again
        pass
    finally:
        listener.close()
        shutil.rmtree(work_dir, ignore_errors=True)  # also when stopped before the app started
    print("etl serve: stopped", file=out)


def page_address(host: str, port: int) -> str:
    """`http://127.0.0.1:8765`; a wildcard address is shown as this machine's name."""
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as err:
        listener.close()
        raise UsageError(f"cannot listen on {host}:{port}: {err.strerror or err}; "
                         "choose another with --port (or --host)") from None
    listener.listen(128)
    return listener


class _Redacting(logging.Filter):
    """Renders each record (with its traceback) and removes the database password from it."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        record.msg, record.args, record.exc_info, record.exc_text = redact(text, self.url), (), None, None
        return True


def _log_redacted(url: str) -> None:
    """uvicorn's and the page's messages to stderr, passwords removed."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("etl serve: %(asctime)s %(levelname)s %(message)s"))
    handler.addFilter(_Redacting(url))
    for name in ("uvicorn", "etl.web"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(logging.WARNING)
        logger.propagate = False
