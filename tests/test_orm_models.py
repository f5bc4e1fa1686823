"""An application's own SQLAlchemy models as import targets (sample_data/shop.py), through
the CLI on every database, read back from the database."""

from __future__ import annotations

import codecs
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, query, write_csv

APP = PROJECT_ROOT / "sample_data"
HEADER = ["SKU", "name", "price", "note", "category"]
ROWS = [
    ["ab12", "  red   mug ", "4.50", "fragile", "Kitchen"],
    ["cd34", "blue plate", "3", "", "Kitchen"],
    ["ef56", "lamp", "12.00", "hello", "Lights"],
]


def _import(cli, db_url: str, path: Path, *extra: str) -> tuple[int, dict]:
    result = cli("import", "products", str(path), "--db", db_url, "--pipelines-dir", str(APP), "--json", *extra)
    return result.exit_code, json.loads(result.stdout)["files"][0]


def _products(db_url: str) -> list[tuple]:
    return query(db_url, "SELECT p.sku_code, p.name, p.price, p.note, p.created_by, p.audit, c.name "
                         "FROM shop_product p LEFT JOIN shop_category c ON c.id = p.category_id ORDER BY p.sku_code")


def test_rows_become_product_objects(cli, db_url: str, tmp_path: Path) -> None:
    code, file = _import(cli, db_url, write_csv(tmp_path / "products.csv", HEADER, ROWS))
    assert code == 0, file
    assert (file["status"], file["write_mode"], file["inserted"], file["lookups_created"]) == (
        "committed", "objects", 3, 2)
    assert _products(db_url) == [
        ("AB12", "Red Mug", Decimal("4.50"), codecs.encode("fragile", "rot13"), "etl-import", "inserted", "Kitchen"),
        ("CD34", "Blue Plate", Decimal("3.00"), None, "etl-import", "inserted", "Kitchen"),
        ("EF56", "Lamp", Decimal("12.00"), "uryyb", "etl-import", "inserted", "Lights"),
    ]


def test_reimport_of_normalised_values_is_unchanged_and_changes_fire_update_events(
        cli, db_url: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "products.csv", HEADER, ROWS)
    assert _import(cli, db_url, path)[0] == 0
    code, again = _import(cli, db_url, path, "--force")
    assert code == 0 and (again["unchanged"], again["updated"], again["inserted"]) == (3, 0, 0)
    changed = [["AB12", "Red Mug", "5.00", "fragile", "Kitchen"], ROWS[1], ["ef56", "lamp", "12", "bye", "Garden"]]
    code, file = _import(cli, db_url, write_csv(tmp_path / "changed.csv", HEADER, changed))
    assert code == 0 and (file["updated"], file["unchanged"], file["lookups_created"]) == (2, 1, 1)
    rows = {row[0]: row for row in _products(db_url)}
    assert rows["AB12"][2] == Decimal("5.00") and rows["AB12"][5] == "updated"
    assert rows["CD34"][5] == "inserted"
    assert rows["EF56"][3] == codecs.encode("bye", "rot13") and rows["EF56"][6] == "Garden"


def test_a_validator_refusing_a_value_is_a_row_error(cli, db_url: str, tmp_path: Path) -> None:
    bad = [ROWS[0], ["x-1", "cup", "1", "", "Broken"], ROWS[2]]
    path = write_csv(tmp_path / "bad.csv", HEADER, bad)
    result = cli("import", "products", str(path), "--db", db_url, "--pipelines-dir", str(APP))
    assert result.exit_code == 1
    assert f"{path.name}:3:SKU: a SKU is letters and digits only (value 'x-1')" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert query(db_url, "SELECT count(*) FROM shop_product") == [(0,)]
    code, file = _import(cli, db_url, path, "--max-errors", "1")
    assert code == 0 and (file["inserted"], file["rejected"]) == (2, 1)
    assert sorted(r[0] for r in query(db_url, "SELECT name FROM shop_category")) == ["Kitchen", "Lights"]


def test_asking_for_a_mode_that_skips_the_model_is_a_usage_error(cli, db_url: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "products.csv", HEADER, ROWS)
    for mode in ("native", "bulk"):
        result = cli("import", "products", str(path), "--db", db_url, "--pipelines-dir", str(APP),
                     "--write-mode", mode)
        assert result.exit_code == 2
        assert "@validates('name')" in result.stderr and "before_insert" in result.stderr
    assert _import(cli, db_url, path, "--write-mode", "objects")[1]["inserted"] == 3


