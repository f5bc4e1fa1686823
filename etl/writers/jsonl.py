"""JSON Lines output: one object per row, keys from the header, values by `etl.writers.values`.

Every line is strict JSON: a NaN or infinite number is written as the string `NaN`,
`Infinity` or `-Infinity` (JSON has no such numbers), decimals keep all their digits as
JSON numbers, and a JSON document column holds its document's text as a string, so a
document that is `null` stays distinct from an SQL NULL (`null`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import add
from typing import Any, BinaryIO

from etl.writers.values import json_text


def write_jsonl(header: Sequence[str], rows: Iterable[Sequence[Any]], stream: BinaryIO) -> int:
    """Write one JSON object per row; returns the number of rows."""
    keys = [json_text(str(name)) + ": " for name in header]
    write = stream.write
    count = 0
    for row in rows:
        write(("{" + ", ".join(map(add, keys, map(json_text, row))) + "}\n").encode("utf-8"))
        count += 1
    return count
