"""Exactly-once imports across concurrent processes, crash safety, and a server that goes away.

Everything here runs real `etl import` processes against each database, as cron would.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from etl.db import make_engine
from tests.conftest import clean_env

PROCESSES = 4


def write_pets_csv(path: Path, rows: int, offset: int = 0) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("name,type,age\n")
        for i in range(offset, offset + rows):
            out.write(f"pet{i:07d},type{i % 13},{i % 20}\n")
    return path


def start_etl(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "etl", *args],
        cwd=cwd, env=clean_env(), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )


def scalar(url: str, sql: str) -> object:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def statuses(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return [r[0] for r in connection.execute(text("SELECT status FROM etl_import_run ORDER BY id"))]
    finally:
        engine.dispose()


def run_together(commands: list[list[str]], cwd: Path) -> list[tuple[int, str, str]]:
    procs = [start_etl(*command, cwd=cwd) for command in commands]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        results.append((proc.returncode, out, err))
    return results


def test_concurrent_imports_of_one_file_load_it_once(db_url: str, tmp_path: Path) -> None:
    source = write_pets_csv(tmp_path / "pets.csv", 20_000)
    command = ["import", "--db", db_url, "--json", "--chunk-size", "2000", "pets", str(source)]
    results = run_together([command] * PROCESSES, tmp_path)

    for code, _out, err in results:
        assert code == 0, err
    file_statuses = sorted(json.loads(out)["files"][0]["status"] for _c, out, _e in results)
    assert file_statuses == ["committed"] + ["skipped"] * (PROCESSES - 1)
    assert scalar(db_url, "SELECT COUNT(*) FROM pet") == 20_000
    assert scalar(db_url, "SELECT COUNT(DISTINCT name) FROM pet") == 20_000
    assert scalar(db_url, "SELECT COUNT(*) FROM etl_loaded_file") == 1


def test_concurrent_hot_folder_imports_each_file_once(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    for n in range(3):
        write_pets_csv(folder / f"batch{n}.csv", 3_000, offset=n * 3_000)
    command = ["import", "--db", db_url, "--json", "pets", str(folder)]
    results = run_together([command] * PROCESSES, tmp_path)

    committed: list[str] = []
    for code, out, err in results:
        assert code == 0, err
        for entry in json.loads(out)["files"]:
            assert entry["status"] in ("committed", "skipped"), entry
            if entry["status"] == "committed":
                committed.append(Path(entry["path"]).name)
    assert sorted(committed) == ["batch0.csv", "batch1.csv", "batch2.csv"]
    assert scalar(db_url, "SELECT COUNT(*) FROM pet") == 9_000
    assert scalar(db_url, "SELECT COUNT(DISTINCT name) FROM pet") == 9_000


def wait_for(condition, timeout: float = 120.0, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError("condition not reached in time")


def run_is_started(url: str) -> bool:
    try:
        return "running" in statuses(url)
    except Exception:  # ledger table not created yet
        return False


def test_sigkill_mid_import_leaves_nothing_and_next_run_imports_whole(
    db_url: str, tmp_path: Path
) -> None:
    source = write_pets_csv(tmp_path / "big.csv", 500_000)
    proc = start_etl("import", "--db", db_url, "--chunk-size", "1000", "pets", str(source), cwd=tmp_path)
    wait_for(lambda: run_is_started(db_url))
    time.sleep(1.0)  # well into the file: several chunks flushed, nothing committed
    assert proc.poll() is None, "the import finished before it could be killed; use a bigger file"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    wait_for(lambda: scalar(db_url, "SELECT COUNT(*) FROM pet") == 0, timeout=60)
    assert "committed" not in statuses(db_url)
    assert scalar(db_url, "SELECT COUNT(*) FROM etl_loaded_file") == 0

    again = subprocess.run(
        [sys.executable, "-m", "etl", "import", "--db", db_url, "--json", "pets", str(source)],
        cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=600,
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["files"][0]["status"] == "committed"
    assert scalar(db_url, "SELECT COUNT(*) FROM pet") == 500_000


KILL_OTHER_SESSIONS = {
    "postgresql": (
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    ),
    "mysql": "SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID()",
}


def kill_other_sessions(url: str) -> int:
    engine = make_engine(url)
    backend = engine.url.get_backend_name()
    killed = 0
    with engine.connect() as connection:
        if backend == "postgresql":
            killed = len(connection.execute(text(KILL_OTHER_SESSIONS["postgresql"])).all())
        else:
            for (session_id,) in connection.execute(text(KILL_OTHER_SESSIONS["mysql"])).all():
                connection.execute(text(f"KILL CONNECTION {int(session_id)}"))
                killed += 1
    engine.dispose()
    return killed


@pytest.mark.parametrize("db_url", ["postgresql", "mariadb"], indirect=True)
def test_connection_dropped_mid_run_fails_cleanly(db_url: str, tmp_path: Path) -> None:
    big = write_pets_csv(tmp_path / "a_big.csv", 300_000)
    later = write_pets_csv(tmp_path / "b_later.csv", 10, offset=900_000)
    proc = start_etl(
        "import", "--db", db_url, "--json", "--chunk-size", "1000", "pets", str(big), str(later),
        cwd=tmp_path,
    )
    wait_for(lambda: run_is_started(db_url))
    time.sleep(1.0)
    assert kill_other_sessions(db_url) >= 1
    out, err = proc.communicate(timeout=300)

    assert proc.returncode == 1, err
    assert "Traceback" not in err
    files = {Path(f["path"]).name: f for f in json.loads(out)["files"]}
    assert files["a_big.csv"]["status"] == "rolled_back"
    assert files["a_big.csv"]["errors"], "the failure must be explained"
    assert files["b_later.csv"]["status"] in ("committed", "rolled_back")
    assert scalar(db_url, "SELECT COUNT(*) FROM pet WHERE name LIKE 'pet00%' AND name < 'pet0900000'") == 0
    assert scalar(db_url, "SELECT COUNT(*) FROM etl_loaded_file WHERE path LIKE '%a_big.csv'") == 0


def test_concurrent_contacts_imports_create_each_new_group_once(db_url: str, tmp_path: Path) -> None:
    groups = [f"Grupo nuevo {n}" for n in range(5)]
    files = []
    for p in range(PROCESSES):
        path = tmp_path / f"contacts{p}.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            out.write("nombre,telefono,grupo\n")
            for i in range(2_000):
                out.write(f"Persona {p}-{i},0{p}{i:09d},{groups[i % len(groups)]}\n")
        files.append(path)
    commands = [["import", "--db", db_url, "--json", "contacts", str(path)] for path in files]
    results = run_together(commands, tmp_path)

    for code, out, err in results:
        assert code == 0, err
        assert json.loads(out)["files"][0]["status"] == "committed"
    assert scalar(db_url, "SELECT COUNT(*) FROM grupos") == len(groups)
    assert scalar(db_url, "SELECT COUNT(DISTINCT grupo) FROM grupos") == len(groups)
    assert scalar(db_url, "SELECT COUNT(*) FROM contactos") == PROCESSES * 2_000
