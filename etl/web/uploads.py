"""Receiving an uploaded file: streamed from the request into a private folder, cut off at
the size limit, hashed on the way.

The sender's file name is kept only as text to show (and to name downloads): on disk the
file is `upload<.ext>` inside a folder with a random name, the extension taken from a fixed
list, so no name a browser sends (`../../etc/passwd`, NUL bytes, 10,000 characters) can
choose where anything is written.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, BinaryIO

import anyio.to_thread
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

FILE_FIELD = "file"
SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods")
"""What the page takes: CSV text and workbooks (what the readers read)."""
NAME_LIMIT = 120
ENVELOPE_ALLOWANCE = 64 * 1024
"""Bytes of multipart headers and boundaries allowed on top of the file itself."""
OTHER_FIELD_LIMIT = 4096
HEADER_LIMIT = 64 * 1024
"""Bytes of one part's headers: room for a file name of some thousands of characters."""
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


class UploadRefused(Exception):
    """An upload that cannot be taken; the message is for the person who sent it."""

    def __init__(self, message: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True)
class ReceivedFile:
    name: str
    """The sender's file name, cleaned for showing (never used as a path)."""
    path: Path
    size: int
    sha256: str


def display_name(client_name: str) -> str:
    """The last part of a client's file name, without control characters, at most
    NAME_LIMIT characters (keeping the extension); `upload` when nothing is left."""
    text = unicodedata.normalize("NFC", _UNPRINTABLE.sub("", client_name))
    base = PureWindowsPath(PurePosixPath(text).name).name.strip().lstrip(".")
    if len(base) > NAME_LIMIT:
        suffix = _suffix(base)
        base = base[: NAME_LIMIT - len(suffix)] + suffix
    return base or "upload"


def stored_suffix(name: str) -> str:
    """The extension the stored copy gets, or UploadRefused for a file the page cannot read."""
    suffix = _suffix(name)
    if suffix not in SUFFIXES:
        raise UploadRefused(
            f"{name!r} is not a file this page can read: choose a CSV file or a spreadsheet "
            "(.csv, .txt, .xlsx, .xls, .ods)", 415)
    return suffix


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def too_large_message(limit: int) -> str:
    return (f"The file is larger than {limit // (1024 * 1024)} MB, the most this page accepts. "
            "Split it into smaller files, or ask whoever started the page to raise the limit "
            "(etl serve --max-upload-mb).")


async def receive_file(request: Request, folder: Path, limit: int) -> ReceivedFile:
    """Stream the request's one `file` part into `folder`/upload.<ext>; UploadRefused for a
    request without one, a second file, a refused extension, or more than `limit` bytes
    (what was written is deleted, and the rest of the request is not read)."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise UploadRefused("Send the file from the page's upload form.")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit + ENVELOPE_ALLOWANCE:
        raise UploadRefused(too_large_message(limit), 413)
    receiver = _PartReceiver(folder, limit)
    parser = MultipartParser(boundary, receiver.callbacks(), max_header_size=HEADER_LIMIT)
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            await receiver.flush()
        parser.finalize()
        await receiver.flush()
        return receiver.finished()
    except MultipartParseError as err:
        receiver.discard()
        raise UploadRefused(f"The upload could not be read ({err}); send the file from the page's form.") from None
    except BaseException:
        receiver.discard()
        raise


class _PartReceiver:
    """The multipart parser's callbacks: the file part's bytes go to disk (in a worker
    thread, between parser writes), other fields are skipped."""

    def __init__(self, folder: Path, limit: int) -> None:
        self.folder = folder
        self.limit = limit
        self.name: str | None = None
        self.path: Path | None = None
        self.handle: BinaryIO | None = None
        self.size = 0
        self.other = 0
        self.digest = hashlib.sha256()
        self.pending: list[bytes] = []
        self.header_name = b""
        self.header_value = b""
        self.disposition = b""
        self.in_file = False

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self.disposition = b""
        self.in_file = False

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def _header_end(self) -> None:
        if self.header_name.lower() == b"content-disposition":
            self.disposition = self.header_value
        self.header_name = self.header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self.disposition)
        if options.get(b"name") != FILE_FIELD.encode() or b"filename" not in options:
            return
        if self.name is not None:
            raise UploadRefused("Send one file at a time.")
        self.name = display_name(options[b"filename"].decode("utf-8", "replace"))
        self.path = self.folder / f"upload{stored_suffix(self.name)}"
        self.in_file = True

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if not self.in_file:
            self.other += end - start
            if self.other > OTHER_FIELD_LIMIT:
                raise UploadRefused("The form sent more than a file.")
            return
        self.size += end - start
        if self.size > self.limit:
            raise UploadRefused(too_large_message(self.limit), 413)
        self.pending.append(data[start:end])

    def _part_end(self) -> None:
        self.in_file = False

    async def flush(self) -> None:
        if not self.pending:
            return
        block, self.pending = b"".join(self.pending), []
        self.digest.update(block)
        await anyio.to_thread.run_sync(self._write, block)

    def _write(self, block: bytes) -> None:
        if self.handle is None:
            assert self.path is not None
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.handle = self.path.open("xb")
        self.handle.write(block)

    def finished(self) -> ReceivedFile:
        if self.name is None or self.path is None:
            raise UploadRefused("Choose a file to upload.")
        if self.handle is None:
            self._write(b"")
        assert self.handle is not None
        self.handle.close()
        if self.size == 0:
            self.discard()
            raise UploadRefused(f"{self.name!r} is empty (0 bytes).")
        return ReceivedFile(self.name, self.path, self.size, self.digest.hexdigest())

    def discard(self) -> None:
        if self.handle is not None:
            self.handle.close()
        if self.path is not None:
            self.path.unlink(missing_ok=True)
