"""CSV → rows of text. Streams the file a block of records at a time; never converts a value.

Row numbers count records from the top of the file (blank lines included), so the
header record is row 1 and a quoted value spanning several lines is still one row —
the numbers a spreadsheet shows for the same file.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from functools import partial
from itertools import chain, count, islice, repeat
from pathlib import Path
from typing import BinaryIO, TextIO

from etl.errors import ReadError, UsageError
from etl.readers.base import ColumnChunk, HeaderTest, ReadOptions, Row, Table
from etl.readers.csv_columns import PlainBlocks
from etl.readers.csv_lines import LineError, csv_lines, too_many_columns
from etl.readers.encoding import (
    UNDECODABLE, bom_encoding, checked_encoding, detect_encoding, first_invalid_utf8, utf16_order, utf16_without_bom,
)
from etl.readers.layout import find_header, fit_row
from etl.readers.limits import MAX_COLUMNS, MAX_FIELD_CHARS

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
SNIFF_CHARS = 64 * 1024
SNIFF_RECORDS = 200
BINARY_SAMPLE = 1024
BLOCK_RECORDS = 4096
"""Records parsed and checked together once the header is found: large enough that the
per-block Python work vanishes, small enough that memory stays flat."""
_CONTROL = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\udc00-\udcff]")
PLAIN_PREFIX_BYTES = 1 << 20
"""How far into the file the header may end for the fast path (`csv_columns`) to take the data."""


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
    with handle, ExitStack() as stack:
        sample = _read_sample(path, handle)
        _refuse_binary(path, sample)
        delimiter = forced_delimiter or sniff_delimiter(sample)
        handle.seek(0)
        csv.field_size_limit(MAX_FIELD_CHARS)
        source = _RecordRows(path, _csv_records(handle, delimiter), encoding)
        header, pending = find_header(path, source.one_by_one(), options.header_row, looks_like_header)
        width = len(header.values)
        source.width = width
        rows: Iterator[Row] = chain([fit_row(row, width) for row in pending], source.blocks(BLOCK_RECORDS))
        chunked = None
        bytes_read = handle.buffer.raw.tell  # type: ignore[attr-defined]
        offset = _plain_data_offset(path, encoding, delimiter, width, header.number)
        if offset is not None:
            plain = _PlainThenExact(path, stack, encoding, delimiter, width, offset, header.number + 1)
            rows, chunked, bytes_read = plain.rows(), plain.chunks, plain.bytes_read
        yield Table(
            path=path,
            header=header.values,
            header_row=header.number,
            rows=rows,
            detected={
                "format": "csv",
                "encoding": encoding,
                "delimiter": delimiter,
                "header_row": str(header.number),
            },
            bytes_read=bytes_read,
            chunked=chunked,
        )


def _csv_records(handle: TextIO, delimiter: str) -> Iterator[list[str]]:
    """The file's records, strictly: a quote inside a quoted value that is not doubled, or a
    file ending inside quotes, is an error instead of text silently joined or cut."""
    lines = chain.from_iterable(csv_lines(handle, delimiter))
    return csv.reader(lines, delimiter=delimiter, strict=True)


def _plain_data_offset(path: Path, encoding: str, delimiter: str, width: int, header_row: int) -> int | None:
    """Where the data rows start in the file's bytes, when the fast path may read them: a
    UTF-8 file whose lines up to the header are plain (no quote, no lone CR), so the header's
    row number is its line number."""
    if encoding not in ("utf-8", "utf-8-sig") or width < 1 or delimiter == '"':
        return None
    try:
        with path.open("rb") as raw:
            prefix = raw.read(PLAIN_PREFIX_BYTES)
    except OSError:
        return None  # the exact reader reports it
    offset = 0
    for _ in range(header_row):
        end = prefix.find(b"\n", offset)
        if end < 0:
            return None
        offset = end + 1
    head = prefix[:offset]
    if b'"' in head or head.count(b"\r") != head.count(b"\r\n"):
        return None
    return offset


class _PlainThenExact:
    """A file's data rows: the plain blocks as column chunks, then (from the first block that
    is not plain) the exact reader's rows, read on from that byte and row number."""

    def __init__(self, path: Path, stack: ExitStack, encoding: str, delimiter: str, width: int,
                 offset: int, number: int) -> None:
        self._path = path
        self._stack = stack
        self._encoding = encoding
        self._delimiter = delimiter
        self._width = width
        self._handle: BinaryIO = stack.enter_context(path.open("rb"))
        self._blocks = PlainBlocks(self._handle, offset, number, width, delimiter)

    def bytes_read(self) -> int:
        return self._handle.tell()

    def rows(self) -> Iterator[Row]:
        for chunk in self._blocks:
            yield from chunk
        yield from self._exact_rows()

    def chunks(self, size: int) -> Iterator[Sequence[Row]]:
        numbers: list[int] = []
        columns: list[list[str]] = [[] for _ in range(self._width)]
        start = 0
        for chunk in self._blocks:
            if start:
                numbers, columns, start = numbers[start:], [column[start:] for column in columns], 0
            numbers += chunk.numbers
            for column, more in zip(columns, chunk.columns):
                column += more
            while len(numbers) - start >= size:
                end = start + size
                yield ColumnChunk(numbers[start:end], [column[start:end] for column in columns])
                start = end
        left = ColumnChunk(numbers[start:], [column[start:] for column in columns])
        exact = self._exact_rows()
        if left:
            rest = list(islice(exact, size - len(left)))
            yield [*left, *rest] if rest else left
        while chunk_rows := list(islice(exact, size)):
            yield chunk_rows

    def _exact_rows(self) -> Iterator[Row]:
        if self._blocks.stopped_at is None:
            return iter(())
        offset, number = self._blocks.stopped_at
        encoding = "utf-8" if self._encoding == "utf-8-sig" else self._encoding  # no BOM mid-file
        text = self._stack.enter_context(self._path.open(encoding=encoding, errors=UNDECODABLE, newline=""))
        handle: BinaryIO = text.buffer  # type: ignore[assignment]  # open() gives a BufferedReader
        handle.seek(offset)
        self._handle = handle
        source = _RecordRows(self._path, _csv_records(text, self._delimiter), self._encoding, first=number)
        source.width = self._width
        return source.blocks(BLOCK_RECORDS)


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
        order = utf16_order(head[0::2].count("\x00"), head[1::2].count("\x00"), len(head))
        if order is not None:
            raise ReadError(f"{path}: {utf16_without_bom(order)}")
        raise ReadError(f"{path}: binary content, not CSV text (is it really a .csv file?)")


