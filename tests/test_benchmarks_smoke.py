"""The benchmark harness at smoke size, so it cannot rot: it runs end to end and writes a
results table with a row, and numbers, for every approach. No time is asserted, ever."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import datagen
from benchmarks.approaches import APPROACHES, ETL, TASKS_BY_KEY, missing_tool
from benchmarks.measure import run_measured
from benchmarks.run import etl_commands
from tests.conftest import PROJECT_ROOT, clean_env

NUMBER = re.compile(r"^[0-9][0-9,]*(\.[0-9]+)?$")


def _approach_name(cell: str) -> str:
    """`**etl import** (note)` → `etl import`; `pandas to_sql (note)` → `pandas to_sql`."""
    bold = re.match(r"^\*\*(.+?)\*\*", cell)
    return bold.group(1) if bold else cell.split(" (", 1)[0]


def _table_rows(report: str, heading: str) -> list[list[str]]:
    section = report.split(f"### {heading}\n", 1)[1].lstrip("\n").split("\n\n", 1)[0]
    return [
        [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        for line in section.splitlines()[2:]
    ]


@pytest.fixture(scope="module")
def smoke_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("bench")
    out = tmp / "RESULTS.md"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--memory-check", "--databases", "sqlite",
         "--out", str(out), "--data-dir", str(tmp / "data")],
        cwd=PROJECT_ROOT, env=clean_env(), capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    return out.read_text(encoding="utf-8")


def test_smoke_run_reports_every_sqlite_approach_with_numbers(smoke_report: str) -> None:
    available = etl_commands()
    for approach in (a for a in APPROACHES if "sqlite" in a.databases):
        task = TASKS_BY_KEY[approach.task]
        rows = _table_rows(smoke_report, f"{task.title} — sqlite")
        matching = [row for row in rows if _approach_name(row[0]) == approach.name]
        assert len(matching) == 1, (approach.task, approach.name, rows)
        name, row_count, seconds, rate, peak, load, *ratios = matching[0]
        expected_rows = 500 if "xlsx" in approach.task else 2_000
        assert row_count == f"{expected_rows:,}"
        reason = missing_tool(approach.needs, available)
        if reason:
            assert f"not available: {reason}" in name
            continue
        assert "failed" not in name, name
        for value in (seconds, rate, peak, load):
            assert NUMBER.match(value), (approach.name, matching[0])
        ours = [a for a in APPROACHES if a.task == approach.task and a.role == ETL]
        assert len(ratios) == len(ours)
        if not any(missing_tool(a.needs, available) for a in ours):
            assert all(NUMBER.match(ratio) for ratio in ratios), (approach.name, matching[0])


def test_smoke_run_marks_targets_and_memory_check(smoke_report: str) -> None:
    assert re.search(r"^- date: \d{4}-\d\d-\d\d \d\d:\d\d UTC$", smoke_report, re.MULTILINE)
    assert re.search(r"^- machine: .+, \d+ cores", smoke_report, re.MULTILINE)
    targets = smoke_report.split("## Targets", 1)[1].split("##", 1)[0]
    assert "etl import ÷ pandas to_sql" in targets and "≤ 0.75" in targets
    assert "etl export ÷ pandas to_excel" in targets and "≤ 0.6" in targets
    for issue_18 in ("etl import ÷ DuckDB read_csv → INSERT | ", "etl export ÷ DuckDB COPY … TO | ",
                     "etl import ÷ limit: staging table + set-based upsert | "):
        assert issue_18 in targets
    memory = smoke_report.split("## Memory does not grow", 1)[1]
    assert "| etl import (CSV) | 2,000 |" in memory and "| 10,000 |" in memory
    assert "| etl export (CSV) | 2,000 |" in memory
    assert "| etl import (upsert CSV) | 2,000 |" in memory


def test_upsert_input_changes_a_tenth_and_adds_a_tenth(tmp_path: Path) -> None:
    base = {(name, kind): age for _, name, kind, age in datagen.pet_rows(2_000)}
    with datagen.upsert_csv(tmp_path, 2_000).open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    assert list(records[0]) == ["name", "type", "age"]
    keys = [(r["name"], r["type"]) for r in records]
    assert len(records) == 2_000 and len(set(keys)) == 2_000
    new = [r for r in records if (r["name"], r["type"]) not in base]
    changed = [r for r in records if base.get((r["name"], r["type"]), int(r["age"])) != int(r["age"])]
    assert len(new) == len(changed) == 200
    count, age_sum = datagen.upsert_expectation(2_000)
    assert count == 2_200
    assert age_sum == sum(base.values()) + sum(
        int(r["age"]) - base.get((r["name"], r["type"]), 0) for r in records
    )


def test_generated_data_is_deterministic_and_realistic(tmp_path: Path) -> None:
    first = datagen.contacts_csv(tmp_path / "a", 3_000).read_bytes()
    assert datagen.contacts_csv(tmp_path / "b", 3_000).read_bytes() == first
    with datagen.contacts_csv(tmp_path / "a", 3_000).open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    assert len(records) == 3_000
    phones = [r["telefono"] for r in records]
    assert all(len(p) == 11 and p.isdigit() and p.startswith("0") for p in phones)
    assert len(set(phones)) == len(phones)
    assert {r["grupo"] for r in records} == set(datagen.GROUPS)
    assert len(datagen.GROUPS) == 12

    pets = datagen.pets_csv(tmp_path / "a", 3_000).read_text(encoding="utf-8").splitlines()
    assert pets[0] == "id,name,type,age"
    assert [line.split(",")[0] for line in pets[1:]] == [str(n) for n in range(1, 3_001)]
    assert datagen.pets_csv(tmp_path / "b", 3_000).read_text(encoding="utf-8").splitlines() == pets


def test_peak_memory_is_the_childs_own(tmp_path: Path) -> None:
    big = run_measured([sys.executable, "-c", "import time; x = bytearray(200 * 2**20); time.sleep(0.2)"],
                       cwd=tmp_path)
    small = run_measured([sys.executable, "-c", "import time; time.sleep(0.2)"], cwd=tmp_path)
    assert big.ok and small.ok
    assert 200 <= big.peak_mb < 260
    assert small.peak_mb < 50


def test_failed_child_is_reported_not_raised(tmp_path: Path) -> None:
    result = run_measured([sys.executable, "-c", "import sys; sys.exit('boom')"], cwd=tmp_path,
                          env=clean_env())
    assert result.exit_code == 1 and not result.ok
    assert "boom" in result.stderr_tail
