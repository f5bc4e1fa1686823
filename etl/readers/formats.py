"""Which reader a file needs: by its extension, checked against its first bytes, so a
workbook renamed `.csv` or a text file renamed `.xlsx` is refused with a clear reason."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from etl.errors import ReadError, UsageError

FileKind = Literal["csv", "xlsx"]

CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Office stores a password-protected .xlsx inside an OLE container with these streams.
ENCRYPTION_MARKER = "EncryptionInfo".encode("utf-16-le")
_SCAN_CHUNK = 1 << 20

SAVE_AS_HINT = "open it in Excel or LibreOffice and save it as .xlsx or .csv"


def file_kind(path: Path) -> FileKind:
    """The reader for `path`, or a ReadError/UsageError saying why there is none."""
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    if path.is_dir():
        raise UsageError(f"{path}: is a folder, not a file")
    suffix = path.suffix.lower()
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as err:
        raise ReadError(f"{path}: cannot open the file: {err.strerror or err}") from None
    if suffix == ".xls":
        raise ReadError(f"{path}: legacy Excel 97-2003 (.xls) files are not supported; {SAVE_AS_HINT}")
    if suffix in XLSX_SUFFIXES:
        _check_workbook_bytes(path, head)
        return "xlsx"
    if suffix in CSV_SUFFIXES:
        _check_text_bytes(path, head)
        return "csv"
    shown = suffix or "no extension"
    raise ReadError(
        f"{path}: unsupported file format ({shown}); etl reads .csv, .tsv, .txt, .xlsx and .xlsm"
    )


def _check_workbook_bytes(path: Path, head: bytes) -> None:
    if not head:
        raise ReadError(f"{path}: the file is empty (0 bytes), not an Excel workbook")
    if head.startswith(ZIP_MAGIC):
        return
    if head.startswith(OLE_MAGIC):
        if _contains(path, ENCRYPTION_MARKER):
            raise ReadError(
                f"{path}: the workbook is password-protected; remove the password in Excel "
                "(File > Info > Protect Workbook) and save it again"
            )
        raise ReadError(f"{path}: this is a legacy Excel 97-2003 (.xls) file named .xlsx; {SAVE_AS_HINT}")
    raise ReadError(f"{path}: not an Excel .xlsx workbook (the file is not a zip package); if it is text, name it .csv")


def _check_text_bytes(path: Path, head: bytes) -> None:
    if head.startswith(ZIP_MAGIC):
        raise ReadError(f"{path}: this is a zip package (an .xlsx workbook?), not a CSV text file; name it .xlsx if it is a workbook")
    if head.startswith(OLE_MAGIC):
        raise ReadError(f"{path}: this is a binary Office file (legacy .xls?), not a CSV text file; {SAVE_AS_HINT}")


def _contains(path: Path, marker: bytes) -> bool:
    with path.open("rb") as handle:
        tail = b""
        while chunk := handle.read(_SCAN_CHUNK):
            if marker in tail + chunk:
                return True
            tail = chunk[-len(marker) :]
    return False
