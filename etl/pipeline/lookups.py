"""Lookups: a file names a row of another table (a group by name); the row gets its value (id).

The lookup table is read once per file, inside the file's transaction, into a map keyed by
the folded name (case, accents and repeated spaces ignored), so resolving is a dict access,
never a query per row. Unknown names are created (counted) unless the pipeline says reject;
either way a name close to an existing one (`Amigso` beside `Amigos`) gets a "did you mean".

A name that is not in the table resolves to a `NewLookup` placeholder: the row is only
created (`LookupResolver.create`) when the loader writes a row that names it, so a row
rejected later (a repeated key, `--max-errors`) never leaves a new group behind.

Creating is serialised through the database, so concurrent imports (even on other hosts)
never create the same name twice: PostgreSQL locks the lookup table against other writers
at the first creation and re-reads it; MariaDB/MySQL lock etl's `lookups` lock row from the
start of the file (gap locks on the lookup table would not exclude each other, and locking
later could deadlock against the foreign-key share locks of rows already written) and then
read the table with a locking read, which sees what others committed; SQLite's import
transaction holds the database's write lock already.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, String, Table, insert, select, text

from etl.errors import ConfigError
from etl.models import LOOKUPS_LOCK, Lock
from etl.pipeline.convert import Problem
from etl.pipeline.definition import Lookup
from etl.pipeline.suggest import closest
from etl.pipeline.target import reflect_table

_SPACES = re.compile(r"\s+")


def fold_name(text: str) -> str:
    """The form two names are compared in: `Compañeros ` and `companeros` fold alike."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", bare.casefold()).strip()


class NewLookup:
    """A lookup name the table does not have yet: the value of a row until the loader writes
    the row and creates the lookup row (then `value` is its id). Equal by folded name, so two
    rows of a chunk naming one new group share a key; `repr` is stable for key hashing."""

    __slots__ = ("name", "folded", "resolver", "value")

    def __init__(self, name: str, folded: str, resolver: LookupResolver) -> None:
        self.name = name
        self.folded = folded
        self.resolver = resolver
        self.value: Any = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NewLookup) and other.folded == self.folded and other.resolver is self.resolver

    def __hash__(self) -> int:
        return hash(("new lookup", self.folded))

    def __repr__(self) -> str:
        return f"NewLookup({self.resolver.lookup.table!r}, {self.folded!r})"

    def __str__(self) -> str:
        return self.name


RowInserter = Callable[[Table, dict[str, Any]], Any]
"""Writes one new lookup row and returns its value column (the loader's ORM modes pass one
that adds a mapped object to the session)."""


