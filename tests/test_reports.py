"""`etl report`: the shipped reports on every database, read back with openpyxl (values, layout,
charts and what they point at), and report definitions as files."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from etl.errors import ConfigError
from etl.reports import load_report_file, load_reports
from tests.test_export import FORMULA_NAME


def chart_refs(sheet) -> list[tuple[str, list[tuple[str, str]]]]:
    """(chart type, [(categories ref, values ref) per series]) of each chart on the sheet."""
    charts = []
    for chart in sheet._charts:
        series = []
        for one in chart.series:
            categories = one.cat.strRef or one.cat.numRef
            series.append((categories.f, one.val.numRef.f))
        charts.append((chart.tagname, series))
    return charts


def test_contacts_by_group(cli, seeded: str, tmp_path: Path) -> None:
    output = tmp_path / "contacts.xlsx"
    result = cli("report", "--db", seeded, "contacts-by-group", str(output))
    assert result.exit_code == 0, result.output
    assert "Summary: 3 rows, Contacts: 5 rows" in result.stdout
    book = openpyxl.load_workbook(output)
    assert book.sheetnames == ["Summary", "Contacts"]
    summary = book["Summary"]
    assert summary["A1"].value == "Contacts per group" and summary["A1"].font.b
    assert summary["A2"].value.startswith("How many contacts each group has")
    rows = list(summary.iter_rows(min_row=4, values_only=True))
    assert rows == [("Group", "Contacts"), ("Familia", 2), ("Trabajo", 2), ("Ñandú & Co", 1)]
    assert summary.freeze_panes == "A5"
    assert summary.auto_filter.ref == "A4:B7"
    assert [cell.font.b for cell in summary[4]] == [True, True]
    assert chart_refs(summary) == [("barChart", [("Summary!$A$5:$A$7", "Summary!$B$5:$B$7")])]
    listing = list(book["Contacts"].iter_rows(min_row=4, values_only=True))
    assert listing[0] == ("Group", "Name", "Phone")
    assert sorted(listing[1:]) == sorted([
        ("Familia", "Ana Pérez", "04125550001"), ("Familia", "-menos", "12"),
        ("Trabajo", FORMULA_NAME, "4155673029"), ("Trabajo", "@arroba", "0"),
        ("Ñandú & Co", "+34 Luis", "00000000001"),
    ])
    groups = [group for group, *_ in listing[1:]]
    runs = [group for number, group in enumerate(groups) if number == 0 or groups[number - 1] != group]
    assert sorted(runs) == sorted(set(groups)), "each group's contacts are listed together"
    for row in book["Contacts"].iter_rows(min_row=5):
        assert [cell.data_type for cell in row] == ["s", "s", "s"]


def test_pets_by_type(cli, seeded: str, tmp_path: Path) -> None:
    output = tmp_path / "pets.xlsx"
    result = cli("report", "--db", seeded, "pets-by-type", str(output))
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(output)["Pets by type"]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert rows[0] == ("Type", "Pets", "Average age")
    assert rows[1][:2] == ("cat", 2) and rows[1][2] == pytest.approx(12)
    assert rows[2][:2] == ("dog", 1) and rows[2][2] == pytest.approx(3)
    assert rows[3][:2] == ("fish", 1) and rows[3][2] == pytest.approx(0)
    assert sheet["C5"].number_format == "0.0"
    assert chart_refs(sheet) == [("barChart", [
        ("'Pets by type'!$A$5:$A$7", "'Pets by type'!$B$5:$B$7"),
        ("'Pets by type'!$A$5:$A$7", "'Pets by type'!$C$5:$C$7"),
    ])]


def test_report_on_empty_tables_has_headers_and_no_chart(cli, db_url: str, tmp_path: Path) -> None:
    assert cli("init", "--db", db_url).exit_code == 0
    output = tmp_path / "empty.xlsx"
    result = cli("report", "--db", db_url, "pets-by-type", str(output))
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(output)["Pets by type"]
    assert list(sheet.iter_rows(min_row=4, values_only=True)) == [("Type", "Pets", "Average age")]
    assert sheet._charts == []


def test_new_report_from_a_file_needs_no_code(cli, seeded: str, tmp_path: Path) -> None:
    reports = tmp_path / "extra" / "reports"
    reports.mkdir(parents=True)
    (reports / "old-pets.toml").write_text(
        'name = "old-pets"\ntitle = "Old pets"\n[[sheets]]\nname = "Old"\n'
        'query = "SELECT name, age FROM pet WHERE age > 2 ORDER BY age DESC"\n'
        'headers = ["Name", "Age"]\n'
        '[sheets.chart]\nkind = "pie"\ntitle = "Ages"\ncategories = "Name"\nvalues = "Age"\n'
    )
    result = cli("report", "--db", seeded, "--pipelines-dir", str(tmp_path / "extra"), "old-pets", "o.xlsx")
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook("o.xlsx")["Old"]
    assert list(sheet.iter_rows(min_row=4, values_only=True)) == [("Name", "Age"), ("Kit", 12), ("Rex", 3)]
    assert chart_refs(sheet)[0][0] == "pieChart"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "r.xlsx"], "unknown report 'nope'; known reports: contacts-by-group, pets-by-type"),
        (["pets-by-type", "r.csv"], "a report is an .xlsx workbook"),
    ],
)
def test_report_usage_errors(cli, sqlite_url: str, args: list[str], message: str) -> None:
    result = cli("report", "--db", sqlite_url, *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_missing_tables_give_one_line(cli, db_url: str) -> None:
    result = cli("report", "--db", db_url, "contacts-by-group", "r.xlsx")
    assert result.exit_code == 2
    assert result.stderr.startswith("etl: error: report 'contacts-by-group', sheet 'Summary': "
                                    "export query failed:")
    assert "etl init" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not Path("r.xlsx").exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('title = "x"\n[[sheets]]\nname = "a"\nquery = "SELECT 1"\n', "'name' is required"),
        ('name = "x"\ntitle = "x"\n', "at least one [[sheets]]"),
        ('name = "x"\ntitle = "x"\ncolour = 1\n[[sheets]]\nname = "a"\nquery = "SELECT 1"\n',
         "unknown key(s) colour"),
        ('name = "x"\ntitle = "x"\n[[sheets]]\nname = "a"\nquery = "SELECT 1 AS n"\nheaders = ["N"]\n'
         '[sheets.chart]\nkind = "radar"\ncategories = "N"\nvalues = ["N"]\n', "kind 'radar'"),
        ('name = "x"\ntitle = "x"\n[[sheets]]\nname = "a"\nquery = "SELECT 1 AS n"\nheaders = ["N"]\n'
         '[sheets.chart]\ncategories = "N"\nvalues = ["M"]\n', "unknown: ['M']"),
    ],
)
def test_bad_definitions_name_the_file(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body)
    with pytest.raises(ConfigError) as caught:
        load_report_file(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_shipped_reports_load() -> None:
    assert sorted(load_reports()) == ["contacts-by-group", "pets-by-type"]
