"""The Python API: `etl.connect()` gives a `Database`, the one object the CLI and the web page
drive. Every method is what one command does, with the command's options as keywords.

Heavy modules (the importer with numpy and the ORM, the exporter and its writers, the report
and template writers) are imported by the methods that use them, so `import etl` and every
CLI start stay cheap.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, TypedDict, Unpack, overload

from sqlalchemy import Engine, inspect

from etl.config import DEFAULT_CHUNK_SIZE, Settings
from etl.db import open_database, safe_url
from etl.errors import UsageError
from etl.importing.results import FileResult, Progress
from etl.pipeline.definition import Pipeline, get_pipeline, load_pipelines

if TYPE_CHECKING:
    import pandas

    from etl.readers import ReadOptions
    from etl.importing.importer import ImportOptions
    from etl.importing.preview import Preview
    from etl.importing.results import ImportListener
    from etl.importing.sources import Source
    from etl.importing.workers import Cancel
    from etl.ledger import RunRecord
    from etl.load.modes import ModeChoice
    from etl.reports import Report


class ImportKeywords(TypedDict, total=False):
    """The options of `Database.import_file` / `import_files`, as `etl import` has them."""

    max_errors: int
    """Skip up to this many bad rows and commit the rest (default 0: one bad row rejects the file)."""
    rejects: str | Path | None
    """Write the rejected rows, with their row number and reason, to this CSV."""
    dry_run: bool
    """Do everything but commit; the result's status is `dry_run`."""
    force: bool
    """Import content the ledger says was imported already."""
    chunk_size: int
    """Rows per flush (default 10,000)."""
    encoding: str | None
    """CSV encoding (default: detected)."""
    delimiter: str | None
    """CSV delimiter (default: detected)."""
    sheet: str | None
    """Workbook sheet (default: the first)."""
    header_row: int | None
    """Row number of the header (default: detected)."""
    archive_dir: str | Path | None
    """Move committed (and already imported) files into this folder."""
    error_dir: str | Path | None
    """Move rejected files, with their error report, into this folder."""
    progress: Progress | None
    """Called with the file and the rows read so far, once per chunk."""
    workers: int
    """Import up to this many files at once (default 1), each on its own thread, connection
    and transaction."""
    listener: ImportListener | None
    """Hears the whole import: run start, each file's hashing, reading (rows and bytes) and
    outcome. From worker threads, so it must be thread-safe. `progress` is its simple form."""
    cancel: Cancel | None
    """Set it (from any thread, or a signal handler) to stop: files in progress roll back
    and are recorded `rolled_back`, files not started are not in the results."""
    create_lookups: bool
    """Create lookup rows for unknown names (default True); False makes such a name a row error."""
    decimal_comma: bool
    """Read `1.234,50` (decimal comma, `.` between thousands) in every integer and decimal column."""
    date_formats: Sequence[str]
    """strptime formats for every date and datetime column, tried in order (replacing the pipeline's)."""
    write_mode: str
    """How rows are written: `objects` (instances of the mapped class in the session: its
    validators, defaults, type decorators and events all run), `bulk` (ORM bulk statements),
    `native` (the driver's fastest path), or `auto` (default): the fastest mode that honours
    everything the model defines. A mode that would skip something the model does is a
    `UsageError` naming it."""
    annotate: str | Path | None
    """Write an annotated copy of the file (.xlsx) for its sender: every problem marked, an Errors
    sheet first; several files get `<stem>-<file>.xlsx` each. Also on a dry run."""


FILE_ONLY_OPTIONS = frozenset({"encoding", "delimiter", "sheet", "header_row", "archive_dir", "error_dir",
                               "annotate"})
"""Import options about reading or moving a file, which rows given in memory do not have."""


def connect(url: str | None = None, *, pipelines_dir: str | Path | None = None) -> Database:
    """A `Database` for `url`, else `$ETL_DATABASE_URL`, else `sqlite:///etl.db` in the current
    folder; `pipelines_dir` (else `$ETL_PIPELINES_DIR`) adds pipeline definitions to the
    built-in ones. Nothing is opened until a method needs the database. Use it as a context
    manager, or call `close()`, to release the connections."""
    settings = Settings.resolve(db=url, pipelines_dir=Path(pipelines_dir) if pipelines_dir else None)
    return Database(settings)


