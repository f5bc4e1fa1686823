"""The few error types library code raises; only the CLI turns them into messages and exit codes."""

from __future__ import annotations

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2


class EtlError(Exception):
    """Base of every expected failure. `str(err)` is one line a person can act on."""

    exit_code: int = EXIT_REJECTED


class UsageError(EtlError):
    """Bad option, unknown pipeline, missing file: the command itself is wrong."""

    exit_code = EXIT_USAGE


class ConfigError(EtlError):
    """Bad configuration: malformed database URL, invalid pipeline definition."""

    exit_code = EXIT_USAGE


class DatabaseUnavailable(EtlError):
    """The database cannot be reached or opened."""

    exit_code = EXIT_USAGE


class ReadError(EtlError):
    """A file cannot be read as a table (encoding, format, missing sheet, binary content)."""

    exit_code = EXIT_REJECTED


class ReadOnlyViolation(EtlError):
    """An export query tried to change data."""

    exit_code = EXIT_USAGE