def test_model_without_a_pipeline_file(cli, db_url: str, tmp_path: Path) -> None:
    """`--model shop:Product` from the current folder: headers are attribute names, column
    names and the `info` headers; `etl import` creates the missing tables."""
    shutil.copy(APP / "shop.py", tmp_path / "shop.py")
    path = write_csv(tmp_path / "plain.csv", ["código", "name", "price", "note", "category"],
                     [["zz9", "  desk lamp", "20", "", "Office"]])
    result = cli("import", "--model", "shop:Product", str(path), "--db", db_url, "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    file = json.loads(result.stdout)["files"][0]
    assert (file["status"], file["write_mode"], file["inserted"]) == ("committed", "objects", 1)
    assert query(db_url, "SELECT sku_code, p.name, created_by, audit, c.name FROM shop_product p "
                         "JOIN shop_category c ON c.id = p.category_id") == [
        ("ZZ9", "Desk Lamp", "etl-import", "inserted", "Office")]  # the relationship, by the category's name
    by_column = write_csv(tmp_path / "columns.csv", ["sku_code", "name"], [["zz9", "desk lamp"]])
    result = cli("import", "--model", "shop:Product", str(by_column), "--db", db_url, "--json")
    assert json.loads(result.stdout)["files"][0]["unchanged"] == 1


def test_missing_name_is_required_from_the_mapping(cli, db_url: str, tmp_path: Path) -> None:
    shutil.copy(APP / "shop.py", tmp_path / "shop.py")
    path = write_csv(tmp_path / "noname.csv", ["sku"], [["a1"]])
    result = cli("import", "--model", "shop:Product", str(path), "--db", db_url)
    assert result.exit_code == 1
    assert "missing column 'name'" in result.stderr


def test_init_creates_model_tables_and_pipelines_shows_the_mode(cli, db_url: str) -> None:
    result = cli("init", "--db", db_url, "--pipelines-dir", str(APP))
    assert result.exit_code == 0, result.stderr
    assert query(db_url, "SELECT count(*) FROM shop_product") == [(0,)]
    assert query(db_url, "SELECT count(*) FROM shop_category") == [(0,)]
    listing = cli("pipelines", "--db", db_url, "--pipelines-dir", str(APP), env={"COLUMNS": "400"}).stdout
    flat = " ".join(listing.replace("│", " ").split())
    assert "objects: the model defines" in flat and "native: nothing in the model" in flat


def test_unknown_model_is_a_config_error(cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", ["sku"], [["a"]])
    result = cli("import", "--model", "nowhere:Thing", str(path), "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert result.exit_code != 0 and "no module nowhere" in result.stderr
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize("mode", ["objects", "bulk", "native"])
def test_rejected_rows_leave_no_new_group(cli, db_url: str, tmp_path: Path, mode: str) -> None:
    """The issue's example: the third row repeats the first's key and names a new group."""
    path = write_csv(tmp_path / "c.csv", ["nombre", "telefono", "grupo"], [
        ["Ana", "04121234567", "Amigos"], ["Luis", "04121234568", "Amigos"],
        ["Ana", "04121234567", "NuevoGrupo"]])
    result = cli("import", "contacts", str(path), "--db", db_url, "--max-errors", "1", "--write-mode", mode, "--json")
    file = json.loads(result.stdout)["files"][0]
    assert (file["status"], file["write_mode"], file["inserted"], file["lookups_created"]) == (
        "committed", mode, 2, 1)
    assert query(db_url, "SELECT grupo FROM grupos") == [("Amigos",)]
    assert query(db_url, "SELECT count(*) FROM contactos") == [(2,)]


def test_built_in_pipelines_default_to_native(cli, db_url: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "pets.csv", ["name", "type", "age"], [["Rex", "dog", "3"]])
    result = cli("import", "pets", str(path), "--db", db_url, "--json")
    assert json.loads(result.stdout)["files"][0]["write_mode"] == "native"


@pytest.mark.parametrize("mode", ["auto", "objects", "bulk", "native"])
def test_defaults_onupdate_and_type_decorators_in_every_mode(cli, db_url: str, tmp_path: Path, mode: str) -> None:
    """`Supplier` defines nothing the driver skips: `auto` is native, and every mode stores
    the same rows (defaults on insert, an empty cell taking the default, onupdate on update)."""
    shutil.copy(APP / "shop.py", tmp_path / "shop.py")

    def run(name: str, rows: list[list[str]]) -> dict:
        path = write_csv(tmp_path / name, ["code", "contact", "country"], rows)
        result = cli("import", "--model", "shop:Supplier", str(path), "--db", db_url, "--json",
                     "--write-mode", mode)
        assert result.exit_code == 0, result.stdout + result.stderr
        return json.loads(result.stdout)["files"][0]

    first = run("s1.csv", [["A1", "Ana", "CO"], ["B2", "", ""]])
    assert first["write_mode"] == ("native" if mode == "auto" else mode) and first["inserted"] == 2
    second = run("s2.csv", [["A1", "Ana", "CO"], ["B2", "Luis", "VE"]])
    assert (second["unchanged"], second["updated"]) == (1, 1)
    assert query(db_url, "SELECT code, contact, country, kind, revised FROM shop_supplier ORDER BY code") == [
        ("A1", "Nan", "CO", "supplier", None), ("B2", "Yhvf", "VE", "supplier", "revised")]
