"""etl: move tabular data between CSV/Excel files and SQL databases.

    import etl

    with etl.connect("sqlite:///shop.db") as db:
        result = db.import_file("contacts", "contactos.csv")
        print(result.status, result.inserted, [e.describe(result.path) for e in result.errors])

`connect` gives a `Database` (see `etl.api`); a file with bad rows is a `FileResult` with
status `rejected`, while a wrong call, a bad definition or an unreachable database raises
an `EtlError` subclass. The `etl` command is a thin layer over the same API.
"""

from etl.api import Database, ImportKeywords, connect
from etl.errors import (
    ConfigError,
    DatabaseUnavailable,
    EtlError,
    ReadError,
    ReadOnlyViolation,
    UsageError,
)
from etl.importing.results import FileResult
from etl.pipeline.row_errors import RowError

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Database",
    "DatabaseUnavailable",
    "EtlError",
    "FileResult",
    "ImportKeywords",
    "ReadError",
    "ReadOnlyViolation",
    "RowError",
    "UsageError",
    "__version__",
    "connect",
]
