"""Which text encoding a CSV file is in: UTF-8 (with or without BOM), UTF-16 with BOM, or
the single-byte Windows/Latin-1 family that spreadsheets exported on Windows use.

UTF-8 is decided strictly (BOM, then a streaming validation of the whole file) because a
valid UTF-8 file with accents is practically never meant as anything else. Only files that
are not UTF-8 go to charset-normalizer, restricted to cp1252 and Latin-1; short files fool
statistical detectors, so when it has no opinion we fall back to cp1252 (or Latin-1 when
the bytes are not valid cp1252).
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import BinaryIO

from etl.errors import ReadError, UsageError

BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
SINGLE_BYTE_CANDIDATES = ("cp1252", "latin_1")
_CHUNK = 1 << 20
_SAMPLE = 32 * 1024


def bom_encoding(path: Path) -> str | None:
    """The encoding a byte-order mark at the start of `path` declares, if any."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError as err:
        raise ReadError(f"{path}: cannot read the file: {err.strerror or err}") from None
    for bom, name in BOMS:
        if head.startswith(bom):
            if name == "utf-32":
                raise ReadError(f"{path}: UTF-32 text is not supported; save the file as UTF-8")
            return name
    return None


def detect_encoding(path: Path) -> str:
    """The Python codec name to decode `path` with."""
    declared = bom_encoding(path)
    if declared is not None:
        return declared
    try:
        with path.open("rb") as handle:
            bad_offset = _first_invalid_utf8(handle)
            if bad_offset is None:
                return "utf-8"
            handle.seek(0)
            sample = handle.read(_SAMPLE)
            if bad_offset > _SAMPLE // 2:
                handle.seek(bad_offset - _SAMPLE // 2)
                sample += b"\n" + handle.read(_SAMPLE)
    except OSError as err:
        raise ReadError(f"{path}: cannot read the file: {err.strerror or err}") from None
    return _single_byte_encoding(sample)


def _first_invalid_utf8(handle: BinaryIO) -> int | None:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset = 0
    while True:
        chunk = handle.read(_CHUNK)
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as err:
            return max(offset + err.start, 0)
        if not chunk:
            return None
        offset += len(chunk)


def _single_byte_encoding(sample: bytes) -> str:
    # Imported here: only a file that is not UTF-8 needs it, and it costs ~0.1 s to import.
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=list(SINGLE_BYTE_CANDIDATES)).best()
    if best is not None:
        return display_name(best.encoding)
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"
    return "cp1252"


def checked_encoding(name: str) -> str:
    """The canonical codec name for a `--encoding` value, or a UsageError."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise UsageError(f"unknown encoding {name!r} (try utf-8, utf-8-sig, utf-16, cp1252 or latin-1)") from None
    if not info._is_text_encoding:
        raise UsageError(f"{name!r} is not a text encoding")
    return display_name(info.name)


def display_name(codec: str) -> str:
    """The codec's canonical name, spelled as people know it (`latin-1`, not `iso8859-1`)."""
    name = codecs.lookup(codec).name
    return "latin-1" if name == "iso8859-1" else name


def _mark_undecodable(err: UnicodeError) -> tuple[str, int]:
    """Like `surrogateescape`, but for every byte (UTF-16 errors may involve bytes below 0x80),
    so the CSV reader can find and report the row instead of failing at a buffer boundary."""
    if not isinstance(err, UnicodeDecodeError):
        raise err
    bad = err.object[err.start : err.end]
    return "".join(chr(0xDC00 + byte) for byte in bad), err.end


UNDECODABLE = "etl-undecodable"
"""Decode with `errors=UNDECODABLE`: bad bytes become U+DC00..U+DCFF, which valid text never holds."""
codecs.register_error(UNDECODABLE, _mark_undecodable)