class Database:
    """A database `etl` imports into and exports from, with the pipelines it knows."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: Engine | None = None
        self._read_only_engine: Engine | None = None

    @property
    def url(self) -> str:
        """The database URL with its password hidden."""
        return safe_url(self.settings.database_url)

    def __repr__(self) -> str:
        return f"<etl.Database {self.url}>"

    def __enter__(self) -> Database:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close every connection this object opened (it can be used again afterwards)."""
        for engine in (self._engine, self._read_only_engine):
            if engine is not None:
                engine.dispose()
        self._engine = self._read_only_engine = None

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine imports write through, connected on first use."""
        if self._engine is None:
            self._engine = open_database(self.settings.database_url)
        return self._engine

    @property
    def read_only_engine(self) -> Engine:
        """An engine whose transactions the database itself keeps read-only (exports, reports)."""
        if self._read_only_engine is None:
            self._read_only_engine = open_database(self.settings.database_url, read_only=True)
        return self._read_only_engine

    def pipelines(self) -> dict[str, Pipeline]:
        """Every pipeline by name: the built-in ones, then those of the extra folders."""
        return load_pipelines(self.settings.pipelines_dirs)

    def pipeline(self, name: str | Pipeline) -> Pipeline:
        """The pipeline called `name` (a `Pipeline` is returned as it is)."""
        if isinstance(name, Pipeline):
            return name
        return get_pipeline(name, self.settings.pipelines_dirs)

    def model_pipeline(self, model: str) -> Pipeline:
        """The pipeline for an application's mapped class (`package.module:Class`, or
        `path/to/file.py:Class`) without a pipeline file: headers, types, lengths and
        required-ness from the mapping; pass it wherever a pipeline name goes."""
        from etl.pipeline.mapped import model_pipeline

        return model_pipeline(model)

    def write_mode(self, pipeline: str | Pipeline, asked: str = "auto") -> ModeChoice:
        """The write mode an import of `pipeline` uses (`asked`, checked; or what `auto`
        picks) and why; a `UsageError` when `asked` would skip something the model does."""
        from etl.load.strategy import planned_mode

        return planned_mode(self.pipeline(pipeline), asked)

    def init(self) -> list[str]:
        """Create the built-in target tables, those of pipelines that say `create = true`, and
        etl's bookkeeping where missing; the names created."""
        from etl.pipeline.tables import ensure_pipeline_table
        from etl.schema import ensure_model_table, init_database

        created = init_database(self.engine)
        for pipeline in self.pipelines().values():
            if pipeline.create and ensure_pipeline_table(self.engine, pipeline):
                created.append(pipeline.table)
            if pipeline.model is not None:
                created += ensure_model_table(self.engine, pipeline)
        return created

    def import_file(self, pipeline: str | Pipeline, path: str | Path, *, name: str | None = None,
                    **options: Unpack[ImportKeywords]) -> FileResult:
        """Import one file in one transaction. Bad data is a result (`status` `rejected`), not
        an exception; a wrong call or an unreachable database raises an `EtlError`. `name`
        is what the result, the ledger and the messages call the file (default: its path),
        e.g. an upload's own name when it was saved under another."""
        if name is None:
            return self.import_files(pipeline, [path], **options)[0]
        from etl.importing.importer import import_file_sources
        from etl.importing.sources import FileSource

        file = Path(path)
        if not file.is_file():
            raise UsageError(f"no such file: {file}")
        chosen = self.pipeline(pipeline)
        listener, cancel = _hooks(options)
        source = FileSource(file, _source_name(name))
        settings = import_options(options)
        return import_file_sources(self.engine, chosen, [source], settings, listener=listener, cancel=cancel)[0]

    def import_files(self, pipeline: str | Pipeline, paths: Sequence[str | Path],
                     **options: Unpack[ImportKeywords]) -> list[FileResult]:
        """Import files (a folder stands for its files, in name order), each in its own
        transaction; one result per file."""
        from etl.importing.files import expand_paths
        from etl.importing.importer import import_file_sources
        from etl.importing.sources import FileSource

        chosen = self.pipeline(pipeline)
        listener, cancel = _hooks(options)
        settings = import_options(options)
        self.write_mode(chosen, settings.write_mode)
        # Folders are listed once, here, before the database is opened (a wrong call opens
        # nothing); a file another run moves away later is that run's, not an error.
        files = [FileSource(file) for file in expand_paths(chosen, [Path(p) for p in paths])]
        return import_file_sources(self.engine, chosen, files, settings, listener=listener, cancel=cancel)

    def import_table(self, table: str, paths: Sequence[str | Path], *, create: bool = False,
                     key: Sequence[str] = (), **options: Unpack[ImportKeywords]) -> list[FileResult]:
        """Import files into any table, without a pipeline file: an existing table's columns
        are matched by header and typed as the table has them; a missing one is created with
        `create=True`, its types inferred from the first file (text first). `key` names the
        columns rows match on (default: a unique constraint, else every column given)."""
        from etl.pipeline.reflected import table_pipeline

        files = [Path(p) for p in paths]
        if not files:
            raise UsageError("name at least one file to import")
        first = files[0]
        if first.is_dir():
            raise UsageError(f"{first}: --table imports files; name them (a folder has no header to read)")
        if inspect(self.read_only_engine).has_table(table):  # asking creates no database file
            names = [c["name"] for c in inspect(self.engine).get_columns(table)]
            header = _header_of(first, import_options(dict(options)).read, names)  # type: ignore[arg-type]
            with self.engine.connect() as connection:
                pipeline = table_pipeline(connection, table, header, key)
        elif create:
            pipeline = self.infer_pipeline(f"table:{table}", first, table=table, key=key, **options)
        else:
            raise UsageError(f"table {table!r} does not exist in {self.url}; add --create to create it with "
                             f"types inferred from {first.name}, or write a pipeline (`etl pipelines new "
                             f"{table} {first}` prints one)")
        return self.import_files(pipeline, files, **options)

    def infer_pipeline(self, name: str, path: str | Path, *, table: str | None = None, key: Sequence[str] = (),
                       **options: Unpack[ImportKeywords]) -> Pipeline:
        """A `create = true` pipeline whose columns are the file's, typed from all of its
        values (see `etl.pipeline.infer`); no database is touched."""
        from etl.pipeline.infer import infer_pipeline
        from etl.readers import open_table

        chosen = import_options(dict(options))  # type: ignore[arg-type]
        with open_table(Path(path), chosen.read) as opened:
            return infer_pipeline(name, table or name, opened.header, opened.rows, key,
                                  decimal_comma=chosen.decimal_comma, date_formats=chosen.date_formats)

    def import_rows(self, pipeline: str | Pipeline, rows: Iterable[Mapping[str, object]], *, name: str,
                    **options: Unpack[ImportKeywords]) -> FileResult:
        """Import dicts as the rows of a file named `name`, in one transaction: the header is
        every key in the order first seen, and each value is validated and converted as the
        text a file would show (`"0412"` keeps its zero; None and NaN are empty cells; row
        numbers in errors count the first dict as row 2, after the header). The ledger
        records `name` and the SHA-256 of the rows' text, so the same rows again are
        `skipped` (`force=True` imports them anyway)."""
        from etl.importing.sources import rows_source

        _refuse_file_options(options)
        return self._import_source(pipeline, rows_source(_source_name(name), rows), options)

    def import_frame(self, pipeline: str | Pipeline, frame: pandas.DataFrame, *, name: str,
                     **options: Unpack[ImportKeywords]) -> FileResult:
        """Import a DataFrame as the rows of a file named `name`, in one transaction. Its
        column names are the header; each cell is validated and converted as the text a
        file would show: text as it is (`"0412"` keeps its zero), NaN/None/`pd.NA`/NaT as an
        empty cell, integers as `42`, floats as a spreadsheet shows them (`3.0` as `3`),
        dates and timestamps as ISO 8601. Numbers in a text column are warned about as a
        workbook's number cells are (a phone that lost its leading zero). Row numbers in
        errors are the row's position + 2, as in a file with a header row. The ledger
        records `name` and the SHA-256 of that text, so the same frame again is `skipped`
        (`force=True` imports it anyway)."""
        from etl.frames import frame_source

        _refuse_file_options(options)
        source_name = _source_name(name)
        chosen = self.pipeline(pipeline)
        return self._import_source(chosen, frame_source(source_name, frame, chosen), options)

    def _import_source(self, pipeline: str | Pipeline, source: Source, options: ImportKeywords) -> FileResult:
        from etl.importing.importer import import_rows

        chosen = self.pipeline(pipeline)
        listener, cancel = _hooks(options)
        settings = import_options(options)
        self.write_mode(chosen, settings.write_mode)
        self.write_mode(chosen, settings.write_mode)
        return import_rows(self.engine, chosen, source, settings, listener=listener, cancel=cancel)

    def export(self, source: str | None, output: str | Path | BinaryIO, *, sql: str | None = None,
               columns: Sequence[str] = (), where: str | None = None, order_by: str | None = None,
               limit: int | None = None, file_format: str | None = None,
               excel_compatible: bool = False) -> int:
        """Write a pipeline's table, any table (`source`), or one SELECT (`sql`) to `output`
        (.csv, .xlsx, .jsonl, `-` or a binary stream for CSV); the number of rows written.
        The query runs read-only and streams, so memory does not grow with the rows."""
        from etl.exporter import ExportRequest, export, export_format

        to_stdout = isinstance(output, str) and output == "-"
        named = isinstance(output, (str, Path)) and not to_stdout
        chosen = export_format(str(output) if named else "-", file_format)
        if chosen == "xlsx" and not named:
            raise UsageError("an .xlsx export needs a file name, not -")
        if excel_compatible and chosen != "csv":
            raise UsageError(f"--excel-compatible is for CSV; a .{chosen} export needs no BOM")
        target = sys.stdout.buffer if to_stdout else output
        request = ExportRequest(source=source, sql=sql, columns=tuple(columns), where=where,
                                order_by=order_by, limit=limit)
        return export(self.read_only_engine, request, self.pipelines(), target, chosen,
                      excel_compatible=excel_compatible)

    @overload
    def read_frame(self, source: str | None = None, *, sql: str | None = None, columns: Sequence[str] = (),
                   where: str | None = None, order_by: str | None = None, limit: int | None = None,
                   chunksize: None = None) -> pandas.DataFrame: ...

    @overload
    def read_frame(self, source: str | None = None, *, sql: str | None = None, columns: Sequence[str] = (),
                   where: str | None = None, order_by: str | None = None, limit: int | None = None,
                   chunksize: int) -> Iterator[pandas.DataFrame]: ...

    def read_frame(self, source: str | None = None, *, sql: str | None = None, columns: Sequence[str] = (),
                   where: str | None = None, order_by: str | None = None, limit: int | None = None,
                   chunksize: int | None = None) -> pandas.DataFrame | Iterator[pandas.DataFrame]:
        """What `export` would write, as a DataFrame: a pipeline's table under the export's
        headers (`id`, then each column's first header, a lookup as the looked-up name),
        any table, or one SELECT (`sql`), through the same read-only streamed query.
        dtypes keep values exact: text `string`, integers `Int64`, booleans `boolean`,
        dates and datetimes `datetime64[us]`, decimals `Decimal` objects (`object`).
        With `chunksize`, an iterator of frames of up to that many rows, so memory stays
        flat however many rows the query has; the query is checked on the call."""
        from etl.exporter import ExportRequest
        from etl.frames import FRAME_CHUNK_ROWS, read_frames

        request = ExportRequest(source=source, sql=sql, columns=tuple(columns), where=where,
                                order_by=order_by, limit=limit)
        frames = read_frames(self.read_only_engine, request, self.pipelines(),
                             FRAME_CHUNK_ROWS if chunksize is None else chunksize)
        if chunksize is not None:
            return frames
        import pandas

        return pandas.concat(list(frames), ignore_index=True)

    def report(
        self, name: str, output: str | Path, *, lang: str | None = None, into: str | Path | None = None
    ) -> dict[str, int]:
        """Write the named report workbook; rows written per sheet. `lang` picks its labels
        (default: the report's own language, Spanish for the built-in ones); `into` names a
        workbook of your own to fill (its sheets or tables named like the report's), which is
        copied, never changed."""
        from etl.reports import get_report, write_report

        report = get_report(name, self.settings.pipelines_dirs)
        path = Path(output)
        if path.suffix.lower() != ".xlsx":
            raise UsageError(f"a report is an .xlsx workbook; name the output {path.stem}.xlsx")
        template = Path(into) if into is not None else None
        return write_report(self.read_only_engine, report, path, lang=lang, into=template)

    def template(self, pipeline: str | Pipeline, output: str | Path) -> Path:
        """Write an empty workbook with the pipeline's headers, notes and data validation."""
        from etl.templates import write_template

        path = Path(output)
        if path.suffix.lower() != ".xlsx":
            raise UsageError(f"a template is an .xlsx workbook; name the output {path.stem}.xlsx")
        write_template(self.pipeline(pipeline), path)
        return path

    def reports(self) -> dict[str, Report]:
        """Every report definition by name: the built-in ones, then those of the extra folders."""
        from etl.reports import load_reports

        return load_reports(self.settings.pipelines_dirs)

    def preview(self, path: str | Path, *, pipeline: str | Pipeline | None = None, rows: int = 50,
                encoding: str | None = None, delimiter: str | None = None, sheet: str | None = None,
                header_row: int | None = None) -> Preview:
        """A first look at a file, without the database: the header (found by the names
        `pipeline` accepts, else any pipeline), its first `rows` data rows, what was detected
        and a workbook's sheet names. An unreadable file raises `ReadError`."""
        from etl.importing.preview import preview_file
        from etl.readers import ReadOptions

        chosen = [self.pipeline(pipeline)] if pipeline is not None else self.pipelines().values()
        options = ReadOptions(encoding=encoding, delimiter=delimiter, sheet=sheet, header_row=header_row)
        return preview_file(Path(path), options, chosen, rows)

    def suggest_pipeline(self, header: Sequence[str]) -> str | None:
        """The name of the pipeline whose accepted column names fit `header` best, or None."""
        from etl.importing.preview import suggest_pipeline

        return suggest_pipeline(self.pipelines().values(), header)

    def history(self, *, limit: int = 20, pipeline: str | None = None,
                status: str | None = None) -> list[RunRecord]:
        """The latest import attempts from the ledger, newest first, optionally of one pipeline
        or one status. Reading creates nothing: before the first import there are none."""
        from etl.importing.results import STATUSES
        from etl.ledger import RUNNING, recent_runs

        if status is not None and status not in (*STATUSES, RUNNING):
            raise UsageError(f"unknown status {status!r}; one of {', '.join((*STATUSES, RUNNING))}")
        return recent_runs(self.read_only_engine, limit, pipeline, status)


