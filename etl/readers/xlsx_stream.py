"""A streaming XLSX sheet reader: the sheet XML is read straight from its zip member, a
chunk at a time, and each row is handed on once read, so memory does not grow with the
number of rows.

It gives exactly the text openpyxl's read-only mode gives (its cell rules are followed
one by one: cached formula values, `_cast_number`, date styles, error cells, inline and
rich text, row and column counters for cells without a reference), nearly four times
faster. Two parsers share those rules:

- the usual path matches rows and cells as Excel, LibreOffice, openpyxl and XlsxWriter
  write them (`<c r="B2" s="1" t="s"><v>7</v></c>`) with regular expressions, so no
  element or cell object is built. A row holding anything else (rich inline text, other
  attribute orders, quotes) is parsed by ElementTree on its own. A sheet with comments,
  CDATA, processing instructions, prefixed element names or a non-UTF-8 encoding, which
  the patterns do not understand, takes the second path whole;
- ElementTree's pull parser, row elements freed as they are read.

Shared strings are kept as UTF-8 in one buffer with an offsets array (a few bytes per
string instead of a Python str each), and spill to a temporary file read with `os.pread`
once they pass SPILL_BYTES. An expat parser with Python callbacks and ElementTree alone
were tried first: both were no faster than openpyxl (5–7 s for 100,000 rows of five
columns, against 1.6 s CPU here; see `benchmarks/bench_readers.py`).
"""

from __future__ import annotations

import codecs
import datetime as dt
import os
import re
import sys
import tempfile
import zipfile
from array import array
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any, NamedTuple, cast
from xml.etree import ElementTree

from etl.readers.base import ReadWarning, Warnings
from etl.readers.cells import NumberText, cell_text
from etl.readers.limits import MAX_FIELD_CHARS, MAX_LINE_CHARS
from etl.readers.xlsx_package import SheetPart, workbook_parts

MAIN_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)
CHUNK = 1 << 16
COMPACT_CHARS = 1 << 20
"""A stretch of XML without a row (or string) end past which its whitespace is squeezed."""
SPILL_BYTES = 4 * 1024 * 1024
"""Shared-string text held in memory before the table moves to a temporary file."""
OFFSETS_IN_MEMORY = 1 << 20
"""Shared-string offsets (8 bytes each) kept in memory before they move to a temporary file."""
CACHE_SIZE = 4096
"""Shared strings decoded once and kept: the first ones, which Excel writes in order of first
use, so they are the repeated category values of the sheet's first rows."""

DATE_CACHE_SIZE = 1 << 16
"""Date cells' text kept by serial: a sheet holds a few thousand distinct days at most."""

RawRows = Iterator[tuple[int, Sequence[str]]]


def _tags(local: str) -> frozenset[str]:
    return frozenset(f"{{{ns}}}{local}" for ns in MAIN_NAMESPACES)


ROW, CELL, SHEET_DATA = _tags("row"), _tags("c"), _tags("sheetData")
SST, STRING_ITEM = _tags("sst"), _tags("si")

