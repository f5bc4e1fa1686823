"""Rows given in memory (`Database.import_rows`) go through the journey a file does: the
same validation, the ledger under a name, the same results."""

from __future__ import annotations

from pathlib import Path

import pytest

import etl
from tests.conftest import query

PETS = [
    {"name": "Rex", "type": "dog", "age": 3},
    {"name": "Tom", "type": "cat", "age": 2.0},
    {"name": "Nemo", "type": "fish"},
]


def test_rows_are_imported_once_and_recorded_under_their_name(db_url: str) -> None:
    with etl.connect(db_url) as db:
        first = db.import_rows("pets", PETS, name="pets-from-api")
        again = db.import_rows("pets", iter(PETS), name="another name, same rows")
        runs = db.history(limit=2)
    assert (first.status, first.rows_read, first.inserted) == ("committed", 3, 3)
    assert again.status == "skipped"
    assert str(first.path) == "pets-from-api" and first.to_dict()["path"] == "pets-from-api"
    assert [(run.path, run.status) for run in runs] == [
        ("another name, same rows", "skipped"), ("pets-from-api", "committed")]
    assert runs[0].sha256 == runs[1].sha256
    assert query(db_url, "SELECT name, type, age FROM pet ORDER BY name") == [
        ("Nemo", "fish", None), ("Rex", "dog", 3), ("Tom", "cat", 2)]


def test_a_leading_zero_survives_and_a_bad_row_names_its_number(db_url: str) -> None:
    rows = [
        {"nombre": "Ana", "telefono": "04141234567", "grupo": "Amigos"},
        {"nombre": "Luis", "telefono": None, "grupo": "Amigos"},
        {"nombre": "Carla", "telefono": "0414-ABC", "grupo": "Amigos"},
    ]
    with etl.connect(db_url) as db:
        rejected = db.import_rows("contacts", rows, name="contacts.rows")
        fixed = db.import_rows("contacts", [rows[0]], name="contacts.rows")
    assert rejected.status == "rejected" and rejected.rows_read == 3 and rejected.rejected == 2
    assert [(e.row, e.column, e.message) for e in rejected.errors] == [
        (3, "telefono", "a value is required"), (4, "telefono", "a phone number is digits only")]
    assert rejected.errors[0].describe(rejected.path) == "contacts.rows:3:telefono: a value is required"
    assert fixed.status == "committed"
    assert query(db_url, "SELECT nombre, telefono FROM contactos") == [("Ana", "04141234567")]


def test_rows_take_the_import_options_that_are_not_about_files(sqlite_url: str, tmp_path: Path) -> None:
    rows = [{"name": "Rex", "type": "dog", "age": -1}, {"name": "Tom", "type": "cat", "age": 2}]
    with etl.connect(sqlite_url) as db:
        dry = db.import_rows("pets", rows, name="pets", dry_run=True, max_errors=1)
        kept = db.import_rows("pets", rows, name="pets", max_errors=1, rejects=tmp_path / "bad.csv")
        with pytest.raises(etl.UsageError, match="sheet: only for importing files"):
            db.import_rows("pets", rows, name="pets", sheet="Hoja1")
        with pytest.raises(etl.UsageError, match="give a name"):
            db.import_rows("pets", rows, name=" ")
        with pytest.raises(etl.UsageError, match="row 3 is a list"):
            db.import_rows("pets", [rows[0], ["Tom", "cat"]], name="pets")  # type: ignore[list-item]
    assert (dry.status, dry.inserted, dry.rejected) == ("dry_run", 1, 1)
    assert (kept.status, kept.inserted, kept.rejected) == ("committed", 1, 1)
    assert (tmp_path / "bad.csv").read_text(encoding="utf-8").splitlines() == [
        "row,error,name,type,age", "2,age: must be at least 0,Rex,dog,-1"]
