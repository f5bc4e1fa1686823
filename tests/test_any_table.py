"""`etl import --table NAME FILE [--create] [--key]` and `etl pipelines new`: any table without
a hand-written pipeline, on SQLite and the servers, reading the database back."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, inspect, select

from etl.db import make_engine
from tests.conftest import write_csv

HEADER = ["Fecha de venta", "Cliente", "Importe", "Unidades", "Teléfono", "Pagado"]
ROWS = [["2024-02-03", "Ana", "1234.50", "3", "04141234567", "sí"],
        ["2024-02-04", "Luis", "12", "1", "+58414", "no"]]


def rows_of(url: str, name: str) -> tuple[dict[str, str], list[tuple]]:
    """The table's column types (as SQLAlchemy names them) and its rows, typed, by id."""
    engine = make_engine(url)
    try:
        table = Table(name, MetaData(), autoload_with=engine)
        types = {c.name: type(c.type).__name__.upper() for c in table.columns}
        with engine.connect() as connection:
            rows = [tuple(r)[1:] for r in connection.execute(select(table).order_by(table.c.id))]
        return types, rows
    finally:
        engine.dispose()


def test_create_infers_types_text_first_and_key_updates(tmp_path: Path, db_url: str, run_etl) -> None:
    data = write_csv(tmp_path / "ventas.csv", HEADER, ROWS)
    done = run_etl("import", "--db", db_url, "--table", "ventas", str(data), "--create", "--key", "cliente")
    assert done.exit_code == 0, done.stderr
    types, rows = rows_of(db_url, "ventas")
    assert [c["name"] for c in inspect(make_engine(db_url)).get_columns("ventas")] == [
        "id", "fecha_de_venta", "cliente", "importe", "unidades", "telefono", "pagado"]
    assert types["telefono"] == "VARCHAR" and types["cliente"] == "VARCHAR"  # leading 0 and + keep text
    assert rows[0][:5] == (date(2024, 2, 3), "Ana", Decimal("1234.50"), 3, "04141234567")
    assert rows[1][4] == "+58414" and bool(rows[1][5]) is False
    changed = write_csv(tmp_path / "ventas2.csv", HEADER, [["2024-02-05", "Ana", "99", "4", "0414", "sí"]])
    again = run_etl("import", "--db", db_url, "--table", "ventas", str(changed), "--key", "Cliente", "--json")
    assert again.exit_code == 0, again.stderr
    assert '"updated": 1' in again.stdout
    assert rows_of(db_url, "ventas")[1][0][:4] == (date(2024, 2, 5), "Ana", Decimal("99.00"), 4)


def test_an_existing_table_takes_its_types_from_the_database(tmp_path: Path, db_url: str, run_etl) -> None:
    engine = make_engine(db_url)  # another program's table: an auto-increment id on every database
    Table("stock", MetaData(), Column("id", Integer, primary_key=True), Column("sku", String(10), nullable=False),
          Column("qty", Integer)).create(engine)
    engine.dispose()
    data = write_csv(tmp_path / "stock.csv", ["SKU", "qty"], [["007", "5"], ["A-1", "x"]])
    done = run_etl("import", "--db", db_url, "--table", "stock", str(data))
    assert done.exit_code == 1
    assert f"{data}:3:qty: not a whole number (value 'x')" in done.stderr
    good = write_csv(tmp_path / "good.csv", ["SKU", "qty"], [["007", "5"]])
    assert run_etl("import", "--db", db_url, "--table", "stock", str(good)).exit_code == 0
    assert rows_of(db_url, "stock")[1] == [("007", 5)]
    unknown = write_csv(tmp_path / "bad.csv", ["SKU", "qtty"], [["1", "1"]])
    refused = run_etl("import", "--db", db_url, "--table", "stock", str(unknown))
    assert "qtty: unknown column; did you mean 'qty'?" in refused.stderr


def test_a_missing_table_without_create_names_the_fix(tmp_path: Path, cli) -> None:
    data = write_csv(tmp_path / "ventas.csv", HEADER, ROWS)
    done = cli("import", "--table", "ventas", str(data))
    assert done.exit_code == 2
    assert "table 'ventas' does not exist" in done.stderr and "add --create" in done.stderr
    assert "etl pipelines new ventas" in done.stderr


def test_pipelines_new_prints_a_pipeline_that_loads_and_imports(tmp_path: Path, cli) -> None:
    data = tmp_path / "ventas.csv"
    data.write_text("Fecha;Importe;Código\n03/02/2024;1.234,50;007\n04/02/2024;12,00;120\n", encoding="utf-8")
    done = cli("pipelines", "new", "ventas", str(data), "--decimal-comma", "--date-format", "%d/%m/%Y",
               "--key", "Fecha")
    assert done.exit_code == 0, done.stderr
    parsed = tomllib.loads(done.stdout)
    assert parsed["key"] == ["fecha"] and parsed["create"] is True
    assert [(c["name"], c["type"]) for c in parsed["columns"]] == [
        ("fecha", "date"), ("importe", "decimal"), ("codigo", "text")]
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "ventas.toml").write_text(done.stdout, encoding="utf-8")
    assert cli("init", "--pipelines-dir", str(folder)).exit_code == 0
    imported = cli("import", "--pipelines-dir", str(folder), "ventas", str(data))
    assert imported.exit_code == 0, imported.stderr
