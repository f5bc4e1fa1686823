"""Writing one file's rows: key matching a chunk at a time, inside the file's one transaction.

Per chunk: reject keys repeated inside the file, find the table rows the chunk's keys match
(one query by primary key per chunk, no per-row queries), then write new rows and changed
rows with one executemany each. Matching works on tables without any index: the table's
existing keys are read once per file into a compact hash index (see `etl.load.keys`),
and each proposed match is confirmed on the real values.

The write itself is a strategy chosen per mapped class (`etl.load.strategy`): instances
in the session (`objects`), ORM bulk statements (`bulk`), or per dialect the driver's
fastest path (`native`: PostgreSQL COPY, MariaDB multi-row upserts, executemany
elsewhere); matching does not depend on it. In `objects` mode each good row is first built
as an instance, so keys are matched and rows compared on the values the model stores.

A name a lookup does not know yet is a `NewLookup` in the planned rows; `apply` creates it
(a `Group` object in `objects` mode) only for the rows it writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import func, inspect, literal, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from etl.db import error_reason
from etl.errors import EtlError
from etl.load.existing import ExistingRowReader
from etl.pipeline.definition import Pipeline
from etl.load.keys import ExistingKeys, SeenKeys, key_hasher
from etl.load.modes import ModeChoice
from etl.load.orm_writers import ObjectsWriter
from etl.load.strategy import lookup_class, mapping_for, writer
from etl.pipeline.mapped import attribute_names
from etl.pipeline.lookups import LookupResolver, NewLookup
from etl.pipeline.row_errors import RowError
from etl.pipeline.rows import Unconverted
from etl.pipeline.target import Target

from etl.load.existing import IN_LIST_LIMIT


class ChunkWriteError(EtlError):
    """The database refused a chunk; the message names the chunk's rows."""


@dataclass
class ChunkPlan:
    """What to do with one chunk's accepted rows."""

    numbers: list[int] = field(default_factory=list)
    inserts: list[tuple[Any, ...]] = field(default_factory=list)
    inserts_with_id: list[tuple[Any, ...]] = field(default_factory=list)
    updates: list[tuple[Any, ...]] = field(default_factory=list)
    unchanged: int = 0


@dataclass
class Counts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


