"""Matching a file's header cells to a pipeline's accepted names.

`Teléfono`, ` telefono `, `TELEFONO` and `tele_fono` all normalise alike: case, accents,
surrounding spaces and `_`/space/`-` differences are ignored.
"""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s_\-]+")


def normalize_header(text: str) -> str:
    """The form two header names are compared in."""
    decomposed = unicodedata.normalize("NFKD", text)
    without_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SEPARATORS.sub(" ", without_accents.casefold()).strip()
