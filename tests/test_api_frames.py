"""pandas DataFrames in (`Database.import_frame`) and out (`Database.read_frame`), on every
database: validated like file text, recorded in the ledger, read back with exact dtypes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Boolean, Column, Date, DateTime, Integer, MetaData, Numeric, String, Table

import etl
from etl.db import make_engine
from etl.pipeline.definition import load_pipelines
from tests.conftest import query
from tests.test_export import EXPECTED
from tests.test_warnings import openpyxl_book

ITEMS_PIPELINE = """
name = "items"
table = "item"
key = ["code"]

[[columns]]
name = "code"
headers = ["code"]
required = true

[[columns]]
name = "qty"
headers = ["qty"]
type = "integer"

[[columns]]
name = "price"
headers = ["price"]
type = "decimal"

[[columns]]
name = "active"
headers = ["active"]
type = "boolean"

[[columns]]
name = "day"
headers = ["day"]
type = "date"
date_format = "%d/%m/%Y"

[[columns]]
name = "at"
headers = ["at"]
type = "datetime"
"""


@pytest.fixture
def items(db_url: str, tmp_path: Path) -> etl.Database:
    """A database with an `item` table of every column type, and a pipeline for it."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "items.toml").write_text(ITEMS_PIPELINE, encoding="utf-8")
    table = Table(
        "item", MetaData(), Column("id", Integer, primary_key=True), Column("code", String(20), nullable=False),
        Column("qty", Integer), Column("price", Numeric(10, 2)), Column("active", Boolean),
        Column("day", Date), Column("at", DateTime),
    )
    engine = make_engine(db_url)
    table.create(engine)
    engine.dispose()
    return etl.connect(db_url, pipelines_dir=folder)


def items_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "code": ["0412", "0007", "X"],
        "qty": [1.0, np.nan, 3.0],  # a float column, as a spreadsheet with a gap gives it
        "price": [Decimal("12.50"), None, 0.25],
        "active": pd.array([True, None, False], dtype="boolean"),
        "day": pd.to_datetime(["2024-12-31", None, "2000-01-01"]),
        "at": [pd.Timestamp("2024-12-31 22:30:05"), pd.NaT, dt.datetime(2000, 1, 1, 8, 0)],
    })


def test_a_frame_lands_as_its_text_and_reads_back_with_exact_dtypes(items: etl.Database, db_url: str) -> None:
    with items as db:
        result = db.import_frame("items", items_frame(), name="items-frame")
        frame = db.read_frame("items")
    assert (result.status, result.inserted, result.errors) == ("committed", 3, [])
    assert query(db_url, "SELECT code, qty FROM item ORDER BY id") == [("0412", 1), ("0007", None), ("X", 3)]
    assert list(frame.columns) == ["id", "code", "qty", "price", "active", "day", "at"]
    assert {name: str(dtype) for name, dtype in frame.dtypes.items()} == {
        "id": "Int64", "code": "string", "qty": "Int64", "price": "object", "active": "boolean",
        "day": "datetime64[us]", "at": "datetime64[us]"}
    assert frame["code"].tolist() == ["0412", "0007", "X"]
    assert frame["qty"].tolist() == [1, pd.NA, 3]
    assert frame["price"].tolist() == [Decimal("12.50"), None, Decimal("0.25")]
    assert frame["active"].tolist() == [True, pd.NA, False]
    assert frame["day"].tolist()[::2] == [pd.Timestamp("2024-12-31"), pd.Timestamp("2000-01-01")]
    assert frame["at"].tolist()[::2] == [pd.Timestamp("2024-12-31 22:30:05"), pd.Timestamp("2000-01-01 08:00")]
    assert frame["day"].isna().tolist() == [False, True, False]


def test_the_same_frame_twice_is_skipped(items: etl.Database) -> None:
    with items as db:
        first = db.import_frame("items", items_frame(), name="monday")
        again = db.import_frame("items", items_frame(), name="tuesday")
        as_rows = db.import_rows("items", items_frame().to_dict("records"), name="records")
        changed = items_frame()
        changed.loc[2, "qty"] = 4
        edited = db.import_frame("items", changed, name="edited")
        forced = db.import_frame("items", changed, name="edited", force=True)
        runs = db.history(limit=5)
    assert (first.status, again.status, as_rows.status) == ("committed", "skipped", "skipped")
    assert (edited.status, edited.updated, edited.unchanged) == ("committed", 1, 2)
    assert (forced.status, forced.unchanged) == ("committed", 3)
    assert [run.path for run in runs] == ["edited", "edited", "records", "tuesday", "monday"]
    assert len({run.sha256 for run in runs}) == 2


