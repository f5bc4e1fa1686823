"""docs/pipelines.md lists exactly the keys the definition loader accepts, each with a type, a
default and a meaning, and its examples load and use every key: the page cannot drift."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path
from typing import get_args

import pytest

from etl.pipeline.definition import COLUMN_KEYS, LOOKUP_KEYS, PIPELINE_KEYS, ColumnKind, load_pipeline_file
from tests.conftest import PROJECT_ROOT

DOC = (PROJECT_ROOT / "docs" / "pipelines.md").read_text(encoding="utf-8")
SECTIONS = {"Pipeline keys": PIPELINE_KEYS, "Column keys": COLUMN_KEYS, "Lookup keys": LOOKUP_KEYS}


def documented(section: str) -> dict[str, list[str]]:
    """key → its (type, default, meaning) cells in the section's table."""
    body = DOC.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in body.splitlines() if line.startswith("| `")]
    table = {}
    for line in rows:
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        table[cells[0].strip("`")] = cells[1:]
    return table


def examples() -> list[dict]:
    return [tomllib.loads(block) for block in re.findall(r"```toml\n(.*?)```", DOC, re.S)]


@pytest.mark.parametrize("section", SECTIONS)
def test_every_key_is_documented_with_type_default_and_meaning(section: str) -> None:
    table = documented(section)
    assert set(table) == SECTIONS[section]
    for key, cells in table.items():
        assert len(cells) == 3 and all(cells), key


def test_every_column_type_is_named() -> None:
    kinds = documented("Column keys")["type"][0]
    assert [kind for kind in get_args(ColumnKind) if f"`{kind}`" not in kinds] == []


def test_the_examples_load_and_use_every_key(tmp_path: Path) -> None:
    used: dict[str, set[str]] = {name: set() for name in SECTIONS}
    shutil.copy(PROJECT_ROOT / "sample_data" / "shop.py", tmp_path)  # the `model` example's module
    for number, example in enumerate(examples()):
        path = tmp_path / f"example{number}.toml"
        path.write_text(re.findall(r"```toml\n(.*?)```", DOC, re.S)[number], encoding="utf-8")
        load_pipeline_file(path)
        used["Pipeline keys"] |= set(example)
        for column in example.get("columns", []):
            used["Column keys"] |= set(column)
            used["Lookup keys"] |= set(column.get("lookup", {}))
    assert used == SECTIONS
