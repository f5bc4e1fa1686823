"""Every write mode gives the same rows and the same counts: generated files (a first
import, then a file of updates, repeats, bad values and new groups) through objects, bulk
and native on each database, compared exactly."""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import etl
from tests.conftest import drop_all_tables, query

MODES = ("objects", "bulk", "native")
NAMES = st.sampled_from(["Rex", "Mia", "Tom", "Ana", "Luis", "Zoe"])
PET_ROWS = st.lists(st.tuples(NAMES, st.sampled_from(["dog", "cat", ""]),
                              st.sampled_from(["", "1", "7", "12", "x"])), max_size=12)
PHONES = st.sampled_from(["04121234567", "04121234568", "0412123456", "041212345678"])
GROUPS = st.sampled_from(["Amigos", "amigos", "Trabajo", "Nuevo", "Otro grupo", ""])
CONTACT_ROWS = st.lists(st.tuples(NAMES, PHONES, GROUPS), max_size=12)

TABLES = {
    "pets": ("SELECT id, name, type, age FROM pet ORDER BY id",),
    "contacts": ("SELECT id, grupo, descripcion FROM grupos ORDER BY id",
                 "SELECT id, nombre, telefono, grupo_id FROM contactos ORDER BY id"),
}
HEADERS = {"pets": ["name", "type", "age"], "contacts": ["nombre", "telefono", "grupo"]}


def _write(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _outcome(url: str, pipeline: str, files: list[Path], mode: str) -> tuple[list, list]:
    drop_all_tables(url)
    counts = []
    with etl.connect(url) as database:
        database.init()
        if pipeline == "contacts":
            with database.engine.begin() as connection:
                connection.exec_driver_sql("INSERT INTO grupos (grupo, descripcion) VALUES ('Amigos', 'x')")
        for path in files:
            result = database.import_file(pipeline, path, write_mode=mode, max_errors=100, chunk_size=4)
            counts.append((result.status, result.inserted, result.updated, result.unchanged, result.rejected,
                           result.lookups_created, [(e.row, e.column, e.message) for e in result.errors]))
    return counts, [query(url, sql) for sql in TABLES[pipeline]]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pipeline=st.sampled_from(["pets", "contacts"]), data=st.data())
def test_every_mode_writes_the_same(db_url: str, tmp_path: Path, pipeline: str, data: st.DataObject) -> None:
    strategy = PET_ROWS if pipeline == "pets" else CONTACT_ROWS
    rows = data.draw(strategy)
    changes = data.draw(st.lists(st.sampled_from(["", "3", "Trabajo", "Nuevo", "x"]), min_size=len(rows),
                                 max_size=len(rows)))
    changed = [(*row[:2], change) for row, change in zip(rows, changes)]  # the same keys: updates
    first = _write(tmp_path / f"{pipeline}-1.csv", HEADERS[pipeline], rows)
    second = _write(tmp_path / f"{pipeline}-2.csv", HEADERS[pipeline], data.draw(strategy) + changed)
    outcomes = {mode: _outcome(db_url, pipeline, [first, second], mode) for mode in MODES}
    assert outcomes["objects"] == outcomes["bulk"] == outcomes["native"]
