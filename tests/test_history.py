"""`etl history`: readable at 80 columns, filtered by --limit, --pipeline and --status, and
one JSON document whose entries agree with `etl import --json`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import SAMPLE_DATA, clean_env, write_csv


def _import(run_etl, db_url: str, pipeline: str, path: Path) -> dict:
    result = run_etl("import", "--db", db_url, "--json", pipeline, str(path))
    return json.loads(result.stdout)["files"][0]


def test_history_fits_80_columns_and_filters(run_etl, db_url: str, tmp_path: Path) -> None:
    deep = tmp_path / ("a-rather-long-folder-name-" * 3) / "incoming"
    deep.mkdir(parents=True)
    pets = write_csv(deep / "pets-delivered-by-the-partner-2026-11-01.csv", ["name", "type", "age"],
                     [[f"pet{i}", "dog", str(i % 20)] for i in range(1234)])
    committed = _import(run_etl, db_url, "pets", pets)
    skipped = _import(run_etl, db_url, "pets", pets)
    rejected = _import(run_etl, db_url, "contacts", SAMPLE_DATA / "contactos_con_errores.csv")
    assert [committed["status"], skipped["status"], rejected["status"]] == ["committed", "skipped", "rejected"]

    result = run_etl("history", "--db", db_url, env=clean_env(COLUMNS="80"))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[0].split() == ["run", "started", "(UTC)", "pipeline", "status", "file"]
    assert [line.split()[4] for line in lines[1:] if line[:5].strip()] == ["rejected", "skipped", "committed"]
    assert "1,234 read, 1,234 inserted, 0 updated, 0 unchanged, 0 rejected" in result.stdout
    assert "contactos_con_errores.csv:3:Nombre: a value is required" in result.stdout
    assert "…" in result.stdout and "-2026-11-01.csv" in result.stdout

    def statuses(*args: str) -> list[str]:
        done = run_etl("history", "--db", db_url, "--json", *args)
        assert done.exit_code == 0, done.stderr
        return [run["status"] for run in json.loads(done.stdout)["runs"]]

    assert statuses("--limit", "2") == ["rejected", "skipped"]
    assert statuses("-n", "1") == ["rejected"]
    assert statuses("--pipeline", "pets") == ["skipped", "committed"]
    assert statuses("--status", "committed") == ["committed"]
    assert statuses("--status", "dry_run") == []
    refused = run_etl("history", "--db", db_url, "--status", "done")
    assert refused.exit_code == 2 and "unknown status 'done'" in refused.stderr


def test_history_json_agrees_with_import_json(run_etl, db_url: str) -> None:
    entry = _import(run_etl, db_url, "contacts", SAMPLE_DATA / "contactos_con_errores.csv")
    result = run_etl("history", "--db", db_url, "--json")
    (run,) = json.loads(result.stdout)["runs"]
    same = ("path", "status", "rows_read", "inserted", "updated", "unchanged", "rejected")
    assert {key: run[key] for key in same} == {key: entry[key] for key in same}
    assert abs(run["seconds"] - entry["seconds"]) < 1.0
    assert run["started_at"].endswith("Z") and run["finished_at"] >= run["started_at"]
    assert run["error"].splitlines()[0] == f"{entry['path']}:3:Nombre: a value is required"


def test_empty_history(run_etl, db_url: str) -> None:
    result = run_etl("history", "--db", db_url)
    assert result.exit_code == 0
    assert result.stdout.startswith("no import attempts recorded in ")
    assert json.loads(run_etl("history", "--db", db_url, "--json").stdout) == {"runs": []}
