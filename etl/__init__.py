"""etl: move tabular data between CSV/Excel files and SQL databases.

    import etl

    with etl.connect("sqlite:///shop.db") as db:
        result = db.import_file("contacts", "contactos.csv")
        print(result.status, result.inserted, [e.describe(result.path) for e in result.errors])

`connect` gives a `Database` (see `etl.api`); a file with bad rows is a `FileResult` with
status `rejected`, while a wrong call, a bad definition or an unreachable database raises
an `EtlError` subclass. The `etl` command is a thin layer over the same API.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from etl.errors import (
    ConfigError,
    DatabaseUnavailable,
    EtlError,
    ReadError,
    ReadOnlyViolation,
    UsageError,
)

if TYPE_CHECKING:
    from etl.api import Database, ImportKeywords, connect
    from etl.importing.results import FileResult
    from etl.pipeline.row_errors import RowError

_LAZY = {
    "Database": "etl.api", "ImportKeywords": "etl.api", "connect": "etl.api",
    "FileResult": "etl.importing.results", "RowError": "etl.pipeline.row_errors",
}
"""Names imported on first use: `import etl.readers` (or any submodule) runs this file, and
the API would otherwise bring SQLAlchemy and the pipeline engine along with it."""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'etl' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
