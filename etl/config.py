"""Settings shared by every command: where the database is and where pipelines live."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///etl.db"
DATABASE_URL_ENV = "ETL_DATABASE_URL"
PIPELINES_DIR_ENV = "ETL_PIPELINES_DIR"
DEFAULT_CHUNK_SIZE = 10_000


def resolve_database_url(option: str | None, environ: Mapping[str, str] | None = None) -> str:
    """`--db` wins, then `ETL_DATABASE_URL`, then `sqlite:///etl.db` in the current directory."""
    env = os.environ if environ is None else environ
    if option:
        return option
    if env.get(DATABASE_URL_ENV):
        return env[DATABASE_URL_ENV]
    return DEFAULT_DATABASE_URL


def resolve_pipelines_dirs(
    option: Path | None, environ: Mapping[str, str] | None = None
) -> tuple[Path, ...]:
    """Extra pipeline folders: `--pipelines-dir` and/or `ETL_PIPELINES_DIR` (os.pathsep-separated)."""
    env = os.environ if environ is None else environ
    dirs: list[Path] = []
    if option is not None:
        dirs.append(option)
    for part in env.get(PIPELINES_DIR_ENV, "").split(os.pathsep):
        if part.strip():
            dirs.append(Path(part.strip()))
    return tuple(dirs)


@dataclass(frozen=True)
class Settings:
    """What a command needs to know about its surroundings, resolved once by the CLI."""

    database_url: str = DEFAULT_DATABASE_URL
    pipelines_dirs: tuple[Path, ...] = field(default_factory=tuple)
    debug: bool = False

    @classmethod
    def resolve(
        cls,
        db: str | None = None,
        pipelines_dir: Path | None = None,
        debug: bool = False,
        environ: Mapping[str, str] | None = None,
    ) -> Settings:
        return cls(
            database_url=resolve_database_url(db, environ),
            pipelines_dirs=resolve_pipelines_dirs(pipelines_dir, environ),
            debug=debug,
        )
