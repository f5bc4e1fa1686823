"""Write modes, and which one a mapped class allows.

`objects` is the reference: rows become instances of the mapped class (its `__init__`,
`@validates`, attribute events, defaults, type decorators and mapper events all run),
added to the session and flushed per chunk. `bulk` sends ORM-enabled `insert(Model)` /
`update(Model)` statements with one dict per row: defaults and type decorators apply, but
no instance is made, so validators, constructors, attribute and mapper events do not run.
`native` writes tuples straight through the driver (COPY, executemany, multi-row upsert),
with the bind processing of the model's own column types (type decorators included) and
the Python-side defaults it can compute without a statement (`etl.load.defaults`), but
nothing of the instance.

`behaviours` lists what a class defines that some mode would skip; `choose_mode` picks the
fastest mode that skips none of it, and refuses a requested mode that would.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Column, Table
from sqlalchemy.orm import Mapper

from etl.errors import UsageError
from etl.load.defaults import driver_can_apply

WriteMode = Literal["objects", "bulk", "native"]
WRITE_MODES: tuple[str, ...] = ("auto", "objects", "bulk", "native")
FASTEST_FIRST: tuple[WriteMode, ...] = ("native", "bulk", "objects")

_MAPPER_EVENTS = ("before_insert", "after_insert", "before_update", "after_update")


@dataclass(frozen=True)
class Behaviour:
    """Something a mapped class does on write, and the modes that honour it."""

    what: str
    modes: frozenset[WriteMode]


@dataclass(frozen=True)
class ModeChoice:
    mode: WriteMode
    why: str

    def describe(self) -> str:
        return f"{self.mode}: {self.why}"


def behaviours(mapper: Mapper[Any], columns: Iterable[str] = ()) -> list[Behaviour]:
    """What the class does on write beyond storing the values (the written `columns`, by
    column name, decide whether a type decorator matters)."""
    found: list[Behaviour] = []
    objects_only: frozenset[WriteMode] = frozenset({"objects"})
    for name in mapper.validators:
        found.append(Behaviour(f"@validates({name!r})", objects_only))
    for event in flush_events(mapper):
        found.append(Behaviour(f"a {event} mapper event", objects_only))
    if _own_listeners(mapper.class_manager.dispatch.init):
        found.append(Behaviour("an init event", objects_only))
    init = mapper.class_manager.original_init
    if not getattr(init, "__module__", "").startswith("sqlalchemy."):
        found.append(Behaviour(f"its own {mapper.class_.__name__}.__init__", objects_only))
    for attribute in mapper.column_attrs:
        listeners = getattr(mapper.class_manager[attribute.key].dispatch, "set")
        validated = attribute.key in mapper.validators
        if not validated and _own_listeners(listeners):
            found.append(Behaviour(f"a set event on {attribute.key!r}", objects_only))
    written = set(columns)
    table = mapper.local_table
    assert isinstance(table, Table)
    for column in table.columns:
        found.extend(_column_behaviours(column, column.name in written))
    return found


def flush_events(mapper: Mapper[Any]) -> list[str]:
    """The mapper events (before_insert, …) the application listens to on this class."""
    return [event for event in _MAPPER_EVENTS if _own_listeners(getattr(mapper.dispatch, event))]


def _column_behaviours(column: Column[Any], written: bool) -> list[Behaviour]:
    """Defaults the ORM applies and the driver path does not: Python-side ones, and for a
    column the file gives, the ORM's leaving out an empty cell so the default fills it."""
    found = []
    orm_only: frozenset[WriteMode] = frozenset({"objects", "bulk"})
    every_mode: frozenset[WriteMode] = frozenset({"objects", "bulk", "native"})
    applied = every_mode if driver_can_apply(column) else orm_only
    if column.default is not None and not column.primary_key:
        found.append(Behaviour(f"a Python-side default on {column.name!r}", applied))
    elif written and column.server_default is not None:
        found.append(Behaviour(f"a server default on {column.name!r} for empty cells", orm_only))
    if column.onupdate is not None:
        found.append(Behaviour(f"a Python-side onupdate on {column.name!r}", applied))
    return found


def _own_listeners(collection: Any) -> list[Any]:
    """Listeners an application registered (SQLAlchemy's own bookkeeping ones aside)."""
    return [fn for fn in collection if _registered_by_application(fn)]


def _registered_by_application(fn: Any, depth: int = 0) -> bool:
    """SQLAlchemy wraps some listeners (mapper events with `retval`, `propagate`) in a
    function of its own; the application's function is then in the wrapper's closure."""
    if not getattr(fn, "__module__", "").startswith("sqlalchemy."):
        return True
    if depth > 3:
        return False
    cells = getattr(fn, "__closure__", None) or ()
    for cell in cells:
        inner = cell.cell_contents
        if callable(inner) and getattr(inner, "__code__", None) is not None \
                and _registered_by_application(inner, depth + 1):
            return True
    return False


def choose_mode(asked: str, found: Sequence[Behaviour]) -> ModeChoice:
    """The mode to write with: `asked`, checked against what the class does, or for `auto`
    the fastest mode that honours all of it."""
    if asked not in WRITE_MODES:
        raise UsageError(f"--write-mode must be one of {', '.join(WRITE_MODES)}, not {asked!r}")
    if asked != "auto":
        skipped = [b.what for b in found if asked not in b.modes]
        if skipped:
            raise UsageError(
                f"--write-mode {asked} would skip what the model does: {', '.join(skipped)}; "
                f"use --write-mode {_fastest(found).mode} (or auto)")
        return ModeChoice(asked, "asked for")  # type: ignore[arg-type]
    return _fastest(found)


def _fastest(found: Sequence[Behaviour]) -> ModeChoice:
    for mode in FASTEST_FIRST:
        if all(mode in b.modes for b in found):
            if not found:
                return ModeChoice(mode, "nothing in the model for the driver to skip")
            return ModeChoice(mode, "the model defines " + ", ".join(b.what for b in found))
    raise AssertionError("objects mode honours everything")
