"""The problem type every stage reports with: a row, a column, a value and a reason."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from etl.printable import printable

@dataclass(frozen=True, slots=True)
class RowError:
    """One problem: the row a person sees (None for the whole file), the column, the value."""

    row: int | None
    column: str | None
    value: str | None
    message: str

    def describe(self, path: Path | str, kind: str = "") -> str:
        """`path:row:column: message (value 'x')`, leaving out what is unknown; `kind`
        (`warning`) goes before the message. Text from the file (path, header cell, value)
        is printed with control characters escaped, so the message stays one line and
        nothing reaches the terminal raw."""
        where = ":".join(printable(str(part)) for part in (path, self.row, self.column) if part is not None)
        value = f" (value {printable(repr(self.value))})" if self.value not in (None, "") else ""
        label = f"{kind}: " if kind else ""
        return f"{where}: {label}{printable(self.message)}{value}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
