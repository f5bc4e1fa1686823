"""CSV → rows of text. Streams the file record by record; never converts a value.

Row numbers count records from the top of the file (blank lines included), so the
header record is row 1 and a quoted value spanning several lines is still one row —
the numbers a spreadsheet shows for the same file.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import TextIO

from etl.errors import ReadError, UsageError
from etl.readers.base import HeaderTest, ReadOptions, Row, Table
from etl.readers.encoding import UNDECODABLE, bom_encoding, checked_encoding, detect_encoding
from etl.readers.layout import fit_to_header, split_header

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
SNIFF_CHARS = 64 * 1024
SNIFF_RECORDS = 200
BINARY_SAMPLE = 1024
# Undecodable bytes (see encoding.UNDECODABLE) and NUL: neither belongs in a text file.
_BAD_TEXT = re.compile("[\x00\udc00-\udcff]")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\udc00-\udcff]")


@contextmanager
def open_csv(
    path: Path, options: ReadOptions, looks_like_header: HeaderTest | None = None
) -> Iterator[Table]:
    """Open a CSV file as a Table whose rows stream from the file until the block exits."""
    encoding = _given_encoding(path, options.encoding) if options.encoding else detect_encoding(path)
    forced_delimiter = checked_delimiter(options.delimiter) if options.delimiter else None
    try:
        handle = path.open(encoding=encoding, errors=UNDECODABLE, newline="")
    except OSError as err:
        raise ReadError(f"{path}: cannot open the file: {err.strerror or err}") from None
    with handle:
        sample = _read_sample(path, handle)
        _refuse_binary(path, sample)
        delimiter = forced_delimiter or sniff_delimiter(sample)
        handle.seek(0)
        records = csv.reader(handle, delimiter=delimiter)
        rows = _numbered_rows(path, records, encoding)
        header, rest = split_header(path, rows, options.header_row, looks_like_header)
        yield Table(
            path=path,
            header=header.values,
            header_row=header.number,
            rows=fit_to_header(rest, len(header.values)),
            detected={
                "format": "csv",
                "encoding": encoding,
                "delimiter": delimiter,
                "header_row": str(header.number),
            },
        )


def _given_encoding(path: Path, name: str) -> str:
    """The `--encoding` codec; `utf-8` on a file that starts with a BOM reads it as `utf-8-sig`,
    or the BOM would glue itself to the first header name."""
    encoding = checked_encoding(name)
    if encoding == "utf-8" and bom_encoding(path) == "utf-8-sig":
        return "utf-8-sig"
    return encoding


def checked_delimiter(value: str) -> str:
    """A `--delimiter` value as one character (`tab` and `\\t` name the tab)."""
    delimiter = DELIMITER_NAMES.get(value.lower(), value)
    if len(delimiter) != 1 or delimiter in "\"\r\n":
        raise UsageError(f"--delimiter must be one character (or 'tab'), not {value!r}")
    return delimiter


def sniff_delimiter(sample: str) -> str:
    """The candidate that splits the most records into the same number (>1) of fields.

    Parsing with each candidate (quote-aware) and voting on consistent field counts is
    sturdier than csv.Sniffer, which misreads decimal commas in `;` files and
    one-column title rows above the header."""
    complete = sample
    last_break = max(sample.rfind("\n"), sample.rfind("\r"))
    if len(sample) >= SNIFF_CHARS and last_break > 0:
        complete = sample[: last_break + 1]
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            records = csv.reader(io.StringIO(complete), delimiter=delimiter)
            widths = [len(r) for r in islice(records, SNIFF_RECORDS) if len(r) > 1]
        except csv.Error:
            continue
        if not widths:
            continue
        width, frequency = Counter(widths).most_common(1)[0]
        if (frequency, width) > best_score:
            best, best_score = delimiter, (frequency, width)
    return best


def _read_sample(path: Path, handle: TextIO) -> str:
    try:
        return handle.read(SNIFF_CHARS)
    except OSError as err:
        raise ReadError(f"{path}: cannot read the file: {err.strerror or err}") from None


def _refuse_binary(path: Path, sample: str) -> None:
    head = sample[:BINARY_SAMPLE]
    controls = len(_CONTROL.findall(head))
    if controls >= 4 and controls * 10 > len(head):
        if head.count("\x00") * 3 > len(head):
            raise ReadError(
                f"{path}: binary content, or UTF-16 text without a byte-order mark "
                "(if so, try --encoding utf-16-le or utf-16-be)"
            )
        raise ReadError(f"{path}: binary content, not CSV text (is it really a .csv file?)")


def _numbered_rows(path: Path, records: Iterator[list[str]], encoding: str) -> Iterator[Row]:
    """Non-blank records with their numbers. Undecodable bytes and NUL are looked for in the
    record's own text, so the row named is exactly the record that holds them."""
    number = 0
    try:
        for values in records:
            number += 1
            text = "".join(values)
            if _BAD_TEXT.search(text) is not None:
                raise ReadError(f"{path}: row {number}: {_bad_text_reason(chr(0) in text, encoding)}")
            if text.strip():
                yield Row(number, tuple(values))
    except csv.Error as err:
        raise ReadError(f"{path}: row {number + 1}: malformed CSV: {err} (an unclosed quote?)") from None
    except OSError as err:
        raise ReadError(f"{path}: row {number + 1}: cannot read the file: {err.strerror or err}") from None


def _bad_text_reason(nul: bool, encoding: str) -> str:
    if nul:
        return "contains a NUL byte, which a text file never has (binary data?)"
    hint = "cp1252" if encoding.startswith("utf") else "utf-8"
    return f"bytes that are not valid {encoding} text (try --encoding {hint})"