def test_nan_in_a_required_column_is_that_rows_error(db_url: str) -> None:
    frame = pd.DataFrame({"name": ["Rex", np.nan, "Kit", None], "type": ["dog", "cat", pd.NA, "bird"],
                          "age": pd.array([3, None, 1, 2], dtype="Int64")}, index=[10, 20, 30, 40])
    with etl.connect(db_url) as db:
        result = db.import_frame("pets", frame, name="pets-frame")
        errors = result.errors_frame()
    assert (result.status, result.rows_read, result.rejected) == ("rejected", 4, 3)
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (3, "name", "a value is required"), (4, "type", "a value is required"), (5, "name", "a value is required")]
    assert list(errors.columns) == ["row", "column", "value", "message"]
    assert errors["row"].tolist() == [3, 4, 5] and str(errors["row"].dtype) == "Int64"
    assert query(db_url, "SELECT count(*) FROM pet") == [(0,)]


def test_a_leading_zero_in_text_survives_and_a_number_is_its_digits(db_url: str) -> None:
    frame = pd.DataFrame({"nombre": ["Ana", "Luis"], "telefono": ["04141234567", 4141234567],
                          "grupo": ["Amigos", "Amigos"]})
    with etl.connect(db_url) as db:
        result = db.import_frame("contacts", frame, name="contacts-frame")
    assert result.status == "committed"
    assert query(db_url, "SELECT telefono FROM contactos ORDER BY id") == [("04141234567",), ("4141234567",)]
    assert [(w.row, w.column, w.value) for w in result.warnings] == [(3, "telefono", "4141234567")]
    assert "other values start with 0 and have 11 digits (e.g. '04141234567')" in result.warnings[0].message


PHONES = [["nombre", "telefono", "grupo"], ["Ana", 4141234567, "Amigos"], ["Luis", 4161234567, "Familia"],
          ["Eva", 41612345, "Amigos"]]
"""Phones typed as numbers: the 10-digit ones fill `telefono`'s 11 characters once padded
with the zero the spreadsheet dropped; the 8-digit one does not."""


def test_numbers_in_a_text_column_warn_as_a_workbooks_number_cells_do(db_url: str, tmp_path: Path) -> None:
    book = openpyxl_book(tmp_path / "contactos.xlsx", PHONES)
    frame = pd.DataFrame(PHONES[1:], columns=PHONES[0])
    assert str(frame["telefono"].dtype) == "int64"
    dtypes = ("int64", "Int64", "uint64", "float64", "Float64", "object")
    with etl.connect(db_url) as db:
        from_file = db.import_file("contacts", book, dry_run=True)
        from_frames = {dtype: db.import_frame("contacts", frame.astype({"telefono": dtype}), name=f"phones-{dtype}",
                                              dry_run=True) for dtype in dtypes}
        as_text = db.import_frame("contacts", frame.astype({"telefono": "string"}), name="phones as text",
                                  dry_run=True)
        committed = db.import_frame("contacts", frame, name="phones")
    expected = [(w.row, w.column, w.value, w.message) for w in from_file.warnings]
    assert [(row, column, value) for row, column, value, _ in expected] == [
        (2, "telefono", "4141234567"), (3, "telefono", "4161234567")]
    assert all("lost its leading zero: the column holds 11 characters" in message for *_, message in expected)
    for dtype, result in from_frames.items():
        assert (dtype, result.status, [(w.row, w.column, w.value, w.message) for w in result.warnings]) == (
            dtype, "dry_run", expected)
    assert (as_text.status, as_text.warnings) == ("dry_run", [])  # digits typed as text are meant as they are
    assert committed.status == "committed" and len(committed.warnings) == 2
    assert query(db_url, "SELECT telefono FROM contactos ORDER BY id") == [("4141234567",), ("4161234567",),
                                                                          ("41612345",)]


