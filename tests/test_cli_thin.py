"""The CLI is a thin layer over the Python API: `etl/cli/` parses options, calls one
`Database` method and renders its result. Read from the source (every import, at module
level, inside functions and under TYPE_CHECKING alike): the only parts of `etl` the CLI may
import are the API, its result and error types and what renders them; the importer, the
readers, the loader, the exporter and its writers, the pipeline engine, the reports and
templates, the schema and the ORM models are reached only through `etl.api`. Of the
libraries, only the terminal ones (typer, rich) and SQLAlchemy's exception types."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import etl
from tests.conftest import PROJECT_ROOT

CLI = PROJECT_ROOT / "etl" / "cli"

ALLOWED: dict[str, frozenset[str] | None] = {
    # module → the names the CLI may take from it (None: any)
    "etl.api": None,
    "etl.config": None,  # settings and the names of the environment variables
    "etl.errors": None,
    "etl.printable": None,  # text safe to print to a terminal
    "etl.db": frozenset({"error_reason", "redact", "safe_url"}),  # messages without a password
    "etl.importing.results": frozenset({"FileResult", "ImportListener"}),  # what the report renders
    "etl.importing.workers": frozenset({"Cancel"}),  # the stop token a signal handler sets
    "etl.ledger": frozenset({"RunRecord"}),  # what `etl history` renders
    "etl.pipeline.render": frozenset({"pipeline_toml"}),  # `etl pipelines new` prints a Pipeline
    "etl.web.server": frozenset({"ServeOptions", "serve"}),  # the web page, itself a layer over the API
}
"""What etl/cli may import from etl outside etl.cli itself."""

THIRD_PARTY = ("typer", "click", "rich", "sqlalchemy.exc")
"""Libraries (and their submodules) the CLI may import; anything else must be the standard library."""


def imports(tree: ast.AST, package: str) -> Iterator[tuple[int, str, str | None]]:
    """(line, module, name or None for `import module`) of every import in `tree`, relative
    ones resolved against `package`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            for alias in node.names:
                yield node.lineno, module, alias.name


def problems(source: str, filename: str, package: str = "etl.cli") -> list[str]:
    """Every import of `source` the CLI may not make, and every dynamic import."""
    tree = ast.parse(source, filename)
    found = []
    for line, module, name in imports(tree, package):
        where = f"{filename}:{line}: "
        if module == "__future__" or module == "etl.cli" or module.startswith("etl.cli."):
            continue
        if module == "etl" or module.startswith("etl."):
            if module == "etl" and name in etl.__all__:
                continue  # `from etl import EtlError`: what the package itself exports is the API
            allowed = ALLOWED.get(module, frozenset())
            if name is None or (allowed is not None and name not in allowed):
                shown = module if name is None else f"{module}.{name}"
                found.append(f"{where}{shown}: not part of the API the CLI may use; go through etl.api")
        elif module.split(".")[0] in sys.stdlib_module_names:
            continue
        elif not any(module == lib or module.startswith(lib + ".") for lib in THIRD_PARTY):
            found.append(f"{where}{module}: a library the CLI has no use for (data work belongs behind etl.api)")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name | ast.Attribute):
            called = node.id if isinstance(node, ast.Name) else node.attr
            if called in ("import_module", "__import__"):
                found.append(f"{filename}:{node.lineno}: a dynamic import, which this test cannot check")
    return found


def cli_modules() -> list[Path]:
    return sorted(CLI.rglob("*.py"))


def test_the_cli_imports_only_the_api_and_what_renders_its_results() -> None:
    found = [problem for path in cli_modules()
             for problem in problems(path.read_text(encoding="utf-8"), str(path.relative_to(PROJECT_ROOT)))]
    assert found == []


def test_every_allowed_name_is_still_used() -> None:
    """The allowance is the CLI's real surface: a name the CLI no longer imports leaves it."""
    used: dict[str, set[str]] = {}
    for path in cli_modules():
        for _, module, name in imports(ast.parse(path.read_text(encoding="utf-8")), "etl.cli"):
            if name is not None:
                used.setdefault(module, set()).add(name)
    for module, names in ALLOWED.items():
        assert module in used, f"etl/cli imports nothing from {module} any more: drop it from ALLOWED"
        if names is not None:
            assert names <= used[module], f"{module}: {sorted(names - used[module])} no longer imported"


@pytest.mark.parametrize("source, reason", [
    ("from etl.importing.importer import import_files\n", "etl.importing.importer.import_files"),
    ("def command():\n    from etl.exporter import export\n", "etl.exporter.export"),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from etl.load import loader\n", "etl.load.loader"),
    ("import etl.readers\n", "etl.readers: not part"),
    ("from ..pipeline.definition import load_pipelines\n", "etl.pipeline.definition.load_pipelines"),
    ("from etl.db import open_database\n", "etl.db.open_database"),
    ("from etl.ledger import recent_runs\n", "etl.ledger.recent_runs"),
    ("import pandas\n", "pandas: a library"),
    ("from sqlalchemy import select\n", "sqlalchemy: a library"),
    ("import openpyxl.reader\n", "openpyxl.reader: a library"),
    ("import importlib\nimportlib.import_module('etl.exporter')\n", "a dynamic import"),
])
def test_an_import_of_the_internals_is_caught(source: str, reason: str) -> None:
    found = problems(source, "etl/cli/new_commands.py")
    assert len(found) == 1 and reason in found[0], found


def test_what_the_cli_may_import_passes() -> None:
    source = ("from etl.api import Database\nfrom etl import EtlError\nfrom etl.cli.app import command\n"
              "from .output import Log\nfrom etl import connect\nimport typer\nfrom rich.console import Console\n"
              "from sqlalchemy.exc import SQLAlchemyError\nimport json, os\n")
    assert problems(source, "etl/cli/new_commands.py") == []
