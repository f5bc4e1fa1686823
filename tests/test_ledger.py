"""The ledger: every attempt recorded in its own transaction, committed contents claimed once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError

from etl import ledger
from etl.importing.importer import ImportOptions, import_file
from etl.models import LoadedFile
from etl.pipeline import get_pipeline
from etl.schema import ensure_ledger, ensure_target_tables
from tests.conftest import SAMPLE_DATA


@pytest.fixture
def ready(engine: Engine) -> Engine:
    ensure_ledger(engine)
    ensure_target_tables(engine, ["pet", "contactos"])
    return engine


def test_runs_are_recorded_and_listed_newest_first(ready: Engine, tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    first = ledger.start_run(ready, "pets", path, "a" * 64)
    ledger.finish_run(ready, first, "committed", ledger.RunCounts(3, 2, 1, 0, 0))
    second = ledger.start_run(ready, "pets", path, "b" * 64, status="skipped")
    runs = ledger.recent_runs(ready)
    assert [(r.id, r.status, r.rows_read, r.inserted, r.updated) for r in runs] == [
        (second, "skipped", 0, 0, 0), (first, "committed", 3, 2, 1)]
    assert runs[1].finished_at is not None and runs[1].finished_at >= runs[1].started_at
    assert runs[1].path == str(path) and runs[1].sha256 == "a" * 64
    assert ledger.recent_runs(ready, limit=1, pipeline="contacts") == []


def test_a_content_is_claimed_once_per_pipeline(ready: Engine, tmp_path: Path) -> None:
    with ready.begin() as connection:
        assert not ledger.is_loaded(connection, "pets", "c" * 64)
        ledger.mark_loaded(connection, "pets", "c" * 64, tmp_path / "f.csv", 1, replace=False)
    with ready.begin() as connection:
        assert ledger.is_loaded(connection, "pets", "c" * 64)
        assert not ledger.is_loaded(connection, "contacts", "c" * 64)
    with pytest.raises(IntegrityError):
        with ready.begin() as connection:
            ledger.mark_loaded(connection, "pets", "c" * 64, tmp_path / "g.csv", 2, replace=False)
    with ready.begin() as connection:
        ledger.mark_loaded(connection, "pets", "c" * 64, tmp_path / "g.csv", 3, replace=True)
    with ready.connect() as connection:
        assert connection.execute(select(LoadedFile.run_id, LoadedFile.path)).all() == [(3, str(tmp_path / "g.csv"))]


def test_a_rejected_file_stays_recorded_after_the_rollback(ready: Engine) -> None:
    source = SAMPLE_DATA / "contactos_con_errores.csv"
    result = import_file(ready, get_pipeline("contacts"), source, ImportOptions())
    assert result.status == "rejected"
    (run,) = ledger.recent_runs(ready)
    assert (run.id, run.status, run.rows_read, run.rejected) == (result.run_id, "rejected", 5, 4)
    assert run.error.splitlines()[0] == f"{source}:3:Nombre: a value is required"
    assert run.sha256 == ledger.file_sha256(source)
    with ready.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM etl_loaded_file")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM contactos")).scalar() == 0


def test_committed_file_is_claimed_with_its_run_and_skipped_after(ready: Engine) -> None:
    source = SAMPLE_DATA / "pets.csv"
    pipeline = get_pipeline("pets")
    committed = import_file(ready, pipeline, source, ImportOptions())
    skipped = import_file(ready, pipeline, source, ImportOptions())
    dry_again = import_file(ready, pipeline, source, ImportOptions(dry_run=True))
    dry = import_file(ready, pipeline, source, ImportOptions(dry_run=True, force=True))
    assert [r.status for r in (committed, skipped, dry_again, dry)] == [
        "committed", "skipped", "dry_run", "dry_run"]
    assert (dry.inserted, dry.unchanged) == (dry_again.inserted, dry_again.unchanged) == (0, 4)
    assert dry_again.imported_before is not None and dry_again.imported_before.attempt_id == committed.run_id
    assert dry_again.note is not None and dry_again.note.startswith("imported before by run ")
    assert dry.note is None
    with ready.connect() as connection:
        assert connection.execute(select(LoadedFile.run_id)).scalars().all() == [committed.run_id]
    assert [r.status for r in ledger.recent_runs(ready)] == ["dry_run", "dry_run", "skipped", "committed"]
