"""docs/python-api.md runs as written: its ```python blocks are executed and its ```pycon
blocks checked as doctests, in the page's order and in one namespace (as a notebook runs
its cells), in a copy of the clone's root with no ETL_* variable set. An example that
raises, or prints something else than the page shows, fails the test at its line. The
README's "Python API" section is run the same way."""

from __future__ import annotations

import doctest
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

DOC_PATH = PROJECT_ROOT / "docs" / "python-api.md"
README_PATH = PROJECT_ROOT / "README.md"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def code_blocks(text: str, first_line: int = 1) -> list[tuple[str, int, str]]:
    """(language, line of the block's first code line, code) of every fenced block."""
    return [(match[1], first_line + text.count("\n", 0, match.start()) + 1, match[2])
            for match in BLOCK.finditer(text)]


def readme_section() -> tuple[str, int]:
    """The README's "Python API" section and the line it starts on."""
    readme = README_PATH.read_text(encoding="utf-8")
    start = readme.index("\n## Python API\n") + 1
    section = readme[start:].split("\n## ", 1)[0]
    return section, readme.count("\n", 0, start) + 1


def run_blocks(path: Path, blocks: list[tuple[str, int, str]], folder: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """Run the blocks in `folder` (a copy of the clone's sample data and pipelines) in one
    namespace; the number of doctest examples checked."""
    for part in ("sample_data", "pipelines"):
        shutil.copytree(PROJECT_ROOT / part, folder / part)
    for key in [key for key in os.environ if key.startswith("ETL_")]:
        monkeypatch.delenv(key)
    monkeypatch.delenv("ETL_DATABASE_URL", raising=False)  # the page sets it: removed again after
    monkeypatch.chdir(folder)
    namespace: dict[str, object] = {"__name__": "python_api_doc"}
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    examples = 0
    for language, line, code in blocks:
        where = f"{path.name}:{line}"
        if language == "python":
            exec(compile(code, where, "exec"), namespace)
            continue
        assert language == "pycon", f"{where}: a ```{language} block; examples are ```python or ```pycon"
        test = parser.get_doctest(code, namespace, where, str(path), line - 1)
        assert test.examples, f"{where}: a pycon block without >>> examples"
        test.globs = namespace  # DocTest copies the globals it is given; the cells share them
        examples += len(test.examples)
        outcome = runner.run(test, clear_globs=False)
        assert outcome.failed == 0, f"{where}: an example of this block failed (doctest's report above)"
    return examples


def test_every_block_of_the_page_is_code_that_runs() -> None:
    """No example can hide from the runner in a block of another language."""
    languages = [language for language, _, _ in code_blocks(DOC_PATH.read_text(encoding="utf-8"))]
    assert set(languages) == {"python", "pycon"}
    assert languages.count("pycon") >= 10


def test_the_page_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = code_blocks(DOC_PATH.read_text(encoding="utf-8"))
    assert run_blocks(DOC_PATH, blocks, tmp_path, monkeypatch) >= 30
    assert (tmp_path / "shop.db").is_file() and (tmp_path / "warehouse.db").is_file()


def test_the_readme_section_runs_and_links_to_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    section, line = readme_section()
    assert "(docs/python-api.md)" in section
    assert run_blocks(README_PATH, code_blocks(section, line), tmp_path, monkeypatch) >= 2
