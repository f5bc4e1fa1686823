"""What starting `etl` imports: every command pays for it, so the export side (exporter,
writers, XlsxWriter), the import side (importer, loader, numpy, SQLAlchemy's ORM), rich,
the spreadsheet engines, pandas and the encoding detector must wait until a command needs
them."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import PROJECT_ROOT

NOT_AT_START = (
    "etl.exporter", "etl.reports", "etl.templates", "etl.writers", "xlsxwriter", "openpyxl",
    "python_calamine", "pandas", "charset_normalizer", "etl.importing.importer", "etl.load.loader", "etl.schema",
    "numpy", "sqlalchemy.orm", "rich",
)


def modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_starting_the_cli_imports_no_export_code_or_heavy_optional_libraries() -> None:
    loaded = modules_after("import etl.cli")
    assert "etl.cli.export_commands" in loaded  # the commands are registered...
    assert sorted(loaded.intersection(NOT_AT_START)) == []  # ...without what they use


def test_the_export_commands_still_find_their_code(cli, sqlite_url: str, tmp_path) -> None:
    assert cli("init", "--db", sqlite_url).exit_code == 0
    result = cli("export", "--db", sqlite_url, "pets", str(tmp_path / "pets.csv"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "pets.csv").read_text(encoding="utf-8").splitlines()[0] == "id,name,type,age"
    result = cli("template", "pets", str(tmp_path / "pets.xlsx"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "pets.xlsx").read_bytes()[:2] == b"PK"


def test_main_hides_start_up_objects_from_the_collector_before_running_a_command(monkeypatch) -> None:
    import gc

    import etl.cli

    seen: list[tuple[tuple[int, int, int], int]] = []
    monkeypatch.setattr(etl.cli, "app", lambda **_: seen.append((gc.get_threshold(), gc.get_freeze_count())))
    threshold = gc.get_threshold()
    try:
        etl.cli.main()
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
    assert len(seen) == 1
    assert seen[0][0] == etl.cli.GC_THRESHOLD
    assert seen[0][1] > 10_000  # typer and SQLAlchemy alone are far more objects than this
