"""Operations, as cron and systemd meet them: many runs (and workers) on one folder import and
file away each file exactly once; SIGINT/SIGTERM roll back and exit 130/143; logs off a
terminal are timestamped and say what happened and why; standard input imports; a ledger
made by the previous version keeps working. Everything runs `etl` as a separate process."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import LOG_TIMESTAMP, SAMPLE_DATA, clean_env, execute, log_lines, query

PROCESSES = 4
FILES = 40
BAD_FILES = {7, 18, 29, 36}
ROWS = 300


def write_pets(path: Path, rows: int, offset: int, bad: bool = False) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("name,type,age\n")
        for i in range(offset, offset + rows):
            age = "old" if bad and i == offset + rows // 2 else str(i % 20)
            out.write(f"pet{i:07d},type{i % 13},{age}\n")
    return path


def hot_folder(folder: Path, bad: set[int]) -> list[str]:
    folder.mkdir()
    names = []
    for n in range(FILES):
        names.append(write_pets(folder / f"f{n:02d}.csv", ROWS, n * ROWS, bad=n in bad).name)
    return names


def start(*args: str, cwd: Path, stdin: int | None = subprocess.DEVNULL) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "etl", *args], cwd=cwd, env=clean_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=stdin)


def run_together(command: list[str], cwd: Path) -> list[tuple[int, dict, str]]:
    procs = [start(*command, cwd=cwd) for _ in range(PROCESSES)]
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        done.append((proc.returncode, json.loads(out), err))
    return done


def test_many_runs_with_workers_file_everything_away_exactly_once(db_url: str, tmp_path: Path) -> None:
    names = hot_folder(tmp_path / "incoming", BAD_FILES)
    good = {name for n, name in enumerate(names) if n not in BAD_FILES}
    bad = {name for n, name in enumerate(names) if n in BAD_FILES}
    command = ["import", "--db", db_url, "--json", "--workers", "2", "--archive-dir", "archive",
               "--error-dir", "rejected", "pets", "incoming"]
    outcomes = run_together(command, tmp_path)

    by_status: dict[str, list[str]] = {}
    run_ids = set()
    for code, document, err in outcomes:
        assert "Traceback" not in err and "error" not in document, err
        run_ids.add(document["run"])
        statuses = {entry["status"] for entry in document["files"]}
        assert statuses <= {"committed", "skipped", "rejected"}, document
        assert code == (1 if "rejected" in statuses else 0), err
        names_seen = [Path(entry["path"]).name for entry in document["files"]]
        assert names_seen == sorted(names_seen)  # the summary is in file-name order
        for entry in document["files"]:
            by_status.setdefault(entry["status"], []).append(Path(entry["path"]).name)
            if entry["status"] == "skipped":
                assert entry["note"].startswith("taken by another run"), entry
                assert entry["moved_to"] is None
    assert len(run_ids) == PROCESSES
    assert Counter(by_status["committed"]) == Counter(good)  # each good file once
    assert Counter(by_status["rejected"]) == Counter(bad)  # each bad file once
    assert sorted(p.name for p in (tmp_path / "archive").iterdir()) == sorted(good)
    assert sorted(p.name for p in (tmp_path / "rejected").iterdir()) == sorted(
        [*bad, *(f"{name}.errors.txt" for name in bad)])
    assert list((tmp_path / "incoming").iterdir()) == []
    good_rows = ROWS * len(good)
    assert query(db_url, "SELECT COUNT(*), COUNT(DISTINCT name) FROM pet") == [(good_rows, good_rows)]
    assert query(db_url, "SELECT COUNT(*) FROM etl_loaded_file") == [(len(good),)]
    assert query(db_url, "SELECT COUNT(*) FROM etl_file_claim") == [(0,)]
    assert query(db_url, "SELECT COUNT(*) FROM etl_run") == [(PROCESSES,)]
    attempts = dict(query(db_url, "SELECT status, COUNT(*) FROM etl_import_run GROUP BY status"))
    assert (attempts["committed"], attempts["rejected"]) == (len(good), len(bad))
    assert attempts.get("running", 0) == 0


def test_many_runs_without_archive_import_each_file_once(db_url: str, tmp_path: Path) -> None:
    names = hot_folder(tmp_path / "incoming", set())
    command = ["import", "--db", db_url, "--json", "--workers", "2", "pets", "incoming"]
    outcomes = run_together(command, tmp_path)

    committed = []
    for code, document, err in outcomes:
        assert code == 0, err
        assert [Path(e["path"]).name for e in document["files"]] == names  # every run saw every file
        for entry in document["files"]:
            if entry["status"] == "committed":
                committed.append(Path(entry["path"]).name)
            else:
                assert entry["status"] == "skipped"
                assert entry["note"].startswith(("taken by another run", "already imported by run ")), entry
    assert sorted(committed) == names
    assert query(db_url, "SELECT COUNT(*), COUNT(DISTINCT name) FROM pet") == [(ROWS * FILES, ROWS * FILES)]
    assert sorted(p.name for p in (tmp_path / "incoming").iterdir()) == names


def test_workers_report_in_file_order_and_skips_name_the_earlier_run(run_etl, db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(6):
        write_pets(folder / f"b{n}.csv", 2_000 - n * 300, n * 10_000)
    first = run_etl("import", "--db", db_url, "--workers", "3", "pets", str(folder))
    assert first.exit_code == 0, first.stderr
    lines = log_lines(first.stdout)
    header, *summaries, closing = lines
    assert header.startswith("etl import pets: 6 files, run ") and "3 workers" in header
    run_id = int(header.split(", run ")[1].split()[0])
    assert [line.split(":")[0] for line in summaries] == [str(folder / f"b{n}.csv") for n in range(6)]
    assert summaries[0] == f"{folder / 'b0.csv'}: committed: 2,000 read, 2,000 inserted, 0 updated, " \
        f"0 unchanged, 0 rejected ({summaries[0].rsplit('(', 1)[1]}"
    assert closing.startswith(f"run {run_id} done: 6 files: 6 committed; 7,500 rows read")

    again = run_etl("import", "--db", db_url, "pets", str(folder / "b1.csv"))
    summary = log_lines(again.stdout)[1]
    assert summary.startswith(f"{folder / 'b1.csv'}: skipped: already imported by run {run_id} at 20")
    assert summary.split(" from ", 1)[1].startswith(f"{folder / 'b1.csv'} (")

    dry = run_etl("import", "--db", db_url, "--dry-run", "pets", str(folder / "b1.csv"))
    assert dry.exit_code == 0
    assert f"dry_run: 1,700 read, 0 inserted, 0 updated, 1,700 unchanged, 0 rejected; imported before by " \
           f"run {run_id} at " in log_lines(dry.stdout)[1]


def running_attempts(url: str) -> int:
    try:
        return query(url, "SELECT COUNT(*) FROM etl_import_run WHERE status = 'running'")[0][0]
    except Exception:  # the ledger is not created yet
        return 0


def wait_for(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


@pytest.mark.parametrize(("signum", "code", "workers"), [
    (signal.SIGINT, 130, "1"), (signal.SIGTERM, 143, "2"), (signal.SIGTERM, 143, "1"),
])
def test_a_signal_rolls_back_records_and_exits_128_plus_signal(db_url: str, tmp_path: Path, signum: int,
                                                               code: int, workers: str) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    for n in range(3):
        write_pets(folder / f"big{n}.csv", 600_000, n * 600_000)
    proc = start("import", "--db", db_url, "--json", "--chunk-size", "1000", "--workers", workers,
                 "--archive-dir", "archive", "--error-dir", "rejected", "pets", str(folder), cwd=tmp_path)
    wait_for(lambda: running_attempts(db_url) >= 1)
    time.sleep(0.3)
    assert proc.poll() is None, "the import finished before the signal; use bigger files"
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)

    name = signal.Signals(signum).name
    assert proc.returncode == code, err
    assert "Traceback" not in err
    document = json.loads(out)
    assert document["error"] == {"message": f"interrupted by {name}", "exit_code": code}
    # SQLite's one writer keeps a second worker waiting: it rolls back what it began, if anything
    assert 1 <= len(document["files"]) <= int(workers)
    assert {entry["status"] for entry in document["files"]} == {"rolled_back"}
    assert document["files"][0]["errors"][0]["message"] == f"interrupted by {name}"
    assert query(db_url, "SELECT COUNT(*) FROM pet") == [(0,)]
    assert query(db_url, "SELECT COUNT(*) FROM etl_loaded_file") == [(0,)]
    assert query(db_url, "SELECT COUNT(*) FROM etl_file_claim") == [(0,)]
    assert sorted(query(db_url, "SELECT status, error FROM etl_import_run")) == sorted(
        ("rolled_back", f"{entry['path']}: interrupted by {name}") for entry in document["files"])
    assert sorted(p.name for p in folder.iterdir()) == ["big0.csv", "big1.csv", "big2.csv"]  # left for the next run
    assert not (tmp_path / "rejected").exists()


def test_a_signal_with_debug_and_a_text_log(db_url: str, tmp_path: Path) -> None:
    big = write_pets(tmp_path / "big.csv", 300_000, 0)
    proc = start("--debug", "import", "--db", db_url, "--chunk-size", "1000", "pets", str(big), cwd=tmp_path)
    wait_for(lambda: running_attempts(db_url) >= 1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    header, summary, closing = log_lines(out)
    assert summary.startswith(f"{big}: rolled_back: ")
    assert summary.endswith(")") and "interrupted by SIGINT: rolled back; the next run imports it" in summary
    assert closing.startswith(f"run {header.split(', run ')[1].split()[0]} interrupted by SIGINT: 1 of 1 files done")
    assert "SIGINT received: rolling back" in err


def test_standard_input(run_etl, db_url: str, tmp_path: Path) -> None:
    text = (SAMPLE_DATA / "pets.csv").read_bytes()

    def pipe(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "etl", "import", "--db", db_url, *args], input=text,
                              capture_output=True, cwd=tmp_path, env=clean_env(), timeout=120)

    first = pipe("--json", "pets", "-")
    assert first.returncode == 0, first.stderr
    (entry,) = json.loads(first.stdout)["files"]
    assert (entry["path"], entry["status"], entry["inserted"]) == ("-", "committed", 4)
    again = pipe("pets", "-", "--name", "nightly.csv")
    assert again.returncode == 0
    assert "nightly.csv: skipped: already imported by run " in again.stdout.decode()
    assert query(db_url, "SELECT path FROM etl_import_run ORDER BY id") == [("-",), ("nightly.csv",)]
    for args, message in ((["pets", "-", "--archive-dir", "a"], "--archive-dir does not apply to standard input"),
                          (["pets", "-", str(SAMPLE_DATA / "pets.csv")], "cannot be mixed with files"),
                          (["pets", str(SAMPLE_DATA / "pets.csv"), "--name", "x"], "--name names standard input")):
        refused = pipe(*args)
        assert refused.returncode == 2 and message in refused.stderr.decode()


NEW_TABLES = ("etl_run", "etl_run_attempt", "etl_file_claim")


def test_a_ledger_made_by_the_previous_version_keeps_working(run_etl, db_url: str) -> None:
    pets = str(SAMPLE_DATA / "pets.csv")
    assert run_etl("import", "--db", db_url, "pets", pets).exit_code == 0
    execute(db_url, *(f"DROP TABLE {table}" for table in NEW_TABLES))  # as the previous version left it

    history = run_etl("history", "--db", db_url, "--json")
    assert history.exit_code == 0, history.stderr
    assert [(r["run"], r["status"]) for r in json.loads(history.stdout)["runs"]] == [(None, "committed")]
    assert "    -  " in run_etl("history", "--db", db_url).stdout

    again = run_etl("import", "--db", db_url, "--json", "pets", pets)
    assert again.exit_code == 0, again.stderr
    (entry,) = json.loads(again.stdout)["files"]
    assert entry["status"] == "skipped"
    assert entry["note"].startswith("already imported at ") and entry["imported_before"]["run"] is None
    contacts = run_etl("import", "--db", db_url, "contacts", str(SAMPLE_DATA / "contactos.csv"))
    assert contacts.exit_code == 0, contacts.stderr
    assert query(db_url, "SELECT COUNT(*) FROM etl_run") == [(2,)]


def run_on_a_terminal(args: list[str], cwd: Path, stdout: int | None = None) -> tuple[int, str]:
    """`etl ARGS` with a pseudo-terminal as its terminal (standard output too unless given);
    what the terminal showed, escape sequences removed."""
    import os
    import pty

    controller, terminal = pty.openpty()
    env = clean_env(TERM="xterm", COLUMNS="120", LINES="40")
    proc = subprocess.Popen([sys.executable, "-m", "etl", *args], stdin=terminal,
                            stdout=terminal if stdout is None else stdout, stderr=terminal, cwd=cwd, env=env)
    os.close(terminal)
    screen = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        screen += chunk
    code = proc.wait(timeout=300)
    os.close(controller)
    return code, re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.decode("utf-8", "replace"))


def test_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    folder = tmp_path / ("a-folder-with-a-long-name-" * 4)
    folder.mkdir()
    big = write_pets(folder / "[big] pets.csv", 400_000, 0)
    code, screen = run_on_a_terminal(["import", "--db", f"sqlite:///{tmp_path / 'etl.db'}", "--chunk-size", "2000",
                                      "pets", str(big)], tmp_path)
    assert code == 0
    assert "hashing [big] pets.csv" in screen
    assert "%" in screen and " rows/s" in screen and "ETA" in screen
    assert any(f"{n:,} rows" in screen for n in range(2_000, 400_001, 2_000))
    # the summary is one line, as written (longer than the terminal, never wrapped or styled)
    assert f"{big}: committed: 400,000 read, 400,000 inserted, 0 updated, 0 unchanged, 0 rejected (" in screen
    assert not LOG_TIMESTAMP.search(screen)  # no timestamps on a terminal


def test_with_the_bar_on_the_terminal_lines_for_a_file_go_to_the_file(tmp_path: Path) -> None:
    big = write_pets(tmp_path / "big.csv", 200_000, 0)
    with (tmp_path / "import.log").open("w") as log:
        code, screen = run_on_a_terminal(["import", "--db", f"sqlite:///{tmp_path / 'etl.db'}", "pets", str(big)],
                                         tmp_path, stdout=log.fileno())
    assert code == 0
    assert "hashing big.csv" in screen and ": committed:" not in screen
    header, summary, closing = log_lines((tmp_path / "import.log").read_text(encoding="utf-8"))
    assert summary.startswith(f"{big}: committed: 200,000 read")


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_live_claim_is_respected_and_a_dead_one_taken_over(run_etl, db_url: str) -> None:
    import os
    import socket

    from etl import ledger
    from etl.db import make_engine
    from etl.importing import claims

    pets = SAMPLE_DATA / "pets.csv"
    sha = ledger.file_sha256(pets)
    assert run_etl("init", "--db", db_url).exit_code == 0
    engine = make_engine(db_url)
    connection = engine.connect()
    connection.execution_options(sqlite_begin="IMMEDIATE")
    held = claims.try_claim(connection, "pets", sha, Path("elsewhere/pets.csv"), 77)
    assert isinstance(held, claims.Claim)

    taken = run_etl("import", "--db", db_url, "--json", "pets", str(pets))
    assert taken.exit_code == 0, taken.stderr
    (entry,) = json.loads(taken.stdout)["files"]
    assert entry["status"] == "skipped"
    assert entry["note"].startswith(f"taken by another run (run 77 on {socket.gethostname()}, pid {os.getpid()}, "
                                    "since 20")

    if engine.dialect.name == "sqlite":  # a holder on another host cannot be checked: respected
        execute(db_url, "UPDATE etl_file_claim SET host = 'other-host'")
        other = json.loads(run_etl("import", "--db", db_url, "--json", "pets", str(pets)).stdout)["files"][0]
        assert other["note"].startswith("taken by another run (run 77 on other-host, pid ")
        execute(db_url, f"UPDATE etl_file_claim SET host = '{socket.gethostname()}', pid = {dead_pid()}")
    connection.invalidate()  # the holder dies: its lock goes with its connection, its row stays
    connection.close()
    engine.dispose()
    assert query(db_url, "SELECT COUNT(*) FROM etl_file_claim") == [(1,)]

    after = run_etl("import", "--db", db_url, "--json", "pets", str(pets))
    assert json.loads(after.stdout)["files"][0]["status"] == "committed", after.stderr
    assert query(db_url, "SELECT COUNT(*) FROM etl_file_claim") == [(0,)]
    assert query(db_url, "SELECT COUNT(*) FROM pet") == [(4,)]


def test_the_same_content_under_two_names_is_imported_once_and_both_archived(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    write_pets(folder / "a.csv", 5_000, 0)
    (folder / "a-copy.csv").write_bytes((folder / "a.csv").read_bytes())
    write_pets(folder / "b.csv", 5_000, 10_000)
    command = ["import", "--db", db_url, "--json", "--workers", "2", "--archive-dir", "archive", "pets", "incoming"]
    outcomes = run_together(command, tmp_path)

    statuses = Counter()
    for code, document, err in outcomes:
        assert code == 0, err
        for entry in document["files"]:
            statuses[(Path(entry["path"]).name, entry["status"])] += 1
    assert statuses[("b.csv", "committed")] == 1
    assert statuses[("a.csv", "committed")] + statuses[("a-copy.csv", "committed")] == 1
    assert sorted(p.name for p in (tmp_path / "archive").iterdir()) == ["a-copy.csv", "a.csv", "b.csv"]
    assert list(folder.iterdir()) == []
    assert query(db_url, "SELECT COUNT(*) FROM pet") == [(10_000,)]
