"""What an import reads. A source gives the importer the name its result and the ledger show,
the SHA-256 of its content (what "already imported" is decided on), and, once opened, a
header and numbered rows of text: a file through its reader, or rows handed over in memory
(`Database.import_rows` / `import_frame`). Everything after that is the same journey.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from etl import ledger
from etl.errors import UsageError
from etl.readers import HeaderTest, ReadOptions, Row, Table, open_table
from etl.readers.cells import cell_text

CANONICAL_ROWS_PREFIX = b"etl rows v1\n"
"""Starts the canonical encoding of in-memory rows, so it can never equal a file's bytes."""


class Source(Protocol):
    """Something the importer reads as a table."""

    @property
    def path(self) -> Path:
        """The name the result, the ledger and error messages give it."""
        ...

    def sha256(self) -> str:
        """The SHA-256 of the content, hex."""
        ...

    def open(self, options: ReadOptions, looks_like_header: HeaderTest) -> AbstractContextManager[Table]:
        """The header and a lazy iterator of numbered rows of text; closed when the block exits."""
        ...


@dataclass(frozen=True)
class FileSource:
    """A CSV or spreadsheet file, read by the reader its extension calls for, shown as
    `name` when given (an upload kept under a private name is shown as its sender named it)."""

    file: Path
    name: str | None = None

    @property
    def path(self) -> Path:
        return self.file if self.name is None else Path(self.name)

    def sha256(self) -> str:
        return ledger.file_sha256(self.file)

    def open(self, options: ReadOptions, looks_like_header: HeaderTest) -> AbstractContextManager[Table]:
        return open_table(self.file, options, looks_like_header)


TextRows = Callable[[], Iterator[tuple[str, ...]]]
"""Gives the rows' cell texts from the first again on every call (read once to hash, once to import)."""


@dataclass(frozen=True)
class RowsSource:
    """Rows of text held in memory, under a name. Numbered as a file would be: the header is
    row 1, the first row 2. Reader options (encoding, sheet, ...) do not apply."""

    name: str
    header: tuple[str, ...]
    rows: TextRows

    @property
    def path(self) -> Path:
        return Path(self.name)

    def sha256(self) -> str:
        return canonical_sha256(self.header, self.rows())

    def open(self, options: ReadOptions, looks_like_header: HeaderTest) -> AbstractContextManager[Table]:
        return self._table()

    @contextmanager
    def _table(self) -> Iterator[Table]:
        numbered = (Row(number, values) for number, values in enumerate(self.rows(), start=2))
        yield Table(self.path, self.header, 1, numbered, {})


def canonical_sha256(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """SHA-256 of a table of text, encoded one JSON array per line (header first) in UTF-8:
    the same header and cell texts give the same digest, whatever they were built from."""
    digest = hashlib.sha256(CANONICAL_ROWS_PREFIX)
    digest.update(_line(header))
    for values in rows:
        digest.update(_line(values))
    return digest.hexdigest()


def _line(values: Sequence[str]) -> bytes:
    return json.dumps(list(values), ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def rows_source(name: str, rows: Iterable[Mapping[Any, Any]]) -> RowsSource:
    """Dicts as a table: the header is every key in the order first seen, a key a row lacks
    is an empty cell, and each value becomes the text a file would show (`value_text`).
    The rows are read once, here."""
    header: dict[str, int] = {}
    converted: list[dict[str, str]] = []
    for number, row in enumerate(rows, start=2):
        if not isinstance(row, Mapping):
            raise UsageError(f"{name}: row {number} is a {type(row).__name__}, not a dict")
        texts = {str(key): value_text(value) for key, value in row.items()}
        for key in texts:
            header.setdefault(key, len(header))
        converted.append(texts)
    columns = tuple(header)
    table = [tuple(texts.get(column, "") for column in columns) for texts in converted]
    return RowsSource(name, columns, lambda: iter(table))


def value_text(value: object) -> str:
    """A Python, numpy or pandas value as the text a file would show: missing values (None,
    NaN, pd.NA, NaT) are an empty cell, integral floats drop their `.0` as spreadsheet cells
    do, decimals print without exponent, dates and datetimes as ISO 8601; text is kept as it
    is, leading zeros included."""
    if value is None:
        return ""
    if isinstance(value, str):
        return str(value)  # numpy's str_ too
    if type(value).__module__.partition(".")[0] in ("numpy", "pandas"):
        value = _python_scalar(value)
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, Decimal):
        return "" if value.is_nan() else format(value, "f")
    return cell_text(value)


def _python_scalar(value: Any) -> Any:
    """A numpy or pandas scalar as the Python value it stands for (None for a missing one)."""
    import numpy
    import pandas

    if pandas.api.types.is_scalar(value) and pandas.isna(value):
        return None
    if isinstance(value, numpy.datetime64):
        return pandas.Timestamp(value)  # .item() of a nanosecond one is an int
    if isinstance(value, numpy.timedelta64):
        return pandas.Timedelta(value)
    if isinstance(value, numpy.generic):
        return value.item()
    return value
