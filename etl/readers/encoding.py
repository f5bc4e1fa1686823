"""Which text encoding a CSV file is in: UTF-8 (with or without BOM), UTF-16 with BOM, or
the single-byte Windows/Latin-1 family that spreadsheets exported on Windows use.

UTF-8 is decided strictly (BOM, then a streaming validation of the whole file) because a
valid UTF-8 file with accents is practically never meant as anything else. A file holding
both valid UTF-8 sequences and bytes that are not UTF-8 is damaged or mixed: it is read as
UTF-8 and the reader refuses the row with the bad byte (decoding it all as cp1252 would
turn every accent of every other row into mojibake). A file with no UTF-8 sequence at all
is Windows/Latin-1 text, unless it looks like another script (Cyrillic, Greek, CJK, UTF-16
without a byte-order mark): then it is refused with the encoding it seems to be in, never
read as cp1252 without a word. Between cp1252 and Latin-1, charset-normalizer decides;
short files fool statistical detectors, so when it has no opinion we fall back to cp1252
(or Latin-1 when the bytes are not valid cp1252).
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
WESTERN = frozenset({"ascii", "cp1252", "latin_1", "iso8859_15"})
"""charset-normalizer's names for the encodings whose text cp1252/Latin-1 reads right (its
guess between these is unreliable on short files, hence the restricted second look)."""
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
            order = utf16_order(sample[0::2].count(0), sample[1::2].count(0), len(sample))
            if order is not None:
                raise ReadError(f"{path}: {utf16_without_bom(order)}")
            handle.seek(0)
            valid, invalid = _utf8_counts(handle)
    except OSError as err:
        raise ReadError(f"{path}: cannot read the file: {err.strerror or err}") from None
    if valid >= invalid:
        return "utf-8"  # damaged UTF-8: the reader refuses the row with the bad byte
    _refuse_other_scripts(path, sample)
    if valid:
        raise ReadError(
            f"{path}: the file mixes UTF-8 text with bytes that are not UTF-8 (the first at byte offset "
            f"{bad_offset:,}): save it in one encoding, or name the one to read it in with --encoding "
            "(e.g. --encoding cp1252, which reads the UTF-8 parts as other characters)"
        )
    return _single_byte_encoding(sample)


def first_invalid_utf8(path: Path) -> int | None:
    """The byte offset of the first byte of `path` that is not valid UTF-8, if any."""
    with path.open("rb") as handle:
        return _first_invalid_utf8(handle)


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


def _utf8_counts(handle: BinaryIO) -> tuple[int, int]:
    """(non-ASCII characters decoded from valid UTF-8 sequences, bytes that are not UTF-8).
    A damaged UTF-8 file has far more of the first; cp1252 text has none or a few by
    chance (`Ã©`), CJK legacy encodings some by chance but more of the second."""
    decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    valid = invalid = 0
    while True:
        chunk = handle.read(_CHUNK)
        text = decoder.decode(chunk, final=not chunk)
        if not text.isascii():
            bad = text.encode("utf-8", "replace").count(b"?") - text.count("?")
            invalid += bad
            valid += len(text) - len(text.encode("ascii", "ignore")) - bad
        if not chunk:
            return valid, invalid


def _refuse_other_scripts(path: Path, sample: bytes) -> None:
    """Refuse text that read as cp1252 would be nonsense: UTF-16 without a byte-order mark
    (its ASCII characters leave NUL bytes at every other position), and a sample whose
    letters are mostly not ASCII, or with bytes cp1252 leaves undefined, when
    charset-normalizer names another encoding for it (DOS cp850 included: its `ü` is a
    control character in Latin-1)."""
    order = utf16_order(sample[0::2].count(0), sample[1::2].count(0), len(sample))
    if order is not None:
        raise ReadError(f"{path}: {utf16_without_bom(order)}")
    try:
        letters = [char for char in sample.decode("cp1252") if char.isalpha()]
    except UnicodeDecodeError:
        pass  # bytes cp1252 leaves undefined: C1 controls in Latin-1, letters in cp850 or CJK
    else:
        foreign = sum(not char.isascii() for char in letters)
        if foreign < 8 or foreign * 2 <= len(letters):
            return
    # Imported here: only a file that is not UTF-8 needs it, and it costs ~0.1 s to import.
    from charset_normalizer import from_bytes

    guess = from_bytes(sample).best()
    if guess is not None and guess.encoding not in WESTERN:
        language = f" ({guess.language})" if guess.language and guess.language != "Unknown" else ""
        name = display_name(guess.encoding)
        raise ReadError(
            f"{path}: the text is neither UTF-8 nor Windows-1252/Latin-1; it looks like {name}{language}: "
            f"if so, name it with --encoding {name}"
        )


def utf16_order(even_nuls: int, odd_nuls: int, size: int) -> str | None:
    """`le`/`be` when NUL bytes (the high bytes of ASCII characters in UTF-16) are common and
    nearly all at odd/even positions; None otherwise (binary data has them anywhere)."""
    if (even_nuls + odd_nuls) * 20 < size or min(even_nuls, odd_nuls) * 10 > max(even_nuls, odd_nuls):
        return None
    return "le" if odd_nuls > even_nuls else "be"


def utf16_without_bom(order: str) -> str:
    return f"this looks like UTF-16 text without a byte-order mark; if so, name it with --encoding utf-16-{order}"


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
