"""The CSV reader against Python's `csv` in strict mode on generated files (quotes,
delimiters, line endings, encodings, malformed text too): the same rows, shaped by the
readers' documented rules (blank records skipped but counted, the header's trailing empty
cells and rows' empty cells past it dropped), or a one-line error — never other rows."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.errors import ReadError
from etl.readers import ReadOptions, Row, open_table
from etl.readers.layout import fit_row

PIECES = st.sampled_from(['"', '""', ",", ";", "\t", "\n", "\r\n", "\r", " ", "a", "b c", "é", "ñ€", "'", "1"])
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"])


def expected(text: str, delimiter: str) -> tuple[tuple[str, ...], list[Row]] | None:
    """What the readers' rules make of `csv.reader(strict=True)`'s records; None if it refuses."""
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error:
        return None
    rows = [Row(n, tuple(r)) for n, r in enumerate(records, start=1) if "".join(r).strip()]
    if not rows:
        return None
    header = rows[0].values
    while header and not header[-1].strip():
        header = header[:-1]
    return header, [fit_row(row, len(header)) for row in rows[1:]]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PIECES, max_size=40), st.sampled_from([",", ";", "\t"]), ENCODINGS)
def test_rows_are_pythons_strict_csv_rows_or_an_error(pieces: list[str], delimiter: str, encoding: str) -> None:
    text = "h1" + delimiter + "h2\n" + "".join(pieces)
    if encoding == "cp1252" and text.isascii():
        encoding = "utf-8"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.csv"
        path.write_bytes(text.encode(encoding))
        oracle = expected(text, delimiter)
        try:
            with open_table(path, ReadOptions(delimiter=delimiter, header_row=1)) as table:
                got = (table.header, list(table.rows))
        except ReadError as err:
            assert "\n" not in str(err)
            assert oracle is None or "byte" in str(err) or "looks like" in str(err), (str(err), oracle)
            return
    assert got == oracle
