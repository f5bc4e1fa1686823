"""Locales: per-column decimal/thousands separators and date formats, --decimal-comma and
--date-format on the command line, and a pipeline that creates its own table."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from sqlalchemy import MetaData, Table, select

from etl.db import make_engine
from tests.conftest import query, write_csv


def sales(url: str) -> list[tuple]:
    """The ventas rows through SQLAlchemy's types (SQLite stores decimals and dates loosely)."""
    engine = make_engine(url)
    try:
        table = Table("ventas", MetaData(), autoload_with=engine)
        with engine.connect() as connection:
            rows = connection.execute(select(table.c.ref, table.c.amount, table.c.units, table.c.day)
                                      .order_by(table.c.ref))
            return [tuple(row) for row in rows]
    finally:
        engine.dispose()

SALES = """\
name = "sales"
table = "ventas"
key = ["ref"]
create = true

[[columns]]
name = "ref"
required = true

[[columns]]
name = "amount"
type = "decimal"
precision = 12
scale = 2
{amount}

[[columns]]
name = "units"
type = "integer"
{units}

[[columns]]
name = "day"
type = "date"
{day}
"""


def sales_pipeline(tmp_path: Path, amount: str = "", units: str = "", day: str = "") -> Path:
    folder = tmp_path / "pipelines"
    folder.mkdir(exist_ok=True)
    (folder / "sales.toml").write_text(SALES.format(amount=amount, units=units, day=day), encoding="utf-8")
    return folder


def test_declared_marks_and_formats_read_local_numbers_and_dates(tmp_path: Path, db_url: str, run_etl) -> None:
    folder = sales_pipeline(
        tmp_path, amount='decimal_separator = ","\nthousands_separator = "."',
        units='thousands_separator = "."', day='date_format = ["%d/%m/%Y", "%d.%m.%Y"]')
    data = write_csv(tmp_path / "ventas.csv", ["ref", "amount", "units", "day"], [
        ["A1", "1.234,50", "1.200", "03/02/2024"],
        ["A2", "-0,75", "7", "29.02.2024"],
        ["A3", "12", "", "2024-03-01"],
    ])
    done = run_etl("import", "--db", db_url, "--pipelines-dir", str(folder), "sales", str(data))
    assert done.exit_code == 0, done.stderr
    assert sales(db_url) == [
        ("A1", Decimal("1234.50"), 1200, date(2024, 2, 3)),
        ("A2", Decimal("-0.75"), 7, date(2024, 2, 29)),
        ("A3", Decimal("12.00"), None, date(2024, 3, 1)),
    ]


def test_badly_grouped_or_unknown_forms_are_refused_with_the_reason(tmp_path: Path, cli) -> None:
    folder = sales_pipeline(tmp_path, amount='decimal_separator = ","\nthousands_separator = "."',
                            day='date_format = "%d/%m/%Y"')
    data = write_csv(tmp_path / "ventas.csv", ["ref", "amount", "day"], [
        ["A1", "1.23,4", "03/02/2024"], ["A2", "1,5", "02/31/2024"], ["A3", "1.5", "2024-02-03"]])
    done = cli("import", "--pipelines-dir", str(folder), "sales", str(data), "--json")
    errors = [(e["row"], e["column"], e["message"]) for e in json.loads(done.stdout)["files"][0]["errors"]]
    marks = "not a number (decimal mark ',', thousands separator '.' between groups of three digits)"
    assert errors == [
        (2, "amount", marks),
        (3, "day", "not a date in the format %d/%m/%Y (e.g. 31/12/2024)"),
        (4, "amount", marks),
    ]


def test_the_command_line_sets_the_locale_of_every_column(tmp_path: Path, db_url: str, run_etl) -> None:
    folder = sales_pipeline(tmp_path)
    data = write_csv(tmp_path / "ventas.csv", ["ref", "amount", "units", "day"],
                     [["A1", "1.234,50", "2.000", "03/02/2024"]])
    refused = run_etl("import", "--db", db_url, "--pipelines-dir", str(folder), "sales", str(data), "--dry-run")
    assert refused.exit_code == 1
    done = run_etl("import", "--db", db_url, "--pipelines-dir", str(folder), "sales", str(data),
                   "--decimal-comma", "--date-format", "%d/%m/%Y")
    assert done.exit_code == 0, done.stderr
    assert sales(db_url) == [("A1", Decimal("1234.50"), 2000, date(2024, 2, 3))]


@pytest.mark.parametrize("formats, message", [
    ('["%d/%m/%Y", "%m/%d/%Y"]', "date formats '%d/%m/%Y' and '%m/%d/%Y' read '03/02/2024' as different dates"),
    ('"31/12/2024"', "date format '31/12/2024' has no % directives"),
])
def test_ambiguous_or_broken_date_formats_are_refused_where_declared(
    tmp_path: Path, cli, formats: str, message: str
) -> None:
    folder = sales_pipeline(tmp_path, day=f"date_format = {formats}")
    done = cli("pipelines", "--pipelines-dir", str(folder))
    assert done.exit_code == 2
    assert f"sales.toml: column 'day': date_format: {message}" in done.stderr


def test_a_date_format_list_on_the_command_line_never_guesses(tmp_path: Path, cli) -> None:
    folder = sales_pipeline(tmp_path)
    data = write_csv(tmp_path / "ventas.csv", ["ref", "day"], [["A1", "03/02/2024"]])
    done = cli("import", "--pipelines-dir", str(folder), "sales", str(data),
               "--date-format", "%d/%m/%Y", "--date-format", "%m/%d/%Y")
    assert done.exit_code == 2
    assert "--date-format: date formats '%d/%m/%Y' and '%m/%d/%Y' read '03/02/2024' as different dates" in done.stderr


def test_separators_belong_to_number_columns(tmp_path: Path, cli) -> None:
    folder = sales_pipeline(tmp_path, day='decimal_separator = ","')
    done = cli("pipelines", "--pipelines-dir", str(folder))
    assert done.exit_code == 2
    assert "column 'day': decimal_separator/thousands_separator apply to integer and decimal columns" in done.stderr


def test_init_creates_the_tables_of_create_pipelines_and_hints_name_the_fix(
    tmp_path: Path, db_url: str, run_etl
) -> None:
    folder = sales_pipeline(tmp_path)
    done = run_etl("init", "--db", db_url, "--pipelines-dir", str(folder))
    assert done.exit_code == 0, done.stderr
    assert "ventas" in done.stdout
    assert query(db_url, "SELECT COUNT(*) FROM ventas") == [(0,)]
    (folder / "sales.toml").write_text(SALES.format(amount="", units="", day="").replace(
        "create = true\n", "").replace('table = "ventas"', 'table = "pedidos"'), encoding="utf-8")
    data = write_csv(tmp_path / "ventas.csv", ["ref"], [["A1"]])
    refused = run_etl("import", "--db", db_url, "--pipelines-dir", str(folder), "sales", str(data))
    assert refused.exit_code == 2
    assert (f"table 'pedidos' does not exist in the database; create it in the database, or add "
            f"`create = true` to {folder / 'sales.toml'} and run `etl init --pipelines-dir {folder}`") in refused.stderr
