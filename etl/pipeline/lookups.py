"""Lookups: a file names a row of another table (a group by name); the row gets its value (id).

The lookup table is read once per file, inside the file's transaction, into a map keyed by
the folded name (case, accents and repeated spaces ignored), so resolving is a dict access,
never a query per row. Unknown names are created (counted) unless the pipeline says reject;
either way a name close to an existing one (`Amigso` beside `Amigos`) gets a "did you mean".

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
from typing import Any

from sqlalchemy import Connection, String, insert, select, text

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
        """(new name, the existing name it is close to) for each row created near one; the
        importer turns them into warnings and empties the list."""
        self._as_written: dict[str, Any] = {}
        """Names exactly as files write them → value: folding is costly, and names repeat."""
        self._values: set[Any] = set()
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
        """The value for `name`, creating the row when the lookup allows it (and `create`:
        a row rejected for another reason must not leave a new lookup row behind)."""
        known = self._as_written.get(name)
        if known is not None:
            return known
        value = self._resolve(name, create)
        if value is not None:
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
        if self._lock_before_creating:
            self._lock_for_creating()
            return self._resolve(name, create)
        return self._create(name)

    def _near(self, name: str) -> str | None:
        return closest(name, self._shown, fold_name)

    def check_value(self, value: Any) -> Any:
        """A value given directly (a `grupo_id`) must exist in the lookup table."""
        if value not in self._values:
            raise Problem(f"no {self.lookup.table} row has {self.lookup.value} {value}")
        return value

    def _create(self, name: str) -> Any:
        if self._max_length is not None and len(name) > self._max_length:
            raise Problem(
                f"a new {self.lookup.table} name can be at most {self._max_length} characters"
            )
        near = self._near(name)
        if near is not None:
            self.suggestions.append((name, near))
        row = {**self.lookup.create_defaults, self.lookup.match: name}
        result = self._connection.execute(insert(self._table).values(row))
        if self.lookup.value in row:
            value = row[self.lookup.value]
        else:
            key = result.inserted_primary_key
            assert key is not None  # a one-row INSERT has one
            value = key[0]
        self._by_name[fold_name(name)] = [value]
        self._shown.setdefault(fold_name(name), name)
        self._values.add(value)
        self.created += 1
        return value
