"""Which reader a file needs: by its extension, checked against its first bytes, so a
workbook renamed `.csv` or a text file renamed `.xlsx` is refused with a clear reason."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Literal

from etl.errors import ReadError, UsageError

FileKind = Literal["csv", "xlsx", "xls", "xlsb", "ods"]

CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
WORKBOOK_SUFFIXES = {".xls": "xls", ".xlsb": "xlsb", ".ods": "ods"}
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Office stores a password-protected .xlsx inside an OLE container with these streams.
ENCRYPTION_MARKER = "EncryptionInfo".encode("utf-16-le")
_SCAN_CHUNK = 1 << 20

SAVE_AS_HINT = "open it in Excel or LibreOffice and save it as .xlsx or .csv"
READ = ".csv, .tsv, .txt, .xlsx, .xlsm, .xls, .xlsb and .ods"


def file_kind(path: Path) -> FileKind:
    """The reader for `path`, or a ReadError/UsageError saying why there is none."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except OSError as err:
        raise ReadError(f"{path}: cannot open the file: {err.strerror or err}") from None
    if stat.S_ISDIR(mode):
        raise UsageError(f"{path}: is a folder, not a file")
    if not stat.S_ISREG(mode):
        what = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device or socket"
        raise UsageError(f"{path}: is {what}, not a regular file; etl imports files (or `-` for standard input)")
    suffix = path.suffix.lower()
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as err:
        raise ReadError(f"{path}: cannot open the file: {err.strerror or err}") from None
    if suffix in XLSX_SUFFIXES:
        _check_workbook_bytes(path, head)
        return "xlsx"
    if suffix in WORKBOOK_SUFFIXES:
        return _other_workbook(path, head, WORKBOOK_SUFFIXES[suffix])
    if suffix in CSV_SUFFIXES:
        _check_text_bytes(path, head)
        return "csv"
    shown = suffix or "no extension"
    raise ReadError(f"{path}: unsupported file format ({shown}); etl reads {READ}")


def _other_workbook(path: Path, head: bytes, kind: str) -> FileKind:
    if not head:
        raise ReadError(f"{path}: the file is empty (0 bytes), not a workbook")
    if kind == "xls":
        if head.startswith(ZIP_MAGIC):
            return "xlsx"  # an .xlsx workbook saved with the old extension
        if not head.startswith(OLE_MAGIC):
            raise ReadError(f"{path}: not a binary Excel 97-2003 workbook (web page or XML saved as .xls?); "
                            f"{SAVE_AS_HINT}")
        _refuse_encrypted(path)
        return "xls"
    if not head.startswith(ZIP_MAGIC):
        raise ReadError(f"{path}: not a .{kind} workbook (the file is not a zip package)")
    return "xlsb" if kind == "xlsb" else "ods"


def _check_workbook_bytes(path: Path, head: bytes) -> None:
    if not head:
        raise ReadError(f"{path}: the file is empty (0 bytes), not an Excel workbook")
    if head.startswith(ZIP_MAGIC):
        return
    if head.startswith(OLE_MAGIC):
        _refuse_encrypted(path)
        raise ReadError(f"{path}: this is a legacy Excel 97-2003 (.xls) file named .xlsx; rename it .xls")
    raise ReadError(f"{path}: not an Excel .xlsx workbook (the file is not a zip package); if it is text, name it .csv")


def _refuse_encrypted(path: Path) -> None:
    if _contains(path, ENCRYPTION_MARKER):
        raise ReadError(
            f"{path}: the workbook is password-protected; remove the password in Excel "
            "(File > Info > Protect Workbook) and save it again"
        )


def _check_text_bytes(path: Path, head: bytes) -> None:
    if head.startswith(ZIP_MAGIC):
        raise ReadError(f"{path}: this is a zip package (an .xlsx workbook?), not a CSV text file; name it .xlsx if it is a workbook")
    if head.startswith(OLE_MAGIC):
        raise ReadError(f"{path}: this is a binary Office file (legacy .xls?), not a CSV text file; name it .xls if it is a workbook")


def _contains(path: Path, marker: bytes) -> bool:
    with path.open("rb") as handle:
        tail = b""
        while chunk := handle.read(_SCAN_CHUNK):
            if marker in tail + chunk:
                return True
            tail = chunk[-len(marker) :]
    return False
