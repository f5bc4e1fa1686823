"""The plain-row fast path of XLSX exports (etl/writers/xlsx_rows.py) writes exactly the
XML XlsxWriter's own cell writer does: the same rows written with and without it give the
same worksheet and styles, byte for byte, for plain rows, rows it hands back to XlsxWriter,
and mixtures of both."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest

from etl.writers import xlsx_rows
from etl.writers.xlsx import write_xlsx

HEADER = ("id", "name", "type", "age", "when")
ROWS = [
    (1, "Luna 1", "dog", 3, None),
    (2, "Rocky & Co", "cat", None, None),           # & is escaped: XlsxWriter's path
    (3, " leading space", "bird", 10**15, None),      # preserved whitespace, an integer kept as text
    (4, "Ñaño 4", "fish", -7, date(2024, 12, 31)),    # a date: XlsxWriter's path
    (None, None, None, None, None),                   # no cells at all
    (6, "tab\tinside", "x", 0, None),                 # a control character
    (7, "_x0041_", "y", 5, None),                     # looks like Excel's own escape
    (8, "<r>rich?</r>", "z", 999_999_999_999_999, None),
    (9, "Mía 9", "horse", 12, datetime(2024, 1, 2, 3, 4, 5)),
    (10, "plain again", "dog", True, None),           # a boolean: XlsxWriter's path
    (11, "x" * 20_000, "long", 1, None),              # over half the cell limit: measured there
    (12, "Coco 12", "cat", Decimal("1.50"), None),
    (13, "Zeus 13", "dog", 2, None),
    (14, "trailing\n", "dog", 2, None),
]


def _parts(rows: list[tuple[object, ...]]) -> dict[str, bytes]:
    buffer = io.BytesIO()
    assert write_xlsx(HEADER, rows, buffer) == len(rows)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as book:
        return {name: book.read(name) for name in ("xl/worksheets/sheet1.xml", "xl/styles.xml")}


@pytest.mark.parametrize("rows", [ROWS, [r for r in ROWS if r[1] and r[1].startswith(("Luna", "Mía", "Zeus"))],
                                  ROWS[::-1], [ROWS[4], *ROWS]],
                         ids=["mixed", "plain-only", "reversed", "empty-first"])
def test_fast_rows_write_what_xlsxwriter_writes(rows: list[tuple[object, ...]], monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _parts(rows)
    monkeypatch.setattr(xlsx_rows.PlainRows, "for_sheet", classmethod(lambda cls, sheet, formats: None))
    assert _parts(rows) == fast


def test_plain_rows_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[int] = []
    original = xlsx_rows.PlainRows.write

    def spy(self: xlsx_rows.PlainRows, row: int, values: object) -> bool:
        done = original(self, row, values)  # type: ignore[arg-type]
        if done:
            written.append(row)
        return done

    monkeypatch.setattr(xlsx_rows.PlainRows, "write", spy)
    _parts(ROWS)
    assert written == [1, 5, 13]  # Luna, the row without cells, Zeus (0-based sheet rows)