class _RecordRows:
    """A csv.reader's non-blank records as numbered Rows, read a block of records at a time.

    Per record only C code runs (the parse, a join, building the Row through `map`, with no
    Python frame per row); undecodable bytes and NUL are looked for once per block, and only
    a block that has one is searched record by record to name the row; only a block with a
    blank or whitespace-only record is filtered in a Python loop. A failure
    (bad text, malformed CSV, an I/O error) is raised only after the rows before it have
    been handed out, so rows stream exactly as if read one by one."""

    def __init__(self, path: Path, records: Iterator[list[str]], encoding: str, first: int = 1) -> None:
        self._path = path
        self._records = records
        self._encoding = encoding
        self._number = first - 1
        self._failure: ReadError | None = None
        self.width: int | None = None
        """The header's width once known: longer rows lose their trailing empty cells."""

    def one_by_one(self) -> Iterator[Row]:
        """Rows a record at a time, for the header search: it stops early."""
        for block in iter(partial(self.block, 1), None):
            yield from block

    def blocks(self, size: int) -> Iterator[Row]:
        """Rows read `size` records at a time; chained in C, so no Python frame per row."""
        return chain.from_iterable(iter(partial(self.block, size), None))

    def block(self, size: int) -> list[Row] | None:
        """The non-blank rows among the next `size` records; None after the last record."""
        if self._failure is not None:
            raise self._failure
        # Tuples at once: a block of live csv lists would outlive the garbage collector's
        # young generation and push it into full collections (measured: +10% on an import).
        records: list[tuple[str, ...]] = []
        try:
            records.extend(map(tuple, islice(self._records, size)))
        except csv.Error as err:
            self._fail(len(records), _csv_error_reason(err))
        except LineError as err:
            self._fail(len(records), str(err))
        except OSError as err:
            self._fail(len(records), f"cannot read the file: {err.strerror or err}")
        if not records:
            if self._failure is not None:
                raise self._failure
            return None
        first = self._number + 1
        self._number += len(records)
        texts = list(map("".join, records))
        if _has_bad_text("".join(texts)):
            index = next(i for i, text in enumerate(texts) if _has_bad_text(text))
            self._fail_at(first + index, self._bad_text_reason(texts[index]))
            records, texts = records[:index], texts[:index]
        if "" in texts or any(map(str.isspace, texts)):
            rows = [
                Row(number, values)
                for number, values, text in zip(count(first), records, texts)
                if text and not text.isspace()
            ]
        else:
            rows = list(map(tuple.__new__, repeat(Row), zip(count(first), records)))
        widest = max(map(len, records), default=0)
        if widest > MAX_COLUMNS:
            index = next(i for i, record in enumerate(records) if len(record) > MAX_COLUMNS)
            self._fail_at(first + index, too_many_columns())
            rows = [row for row in rows if row.number < first + index]
        width = self.width
        if width is not None and widest > width:
            rows = [fit_row(row, width) for row in rows]
        return rows

    def _bad_text_reason(self, text: str) -> str:
        if "\x00" in text:
            return "contains a NUL byte, which a text file never has (binary data?)"
        if self._encoding not in ("utf-8", "utf-8-sig"):
            hint = "cp1252" if self._encoding.startswith("utf") else "utf-8"
            return f"bytes that are not valid {self._encoding} text (try --encoding {hint})"
        byte = next(ord(char) - 0xDC00 for char in text if "\udc00" <= char <= "\udcff")
        offset = first_invalid_utf8(self._path)
        where = f" (byte offset {offset:,})" if offset is not None else ""
        return (f"byte 0x{byte:02X}{where} is not valid UTF-8, in a file that is otherwise UTF-8: correct it, "
                "or if the whole file is in another encoding, name it with --encoding (e.g. --encoding cp1252)")

    def _fail(self, read: int, reason: str) -> None:
        """Remember a failure on the record after the `read` records this block got."""
        self._fail_at(self._number + read + 1, reason)

    def _fail_at(self, number: int, reason: str) -> None:
        self._failure = ReadError(f"{self._path}: row {number}: {reason}")


def _csv_error_reason(err: csv.Error) -> str:
    """What the csv module's strict complaint means for the person fixing the file."""
    text = str(err)
    if text.startswith("field larger than field limit"):
        return (f"a value longer than {MAX_FIELD_CHARS:,} characters, the longest etl reads "
                "(or a quote that never closes)")
    if text == "unexpected end of data":
        return ("the file ends inside a quoted value that starts in this row: a closing quote "
                "is missing (a stray quote?), or the file was cut off")
    if "expected after" in text:
        return ("a quote inside a quoted value must be written twice (\"\"), or the value "
                "before it is missing its closing quote")
    return f"malformed CSV: {text}"


def _has_bad_text(text: str) -> bool:
    """Whether `text` holds NUL or an undecodable byte, neither of which belongs in a text
    file. Undecodable bytes are decoded as U+DC00..U+DCFF (encoding.UNDECODABLE) and no
    decoder makes any other lone surrogate, so a strict UTF-8 encode, which refuses every
    lone surrogate, finds them. `in`, `isascii` (constant time) and the encode are C loops:
    0.07 s on a million-row file where a regular expression took 0.3 s, and ASCII text
    needs only the NUL test."""
    if "\x00" in text:
        return True
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
