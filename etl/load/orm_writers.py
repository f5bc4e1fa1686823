"""The ORM write strategies: `objects` (instances of the mapped class in the session) and
`bulk` (ORM-enabled INSERT/UPDATE statements with one dict per row).

Both take the loader's planned tuples (values in `columns` order, then the primary key)
and write them in the session; the loader flushes and clears the session after each chunk.
Values go in by attribute name, which may differ from the column name.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.orm import Mapper, Session

from etl.load.existing import IN_LIST_LIMIT
from etl.pipeline.lookups import NewLookup
from etl.pipeline.row_errors import RowError


class BulkWriter:
    """`session.execute(insert(Model), dicts)` and `update(Model)` by primary key: the ORM's
    bulk path, which applies Python-side defaults and type decorators but makes no instance.
    As the ORM does for an object, an empty cell of a column with a default is left out, so
    the default fills it."""

    def __init__(self, session: Session, mapper: Mapper[Any], columns: Sequence[str], primary_key: str,
                 attributes: dict[str, str]) -> None:
        self._session = session
        self._class = mapper.class_
        self._names = [attributes[c] for c in columns]
        self._with_id = [*self._names, attributes[primary_key]]
        table = mapper.local_table
        self._defaulted = frozenset(
            attributes[c] for c in columns
            if table.c[c].default is not None or table.c[c].server_default is not None)

    def insert(self, connection: Connection, rows: list[tuple[Any, ...]], with_id: bool) -> None:
        if not rows:
            return
        names = self._with_id if with_id else self._names
        defaulted = self._defaulted
        dicts = [{n: v for n, v in zip(names, row) if v is not None or n not in defaulted} for row in rows]
        self._session.execute(insert(self._class), dicts)

    def update(self, connection: Connection, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self._session.execute(update(self._class), [dict(zip(self._with_id, row)) for row in rows])


class ObjectsWriter:
    """Rows as instances of the mapped class: the reference semantics.

    `normalise` builds each good row's instance before the loader matches keys, so
    validators decide the values that are compared ("unchanged" is judged on what the model
    would store) and a validator's ValueError/TypeError is the row's error. The instance is
    kept for the insert; an update sets the new values on the stored object, so validators
    run again there on values they produced (they should give them back unchanged).

    New instances are added to the session and flushed by its unit of work when the class
    listens to its flush (mapper events) or an instance holds a related object; otherwise
    their column values go out in one ORM bulk INSERT per chunk, which stores the same rows
    (defaults and type decorators apply alike) without the identity map's bookkeeping, the
    larger part of a naive `add_all` + `flush`."""

    def __init__(self, session: Session, mapper: Mapper[Any], columns: Sequence[str], primary_key: str,
                 attributes: dict[str, str], labels: dict[str, str], has_id: bool) -> None:
        self._session = session
        self._mapper = mapper
        self._class = mapper.class_
        self._names = [attributes[c] for c in columns]
        self._pk_name = attributes[primary_key]
        self._pk = getattr(self._class, self._pk_name)
        self._labels = [labels.get(c, c) for c in columns]
        self._has_id = has_id
        self._width = len(columns)
        self._built: dict[tuple[Any, ...], Any] = {}
        self._unit_of_work = _has_flush_events(mapper)
        self._column_keys = [prop.key for prop in mapper.column_attrs]
        self._relationship_keys = frozenset(r.key for r in mapper.relationships)

    def normalise(self, numbers: Sequence[int], rows: Sequence[tuple[Any, ...] | None],
                  bad: Set[int]) -> tuple[list[tuple[Any, ...] | None], list[RowError]]:
        """Each good row as the instance's values (then its id, if the file has ids); rows
        the model refuses become errors."""
        out: list[tuple[Any, ...] | None] = []
        errors: list[RowError] = []
        self._built.clear()
        width = self._width
        for number, row in zip(numbers, rows):
            if row is None or number in bad:
                out.append(row)
                continue
            try:
                instance = self._build(row)
            except (ValueError, TypeError) as err:
                errors.append(self._explain(number, row, err))
                out.append(row)
                continue
            state = instance.__dict__  # what the validators stored: an unset attribute reads as None
            values = tuple(value if type(value) is NewLookup else state.get(name)
                           for name, value in zip(self._names, row))
            stored = (*values, row[width]) if self._has_id else values
            out.append(stored)
            self._remember(stored, instance)
        return out, errors

    def _build(self, row: tuple[Any, ...]) -> Any:
        kwargs = {name: value for name, value in zip(self._names, row)
                  if value is not None and type(value) is not NewLookup}
        return self._class(**kwargs)

    def _remember(self, row: tuple[Any, ...], instance: Any) -> None:
        try:
            self._built[row] = instance
        except TypeError:  # an unhashable value (a JSON object): built again at insert
            pass

    def _explain(self, number: int, row: tuple[Any, ...], err: Exception) -> RowError:
        """The error on the column whose attribute refuses its value, found by setting each
        on a bare instance (the whole row when the constructor itself refuses)."""
        probe = self._mapper.class_manager.new_instance()
        for name, label, value in zip(self._names, self._labels, row):
            if value is None or type(value) is NewLookup:
                continue
            try:
                setattr(probe, name, value)
            except (ValueError, TypeError) as own:
                return RowError(number, label, str(value), str(own) or type(own).__name__)
        return RowError(number, None, None, str(err) or type(err).__name__)

    def insert(self, connection: Connection, rows: list[tuple[Any, ...]], with_id: bool) -> None:
        if not rows:
            return
        instances = []
        for row in rows:
            key = row if with_id or not self._has_id else (*row, None)
            instance = self._built.pop(key, None) if _hashable(key) else None
            if instance is None:
                instance = self._build(row)
            self._set_new_lookups(instance, row)
            if with_id:
                setattr(instance, self._pk_name, row[self._width])
            instances.append(instance)
        if self._unit_of_work or any(self._relationship_keys & i.__dict__.keys() for i in instances):
            self._session.add_all(instances)
        else:
            self._session.execute(insert(self._class), [self._state_of(i) for i in instances])

    def _state_of(self, instance: Any) -> dict[str, Any]:
        """The column attributes an instance holds, as the unit of work would INSERT them: an
        attribute never set, or None, is left out so the column's default fills it."""
        state = instance.__dict__
        return {key: state[key] for key in self._column_keys if state.get(key) is not None}

    def _set_new_lookups(self, instance: Any, row: tuple[Any, ...]) -> None:
        for name, value in zip(self._names, row):
            if type(value) is NewLookup:
                setattr(instance, name, value.value)

    def update(self, connection: Connection, rows: list[tuple[Any, ...]]) -> None:
        """`rows` are (*values, primary key): set on the stored objects, loaded per batch."""
        width = self._width
        for start in range(0, len(rows), IN_LIST_LIMIT):
            batch = rows[start:start + IN_LIST_LIMIT]
            ids = [row[width] for row in batch]
            stored = {getattr(o, self._pk_name): o
                      for o in self._session.scalars(select(self._class).where(self._pk.in_(ids)))}
            for row in batch:
                instance = stored[row[width]]
                for name, value in zip(self._names, row):
                    if type(value) is NewLookup:
                        value = value.value
                    if getattr(instance, name) != value:
                        setattr(instance, name, value)


def _has_flush_events(mapper: Mapper[Any]) -> bool:
    """Whether the class listens to its flush (mapper events), so its instances must go
    through the session's unit of work; without them a built instance's values written by
    one ORM bulk INSERT per chunk are the same rows, without the identity map's cost."""
    from etl.load.modes import flush_events

    return bool(flush_events(mapper))


def _hashable(key: tuple[Any, ...]) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return True