def test_read_frame_to_import_frame_changes_nothing_in_any_builtin_pipeline(seeded: str) -> None:
    builtin = list(load_pipelines())
    assert sorted(builtin) == sorted(EXPECTED)  # a new built-in pipeline needs seeded rows here
    with etl.connect(seeded) as db:
        for pipeline in builtin:
            frame = db.read_frame(pipeline)
            assert list(frame.columns) == EXPECTED[pipeline][0]
            assert frame.astype(object).where(frame.notna(), None).values.tolist() == EXPECTED[pipeline][1]
            result = db.import_frame(pipeline, frame, name=f"{pipeline}-round-trip")
            assert (result.status, result.rows_read, result.unchanged) == ("committed", len(frame), len(frame))
            assert (result.inserted, result.updated, result.rejected) == (0, 0, 0)


def test_a_frame_of_every_type_round_trips_unchanged(items: etl.Database) -> None:
    with items as db:
        db.import_frame("items", items_frame(), name="items")
        result = db.import_frame("items", db.read_frame("items"), name="items-read-back")
    assert (result.status, result.unchanged, result.updated, result.inserted) == ("committed", 3, 0, 0)


def test_read_frame_shapes_the_query_as_export_does(seeded: str) -> None:
    with etl.connect(seeded) as db:
        picked = db.read_frame("contacts", columns=["nombre", "grupo"], where="grupo = 'Familia'",
                               order_by="nombre DESC", limit=1)
        counted = db.read_frame(sql="SELECT type, COUNT(*) AS n, MAX(age) AS oldest FROM pet GROUP BY type "
                                    "ORDER BY type")
        table = db.read_frame("pet")
        nothing = db.read_frame("pets", where="age > 100")
        with pytest.raises(etl.UsageError, match="unknown column 'nope'"):
            db.read_frame("pets", columns=["nope"])
        with pytest.raises(etl.EtlError):
            db.read_frame(sql="DELETE FROM pet")
    assert picked.values.tolist() == [["Ana Pérez", "Familia"]]
    assert counted.values.tolist() == [["cat", 2, 12], ["dog", 1, 3], ["fish", 1, 0]]
    assert [str(dtype) for dtype in counted.dtypes] == ["string", "Int64", "Int64"]
    assert list(table.columns) == ["id", "name", "type", "age"] and str(table["age"].dtype) == "Int64"
    assert nothing.empty and list(nothing.columns) == ["id", "name", "type", "age"]
    assert str(nothing["name"].dtype) == "string"
    assert query(seeded, "SELECT count(*) FROM pet") == [(4,)]


def test_read_frame_in_chunks(seeded: str) -> None:
    with etl.connect(seeded) as db:
        chunks = list(db.read_frame("pets", chunksize=3))
        with pytest.raises(etl.UsageError, match="unknown pipeline or table 'nope'"):
            db.read_frame("nope", chunksize=3)  # checked on the call, not at the first frame
        with pytest.raises(etl.UsageError, match="chunksize must be at least 1"):
            db.read_frame("pets", chunksize=0)
    assert [len(chunk) for chunk in chunks] == [3, 1]
    assert [chunk.index.tolist() for chunk in chunks] == [[0, 1, 2], [0]]
    assert all(str(chunk["age"].dtype) == "Int64" for chunk in chunks)
    assert pd.concat(chunks)["name"].tolist() == ["Rex", "Tom", "Kit", "007"]


def test_import_frame_takes_only_a_frame_and_row_options(sqlite_url: str) -> None:
    with etl.connect(sqlite_url) as db:
        with pytest.raises(etl.UsageError, match="takes a pandas DataFrame, not a list"):
            db.import_frame("pets", [{"name": "Rex"}], name="x")  # type: ignore[arg-type]
        with pytest.raises(etl.UsageError, match="archive_dir: only for importing files"):
            db.import_frame("pets", pd.DataFrame(), name="x", archive_dir="done")
        empty = db.import_frame("pets", pd.DataFrame(columns=["name", "type"]), name="empty")
    assert (empty.status, empty.rows_read) == ("committed", 0)
