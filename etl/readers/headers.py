"""Matching a file's header cells to a pipeline's accepted names.

`Teléfono`, ` telefono `, `TELEFONO` and `tele_fono` all normalise alike: case, accents,
surrounding spaces and `_`/space/`-` differences are ignored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from etl.readers.base import HeaderTest

_SEPARATORS = re.compile(r"[\s_\-]+")


def normalize_header(text: str) -> str:
    """The form two header names are compared in."""
    decomposed = unicodedata.normalize("NFKD", text)
    without_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SEPARATORS.sub(" ", without_accents.casefold()).strip()


def header_test(accepted_names: Iterable[str]) -> HeaderTest:
    """A HeaderTest true for a row with at least one non-empty cell that normalises to an
    accepted name; title rows above the header ("Listado de contactos") match none."""
    accepted = frozenset(normalize_header(name) for name in accepted_names)

    def looks_like_header(cells: Sequence[str]) -> bool:
        return any(cell.strip() and normalize_header(cell) in accepted for cell in cells)

    return looks_like_header
