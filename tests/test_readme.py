"""The README as a user meets it: every ```sh example runs as written from a copy of the
clone's root, the crontab recipe works under cron's conditions (no environment, no
terminal) on every database, and every environment variable etl reads is documented."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import LOG_TIMESTAMP, PROJECT_ROOT, SAMPLE_DATA, clean_env, log_lines, query

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent
"""Where this environment installed `etl` (the README's `pip install .` put it there)."""


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.S | re.M)


def shell_commands() -> list[str]:
    """Each line of the ```sh blocks, in order. `pip install … &&` is what made this
    environment, and running the test suite from inside it would recurse: both are left out."""
    commands = []
    for block in blocks("sh"):
        for line in block.splitlines():
            line = re.sub(r"^pip install [^&]*&&\s*", "", line.strip())
            if line and not line.startswith(("#", "pip install")) and "pytest" not in line:
                commands.append(line)
    return commands


def clone_copy(folder: Path) -> Path:
    for part in ("sample_data", "pipelines"):
        shutil.copytree(PROJECT_ROOT / part, folder / part)
    shutil.copy(PROJECT_ROOT / "README.md", folder)
    return folder


def user_env(home: Path) -> dict[str, str]:
    return clean_env(PATH=f"{BIN}{os.pathsep}/usr/bin{os.pathsep}/bin", HOME=str(home))


def test_every_shell_example_runs_as_written(tmp_path: Path) -> None:
    root = clone_copy(tmp_path / "clone")
    commands = shell_commands()
    assert any(c.startswith("etl import ") for c in commands) and any(c.startswith("etl export") for c in commands)
    for command in commands:
        done = subprocess.run(["/bin/sh", "-c", command], cwd=root, env=user_env(tmp_path), capture_output=True,
                              text=True, stdin=subprocess.DEVNULL, timeout=300)
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr, command
    again = subprocess.run(["/bin/sh", "-c", commands[0]], cwd=root, env=user_env(tmp_path), capture_output=True,
                           text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert again.returncode == 0
    imports = [LOG_TIMESTAMP.sub("", line) for line in again.stdout.splitlines() if LOG_TIMESTAMP.match(line)]
    summaries = [line for line in imports if ": skipped: " in line or ": committed: " in line]
    assert summaries and all(": skipped: already imported by run " in line for line in summaries)


def cron_recipe() -> tuple[dict[str, str], str]:
    """The ```cron block: its environment lines and its one job's command (after the five
    time fields)."""
    (block,) = blocks("cron")
    env: dict[str, str] = {}
    jobs = []
    for line in block.splitlines():
        if re.match(r"^[A-Z_]+=", line):
            name, value = line.split("=", 1)
            env[name] = value
        elif line.strip() and not line.startswith("#"):
            jobs.append(line.split(None, 5)[5])
    (command,) = jobs
    return env, command


def run_like_cron(env: dict[str, str], command: str) -> subprocess.CompletedProcess[str]:
    """`env -i` (nothing but the crontab's variables), /bin/sh, no terminal (a new session,
    standard input from /dev/null)."""
    assignments = [f"{name}={value}" for name, value in env.items()]
    return subprocess.run(["env", "-i", *assignments, "/bin/sh", "-c", command], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, start_new_session=True, timeout=300)


def test_the_crontab_recipe_works_when_pasted(db_url: str, tmp_path: Path) -> None:
    env, command = cron_recipe()
    assert set(env) == {"ETL_DATABASE_URL", "ETL_DATABASE_PASSWORD"}
    assert "/srv/etl/.venv/bin/etl import " in command
    # The recipe's machine is this test's: its folder, its installed etl, its database.
    srv = tmp_path / "srv"
    (srv / "incoming").mkdir(parents=True)
    command = command.replace("/srv/etl/.venv/bin/etl", str(BIN / "etl")).replace("/srv/etl", str(srv))
    url = make_url(db_url)
    env = {"ETL_DATABASE_URL": url.set(password=None).render_as_string(hide_password=False),
           "ETL_DATABASE_PASSWORD": url.password or ""}
    for name in ("contactos.csv", "contacts.xlsx"):
        shutil.copy(SAMPLE_DATA / name, srv / "incoming" / name)

    night = run_like_cron(env, command)
    assert (night.returncode, night.stdout, night.stderr) == (0, "", "")
    lines = log_lines((srv / "etl.log").read_text(encoding="utf-8"))
    assert lines[0].startswith("etl import contacts: 2 files, run 1 (host ")
    assert lines[1].startswith(f"incoming/contactos.csv: committed: 5 read, 5 inserted")
    assert lines[-1].startswith("run 1 done: 2 files: ")
    assert sorted(p.name for p in (srv / "archive").iterdir()) == ["contactos.csv", "contacts.xlsx"]
    assert query(db_url, "SELECT COUNT(*) FROM contactos")[0][0] >= 5

    shutil.copy(SAMPLE_DATA / "contactos_con_errores.csv", srv / "incoming")
    bad_night = run_like_cron(env, command)
    assert bad_night.returncode == 0  # the `|| echo` ran: cron mails its line
    assert bad_night.stdout.startswith("etl import contacts failed with exit code 1; see ")
    assert sorted(p.name for p in (srv / "rejected").iterdir()) == [
        "contactos_con_errores.csv", "contactos_con_errores.csv.errors.txt"]
    log = log_lines((srv / "etl.log").read_text(encoding="utf-8"))
    assert "incoming/contactos_con_errores.csv:3:Nombre: a value is required" in log
    assert any(line.startswith("incoming/contactos_con_errores.csv: rejected: 5 read") for line in log)


def test_every_environment_variable_is_documented() -> None:
    code = "\n".join(path.read_text(encoding="utf-8") for folder in ("etl", "tests", "benchmarks")
                     for path in (PROJECT_ROOT / folder).rglob("*.py"))
    read = set(re.findall(r"\bETL_[A-Z0-9_]+\b", code))
    assert {"ETL_DATABASE_URL", "ETL_DATABASE_PASSWORD", "ETL_PIPELINES_DIR", "ETL_DEBUG"} <= read
    assert sorted(name for name in read if name not in README) == []
    assert "TMPDIR" in README


def section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, flags=re.S | re.M)
    assert match, title
    return match.group(1)


def test_the_one_off_load_transcripts_are_what_etl_prints(tmp_path: Path) -> None:
    """Each `$ etl …` of the one-off loads section's ```console blocks, run after the sample
    groups are loaded, prints every line shown under it (`… ` stands for the timestamp, and
    the seconds may differ)."""
    root = clone_copy(tmp_path / "clone")
    env = user_env(tmp_path)
    setup = subprocess.run(["etl", "import", "groups", "sample_data/grupos.csv"], cwd=root, env=env,
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert setup.returncode == 0, setup.stderr
    transcripts = re.findall(r"^```console\n(.*?)^```", section("One-off spreadsheet loads"), flags=re.S | re.M)
    assert len(transcripts) >= 2
    seconds = re.compile(r"\(\d+\.\d+ s\)")
    for transcript in transcripts:
        command, *shown = transcript.splitlines()
        assert command.startswith("$ etl ")
        done = subprocess.run(["/bin/sh", "-c", command[2:]], cwd=root, env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=300)
        printed = [seconds.sub("(s)", LOG_TIMESTAMP.sub("", line)) for line in (done.stdout + done.stderr).splitlines()]
        assert "Traceback" not in done.stderr, command
        for line in shown:
            assert line.startswith("… "), line
            assert seconds.sub("(s)", line[2:]) in printed, f"{command}\n{line}\n" + "\n".join(printed)