_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([^"']*)""")
_ROOT = re.compile(r"<([\w:.-]+)[^>]*>")
_ROW = re.compile(r"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)
_ROW_START = re.compile(r'(?: r="(\d+)")?(?: (?!r=)[\w:]+="[^"]*")*\s*')
_CELL_PATTERN = (
    r'<c r="([A-Z]{1,3})\d+"(?: s="(\d+)")?(?: t="(\w+)")?(?: (?![rst]=)[\w:]+="[^"]*")*'
    r'(?:/>|>(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)?'
    r'(?:<v>([^<]*)</v>|<is><t(?: xml:space="preserve")?>([^<]*)</t></is>)?</c>)'
)
_CELL = re.compile(_CELL_PATTERN)
_ROW_OR_CELL = re.compile(r'<row(?: r="(\d+)")?(?: (?!r=)[\w:]+="[^"]*")*\s*>|' + _CELL_PATTERN)
_ITEM = re.compile(r"<si\b[^>]*?(?:/>|>.*?</si>)", re.S)
_PLAIN_ITEM = re.compile(r'<si><t(?: xml:space="preserve")?>([^<]*)</t></si>')
_REFERENCE = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|\w+);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


class SheetDamage(ValueError):
    """The part's XML is not what a workbook holds (cut short, a forbidden reference)."""


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def unescape(text: str) -> str:
    """OOXML's `_xHHHH_` escapes as Excel reads them (ST_Xstring): `_x000D_` is a carriage
    return, `_x005F_` an underscore (so `_x005F_x000D_` is the literal text `_x000D_`). An
    escape naming a surrogate stays as written, as in Excel."""
    if "_x" not in text:
        return text
    return _ESCAPE.sub(_unescaped, text)


def _unescaped(match: re.Match[str]) -> str:
    code = int(match.group(1), 16)
    return match.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)


def _unusual(xml: bytes) -> bool:
    """Markup the patterns cannot read: declarations, comments, CDATA, processing
    instructions. (Prefixed element names are noticed by `first` not being found.)"""
    return b"<!" in xml or b"<?" in xml


def xml_text(raw: str) -> str:
    """Character data as an XML parser reports it: line ends normalised, then character
    and entity references replaced."""
    if "\r" in raw:
        raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in raw:
        raw = _REFERENCE.sub(_reference, raw)
    return raw


def _reference(match: re.Match[str]) -> str:
    name = match.group(1)
    if name.startswith("#"):
        code = int(name[2:], 16) if name.startswith("#x") else int(name[1:])
        if not _is_xml_char(code):
            raise SheetDamage(f"&{name}; is not a character XML allows")
        return chr(code)
    if name in _ENTITIES:
        return _ENTITIES[name]
    raise SheetDamage(f"undefined entity &{name};")


def _is_xml_char(code: int) -> bool:
    """XML 1.0's `Char` production: expat refuses a reference to anything else (NUL, other
    control characters, surrogates, U+FFFE/U+FFFF)."""
    return (code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF)


_SQUEEZE = re.compile(r"""<(?:\w+:)?([tvf])(?:\s[^>]*)?>[^<]*|"[^"]*"|'[^']*'|\s{2,}""")
"""Text nodes of `t`, `v` and `f` (finished or not) and attribute values, kept; or a run of
whitespace anywhere else (between elements, between attributes), where one space is as good."""


def squeeze(xml: str) -> str:
    """`xml` with every run of insignificant whitespace reduced to one space."""
    return _SQUEEZE.sub(_squeezed, xml)


def _squeezed(match: re.Match[str]) -> str:
    text = match.group()
    return " " if text.isspace() else text


class SheetTooLarge(SheetDamage):
    """A stretch of a part's XML past the limits: refused, not read."""


