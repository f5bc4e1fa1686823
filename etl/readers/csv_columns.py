"""The CSV hot path: the plainly simple blocks of a UTF-8 file, cut into columns a block at a time.

Most files etl reads are written by programs: no quote characters, one record per line. For
those, the exact reader's Python work per record (cutting lines, the csv module, a tuple and
a `Row` per record) was most of the reading time of a million-row import. Here the data rows
after the header are read in raw blocks of BLOCK_BYTES cut at a line end, and a block whose
text nothing can read differently is cut into columns by a few whole-block string
operations (split at line ends and delimiters, then one slice per column), with no Python
work per record:

- no quote character, NUL, other control byte, or carriage return outside CR LF: then every
  line is exactly one record, so row numbers are line numbers;
- valid UTF-8 (Python's own strict decoder), and no whitespace but space, tab and line ends
  (so a row of spaces and delimiters is recognised as blank with a test of its first cell);
- every line has exactly the header's number of fields.

Blank and whitespace-only lines are left out, keeping the numbers of the lines around them,
as the exact reader does. From the first block that is not plainly simple to the end of the
file, the exact reader (`csv_reader`) reads on from that block's first byte and row number,
so every file that needs its rules (quotes, bounded lines, encoding refusals) gets them.

pyarrow's CSV parser was measured for this too (benchmarks/PROFILE.md): slightly less CPU
per block, but 0.13 s to import and 34 MB more peak memory, for the same columns of str.
"""

from __future__ import annotations

import codecs
import operator
from collections.abc import Iterator
from itertools import compress, repeat
from typing import BinaryIO

from etl.readers.base import ColumnChunk

BLOCK_BYTES = 1 << 18
"""Raw bytes read and checked at a time (a block ends at its last line end)."""

_NOT_PLAIN = bytes([*range(0x00, 0x09), *range(0x0B, 0x20), ord('"')])
"""Bytes that end the fast path (CR is among them: a block may only have it before LF)."""
_PLAIN = bytes(sorted(set(range(256)) - set(_NOT_PLAIN)))
_OTHER_SPACES = tuple(char.encode() for char in map(chr, range(0x80, 0x3001)) if char.isspace())
"""Non-ASCII whitespace (UTF-8), which `str.strip` removes (none lies above U+3000:
tests/test_readers_csv_columns.py checks)."""
_NOT_SPACE_LEADS = bytes(sorted(set(range(256)) - {space[0] for space in _OTHER_SPACES}))
"""Every byte but the first bytes of those (accented Latin letters start with others)."""
_BLANK_START = (" ", "\t")


class PlainBlocks:
    """Column chunks of the file's plainly simple blocks, from byte `offset` (row `number`)
    on. Iterating stops at the end of the file, or before the first block that is not
    plainly simple: then `stopped_at` is (its byte offset, its first row number) and the
    handle is positioned there."""

    def __init__(self, handle: BinaryIO, offset: int, number: int, width: int, delimiter: str) -> None:
        self._handle = handle
        self._offset = offset
        self._number = number
        self._width = width
        self._delimiter = delimiter
        self.stopped_at: tuple[int, int] | None = None

    def __iter__(self) -> Iterator[ColumnChunk]:
        handle = self._handle
        handle.seek(self._offset)
        pending = b""
        while True:
            data = handle.read(BLOCK_BYTES)
            buffer = pending + data if pending else data
            if not buffer:
                return
            if data:
                cut = buffer.rfind(b"\n") + 1
                if not cut:  # a line longer than a block: the exact reader bounds it
                    self._stop()
                    return
                block, pending = buffer[:cut], buffer[cut:]
            else:
                block, pending = buffer, b""
            chunk = self._columns(block)
            if chunk is None:
                self._stop()
                return
            self._offset += len(block)
            self._number += _lines(block)
            chunk = _without_blank_rows(chunk)
            if chunk.numbers:
                yield chunk

    def _stop(self) -> None:
        self.stopped_at = (self._offset, self._number)
        self._handle.seek(self._offset)

    def _columns(self, block: bytes) -> ColumnChunk | None:
        """The block's rows (blank ones too) as columns, or None when it is not plainly simple."""
        text = _plain_text(block)
        if text is None:
            return None
        delimiter, width = self._delimiter, self._width
        lines = text.split("\n")
        if text.endswith("\n"):
            lines.pop()
        numbers = list(range(self._number, self._number + len(lines)))
        if width == 1:
            return None if delimiter in text else ColumnChunk(numbers, [lines])
        counts = set(map(str.count, lines, repeat(delimiter)))
        if counts != {width - 1}:
            if counts != {0, width - 1}:
                return None
            # Lines without a delimiter: only blank ones (empty, or spaces and tabs) may be
            # here, and they are rows the exact reader skips.
            keep = list(map(bool, map(str.count, lines, repeat(delimiter))))
            if any(line.strip() for line in compress(lines, map(operator.not_, keep))):
                return None
            lines, numbers = list(compress(lines, keep)), list(compress(numbers, keep))
            if not lines:
                return ColumnChunk([], [[] for _ in range(width)])
        cells = delimiter.join(lines).split(delimiter)
        return ColumnChunk(numbers, [cells[i::width] for i in range(width)])


def _lines(block: bytes) -> int:
    """Records in a block of plain lines: its line ends, and an unterminated last line."""
    return block.count(b"\n") + (not block.endswith(b"\n"))


def _plain_text(block: bytes) -> str | None:
    """The block's text with LF line ends, or None when something in it is not plain."""
    if block.startswith(codecs.BOM_UTF8):
        return None  # a character here, where the exact reader keeps it
    odd = block.translate(None, _PLAIN)
    if odd:
        if odd.strip(b"\r") or block.count(b"\r\n") != len(odd):
            return None
        block = block.replace(b"\r\n", b"\n")
    if block.isascii():
        return block.decode("ascii")
    if block.translate(None, _NOT_SPACE_LEADS) and any(space in block for space in _OTHER_SPACES):
        return None
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _without_blank_rows(chunk: ColumnChunk) -> ColumnChunk:
    """The rows that have a cell with more than spaces and tabs (the exact reader skips the
    others). A blank row's first cell is empty or starts with a space or tab, and such a
    cell sorts before any other (a plain block has no other character below "!"), so the
    smallest first cell rules out almost every block at once."""
    if not chunk.numbers:
        return chunk
    smallest = min(chunk.columns[0])
    if smallest and smallest[0] not in _BLANK_START:
        return chunk
    keep = [any(map(str.strip, cells)) for cells in zip(*chunk.columns)]
    return ColumnChunk(list(compress(chunk.numbers, keep)), [list(compress(column, keep)) for column in chunk.columns])
