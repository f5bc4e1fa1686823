"""`python -m benchmarks.without_warnings ARGS…` is `python -m etl ARGS…` with the import's
warnings switched off: the `etl import, warnings off` approaches, against which `etl
import` shows what its warnings cost (issue 14). Off means:

- `FileWarnings.observe` does nothing: no leading-zero evidence gathered per text column,
  no scan of a chunk for the rows that named a new, near-miss lookup value;
- the workbook readers give number cells as plain `str`, not `NumberText` (the type that
  tells a number cell from text), `etl.readers.cells` and the .xlsx stream reader alike;
- a new lookup name is not compared with the existing ones (`LookupResolver._near`).

Warnings never change what lands, so the run's rows are the same and the harness checks
them as for `etl import`. Modules are patched only when they would be imported anyway (the
.xlsx reader only for an .xlsx file), so start-up is the same as `etl`'s.
"""

from __future__ import annotations

import sys


def _switch_off(argv: list[str]) -> None:
    from etl.pipeline import lookups, watch
    from etl.readers import cells

    watch.FileWarnings.observe = lambda self, chunk: None  # type: ignore[method-assign]
    lookups.LookupResolver._near = lambda self, name: None  # type: ignore[method-assign]
    cells.NumberText = str  # type: ignore[misc, assignment]
    if any(arg.lower().endswith((".xlsx", ".xlsm")) for arg in argv):
        from etl.readers import xlsx_stream

        xlsx_stream.NumberText = str  # type: ignore[misc, assignment]


if __name__ == "__main__":
    _switch_off(sys.argv[1:])
    from etl.cli import main

    main()