class Loader:
    """Matches and writes the chunks of one file through one session (one transaction).
    Use it as a context manager: leaving it deletes the temporary files of the file's keys."""

    def __init__(
        self,
        session: Session,
        pipeline: Pipeline,
        target: Target,
        columns: Sequence[str],
        has_id: bool,
        *,
        write_mode: str = "auto",
        labels: dict[str, str] | None = None,
        resolvers: dict[str, LookupResolver] | None = None,
    ) -> None:
        self.session = session
        self.counts = Counts()
        self._target = target
        self._table = target.table
        self._pk = self._table.c[target.primary_key]
        self._columns = list(columns)
        self._has_id = has_id
        self._key_names = list(pipeline.key)
        self._can_match_key = all(name in self._columns for name in self._key_names)
        kinds = [pipeline.column(name).kind for name in self._key_names]
        self._hash_key = key_hasher(kinds)
        if self._can_match_key:
            positions = [self._columns.index(name) for name in self._key_names]
            self._key_of = _key_getter(positions)
        self._id_position = len(self._columns)
        self._id_of = itemgetter(self._id_position)
        self._seen_keys = SeenKeys()
        self._seen_ids = SeenKeys()
        self._existing: ExistingKeys | None = None
        connection = session.connection()
        self._table_was_empty = connection.execute(
            select(literal(1)).select_from(self._table).limit(1)
        ).first() is None
        mapping = mapping_for(pipeline, self._table, write_mode)
        self.write_mode: ModeChoice = mapping.choice
        self._writer = writer(session, mapping, pipeline, self._columns, target.primary_key, labels or {}, has_id)
        self._objects = self._writer if isinstance(self._writer, ObjectsWriter) else None
        self._reader = ExistingRowReader(connection.dialect, mapping.table, self._columns, target.primary_key)
        self._resolvers = [(self._columns.index(name), resolver) for name, resolver in (resolvers or {}).items()
                           if name in self._columns]
        if self._objects is not None:
            for _, resolver in self._resolvers:
                _insert_as_objects(session, mapping.mapper.class_, resolver)
        self._explicit_ids = False
        self._generated_ids = False

    def __enter__(self) -> Loader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop the key indexes (the file's seen keys may be in temporary files)."""
        self._seen_keys.close()
        self._seen_ids.close()
        self._existing = None

    def plan(
        self, numbers: Sequence[int], rows: Sequence[tuple[Any, ...] | None], bad: Set[int] = frozenset()
    ) -> tuple[ChunkPlan, list[RowError]]:
        """Decide insert / update / unchanged for each good row. Repeated or ambiguous keys are
        errors. Rows numbered in `bad` are already rejected: their (partial) values only take
        part in finding repeated keys, so two bad rows with one key are reported too."""
        errors: list[RowError] = []
        if self._objects is not None:
            rows, refused = self._objects.normalise(numbers, rows, bad)
            if refused:
                errors.extend(refused)
                bad = {*bad, *(error.row for error in refused if error.row is not None)}
        by_id, by_key, id_values = self._split(rows, bad)
        self._reject_repeated_ids(by_id, numbers, rows, errors, id_values)
        hashes = self._reject_repeated_keys(by_key, numbers, rows, errors)
        if errors or bad:
            bad = {*bad, *(error.row for error in errors if error.row is not None)}
            keep = [i for i, p in enumerate(by_key) if numbers[p] not in bad]
            by_key, hashes = [by_key[i] for i in keep], [hashes[i] for i in keep]
            by_id = [p for p in by_id if numbers[p] not in bad]
        # Only the positions of rows that are there (not None) are left in by_id and by_key.
        present = cast(Sequence[tuple[Any, ...]], rows)
        plan = ChunkPlan()
        everything = len(by_key) == len(rows)
        all_ids = len(by_id) == len(rows)
        plan.numbers = list(numbers) if everything or all_ids else [numbers[p] for p in (*by_id, *by_key)]
        if (not by_id or self._ids_are_new()) and (self._table_was_empty or not by_key):
            self._plan_new(plan, present, by_id, by_key)
        else:
            self._plan_matched(plan, present, numbers, by_id, by_key, hashes, errors)
        return plan, errors

    def _split(self, rows: Sequence[tuple[Any, ...] | None], bad: Set[int]
               ) -> tuple[list[int], list[int], list[Any] | None]:
        """Positions of the rows that name their id, and of those matched by key; with the
        ids of every row when all of them have one (the usual chunk of a re-import)."""
        width = len(self._columns)
        by_id: list[int] = []
        by_key: list[int] = []
        id_values: list[Any] | None = None
        if self._has_id and not bad and None not in rows:  # the usual chunk: all good, all with ids
            id_values = list(map(self._id_of, rows))  # type: ignore[arg-type]
            if None in id_values:
                id_values = None
            else:
                by_id = list(range(len(rows)))
        if self._has_id and id_values is None:
            for position, row in enumerate(rows):
                if row is None:
                    continue
                if row[width] is None:
                    by_key.append(position)
                elif not isinstance(row[width], Unconverted):
                    by_id.append(position)
        elif not self._has_id:
            by_key = [p for p, row in enumerate(rows) if row is not None]
        return by_id, by_key, id_values

    def _plan_new(self, plan: ChunkPlan, present: Sequence[tuple[Any, ...]], by_id: list[int],
                  by_key: list[int]) -> None:
        """Every row is an insert: nothing in the table can match it."""
        width = len(self._columns)
        if self._has_id:
            plan.inserts = [present[p][:width] for p in by_key]
            plan.inserts_with_id = list(present) if len(by_id) == len(present) else [present[p] for p in by_id]
        else:
            plan.inserts = list(present) if len(by_key) == len(present) else [present[p] for p in by_key]

    def _plan_matched(self, plan: ChunkPlan, present: Sequence[tuple[Any, ...]], numbers: Sequence[int],
                      by_id: list[int], by_key: list[int], hashes: list[int], errors: list[RowError]) -> None:
        """Read the table rows the chunk's ids and keys may match (one query), and decide."""
        width = len(self._columns)
        candidates = self._key_candidates(hashes)
        wanted = {present[p][width] for p in by_id}
        for ids in candidates:
            if type(ids) is list:
                wanted.update(ids)
            elif ids is not None:
                wanted.add(ids)
        existing = self._reader.by_ids(self.session.connection(), sorted(wanted), IN_LIST_LIMIT)
        for position in by_id:
            row = present[position]
            self._decide(plan, row[:width], row[width], existing.get(row[width]))
        key_of = self._key_of
        for position, ids in zip(by_key, candidates):
            row = present[position][:width] if self._has_id else present[position]
            if ids is None:
                plan.inserts.append(row)
                continue
            key = key_of(row)
            if type(ids) is not list:  # the usual case, kept lean: one candidate
                current = existing.get(ids)
                stored = current[1:] if current is not None else None
                if stored is None or key_of(stored) != key:
                    plan.inserts.append(row)
                elif stored == row:
                    plan.unchanged += 1
                else:
                    plan.updates.append((*row, ids))
                continue
            matches = [i for i in ids if i in existing and key_of(existing[i][1:]) == key]
            if len(matches) > 1:
                listing = ", ".join(map(str, sorted(matches)))
                errors.append(RowError(numbers[position], ", ".join(self._key_names), _show(key),
                                       f"matches {len(matches)} rows of {self._table.name} (id {listing}); "
                                       "add an id column to say which one"))
                plan.numbers.remove(numbers[position])
                continue
            self._decide(plan, row, None, existing[matches[0]] if matches else None)

    def apply(self, plan: ChunkPlan) -> None:
        """Write a planned chunk, flush, and clear the session so memory stays flat."""
        connection = self.session.connection()
        try:
            if self._resolvers:
                self._create_lookups(plan)
            self._writer.insert(connection, plan.inserts, with_id=False)
            self._writer.insert(connection, plan.inserts_with_id, with_id=True)
            self._writer.update(connection, plan.updates)
            self.session.flush()
        except SQLAlchemyError as err:
            reason = error_reason(err)
            rows = f"rows {min(plan.numbers)}-{max(plan.numbers)}" if plan.numbers else "a chunk"
            raise ChunkWriteError(f"the database refused {rows}: {reason}") from err
        self.session.expunge_all()
        self._explicit_ids = self._explicit_ids or bool(plan.inserts_with_id)
        self._generated_ids = self._generated_ids or bool(plan.inserts)
        self.counts.inserted += len(plan.inserts) + len(plan.inserts_with_id)
        self.counts.updated += len(plan.updates)
        self.counts.unchanged += plan.unchanged

    def _create_lookups(self, plan: ChunkPlan) -> None:
        """Create the new lookup rows the planned rows name, in file order; outside objects
        mode, put their values in the rows (an object takes them when it is added)."""
        for position, resolver in self._resolvers:
            if not resolver.has_pending:
                continue
            for rows in (plan.inserts, plan.inserts_with_id, plan.updates):
                for index, row in enumerate(rows):
                    value = row[position]
                    if type(value) is NewLookup:
                        resolver.create(value)
                        if self._objects is None:
                            rows[index] = (*row[:position], value.value, *row[position + 1:])

    def finish(self) -> None:
        """After explicit ids on PostgreSQL, move the id sequence past them (others follow by themselves)."""
        connection = self.session.connection()
        if not self._explicit_ids or connection.dialect.name != "postgresql":
            return
        names = {"t": self._table.name, "c": self._pk.name}
        sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"), names).scalar()
        if sequence is not None:
            highest = connection.execute(select(func.max(self._pk))).scalar()
            connection.execute(text("SELECT setval(:s, :v)"), {"s": sequence, "v": highest})

    def _ids_are_new(self) -> bool:
        """Whether no row with one of the file's ids can be in the table: it was empty when the
        transaction began and every row written since carried its id from the file, so (ids
        repeated in the file being rejected first) an id row can only be an insert. A row
        written without an id takes a generated id that a later row of the file may name."""
        return self._table_was_empty and not self._generated_ids

    def _decide(self, plan: ChunkPlan, values: tuple[Any, ...], ident: Any,
                current: tuple[Any, ...] | None) -> None:
        if current is None:
            if ident is None:
                plan.inserts.append(values)
            else:
                plan.inserts_with_id.append((*values, ident))
        elif current[1:] == values:
            plan.unchanged += 1
        else:
            plan.updates.append((*values, current[0]))

    def _reject_repeated_ids(self, positions: list[int], numbers: Sequence[int], rows: Sequence[Any],
                             errors: list[RowError], ids: list[Any] | None = None) -> None:
        """`ids`, when given, are the ids of all of `rows` (then `positions` is every row)."""
        if ids is None:
            values = [rows[p][self._id_position] for p in positions]
            repeats = self._seen_ids.check_and_add(values, [numbers[p] for p in positions])
        else:
            values = ids
            repeats = self._seen_ids.check_and_add(values, numbers)
        for index, first in repeats.items():
            errors.append(RowError(numbers[positions[index]], self._pk.name, str(values[index]),
                                   f"the same {self._pk.name} as row {first}"))

    def _reject_repeated_keys(self, positions: list[int], numbers: Sequence[int],
                              rows: Sequence[Any], errors: list[RowError]) -> list[int]:
        """Report rows whose key appeared earlier in the file; returns the rows' key hashes.
        Bad rows take part too, their key as written where it could not be converted."""
        if not self._can_match_key:
            missing = ", ".join(n for n in self._key_names if n not in self._columns)
            for p in positions:
                errors.append(RowError(numbers[p], self._pk.name, None,
                                       f"no id, and the file has no {missing} column to match the row on"))
            return [0] * len(positions)
        everything = len(positions) == len(rows)
        keys = list(map(self._key_of, rows if everything else [rows[p] for p in positions]))
        hashes = list(map(self._hash_key, keys))
        repeats = self._seen_keys.check_and_add(hashes, numbers if everything else [numbers[p] for p in positions])
        label = ", ".join(self._key_names)
        for index, first in repeats.items():
            errors.append(RowError(numbers[positions[index]], label, _show(keys[index]),
                                   f"the same {label} as row {first}"))
        return hashes

    def _key_candidates(self, hashes: list[int]) -> list[Any]:
        if not hashes or self._table_was_empty:
            return [None] * len(hashes)
        if self._existing is None:
            batches = self._reader.keys(self.session.connection(), self._key_names)
            self._existing = ExistingKeys(batches, self._hash_key)
        return self._existing.candidates(hashes)


def _key_getter(positions: list[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """A row's key, always as a tuple (the same shape as keys read back from the table)."""
    if len(positions) > 1:
        return itemgetter(*positions)
    position = positions[0]
    return lambda row: (row[position],)


def _show(key: tuple[Any, ...]) -> str:
    return " / ".join("" if v is None else str(v) for v in key)


def _insert_as_objects(session: Session, cls: type[Any], resolver: LookupResolver) -> None:
    """Make the resolver create its rows as mapped objects (a `Group`) in the session."""
    lookup = resolver.lookup
    lookup_cls = lookup_class(cls, _fk_column(cls, lookup.table), lookup.table)
    if lookup_cls is None:
        return
    attributes = attribute_names(inspect(lookup_cls))
    value_attribute = attributes[lookup.value]

    def insert_row(table: Any, row: dict[str, Any]) -> Any:
        instance = lookup_cls(**{attributes[name]: value for name, value in row.items()})
        session.add(instance)
        session.flush()  # only lookup objects are pending here: rows are added after
        return getattr(instance, value_attribute)

    resolver.insert_row = insert_row


def _fk_column(cls: type[Any], table: str) -> str:
    """The model's column that references `table` (for finding its relationship)."""
    for fk in inspect(cls).local_table.foreign_keys:
        if fk.column.table.name == table:
            return str(fk.parent.name)
    return ""
