"""`etl report`: the shipped reports on every database, read back with openpyxl (values,
labels in Spanish and English, number formats, alignment, charts: their type, series, axes
and labels), and report definitions as files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

import etl
from etl.errors import ConfigError
from etl.reports import load_report_file, load_reports
from tests.conftest import execute
from tests.test_export import FORMULA_NAME

SAMPLE_DATA = Path(__file__).resolve().parents[1] / "sample_data"


def chart_refs(sheet) -> list[tuple[str, list[tuple[str, str]]]]:
    """(chart type, [(categories ref, values ref) per series]) of each chart on the sheet."""
    charts = []
    for chart in sheet._charts:
        series = []
        for part in chart._charts:
            for one in part.series:
                categories = one.cat.strRef or one.cat.numRef
                series.append((categories.f, one.val.numRef.f))
        charts.append((chart.tagname, series))
    return charts


def value_axis(chart):
    return chart.y_axis


def assert_counts_axis(chart, highest: int) -> None:
    """Whole-number ticks with thousands separators, from 0 past the highest value."""
    axis = value_axis(chart)
    assert axis.numFmt.formatCode == "#,##0"
    assert axis.majorUnit >= 1 and float(axis.majorUnit).is_integer()
    assert axis.scaling.min == 0 and axis.scaling.max > highest
    assert float(axis.scaling.max / axis.majorUnit).is_integer()


def write_report_file(directory: Path, name: str, body: str) -> Path:
    reports = directory / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    path = reports / f"{name}.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_contacts_by_group_in_spanish(cli, seeded: str, tmp_path: Path) -> None:
    output = tmp_path / "contactos.xlsx"
    result = cli("report", "--db", seeded, "contacts-by-group", str(output))
    assert result.exit_code == 0, result.output
    assert "Resumen: 3 rows, Contactos: 5 rows" in result.stdout
    book = openpyxl.load_workbook(output)
    assert book.sheetnames == ["Resumen", "Contactos"]
    summary = book["Resumen"]
    assert summary["A1"].value == "Contactos por grupo" and summary["A1"].font.b
    assert summary["A2"].value.startswith("Cuántos contactos tiene cada grupo")
    assert "generado el " in summary["A2"].value
    rows = list(summary.iter_rows(min_row=4, values_only=True))
    assert rows == [("Grupo", "Contactos"), ("Familia", 2), ("Trabajo", 2), ("Ñandú & Co", 1)]
    assert summary.freeze_panes == "A5"
    assert summary.auto_filter.ref == "A4:B7"
    assert [cell.font.b for cell in summary[4]] == [True, True]
    assert summary["B5"].number_format == "#,##0"
    assert summary["A4"].alignment.horizontal is None and summary["B4"].alignment.horizontal == "right"
    assert summary["B5"].alignment.horizontal == "right"
    assert chart_refs(summary) == [("barChart", [("Resumen!$A$5:$A$7", "Resumen!$B$5:$B$7")])]
    chart = summary._charts[0]
    assert chart.type == "bar" and chart.title.tx.rich.p[0].r[0].t == "Contactos por grupo"
    assert_counts_axis(chart, 2)
    assert chart.series[0].dLbls.showVal and chart.series[0].dLbls.numFmt == "#,##0"
    listing = list(book["Contactos"].iter_rows(min_row=4, values_only=True))
    assert listing[0] == ("Grupo", "Nombre", "Teléfono")
    assert sorted(listing[1:]) == sorted([
        ("Familia", "Ana Pérez", "04125550001"), ("Familia", "-menos", "12"),
        ("Trabajo", FORMULA_NAME, "4155673029"), ("Trabajo", "@arroba", "0"),
        ("Ñandú & Co", "+34 Luis", "00000000001"),
    ])
    groups = [group for group, *_ in listing[1:]]
    runs = [group for number, group in enumerate(groups) if number == 0 or groups[number - 1] != group]
    assert sorted(runs) == sorted(set(groups)), "each group's contacts are listed together"
    for row in book["Contactos"].iter_rows(min_row=5):
        assert [cell.data_type for cell in row] == ["s", "s", "s"]
        assert row[2].number_format == "@"


def test_lang_en_labels_everything_in_english(cli, seeded: str, tmp_path: Path) -> None:
    output = tmp_path / "contacts.xlsx"
    result = cli("report", "--db", seeded, "contacts-by-group", str(output), "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "Summary: 3 rows, Contacts: 5 rows" in result.stdout
    book = openpyxl.load_workbook(output)
    assert book.sheetnames == ["Summary", "Contacts"]
    summary = book["Summary"]
    assert summary["A1"].value == "Contacts by group"
    assert summary["A2"].value.startswith("How many contacts each group has")
    assert "generated " in summary["A2"].value and "generado" not in summary["A2"].value
    assert [cell.value for cell in summary[4]] == ["Group", "Contacts"]
    assert [cell.value for cell in book["Contacts"][4]] == ["Group", "Name", "Phone"]
    assert chart_refs(summary) == [("barChart", [("Summary!$A$5:$A$7", "Summary!$B$5:$B$7")])]
    assert summary._charts[0].title.tx.rich.p[0].r[0].t == "Contacts by group"


def test_pets_by_type_one_measure_per_chart(cli, seeded: str, tmp_path: Path) -> None:
    output = tmp_path / "mascotas.xlsx"
    result = cli("report", "--db", seeded, "pets-by-type", str(output))
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(output)["Resumen"]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert rows[0] == ("Tipo", "Mascotas", "Edad media")
    assert rows[1][:2] == ("cat", 2) and rows[1][2] == pytest.approx(12)
    assert rows[2][:2] == ("dog", 1) and rows[2][2] == pytest.approx(3)
    assert rows[3][:2] == ("fish", 1) and rows[3][2] == pytest.approx(0)
    assert (sheet["B5"].number_format, sheet["C5"].number_format) == ("#,##0", "#,##0.0")
    assert sheet["C4"].alignment.horizontal == "right"
    assert chart_refs(sheet) == [
        ("barChart", [("Resumen!$A$5:$A$7", "Resumen!$B$5:$B$7")]),
        ("barChart", [("Resumen!$A$5:$A$7", "Resumen!$C$5:$C$7")]),
    ]
    counts, ages = sheet._charts
    assert counts.type == "col" and ages.type == "bar"
    assert_counts_axis(counts, 2)
    assert value_axis(ages).numFmt.formatCode == "#,##0" and value_axis(ages).scaling.max > 12
    assert ages.series[0].dLbls.numFmt == "#,##0.0"


def test_imports_by_day_from_the_ledger(cli, db_url: str, tmp_path: Path) -> None:
    for pipeline, name in (("groups", "grupos.csv"), ("contacts", "contactos.csv"), ("pets", "pets.csv")):
        assert cli("import", "--db", db_url, pipeline, str(SAMPLE_DATA / name)).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("name,type,age\nRex,dog,old\n", encoding="utf-8")
    assert cli("import", "--db", db_url, "pets", str(bad)).exit_code == 1
    assert cli("import", "--db", db_url, "pets", str(SAMPLE_DATA / "pets.csv"), "--dry-run", "--force").exit_code == 0
    # The groups and contacts files were imported the night before.
    execute(db_url, "UPDATE etl_import_run SET started_at = '2026-03-01 02:00:00', "
                    "finished_at = '2026-03-01 02:01:00' WHERE pipeline IN ('groups', 'contacts')")
    execute(db_url, "UPDATE etl_import_run SET started_at = '2026-03-02 02:00:00', "
                    "finished_at = '2026-03-02 02:01:00' WHERE pipeline = 'pets'")
    output = tmp_path / "importaciones.xlsx"
    result = cli("report", "--db", db_url, "imports-by-day", str(output))
    assert result.exit_code == 0, result.output
    assert "Por día: 2 rows, Intentos: 5 rows" in result.stdout, "every attempt is listed, dry runs too"
    book = openpyxl.load_workbook(output)
    days = book["Por día"]
    assert [cell.value for cell in days[4]] == ["Día", "Archivos cargados", "Archivos rechazados",
                                               "Filas insertadas", "Filas actualizadas", "Filas rechazadas"]
    rows = list(days.iter_rows(min_row=5, values_only=True))
    assert rows == [(datetime(2026, 3, 1), 2, 0, 8, 0, 0), (datetime(2026, 3, 2), 1, 1, 4, 0, 1)]
    assert days["A5"].number_format == "yyyy-mm-dd" and days["B5"].number_format == "#,##0"
    rows_chart, rejected_chart, files_chart = days._charts
    assert rows_chart.tagname == "lineChart" and rows_chart.x_axis.tagname == "dateAx"
    assert [s.val.numRef.f for s in rows_chart.series] == ["'Por día'!$D$5:$D$6", "'Por día'!$E$5:$E$6"]
    assert rejected_chart.type == "col" and files_chart.type == "col"
    assert_counts_axis(files_chart, 2)
    attempts = book["Intentos"]
    assert [cell.value for cell in attempts[4]][:4] == ["Inicio", "Fin", "Pipeline", "Estado"]
    statuses = sorted(row[3] for row in attempts.iter_rows(min_row=5, values_only=True))
    assert statuses == ["committed", "committed", "committed", "dry_run", "rejected"]
    assert isinstance(attempts["A5"].value, datetime) and attempts["A5"].number_format == "yyyy-mm-dd hh:mm:ss"


def test_imports_by_day_in_english_via_the_api(seeded: str, tmp_path: Path) -> None:
    with etl.connect(seeded) as database:
        counts = database.report("imports-by-day", tmp_path / "imports.xlsx", lang="en")
    assert counts == {"By day": 0, "Attempts": 0}
    book = openpyxl.load_workbook(tmp_path / "imports.xlsx")
    assert book.sheetnames == ["By day", "Attempts"]
    assert [cell.value for cell in book["By day"][4]][:2] == ["Day", "Files loaded"]
    assert book["By day"]._charts == []


def test_report_on_empty_tables_has_headers_and_no_chart(cli, db_url: str, tmp_path: Path) -> None:
    assert cli("init", "--db", db_url).exit_code == 0
    output = tmp_path / "empty.xlsx"
    result = cli("report", "--db", db_url, "pets-by-type", str(output))
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(output)["Resumen"]
    assert list(sheet.iter_rows(min_row=4, values_only=True)) == [("Tipo", "Mascotas", "Edad media")]
    assert sheet._charts == []
    assert sheet["B4"].alignment.horizontal == "right", "a formatted number column even with no rows"


CUSTOM = '''
name = "custom"
title = "Custom"
[[sheets]]
name = "Data"
query = "SELECT name, age, age * 1000 AS grams, age / 20.0 AS share, DATE('2024-05-0' || (id % 9 + 1)) AS born FROM pet WHERE age IS NOT NULL ORDER BY id"
headers = ["Name", "Age", "Grams", "Share", "Born"]
number_formats = { Share = "percent", Born = "date" }
[[sheets.charts]]
kind = "column"
title = "Age and grams"
categories = "Name"
values = ["Age"]
secondary = ["Grams"]
[[sheets.charts]]
kind = "pie"
title = "Share"
categories = "Name"
values = "Share"
[[sheets.charts]]
kind = "line"
title = "By birth"
categories = "Born"
values = ["Age"]
axis_title = "Years"
[labels.de]
Data = "Daten"
Name = "Name"
"Age and grams" = "Alter und Gramm"
'''


def test_toml_chooses_chart_kinds_formats_and_a_secondary_axis(cli, sqlite_url: str, tmp_path: Path) -> None:
    assert cli("init", "--db", sqlite_url).exit_code == 0
    execute(sqlite_url, "INSERT INTO pet (id, name, type, age) VALUES (1, 'Rex', 'dog', 3), (2, 'Kit', 'cat', 12), "
                    "(3, 'Tom', 'cat', 1)")
    write_report_file(tmp_path / "extra", "custom", CUSTOM)
    result = cli("report", "--db", sqlite_url, "--pipelines-dir", str(tmp_path / "extra"), "custom", "c.xlsx",
                 "--lang", "de")
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook("c.xlsx")["Daten"]
    assert [cell.value for cell in sheet[4]] == ["Name", "Age", "Grams", "Share", "Born"]
    assert sheet["D5"].value == pytest.approx(0.15) and sheet["D5"].number_format == "0.0%"
    assert sheet["E5"].value == datetime(2024, 5, 2) and sheet["E5"].number_format == "yyyy-mm-dd"
    assert sheet["C5"].number_format == "#,##0"
    combo, pie, line = sheet._charts
    assert [part.tagname for part in combo._charts] == ["barChart", "lineChart"]
    primary, secondary = combo._charts
    assert primary.y_axis.axId != secondary.y_axis.axId and secondary.y_axis.axPos == "r"
    assert secondary.y_axis.title is not None and secondary.series[0].val.numRef.f == "Daten!$C$5:$C$7"
    assert primary.y_axis.majorUnit >= 1 and secondary.y_axis.scaling.max > 12_000
    assert secondary.y_axis.numFmt.formatCode == "#,##0"
    assert combo.title.tx.rich.p[0].r[0].t == "Alter und Gramm"
    assert pie.tagname == "pieChart" and pie.series[0].dLbls.showPercent
    assert line.tagname == "lineChart" and line.x_axis.tagname == "dateAx"
    assert line.y_axis.title is not None


def test_many_categories_drop_labels_rather_than_overlap(cli, sqlite_url: str, tmp_path: Path) -> None:
    assert cli("init", "--db", sqlite_url).exit_code == 0
    values = ", ".join(f"({n}, 'pet {n}', 'type {n:03d}', {n % 17})" for n in range(1, 301))
    execute(sqlite_url, f"INSERT INTO pet (id, name, type, age) VALUES {values}")
    write_report_file(tmp_path / "extra", "wide", '''
name = "wide"
title = "Wide"
[[sheets]]
name = "Types"
query = "SELECT type, COUNT(*) * 125000 AS pets FROM pet GROUP BY type ORDER BY type"
headers = ["Type", "Pets"]
number_formats = { Pets = "integer" }
[[sheets.charts]]
kind = "column"
title = "Pets"
categories = "Type"
values = ["Pets"]
''')
    result = cli("report", "--db", sqlite_url, "--pipelines-dir", str(tmp_path / "extra"), "wide", "w.xlsx")
    assert result.exit_code == 0, result.output
    chart = openpyxl.load_workbook("w.xlsx")["Types"]._charts[0]
    assert chart.series[0].dLbls is None, "300 labels of '125,000' cannot sit side by side"
    assert chart.x_axis.tickLblSkip > 1
    assert_counts_axis(chart, 125_000)


def test_new_report_from_a_file_needs_no_code(cli, seeded: str, tmp_path: Path) -> None:
    write_report_file(tmp_path / "extra", "old-pets",
        'name = "old-pets"\ntitle = "Old pets"\n[[sheets]]\nname = "Old"\n'
        'query = "SELECT name, age FROM pet WHERE age > 2 ORDER BY age DESC"\n'
        'headers = ["Name", "Age"]\n'
        '[sheets.chart]\nkind = "pie"\ntitle = "Ages"\ncategories = "Name"\nvalues = "Age"\n')
    result = cli("report", "--db", seeded, "--pipelines-dir", str(tmp_path / "extra"), "old-pets", "o.xlsx")
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook("o.xlsx")["Old"]
    assert list(sheet.iter_rows(min_row=4, values_only=True)) == [("Name", "Age"), ("Kit", 12), ("Rex", 3)]
    assert sheet["B5"].number_format == "#,##0"
    assert chart_refs(sheet)[0][0] == "pieChart"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "r.xlsx"], "unknown report 'nope'; known reports: contacts-by-group, imports-by-day, pets-by-type"),
        (["pets-by-type", "r.csv"], "a report is an .xlsx workbook"),
        (["pets-by-type", "r.xlsx", "--lang", "fr"], "report 'pets-by-type' has labels in es, en, not 'fr'; "
                                                     "add a [labels.fr] table"),
    ],
)
def test_report_usage_errors(cli, sqlite_url: str, args: list[str], message: str) -> None:
    result = cli("report", "--db", sqlite_url, *args)
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not Path("r.xlsx").exists()


def test_missing_tables_give_one_line(cli, db_url: str) -> None:
    result = cli("report", "--db", db_url, "contacts-by-group", "r.xlsx")
    assert result.exit_code == 2
    assert result.stderr.startswith("etl: error: report 'contacts-by-group', sheet 'Resumen': "
                                    "export query failed:")
    assert "etl init" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not Path("r.xlsx").exists()


SHEET = '[[sheets]]\nname = "a"\nquery = "SELECT 1 AS n"\nheaders = ["N"]\n'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('title = "x"\n[[sheets]]\nname = "a"\nquery = "SELECT 1"\n', "'name' is required"),
        ('name = "x"\ntitle = "x"\n', "at least one [[sheets]]"),
        ('name = "x"\ntitle = "x"\ncolour = 1\n[[sheets]]\nname = "a"\nquery = "SELECT 1"\n',
         "unknown key(s) colour"),
        (f'name = "x"\ntitle = "x"\n{SHEET}[sheets.chart]\nkind = "radar"\ncategories = "N"\nvalues = ["N"]\n',
         "kind 'radar'"),
        (f'name = "x"\ntitle = "x"\n{SHEET}[sheets.chart]\ncategories = "N"\nvalues = ["M"]\n', "unknown: ['M']"),
        (f'name = "x"\ntitle = "x"\n{SHEET}[[sheets.charts]]\nkind = "pie"\ncategories = "N"\nvalues = ["N", "N"]\n',
         "a pie chart shows one measure"),
        (f'name = "x"\ntitle = "x"\n{SHEET}[[sheets.charts]]\nkind = "bar"\ncategories = "N"\nvalues = "N"\n'
         'secondary = "N"\n', "a bar chart has no secondary axis"),
        (f'name = "x"\ntitle = "x"\n{SHEET}number_formats = {{ M = "integer" }}\n', "number_formats names ['M']"),
        (f'name = "x"\ntitle = "x"\n{SHEET}[labels.en]\nb = "B"\n', "labels.en: ['b'] are not texts of this report"),
        (f'name = "x"\ntitle = "x"\nlang = "Spanish"\n{SHEET}', "lang 'Spanish' is not a language code"),
        (f'name = "x"\ntitle = "x"\n{SHEET}[[sheets]]\nname = "A"\nquery = "SELECT 1"\n', "two sheets are named 'A'"),
    ],
)
def test_bad_definitions_name_the_file(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body)
    with pytest.raises(ConfigError) as caught:
        load_report_file(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_shipped_reports_load_with_complete_english_labels() -> None:
    reports = load_reports()
    assert sorted(reports) == ["contacts-by-group", "imports-by-day", "pets-by-type"]
    for report in reports.values():
        assert report.lang == "es" and report.languages == ("es", "en")
        untranslated = sorted(text for text in report.texts() - set(report.labels["en"])
                              if text != "generado el {when}")
        assert untranslated == [], f"{report.name}: no English for {untranslated}"