def import_options(options: ImportKeywords) -> ImportOptions:
    """`ImportKeywords` → the importer's options, refusing unknown names and bad values."""
    from etl.importing.importer import ImportOptions
    from etl.readers import ReadOptions

    unknown = sorted(set(options) - ImportKeywords.__optional_keys__)
    if unknown:
        raise UsageError(f"unknown import option(s): {', '.join(unknown)}")
    return ImportOptions(
        chunk_size=options.get("chunk_size", DEFAULT_CHUNK_SIZE),
        max_errors=options.get("max_errors", 0),
        rejects=_path(options.get("rejects")),
        dry_run=options.get("dry_run", False),
        force=options.get("force", False),
        read=ReadOptions(encoding=options.get("encoding"), delimiter=options.get("delimiter"),
                         sheet=options.get("sheet"), header_row=options.get("header_row")),
        archive_dir=_path(options.get("archive_dir")),
        error_dir=_path(options.get("error_dir")),
        workers=options.get("workers", 1),
        create_lookups=options.get("create_lookups", True),
        decimal_comma=options.get("decimal_comma", False),
        date_formats=tuple(options.get("date_formats", ())),
        annotate=_path(options.get("annotate")),
        write_mode=options.get("write_mode", "auto"),
    )


def _hooks(options: ImportKeywords) -> tuple[ImportListener, Cancel | None]:
    """The listener (or the `progress` callable as one) and the cancel token, taken out of
    the options."""
    from etl.importing.results import ProgressListener

    progress = options.pop("progress", None)
    listener = options.pop("listener", None) or ProgressListener(progress)
    return listener, options.pop("cancel", None)


def _header_of(path: Path, read: ReadOptions, names: Sequence[str]) -> tuple[str, ...]:
    """The header of `path`: the first row naming one of `names` (title rows skipped)."""
    from etl.readers import header_test, open_table

    with open_table(path, read, header_test(names)) as opened:
        return opened.header


def _path(value: str | Path | None) -> Path | None:
    return None if value is None else Path(value)


def _refuse_file_options(options: ImportKeywords) -> None:
    given = sorted(set(options) & FILE_ONLY_OPTIONS)
    if given:
        raise UsageError(f"{', '.join(given)}: only for importing files, not rows given in memory")


def _source_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise UsageError("give a name (name='...'): the ledger and the results show it")
    return name
