"""The Python API as a notebook or scheduler user meets it: `etl.connect()` and `Database`."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import etl
from tests.conftest import SAMPLE_DATA, query


def test_a_file_imports_and_exports_through_the_api(db_url: str, tmp_path: Path) -> None:
    with etl.connect(db_url) as db:
        assert "contacts" in db.pipelines()
        groups = db.import_file("groups", SAMPLE_DATA / "grupos.csv")
        contacts = db.import_file("contacts", SAMPLE_DATA / "contactos.csv")
        again = db.import_file("contacts", SAMPLE_DATA / "contactos.csv")
        stream = io.BytesIO()
        exported = db.export("contacts", stream)
        runs = db.history(limit=5)
    assert (groups.status, contacts.status, again.status) == ("committed", "committed", "skipped")
    assert contacts.inserted == exported == query(db_url, "SELECT count(*) FROM contactos")[0][0] > 0
    assert stream.getvalue().decode("utf-8").splitlines()[0] == "id,nombre,telefono,grupo"
    assert [run.status for run in runs][:3] == ["skipped", "committed", "committed"]
    assert contacts.to_dict()["warnings"] == [] and set(contacts.to_dict()) >= {
        "path", "status", "rows_read", "inserted", "updated", "unchanged", "rejected", "seconds", "errors"}


def test_a_bad_file_is_a_result_and_a_wrong_call_an_error(sqlite_url: str, tmp_path: Path) -> None:
    db = etl.connect(sqlite_url)
    result = db.import_file("contacts", SAMPLE_DATA / "contactos_con_errores.csv")
    assert result.status == "rejected" and result.errors
    assert all(isinstance(error, etl.RowError) for error in result.errors)
    with pytest.raises(etl.UsageError, match="unknown pipeline 'nope'"):
        db.import_file("nope", SAMPLE_DATA / "pets.csv")
    with pytest.raises(etl.UsageError, match="unknown import option"):
        db.import_file("pets", SAMPLE_DATA / "pets.csv", max_error=3)  # type: ignore[call-arg]
    with pytest.raises(etl.UsageError, match="needs a file name"):
        db.export("pets", io.BytesIO(), file_format="xlsx")
    db.close()


def test_init_and_template_need_no_cli(sqlite_url: str, tmp_path: Path) -> None:
    with etl.connect(sqlite_url) as db:
        created = db.init()
        assert set(created) >= {"pet", "grupos", "contactos"}
        assert db.init() == []
        assert db.template("pets", tmp_path / "pets.xlsx").read_bytes()[:2] == b"PK"
        assert repr(db).startswith("<etl.Database sqlite:///")


def test_connect_takes_the_url_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ETL_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    assert etl.connect().url == f"sqlite:///{tmp_path / 'env.db'}"
    assert etl.connect("sqlite:///other.db").url == "sqlite:///other.db"


def test_a_file_can_be_shown_under_the_name_its_sender_gave(sqlite_url: str, tmp_path: Path) -> None:
    upload = tmp_path / "upload-3f2a.csv"
    upload.write_bytes((SAMPLE_DATA / "pets.csv").read_bytes())
    with etl.connect(sqlite_url) as db:
        result = db.import_file("pets", upload, name="mis mascotas.csv", archive_dir=tmp_path / "done")
        runs = db.history(limit=1)
        with pytest.raises(etl.UsageError, match="no such file"):
            db.import_file("pets", tmp_path / "missing.csv", name="x.csv")
    assert (result.status, str(result.path), runs[0].path) == ("committed", "mis mascotas.csv", "mis mascotas.csv")
    assert result.moved_to == tmp_path / "done" / "upload-3f2a.csv" and not upload.exists()
