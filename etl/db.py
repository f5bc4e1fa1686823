"""Engine creation per dialect. Nothing else in etl builds engines.

Per-dialect settings a loader needs:
- SQLite: foreign keys on, WAL journal, a busy timeout so a second process waits for the
  write lock instead of failing, and explicit BEGIN so SQLAlchemy, not pysqlite, decides
  where transactions start (the documented pysqlite recipe).
- Servers: pre-ping, so a connection dropped while idle is replaced instead of failing.
- read_only engines refuse writes in the database itself (SQLite `query_only`, PostgreSQL
  and MariaDB read-only transactions), which is what makes exports safe.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from etl.errors import ConfigError, DatabaseUnavailable

SQLITE_BUSY_TIMEOUT_MS = 60_000
SQLITE_READONLY = 8  # sqlite3.SQLITE_READONLY, without importing sqlite3 for every database
POSTGRES_READ_ONLY_STATES = frozenset({"25006"})  # read_only_sql_transaction
# ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION; ER_OPTION_PREVENTS_STATEMENT (--read-only server).
MYSQL_READ_ONLY_ERRORS = frozenset({1792, 1290})
SERVER_CONNECT_TIMEOUT_S = 10
PASSWORD_ENV = "ETL_DATABASE_PASSWORD"

# URL query parameters that configure SQLAlchemy's pool rather than the driver; every other
# query parameter goes to the driver's connect() as SQLAlchemy does by default
# (e.g. `?sslmode=require&connect_timeout=5`).
POOL_OPTIONS: dict[str, type] = {
    "pool_size": int,
    "max_overflow": int,
    "pool_timeout": float,
    "pool_recycle": int,
}


DRIVER_ALIASES = {
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}
"""URL schemes without a driver, as people and hosting providers write them (`postgres://`
is Heroku's), mapped to the drivers etl installs: psycopg 3 and PyMySQL. SQLAlchemy would
otherwise pick psycopg2 or mysqlclient, which are not installed."""


def parse_url(url: str | URL) -> URL:
    """Parse a database URL, refusing a malformed one without echoing its password, with a
    bare `postgres://`, `postgresql://`, `mysql://` or `mariadb://` scheme given the
    installed driver."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            "invalid database URL; expected e.g. sqlite:///etl.db or "
            "postgresql://user@host/db"
        ) from None
    return with_installed_driver(parsed)


def with_installed_driver(url: URL) -> URL:
    """`postgres://…` → `postgresql+psycopg://…`, `mysql://…` → `mysql+pymysql://…`;
    `postgres+DRIVER://` → `postgresql+DRIVER://`; any other URL unchanged."""
    if url.drivername in DRIVER_ALIASES:
        return url.set(drivername=DRIVER_ALIASES[url.drivername])
    if url.drivername.startswith("postgres+"):
        return url.set(drivername="postgresql" + url.drivername.removeprefix("postgres"))
    return url


def safe_url(url: str | URL) -> str:
    """The URL as text with its password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"


def redact(message: str, url: str | URL | None) -> str:
    """Remove the password of `url` (or of `ETL_DATABASE_PASSWORD`) from `message`."""
    secrets = [os.environ.get(PASSWORD_ENV)]
    if url is not None:
        try:
            secrets.append(make_url(url).password)
        except ArgumentError:
            pass
    for secret in secrets:
        if secret:
            message = message.replace(str(secret), "***")
    return message


def with_password_from_env(url: URL, environ: Mapping[str, str] | None = None) -> URL:
    """Fill in a missing password from `ETL_DATABASE_PASSWORD`, so it need not be in the URL."""
    env = os.environ if environ is None else environ
    if url.username and url.password is None and env.get(PASSWORD_ENV):
        return url.set(password=env[PASSWORD_ENV])
    return url


def split_pool_options(url: URL) -> tuple[URL, dict[str, Any]]:
    """Move pool settings out of the URL's query string into create_engine arguments."""
    options: dict[str, Any] = {}
    for name, convert in POOL_OPTIONS.items():
        if name in url.query:
            raw = url.query[name]
            try:
                options[name] = convert(raw if isinstance(raw, str) else raw[-1])
            except ValueError:
                raise ConfigError(f"database URL option {name} must be a number") from None
    return url.difference_update_query(list(options)), options


def make_engine(url: str | URL, *, read_only: bool = False, **engine_kwargs: Any) -> Engine:
    """Create the engine for `url` with the settings its dialect needs."""
    parsed, pool_options = split_pool_options(with_password_from_env(parse_url(url)))
    backend = parsed.get_backend_name()
    if read_only and missing_sqlite_file(parsed):
        # Reading creates nothing: a database file that does not exist reads as an empty
        # database, so `etl export` of a misspelled table in a fresh folder says what is
        # wrong and leaves no etl.db behind.
        parsed = parsed.set(database=":memory:")
    kwargs: dict[str, Any] = {**pool_options, **engine_kwargs}
    if backend == "sqlite":
        kwargs.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        if "connect_timeout" not in parsed.query:
            kwargs.setdefault("connect_args", {}).setdefault(
                "connect_timeout", SERVER_CONNECT_TIMEOUT_S
            )
    if backend == "postgresql" and read_only:
        kwargs.setdefault("execution_options", {})["postgresql_readonly"] = True
        # Prepared statements carry one command only: without this, psycopg sends a
        # parameterless query as a simple query, so "SELECT 1; COMMIT; DELETE …" would end
        # the read-only transaction and run the DELETE.
        kwargs.setdefault("connect_args", {}).setdefault("prepare_threshold", 0)
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ImportError) as err:
        raise ConfigError(f"unsupported database URL {safe_url(parsed)}: {err}") from None
    except (ArgumentError, TypeError) as err:
        raise ConfigError(redact(f"invalid database URL {safe_url(parsed)}: {err}", parsed)) from None
    if backend == "sqlite":
        _configure_sqlite(engine, read_only)
    elif backend == "postgresql" and parsed.get_driver_name() == "psycopg":
        _configure_psycopg(engine)
    elif backend in ("mysql", "mariadb") and read_only:
        _configure_mysql_read_only(engine)
    return engine