class LookupResolver:
    """Resolves names (and checks given values) against one lookup table."""

    def __init__(self, connection: Connection, lookup: Lookup) -> None:
        self.lookup = lookup
        self.created = 0
        self._connection = connection
        self._table = reflect_table(connection, lookup.table)
        for name in (lookup.match, lookup.value, *lookup.create_defaults):
            if name not in self._table.c:
                raise ConfigError(f"lookup table {lookup.table!r} has no column {name!r}")
        match_type = self._table.c[lookup.match].type
        self._max_length = match_type.length if isinstance(match_type, String) else None
        self._by_name: dict[str, list[Any]] = {}
        self._shown: dict[str, str] = {}
        """Folded name → the name as the table writes it, for "did you mean"."""
        self.suggestions: list[tuple[str, str]] = []
        """(new name, the existing name it is close to) for each new name near one (a row to
        create when a row naming it is written); the importer turns them into warnings and
        empties the list."""
        self._as_written: dict[str, Any] = {}
        """Names exactly as files write them → value: folding is costly, and names repeat."""
        self._values: set[Any] = set()
        self._pending: dict[str, NewLookup] = {}
        self.insert_row: RowInserter = self._insert_core
        dialect = connection.dialect.name
        self._lock_before_creating = lookup.on_missing == "create" and dialect == "postgresql"
        lock_now = lookup.on_missing == "create" and dialect in ("mysql", "mariadb")
        if lock_now:
            connection.execute(select(Lock.name).where(Lock.name == LOOKUPS_LOCK).with_for_update())
        self._read_table(for_update=lock_now)

    def _read_table(self, for_update: bool = False) -> None:
        query = select(self._table.c[self.lookup.value], self._table.c[self.lookup.match])
        if for_update:
            query = query.with_for_update()
        self._by_name.clear()
        for value, name in self._connection.execute(query):
            self._values.add(value)
            if name is not None:
                folded = fold_name(str(name))
                self._by_name.setdefault(folded, []).append(value)
                self._shown.setdefault(folded, str(name))

    def _lock_for_creating(self) -> None:
        """PostgreSQL: block other writers of the lookup table until this file commits, then
        see the names they committed meanwhile."""
        self._lock_before_creating = False
        table = self._connection.dialect.identifier_preparer.format_table(self._table)
        self._connection.execute(text(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))
        self._read_table()

    def resolve(self, name: str, create: bool = True) -> Any:
        """The value for `name`, or a `NewLookup` to create when a row naming it is written
        (None when not `create`: a row rejected already needs no placeholder)."""
        known = self._as_written.get(name)
        if known is not None:
            return known
        value = self._resolve(name, create)
        if value is not None and not isinstance(value, NewLookup):
            self._as_written[name] = value
        return value

    def _resolve(self, name: str, create: bool) -> Any:
        found = self._by_name.get(fold_name(name))
        if found is not None:
            if len(found) > 1:
                listing = ", ".join(str(v) for v in sorted(found))
                raise Problem(
                    f"matches {len(found)} rows of {self.lookup.table} ({self.lookup.value} {listing}); "
                    f"give the {self.lookup.value} instead"
                )
            return found[0]
        if self.lookup.on_missing == "reject":
            near = self._near(name)
            hint = f"; did you mean {near!r}?" if near is not None else ""
            raise Problem(f"no {self.lookup.table} row named like this{hint}")
        if not create:
            return None
        if self._max_length is not None and len(name) > self._max_length:
            raise Problem(
                f"a new {self.lookup.table} name can be at most {self._max_length} characters"
            )
        folded = fold_name(name)
        pending = self._pending.get(folded)
        if pending is None:
            pending = self._pending[folded] = NewLookup(name, folded, self)
            near = self._near(name)
            if near is not None:
                self.suggestions.append((name, near))
            self._shown.setdefault(folded, name)  # a later row's near miss of a new name is told too
        return pending

    def _near(self, name: str) -> str | None:
        return closest(name, self._shown, fold_name)

    def check_value(self, value: Any) -> Any:
        """A value given directly (a `grupo_id`) must exist in the lookup table."""
        if value not in self._values:
            raise Problem(f"no {self.lookup.table} row has {self.lookup.value} {value}")
        return value

    def create(self, new: NewLookup) -> Any:
        """Write the row a placeholder stands for (once), and give its value."""
        if new.value is not None:
            return new.value
        if self._lock_before_creating:
            self._lock_for_creating()
        found = self._by_name.get(new.folded)
        if found is not None:  # another import committed it before the lock was taken
            new.value = found[0]
            self._as_written[new.name] = new.value
            self._pending.pop(new.folded, None)
            return new.value
        row = {**self.lookup.create_defaults, self.lookup.match: new.name}
        value = self.insert_row(self._table, row)
        self._by_name[new.folded] = [value]
        self._shown.setdefault(new.folded, new.name)
        self._values.add(value)
        self._as_written[new.name] = value
        self._pending.pop(new.folded, None)
        self.created += 1
        new.value = value
        return value

    @property
    def table(self) -> Table:
        return self._table

    @property
    def has_pending(self) -> bool:
        """Whether a name resolved to a row still to create."""
        return bool(self._pending)

    def _insert_core(self, table: Table, row: dict[str, Any]) -> Any:
        """A Core INSERT on the file's connection; the value is given or the new primary key."""
        result = self._connection.execute(insert(table).values(row))
        if self.lookup.value in row:
            return row[self.lookup.value]
        key = result.inserted_primary_key
        assert key is not None  # a one-row INSERT has one
        return key[0]

