"""The table a pipeline writes to, as the database really has it.

Built-in and foreign tables are treated alike: the table is reflected, so limits come from
the actual column types (a `telefono VARCHAR(11)` made by another program is enforced the
same as ours), and nothing requires an index or a foreign key.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Connection, DateTime, Integer, MetaData, SmallInteger, String, Table, Time
from sqlalchemy.exc import NoSuchTableError
from sqlalchemy.types import TypeDecorator

from etl.errors import ConfigError
from etl.pipeline.definition import Pipeline
from etl.pipeline.exact_types import use_exact_types

_INT_RANGES = (
    (SmallInteger, (-(2**15), 2**15 - 1)),
    (BigInteger, (-(2**63), 2**63 - 1)),
    (Integer, (-(2**31), 2**31 - 1)),
)


@dataclass(frozen=True)
class Target:
    """A reflected table plus what the engine needs to know about it."""

    table: Table
    primary_key: str
    filled: frozenset[str] = frozenset()
    """Columns the pipeline's own model fills when a file leaves them empty (a Python-side default)."""
    dialect: str = ""
    """The database's dialect name (`postgresql`, `mysql`, `sqlite`…)."""

    def max_length(self, column: str) -> int | None:
        """The length the column's type allows, if it has one."""
        sql_type = self.table.c[column].type
        return getattr(sql_type, "length", None) if isinstance(sql_type, String) else None

    def not_null(self, column: str) -> bool:
        """NOT NULL and nothing fills it in: the file must give it (as '' at least, for text)."""
        sql_column = self.table.c[column]
        return (not sql_column.nullable and sql_column.server_default is None and column != self.primary_key
                and column not in self.filled)

    def second_digits(self, column: str) -> int | None:
        """Digits of a second a time or date-time column keeps, when fewer than microseconds
        may be: MariaDB's TIME/DATETIME/TIMESTAMP(fsp) (bare: whole seconds) and PostgreSQL's
        TIME/TIMESTAMP(p). The database would cut or round the rest without a word."""
        sql_type = self.table.c[column].type
        if isinstance(sql_type, TypeDecorator):
            sql_type = sql_type.impl_instance
        if not isinstance(sql_type, (Time, DateTime)):
            return None
        if hasattr(sql_type, "fsp"):  # MariaDB/MySQL
            return int(getattr(sql_type, "fsp") or 0)
        precision = getattr(sql_type, "precision", None)  # PostgreSQL; None is its default, 6
        return int(precision) if isinstance(precision, int) else None

    def int_range(self, column: str) -> tuple[int, int] | None:
        """The range of an integer column's type (SQLite stores any; the others refuse)."""
        sql_type = self.table.c[column].type
        for kind, bounds in _INT_RANGES:
            if isinstance(sql_type, kind):
                return bounds
        return None


def reflect_table(connection: Connection, name: str) -> Table:
    """The table `name` as the database has it; a ConfigError if it does not exist."""
    try:
        return Table(name, MetaData(), autoload_with=connection)
    except NoSuchTableError:
        raise ConfigError(f"table {name!r} does not exist in the database") from None


def reflect_target(connection: Connection, pipeline: Pipeline) -> Target:
    """Reflect the pipeline's table and check that every column it names is there."""
    try:
        table = reflect_table(connection, pipeline.table)
    except ConfigError as err:
        from etl.pipeline.tables import missing_table_hint

        raise ConfigError(f"pipeline {pipeline.name!r}: {err}; {missing_table_hint(pipeline)}") from None
    missing = [c.name for c in pipeline.columns if c.name not in table.c]
    if missing:
        raise ConfigError(
            f"pipeline {pipeline.name!r}: table {pipeline.table!r} has no column(s) "
            f"{', '.join(missing)} (it has {', '.join(table.c.keys())})"
        )
    primary = list(table.primary_key.columns)
    if len(primary) != 1:
        raise ConfigError(
            f"pipeline {pipeline.name!r}: table {pipeline.table!r} needs a single-column primary key"
        )
    use_exact_types(table, pipeline)
    return Target(table=table, primary_key=primary[0].name, filled=_model_defaults(pipeline),
                  dialect=connection.dialect.name)


def _model_defaults(pipeline: Pipeline) -> frozenset[str]:
    if pipeline.model is None:
        return frozenset()
    from etl.pipeline.mapped import import_model, mapped_table

    table = mapped_table(import_model(pipeline.model, pipeline.base_dir))
    return frozenset(c.name for c in table.columns if c.default is not None)