def missing_sqlite_file(url: URL) -> bool:
    """A SQLite URL naming a file that does not exist (connecting would create it)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return False
    if url.query.get("uri") in ("true", "1") or str(url.database).startswith("file:"):
        return False  # a URI filename: its own mode= decides
    return not os.path.exists(url.database)


def _configure_sqlite(engine: Engine, read_only: bool) -> None:
    in_memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if not in_memory and not read_only:
            cursor.execute("PRAGMA journal_mode = WAL")
        if read_only:
            cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = "DEFERRED" if read_only else connection.get_execution_options().get(
            "sqlite_begin", "DEFERRED"
        )
        connection.exec_driver_sql(f"BEGIN {mode}")


def _configure_psycopg(engine: Engine) -> None:
    """JSON documents as their text, as SQLite and MariaDB return them: psycopg would parse
    them, and a document that is `null` would come back as SQL NULL's None. Dates and
    timestamps at `infinity`/`-infinity`, which no Python date holds (psycopg refuses to
    load them), as `exact_types.Infinite` values, which are dumped back as those words."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        from psycopg.pq import Format
        from psycopg.types.string import TextLoader

        adapters = dbapi_connection.adapters
        for name in ("json", "jsonb"):
            adapters.register_loader(name, TextLoader)
        for name in ("date", "timestamp", "timestamptz"):
            oid = adapters.types[name].oid
            adapters.register_loader(oid, _or_infinite(adapters.get_loader(oid, Format.TEXT)))
        from etl.pipeline.exact_types import Infinite

        adapters.register_dumper(Infinite, _infinite_dumper())


def loader_or(standard: type, refused: Callable[[str, Exception], Any]) -> type:
    """A psycopg loader that loads as `standard` does, and hands the text of a value `standard`
    refuses (a DataError: infinity, years BC or past 9999) to `refused`, which may raise.
    psycopg's C loaders cannot be subclassed, so it wraps one."""
    from psycopg import DataError
    from psycopg.adapt import Loader

    class OrRefused(Loader):
        def __init__(self, oid: int, context: Any = None) -> None:
            super().__init__(oid, context)
            self._load = standard(oid, context).load

        def load(self, data: Any) -> Any:
            try:
                return self._load(data)
            except DataError as err:
                return refused(bytes(data).decode(), err)

    return OrRefused


def _or_infinite(standard: type) -> type:
    """Loads as `standard`, or an Infinite value for `infinity` and `-infinity`; years BC or
    past 9999 stay errors (an export loads them as text)."""
    from etl.pipeline.exact_types import INFINITE_WORDS

    def infinite(text: str, err: Exception) -> Any:
        value = INFINITE_WORDS.get(text)
        if value is None:
            raise err
        return value

    return loader_or(standard, infinite)


def _infinite_dumper() -> type:
    from psycopg.adapt import Dumper

    class InfiniteDumper(Dumper):
        """`infinity` / `-infinity` as text of no declared type: the server takes it as the
        date or timestamp its column or cast wants."""

        def dump(self, obj: Any) -> bytes:
            return str(obj).encode()

    return InfiniteDumper


def _configure_mysql_read_only(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET SESSION TRANSACTION READ ONLY")
        cursor.close()


def check_connection(engine: Engine) -> None:
    """Open one connection, or raise DatabaseUnavailable with a password-free message."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as err:
        message = f"cannot connect to database {safe_url(engine.url)}: {error_reason(err)}"
        raise DatabaseUnavailable(redact(message, engine.url)) from None


def error_reason(err: BaseException) -> str:
    """The first line of a database error's own message: the driver's (SQLAlchemy's wrapper
    adds the statement and its parameters), or the error's type if it has no message."""
    driver_error = getattr(err, "orig", None) or err
    message = str(driver_error).strip()
    return message.splitlines()[0] if message else type(driver_error).__name__


def is_read_only_refusal(err: BaseException) -> bool:
    """Whether the database refused a statement because the transaction or database is
    read-only, told by the driver's error code: PostgreSQL's SQLSTATE (psycopg
    `sqlstate`), SQLite's result code (`sqlite_errorcode`), MySQL/MariaDB's error number
    (PyMySQL `args[0]`)."""
    driver_error = getattr(err, "orig", None) or err
    sqlstate = getattr(driver_error, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in POSTGRES_READ_ONLY_STATES
    sqlite_code = getattr(driver_error, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return bool(sqlite_code & 0xFF == SQLITE_READONLY)  # extended codes keep it in the low byte
    if type(driver_error).__module__.startswith("pymysql") and driver_error.args:
        return driver_error.args[0] in MYSQL_READ_ONLY_ERRORS
    return False


def open_database(url: str | URL, *, read_only: bool = False, **engine_kwargs: Any) -> Engine:
    """make_engine + check_connection: the way commands get an engine."""
    engine = make_engine(url, read_only=read_only, **engine_kwargs)
    check_connection(engine)
    return engine
