"""Python-side column defaults on the driver path (`native` mode).

The ORM's statements fill a column the row leaves out from its `default=` (on INSERT) or
`onupdate=` (on UPDATE), calling a function once per row. The driver writers send fixed
column lists, so `WithDefaults` adds those columns and computes their values the same way
before handing the rows on; an empty cell of a column with a default takes the default on
insert, as the ORM leaves a None attribute out. Scalars and functions of no arguments are
honoured; a function of the statement's context, a Sequence or a SQL expression only the
ORM can evaluate, so a model with one is not written natively.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy import Column, Connection, Table

ValueMaker = Callable[[], Any]


class RowWriter(Protocol):
    def insert(self, connection: Connection, rows: list[tuple[Any, ...]], with_id: bool) -> None: ...

    def update(self, connection: Connection, rows: list[tuple[Any, ...]]) -> None: ...


def python_value(default: Any) -> ValueMaker | None:
    """How the driver path makes a `default`/`onupdate`'s value, if it can without a statement."""
    if default is None:
        return None
    if default.is_scalar:
        value = default.arg
        return lambda: value
    if default.is_callable and hasattr(default.arg, "__wrapped__"):  # SQLAlchemy wrapped a no-argument function
        function = default.arg
        return lambda: function(None)
    return None


def driver_can_apply(column: Column[Any]) -> bool:
    """Whether the driver path applies the column's Python-side default and onupdate."""
    return all(d is None or python_value(d) is not None for d in (column.default, column.onupdate))


def has_python_defaults(table: Table, primary_key: str) -> bool:
    return any((c.default is not None or c.onupdate is not None) and c.name != primary_key for c in table.columns)


class WithDefaults:
    """A driver writer's rows, with the Python-side defaults the ORM would have applied."""

    def __init__(self, make: Callable[[Sequence[str]], RowWriter], table: Table, columns: Sequence[str],
                 primary_key: str) -> None:
        self._width = len(columns)
        self._fill = [(i, maker) for i, name in enumerate(columns)
                      if (maker := python_value(table.c[name].default)) is not None]
        others = [c for c in table.columns if c.name not in columns and c.name != primary_key]
        added = [(c.name, maker) for c in others if (maker := python_value(c.default)) is not None]
        stamped = [(c.name, maker) for c in others if (maker := python_value(c.onupdate)) is not None]
        self._added = [maker for _, maker in added]
        self._stamped = [maker for _, maker in stamped]
        self._insert = make([*columns, *(name for name, _ in added)])
        self._update = make([*columns, *(name for name, _ in stamped)])

    def insert(self, connection: Connection, rows: list[tuple[Any, ...]], with_id: bool) -> None:
        if not rows:
            return
        width, fill, added = self._width, self._fill, self._added
        out = []
        for row in rows:
            values = list(row[:width])
            for index, maker in fill:
                if values[index] is None:
                    values[index] = maker()
            values += [maker() for maker in added]
            if with_id:
                values.append(row[width])
            out.append(tuple(values))
        self._insert.insert(connection, out, with_id)

    def update(self, connection: Connection, rows: list[tuple[Any, ...]]) -> None:
        """`rows` are (*values, primary key); each gets its onupdate values before the key."""
        if rows:
            width, stamped = self._width, self._stamped
            self._update.update(connection, [(*row[:width], *(m() for m in stamped), row[width]) for row in rows])
