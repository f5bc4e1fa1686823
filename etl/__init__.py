"""etl: move tabular data between CSV/Excel files and SQL databases.

The package is usable without the CLI: `etl.config`, `etl.db`, `etl.pipeline`,
`etl.readers`, the importer and the exporter are plain functions and dataclasses.
"""

__version__ = "0.1.0"
