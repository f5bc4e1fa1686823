"""Did you mean …? the closest of some known names to a name that matched none of them.

Names are compared folded (case, accents and spacing ignored, as lookups and headers match)
by optimal-string-alignment edit distance (rapidfuzz), so a swapped pair of letters
(`Amigso` → `Amigos`) counts one edit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from rapidfuzz import process
from rapidfuzz.distance import OSA

LOOKUP_DISTANCE = 2
"""A new lookup value this close to an existing one is probably a typo of it."""


def closest(name: str, known: Mapping[str, str], fold: Callable[[str], str],
            max_distance: int = LOOKUP_DISTANCE) -> str | None:
    """The known name (as written) whose folded form `known` maps from is nearest to `name`,
    if it is at most `max_distance` edits away and fewer edits than half of `name`'s
    length (so `ab` does not "mean" `xy`); None otherwise, and for an exact folded match."""
    folded = fold(name)
    limit = min(max_distance, (len(folded) - 1) // 2)
    if limit < 1 or folded in known:
        return None
    found = process.extractOne(folded, list(known), scorer=OSA.distance, score_cutoff=limit)
    return None if found is None else known[found[0]]


def folded_names(names: Iterable[str], fold: Callable[[str], str]) -> dict[str, str]:
    """Folded form → the first name written that way."""
    table: dict[str, str] = {}
    for name in names:
        table.setdefault(fold(name), name)
    return table
