"""`etl serve` as a person starts it: a real uvicorn process, its printed address, the
token, an upload cut off mid-stream, Ctrl-C, and a port that is taken."""

from __future__ import annotations

import http.client
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import clean_env


@dataclass
class Served:
    process: subprocess.Popen[str]
    url: str
    tmp: Path

    @property
    def port(self) -> int:
        port = urlsplit(self.url).port
        assert port is not None
        return port

    @property
    def token(self) -> str:
        return self.url.split("token=", 1)[1]


def start_serve(tmp_path: Path, *args: str) -> Served:
    """Start `etl serve` and wait for the line with its address."""
    env = clean_env(TMPDIR=str(tmp_path))
    process = subprocess.Popen(
        [sys.executable, "-m", "etl", "serve", "--db", f"sqlite:///{tmp_path / 'etl.db'}", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env)
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if "?token=" in line:
            return Served(process, line.strip(), tmp_path)
    process.kill()
    raise AssertionError(f"etl serve printed no address: {process.communicate()}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = start_serve(tmp_path, "--max-upload-mb", "1")
    yield server
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGINT)
        server.process.wait(30)


def request(server: Served, method: str, path: str, headers: dict[str, str] | None = None,
            body: bytes | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request(method, path, body=body, headers=headers or {})
    return connection.getresponse()


def test_serve_prints_a_loopback_address_with_a_token(served: Served) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{40,}", served.url)
    first = request(served, "GET", f"/?token={served.token}")
    assert first.status == 303
    cookie = first.getheader("set-cookie") or ""
    assert cookie.startswith(f"etl_token_{served.port}={served.token}")
    page = request(served, "GET", "/", {"Cookie": cookie.split(";")[0]})
    assert page.status == 200
    assert b"Import a spreadsheet into the database" in page.read()
    assert request(served, "GET", "/").status == 403
    assert request(served, "GET", "/", {"Host": "attacker.example"}).status == 421


TOO_MUCH = 64 * 1024 * 1024
"""Far more than the 1 MB limit plus what the sockets' buffers hold on loopback."""


def test_an_oversize_upload_is_cut_off_while_it_streams(served: Served) -> None:
    cookie = (request(served, "GET", f"/?token={served.token}").getheader("set-cookie") or "").split(";")[0]
    page = request(served, "GET", "/", {"Cookie": cookie}).read().decode()
    csrf = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as connection:
        connection.sendall((
            f"POST /uploads HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\nCookie: {cookie}\r\n"
            f"X-CSRF-Token: {csrf}\r\nAccept: application/json\r\nTransfer-Encoding: chunked\r\n"
            "Content-Type: multipart/form-data; boundary=XyZ\r\n\r\n").encode())
        _chunk(connection, b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n')
        sent = 0
        answered = b""
        while sent < TOO_MUCH:
            if select.select([connection], [], [], 0)[0]:
                answered = connection.recv(65536)
                break
            try:
                _chunk(connection, b"x" * 65536)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += 65536
        answered += _rest(connection)
    assert answered.startswith(b"HTTP/1.1 413"), answered[:200]
    assert b"larger than 1 MB" in answered
    assert sent < TOO_MUCH, "the server read the whole body before refusing it"
    work_dirs = list(served.tmp.glob("etl-serve-*"))
    assert len(work_dirs) == 1 and list(work_dirs[0].rglob("*")) == []


def _rest(connection: socket.socket) -> bytes:
    """What the server still sends until it closes the connection or goes quiet."""
    received = b""
    connection.settimeout(2)
    try:
        while block := connection.recv(65536):
            received += block
    except (TimeoutError, ConnectionResetError):
        pass
    return received


def _chunk(connection: socket.socket, data: bytes) -> None:
    connection.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n")


def test_ctrl_c_stops_the_server_and_deletes_the_uploads(served: Served) -> None:
    assert list(served.tmp.glob("etl-serve-*"))
    served.process.send_signal(signal.SIGINT)
    served.process.wait(30)
    stdout, stderr = served.process.communicate()
    assert served.process.returncode == 0, stderr
    assert "etl serve: stopped" in stdout
    assert list(served.tmp.glob("etl-serve-*")) == []
    assert "Traceback" not in stderr


def test_a_port_in_use_is_a_usage_error(tmp_path: Path, run_etl) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_etl("serve", "--db", f"sqlite:///{tmp_path / 'etl.db'}", "--port", str(port), timeout=60)
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_fails_before_serving(tmp_path: Path, run_etl) -> None:  # type: ignore[no-untyped-def]
    url = "postgresql+psycopg://someone:hunter2secret@127.0.0.1:1/nothing"
    result = run_etl("serve", "--db", url, "--port", "0", timeout=60)
    assert result.exit_code == 2
    assert "cannot connect" in result.stderr
    assert "hunter2secret" not in result.stderr + result.stdout


def test_serve_help_describes_every_option(run_etl) -> None:  # type: ignore[no-untyped-def]
    result = run_etl("serve", "--help", env={**os.environ, "COLUMNS": "200"})
    assert result.exit_code == 0
    for option in ("--db", "--host", "--port", "--pipelines-dir", "--max-upload-mb"):
        assert option in result.stdout