class SharedStrings:
    """The workbook's shared-string table, indexed like a list of str."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._offsets = array("Q", [0])
        self._text = bytearray()
        self._file: IO[bytes] | None = None
        self._offsets_file: IO[bytes] | None = None
        self._spilled_offsets = 0
        """Offsets written to `_offsets_file`; `_offsets` holds the ones after them."""
        self.cache: list[str] = []

    def append(self, text: str) -> None:
        self.extend([text])

    def extend(self, texts: list[str]) -> None:
        if len(self.cache) < CACHE_SIZE:
            self.cache.extend(texts[: CACHE_SIZE - len(self.cache)])
        data = [text.encode("utf-8") for text in texts]
        if max(map(len, data), default=0) > MAX_FIELD_CHARS and max(map(len, texts)) > MAX_FIELD_CHARS:
            raise SheetTooLarge(f"a shared string of more than {MAX_FIELD_CHARS:,} characters, the longest "
                                "cell etl reads")
        offsets, end = self._offsets, self._offsets[-1]
        for item in data:
            end += len(item)
            offsets.append(end)
        self._text += b"".join(data)
        if len(self._text) > SPILL_BYTES:
            self._spill()
        if len(offsets) > OFFSETS_IN_MEMORY:
            self._spill_offsets()

    def _spill(self) -> None:
        if self._file is None:
            self._file = self._stack.enter_context(tempfile.TemporaryFile(prefix="etl-sst-"))
        self._file.write(self._text)
        self._text.clear()

    def _spill_offsets(self) -> None:
        """Move all offsets but the last (the next string's start) to a temporary file: a
        part of millions of tiny strings would otherwise hold 8 bytes each in memory."""
        if self._offsets_file is None:
            self._offsets_file = self._stack.enter_context(tempfile.TemporaryFile(prefix="etl-sst-offsets-"))
        last = self._offsets[-1]
        self._offsets_file.write(self._offsets[:-1].tobytes())
        self._spilled_offsets += len(self._offsets) - 1
        self._offsets = array("Q", [last])

    def finish(self) -> None:
        """Write what is still buffered if the table has spilled."""
        if self._file is not None and self._text:
            self._spill()
        for spilled in (self._file, self._offsets_file):
            if spilled is not None:
                spilled.flush()

    def __len__(self) -> int:
        return self._spilled_offsets + len(self._offsets) - 1

    def _offset(self, index: int) -> int:
        if index >= self._spilled_offsets:
            return self._offsets[index - self._spilled_offsets]
        assert self._offsets_file is not None
        return int.from_bytes(os.pread(self._offsets_file.fileno(), 8, index * 8), sys.byteorder)

    def __getitem__(self, index: int) -> str:
        if index < len(self.cache):
            return self.cache[index]
        if not 0 <= index < len(self):
            raise SheetDamage(f"a cell refers to shared string {index}, but the workbook has {len(self)}")
        start, end = self._offset(index), self._offset(index + 1)
        if self._file is None:
            return self._text[start:end].decode("utf-8")
        return os.pread(self._file.fileno(), end - start, start).decode("utf-8")


def rich_text(element: ElementTree.Element) -> str:
    """openpyxl's `Text.content`: the item's own `t` (the last, if several), then each
    run's `t`; phonetic runs (`rPh`) are not part of the text. Children are matched by
    local name, as openpyxl does."""
    plain: str | None = None
    runs: list[str] = []
    for child in element:
        local = child.tag.rpartition("}")[2]
        if local == "t":
            plain = child.text
        elif local == "r":
            run = None
            for part in child:
                if part.tag.rpartition("}")[2] == "t":
                    run = part.text
            if run is not None:
                runs.append(run)
    return "".join([plain, *runs] if plain is not None else runs)


class SheetXml:
    """A part's XML read as text blocks that end on a boundary, plus what the patterns
    need to know first: whether they can read it, and its root start tag (which declares
    the namespace prefixes a fragment parsed alone needs)."""

    def __init__(self, package: zipfile.ZipFile, part: str, first: bytes, last: bytes = b"") -> None:
        """`first`/`last`: where the patterns' work begins and ends (`<sheetData`); markup
        outside (a sheet's extensions) is left to no one and may be anything."""
        self._package, self._part = package, part
        head = b""
        unusual = False
        with package.open(part) as stream:
            tail = b""
            started = not first
            while chunk := stream.read(CHUNK):
                head = head or chunk[:4096]
                window = tail + chunk
                if not started and (begin := window.find(first)) >= 0:
                    started, window = True, window[begin:]
                end = window.find(last) if last else -1
                if started and _unusual(window if end < 0 else window[:end]):
                    unusual = True
                if unusual or end >= 0:
                    break
                tail = chunk[-64:]
        unusual = unusual or not started
        declared = _DECLARED_ENCODING.match(head.removeprefix(codecs.BOM_UTF8))
        utf8 = not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and (
            declared is None or declared.group(1).lower() in (b"utf-8", b"utf8")
        )
        root = _ROOT.search(head.decode("utf-8", "replace").split("?>", 1)[-1])
        self.root_tag = root.group(0) if root else ""
        self.root_name = root.group(1) if root else ""
        self.plain = utf8 and not unusual and bool(root) and ":" not in self.root_name

    def blocks(self, end: str, stack: ExitStack) -> Iterator[str]:
        """The text in blocks that each end just after an `end` tag; the rest last.

        Each piece of text is searched once (a stretch without `end` used to be searched
        again with every chunk: hours for a gigabyte of whitespace). A stretch growing past
        COMPACT_CHARS has its insignificant whitespace squeezed (`squeeze`), each time it
        doubles, so its memory follows its content; content past MAX_LINE_CHARS is refused."""
        stream = stack.enter_context(self._package.open(self._part))
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        parts: list[str] = []
        size, compact_at, seam = 0, COMPACT_CHARS, len(end) - 1
        while chunk := stream.read(CHUNK):
            text = decoder.decode(chunk)
            cut = text.rfind(end)
            if cut < 0 and parts and end in parts[-1][-seam:] + text[:seam]:
                last = parts.pop()
                size -= len(last)
                text = last + text
                cut = text.rfind(end)
            if cut >= 0:
                cut += len(end)
                yield "".join([*parts, text[:cut]])
                parts, size = [text[cut:]], len(text) - cut
                continue
            parts.append(text)
            size += len(text)
            if size > compact_at:
                parts = [squeeze("".join(parts))]
                size = len(parts[0])
                if size > MAX_LINE_CHARS:
                    raise SheetTooLarge(
                        f"more than {MAX_LINE_CHARS:,} characters of XML without a {end} (one row or string "
                        "that large is more than etl reads)")
                compact_at = max(COMPACT_CHARS, 2 * size)
        yield "".join(parts) + decoder.decode(b"", final=True)

    def fragment(self, xml: str) -> ElementTree.Element:
        """One element of the part parsed alone, inside a copy of the root start tag."""
        root = ElementTree.fromstring(f"{self.root_tag}{xml}</{self.root_name}>")
        return root[0]


def read_shared_strings(package: zipfile.ZipFile, part: str | None, stack: ExitStack) -> SharedStrings:
    strings = SharedStrings(stack)
    if part and part in package.NameToInfo:
        xml = SheetXml(package, part, b"<sst")
        if xml.root_tag.endswith("/>"):
            pass  # <sst/>: an empty table
        elif xml.plain:
            block = ""
            for block in xml.blocks("</si>", stack):
                _plain_items(block, xml, strings)
            _check_end(block, xml)
        else:
            for item in complete_elements(stack.enter_context(package.open(part)), STRING_ITEM, SST):
                strings.append(unescape(rich_text(item)))
    strings.finish()
    return strings


def _plain_items(block: str, xml: SheetXml, strings: SharedStrings) -> None:
    plain = _PLAIN_ITEM.findall(block)
    if len(plain) == block.count("<si"):
        if "&" in block or "\r" in block or "_x" in block:
            plain = [unescape(xml_text(text)) for text in plain]
        strings.extend(plain)
        return
    for match in _ITEM.finditer(block):
        item = _PLAIN_ITEM.fullmatch(match.group(0))
        text = xml_text(item.group(1)) if item else rich_text(xml.fragment(match.group(0)))
        strings.append(unescape(text))


def complete_elements(
    stream: IO[bytes], tags: frozenset[str], parent_tags: frozenset[str]
) -> Iterator[ElementTree.Element]:
    """Each element named in `tags`, complete, in document order. Only `start` events are
    asked for: an element is complete when the next one starts, or when the document
    ends. Its parent (named in `parent_tags`) is emptied after every chunk so finished
    elements are freed; the element still being built stays referenced by the parser and
    by `pending`."""
    parser: ElementTree.XMLPullParser[ElementTree.Element] = ElementTree.XMLPullParser(events=("start",))
    pending: ElementTree.Element | None = None
    parents: list[ElementTree.Element] = []
    while chunk := stream.read(CHUNK):
        parser.feed(chunk)
        # Only "start" events were asked for: each carries its element.
        for _, element in cast(Iterator[tuple[str, ElementTree.Element]], parser.read_events()):
            if element.tag in tags:
                if pending is not None:
                    yield pending
                pending = element
            elif element.tag in parent_tags:
                parents.append(element)
        for parent in parents:
            parent.clear()
    parser.close()
    if pending is not None:
        yield pending


class CellText:
    """Cell text by openpyxl's `WorkSheetParser.parse_cell` rules (data_only, read-only),
    from the cell's `t` and `s` attributes and the text of its first `<v>`, where those
    rules keep the data: escapes are decoded as Excel decodes them (`unescape`), and a
    date-formatted number that names no date Excel shows (negative, past 9999-12-31) is
    the number, not `#VALUE!`; in the 1904 date system serial 0 is 1904-01-01 unless the
    format shows only a time."""

    def __init__(self, strings: SharedStrings, styles: NumberStyles, epoch: dt.datetime) -> None:
        from openpyxl.utils.datetime import from_excel, from_ISO8601

        self.strings = strings
        self._date_styles = styles.dates
        self._duration_styles = styles.durations
        self._time_styles = styles.times
        self._epoch = epoch
        self._mac = epoch.year == 1904
        # openpyxl's stubs leave these untyped.
        self._from_excel: Callable[..., Any] = from_excel
        self._from_iso: Callable[[str], Any] = from_ISO8601
        self._dates: dict[tuple[str, int], str] = {}

    def __call__(self, raw: str | None, kind: str | None, style: str | None) -> str:
        if not raw:
            return ""
        if kind == "s":
            return self.strings[int(raw)]
        if kind is None or kind == "n":
            if style and self._date_styles and int(style) in self._date_styles:
                return self._date(raw, int(style))
            if raw.isascii() and raw.isdigit() and (raw[0] != "0" or len(raw) == 1):
                return NumberText(raw)
            return cell_text(_cast_number(raw))
        if kind == "b":
            return cell_text(bool(int(raw)))
        if kind == "d":
            return cell_text(self._from_iso(raw))
        if kind == "str":
            return unescape(raw)
        return raw

    def _date(self, raw: str, style: int) -> str:
        """Date cells repeat their serials (a sheet holds a few thousand distinct days), so
        their text is kept, up to DATE_CACHE_SIZE serials."""
        key = (raw, style)
        text = self._dates.get(key)
        if text is None:
            number = _cast_number(raw)
            text = self._date_text(number, style)
            if len(self._dates) >= DATE_CACHE_SIZE:
                self._dates.clear()
            self._dates[key] = text
        return text


    def _date_text(self, number: int | float, style: int) -> str:
        if style in self._duration_styles:
            return cell_text(self._from_excel(number, self._epoch, timedelta=True))
        if number < 0:
            return cell_text(number)
        if self._mac and number < 1 and style not in self._time_styles:
            return cell_text(self._epoch + dt.timedelta(milliseconds=round(number * 86_400_000)))
        try:
            return cell_text(self._from_excel(number, self._epoch))
        except (OverflowError, ValueError):  # past year 9999: the number it is
            return cell_text(number)


def _cast_number(raw: str) -> int | float:
    """openpyxl's reading of a number cell's text."""
    return float(raw) if "." in raw or "e" in raw or "E" in raw else int(raw)


class NumberStyles(NamedTuple):
    """Cell styles (`cellXfs` positions, a cell's `s`) by what their number format shows."""

    dates: frozenset[int]
    durations: frozenset[int]
    times: frozenset[int]
    """Date styles that show only a time of day (no year, month or day)."""


_LITERALS = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


def _time_only(code: str) -> bool:
    letters = _LITERALS.sub("", code.split(";")[0]).lower()
    return not ("d" in letters or "y" in letters or ("m" in letters and "h" not in letters and "s" not in letters))


def number_styles(package: zipfile.ZipFile, part: str | None) -> NumberStyles:
    """The date, duration and time-of-day styles, by openpyxl's rules
    (`Stylesheet._normalise_numbers`): a custom format code overrides a built-in id; only
    the first section of a code counts."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

    if part is None:
        return NumberStyles(frozenset(), frozenset(), frozenset())
    root = ElementTree.fromstring(package.read(part))
    custom: dict[int, str] = {}
    styles: list[int] = []
    for element in root:
        local = element.tag.rpartition("}")[2]
        if local == "numFmts":
            custom.update((int(f.get("numFmtId", "0")), f.get("formatCode", "")) for f in element)
        elif local == "cellXfs":
            styles.extend(int(xf.get("numFmtId", "0")) for xf in element)
    codes = [custom[n] if n in custom else BUILTIN_FORMATS.get(n) for n in styles]
    dates = frozenset(i for i, code in enumerate(codes) if is_date_format(code))
    return NumberStyles(
        dates,
        frozenset(i for i, code in enumerate(codes) if is_timedelta_format(code)),
        frozenset(i for i in dates if _time_only(codes[i] or "")),
    )


def stream_rows(path: Path, sheet: SheetPart, stack: ExitStack, warnings: Warnings) -> RawRows:
    """Numbered rows of cell text for `sheet`, as openpyxl's read-only `iter_rows` gives them
    after `reset_dimensions()` (each row as wide as its last cell). The shared strings and
    styles are read here; the sheet itself as the rows are taken. A formula without a
    cached value (a workbook written by a program that does not calculate) reads as an
    empty cell and is added to `warnings`."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

    package = stack.enter_context(zipfile.ZipFile(path))
    parts = workbook_parts(package)
    strings = read_shared_strings(package, parts.shared_strings, stack)
    epoch = CALENDAR_MAC_1904 if parts.date1904 else CALENDAR_WINDOWS_1900
    values = CellText(strings, number_styles(package, parts.styles), epoch)
    xml = SheetXml(package, sheet.part or "", b"<sheetData", b"</sheetData>")
    if xml.plain:
        return _numbered(_plain_rows(xml, values, stack, warnings))
    rows = complete_elements(stack.enter_context(package.open(sheet.part or "")), ROW, SHEET_DATA)
    return _numbered((row.get("r"), _element_values(row, values, warnings)) for row in rows)


_FORMULA_ONLY = re.compile(
    r'<c r="([A-Z]{1,3})(\d+)"[^>]*>(?:<f\b[^>]*/>|<f\b[^>]*>([^<]*)</f>)(?:<v\s*/>|<v></v>)?</c>')
NO_CACHED_VALUE = ("a formula without a saved result (the workbook was written by a program that does not "
                   "calculate formulas) reads as an empty cell; open and save the workbook in Excel or "
                   "LibreOffice to store the results")


def _formula_warnings(block: str, warnings: Warnings) -> None:
    for letters, number, formula in _FORMULA_ONLY.findall(block):
        warnings.add(ReadWarning(int(number), column_index(letters) - 1, None, f"={xml_text(formula)}",
                                 NO_CACHED_VALUE))


def _checked_lengths(rows: list[tuple[str | None, tuple[str, ...]]]) -> list[tuple[str | None, tuple[str, ...]]]:
    for label, cells in rows:
        if cells and max(map(len, cells)) > MAX_FIELD_CHARS:
            raise SheetTooLarge(f"row {label}: a cell of more than {MAX_FIELD_CHARS:,} characters, the longest "
                                "etl reads")
    return rows


def _numbered(rows: Iterator[tuple[str | None, tuple[str, ...]]]) -> RawRows:
    """Sheet row numbers from each row's `r` (else one more than the last), keeping only
    rows numbered above the last one given, as openpyxl does."""
    counter = number = 0
    for label, values in rows:
        counter = counter + 1 if label is None else _row_number(label)
        if counter > number:
            number = counter
            yield number, values


def _plain_rows(xml: SheetXml, values: CellText, stack: ExitStack,
                warnings: Warnings) -> Iterator[tuple[str | None, tuple[str, ...]]]:
    """Rows of each block (`_block_rows`, else `_piece_rows`); a block long enough to hold
    an over-long cell has its cells measured."""
    block = ""
    for block in xml.blocks("</row>", stack):
        if "<f" in block:
            _formula_warnings(block, warnings)
        begin = block.find("<row")
        rows = _block_rows(block[begin:], values) if begin >= 0 and block.endswith("</row>") else None
        if rows is None:
            rows = list(_piece_rows(block, xml, values))
        yield from _checked_lengths(rows) if len(block) > MAX_FIELD_CHARS else rows
    _check_end(block, xml)


def _piece_rows(block: str, xml: SheetXml, values: CellText) -> Iterator[tuple[str | None, tuple[str, ...]]]:
    """Rows split at `</row>` (cheaper than a pattern spanning the row); a piece holding
    anything but one row's start tag and cells goes through `_ROW` and, failing the cell
    pattern, ElementTree."""
    pieces = block.split("</row>")
    tail = pieces.pop()
    for piece in pieces:
        begin = piece.find("<row")
        close = piece.find(">", begin)
        start = _ROW_START.fullmatch(piece, begin + 4, close) if begin >= 0 and close > 0 else None
        if start is None or piece[close - 1] == "/" or piece.find("<row", close) >= 0:
            yield from _rows_of(piece[max(begin, 0):] + "</row>", xml, values)
            continue
        content = piece[close + 1:]
        cells = _CELL.findall(content)
        if len(cells) == content.count("<c"):
            yield start.group(1) or None, _plain_values(cells, values)
        else:
            row = xml.fragment(piece[begin:] + "</row>")
            yield row.get("r"), _element_values(row, values)
    yield from _rows_of(tail, xml, values)


def _block_rows(block: str, values: CellText) -> list[tuple[str | None, tuple[str, ...]]] | None:
    """A block of whole rows in one pass of `_ROW_OR_CELL`, or None unless every row start
    tag and every cell matched and the cells are in column order (the usual case: then
    there is no call per row or per common cell)."""
    strings = values.strings
    cached = strings.cache
    rows: list[tuple[str | None, tuple[str, ...]]] = []
    row: list[str] | None = None
    label: str | None = None
    cells = 0
    for number, letters, style, kind, raw, inline in _ROW_OR_CELL.findall(block):
        if not letters:
            if row is not None:
                rows.append((label, tuple(row)))
            row, label = [], number or None
            continue
        if row is None:
            return None
        cells += 1
        gap = (_COLUMNS.get(letters) or column_index(letters)) - len(row) - 1
        if gap:
            if gap < 0:
                return None
            row.extend([""] * gap)
        if kind == "s" and raw:
            index = int(raw)
            row.append(cached[index] if index < len(cached) else strings[index])
        elif not kind and not style and raw.isdigit() and raw.isascii() and (raw[0] != "0" or len(raw) == 1):
            row.append(NumberText(raw))
        elif kind == "inlineStr" and "&" not in inline and "\r" not in inline and "_x" not in inline:
            row.append(inline)
        else:
            row.append(_plain_text((letters, style, kind, raw, inline), values))
    if row is not None:
        rows.append((label, tuple(row)))
    if len(rows) != block.count("<row") or cells != block.count("<c"):
        return None
    return rows


def _rows_of(text: str, xml: SheetXml, values: CellText) -> Iterator[tuple[str | None, tuple[str, ...]]]:
    """Rows of a piece the split could not take (empty `<row/>`s, the part's end)."""
    for match in _ROW.finditer(text):
        row = xml.fragment(match.group(0))
        yield row.get("r"), _element_values(row, values)


def _check_end(block: str, xml: SheetXml) -> None:
    """The patterns skip what they do not match, so a part cut short (a damaged file) is
    noticed by its missing end tag."""
    if not block.rstrip().endswith(f"</{xml.root_name}>"):
        raise SheetDamage("the XML ends early: the part is damaged")


def _plain_values(cells: list[tuple[str, str, str, str, str]], values: CellText) -> tuple[str, ...]:
    """Text of the cells the pattern matched, in column order. Shared strings and plain
    integers, most cells of most sheets, are done here without a call."""
    row: list[str] = []
    strings = values.strings
    cached = strings.cache
    for cell in cells:
        letters, style, kind, raw, _ = cell
        column = _COLUMNS.get(letters) or column_index(letters)
        gap = column - len(row) - 1
        if gap < 0:
            return _placed([(column_index(c[0]), _plain_text(c, values)) for c in cells])
        if gap:
            row.extend([""] * gap)
        if kind == "s" and raw:
            index = int(raw)
            row.append(cached[index] if index < len(cached) else strings[index])
        elif not kind and not style and raw.isdigit() and raw.isascii() and (raw[0] != "0" or len(raw) == 1):
            row.append(NumberText(raw))
        else:
            row.append(_plain_text(cell, values))
    return tuple(row)


def _plain_text(cell: tuple[str, str, str, str, str], values: CellText) -> str:
    _, style, kind, raw, inline = cell
    if kind == "inlineStr":
        return unescape(xml_text(inline))
    return values(xml_text(raw), kind or None, style or None)


def _element_values(row: ElementTree.Element, values: CellText, warnings: Warnings | None = None) -> tuple[str, ...]:
    """A row element's cell text; with `warnings`, formulas without a value are noted."""
    placed: list[tuple[int, str]] = []
    column = 0
    for cell in row:
        if cell.tag not in CELL:
            continue
        ref = cell.get("r")
        column = column_index(ref.rstrip("0123456789")) if ref else column + 1
        namespace = cell.tag[: -len("c")]
        kind = cell.get("t")
        if kind == "inlineStr":
            inline = cell.find(f"{namespace}is")
            placed.append((column, "" if inline is None else unescape(rich_text(inline))))
        else:
            raw = cell.findtext(f"{namespace}v")
            formula = cell.find(f"{namespace}f")
            if warnings is not None and formula is not None and not raw and row.get("r"):
                warnings.add(ReadWarning(_row_number(row.get("r") or ""), column - 1, None,
                                         f"={formula.text or ''}", NO_CACHED_VALUE))
            placed.append((column, values(raw, kind, cell.get("s"))))
    return _placed(placed) if placed else ()


def _placed(placed: list[tuple[int, str]]) -> tuple[str, ...]:
    """openpyxl's row: as wide as its last cell's column, and a later cell wins a column."""
    width = placed[-1][0]
    values = [""] * width
    for column, text in placed:
        if 1 <= column <= width:
            values[column - 1] = text
    return tuple(values)


def _row_number(label: str) -> int:
    try:
        return int(label)
    except ValueError:
        value = float(label)
        if value.is_integer():
            return int(value)
        raise SheetDamage(f"{label} is not a valid row number") from None


_COLUMNS: dict[str, int] = {}


def column_index(letters: str) -> int:
    """1 for A, 27 for AA; memoised, as a sheet uses few distinct columns."""
    index = _COLUMNS.get(letters)
    if index is None:
        index = 0
        for letter in letters.upper():
            if not "A" <= letter <= "Z":
                raise SheetDamage(f"invalid cell reference column {letters!r}")
            index = index * 26 + ord(letter) - 64
        _COLUMNS[letters] = index
    return index
