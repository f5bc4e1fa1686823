"""JSON Lines output: one object per row, keys from the header, dates in ISO 8601."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, BinaryIO


def write_jsonl(header: Sequence[str], rows: Iterable[Sequence[Any]], stream: BinaryIO) -> int:
    """Write one JSON object per row; returns the number of rows."""
    keys = list(header)
    encoder = json.JSONEncoder(ensure_ascii=False, default=_to_json)
    count = 0
    for row in rows:
        stream.write(encoder.encode(dict(zip(keys, row))).encode("utf-8") + b"\n")
        count += 1
    return count


def _to_json(value: Any) -> Any:
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    raise TypeError(f"cannot write a {type(value).__name__} value as JSON")
