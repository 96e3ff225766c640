"""Find a unit the user named (by code or by name, tone- and prefix-insensitive) among units;
never guess between several (``geo_ntm.where`` resolves a question's place with it)."""

from __future__ import annotations

import difflib

from geo_ntm.domain import Unit
from geo_ntm.errors import NotFoundError
from geo_ntm.text import fold, name_key, split_prefix


def find_unit(units: list[Unit], query: str, what: str) -> Unit:
    """The one unit of ``units`` whose code is ``query`` or whose name matches it.

    A name given with its type ("Thị xã Duyên Hải") must name a unit of that type: a unit of
    another type that bears the name (Huyện Duyên Hải) is never taken for it, since the unit asked
    for may have been formed or reclassified after these boundaries (NotFoundError naming it)."""
    query = query.strip()
    by_code = [u for u in units if u.code == query]
    if by_code:
        return by_code[0]
    types, _ = split_prefix(query)
    key = name_key(query)
    hits = [u for u in units if u.name and (name_key(u.name) == key or fold(u.name) == fold(query))]
    typed = [u for u in hits if u.unit_type in types]
    if hits and types and not typed:
        raise NotFoundError(
            f"no {what} named {query!r}: "
            + "; ".join(f"{u.name} (code {u.code})" for u in hits)
            + (" bears" if len(hits) == 1 else " bear")
            + " the name as another type; a unit formed or reclassified later is not in these "
            "boundaries. Give the name as it is here, or the code, to ask about that unit."
        )
    if types:
        hits = typed
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise NotFoundError(
            f"{what} {query!r} is ambiguous: it matches "
            + "; ".join(f"{u.name} (code {u.code})" for u in hits)
            + ". Give the full name with its type or the code."
        )
    names = {fold(u.name): u.name for u in units if u.name}
    close = difflib.get_close_matches(fold(query), list(names), n=3, cutoff=0.5)
    hint = f"; closest: {', '.join(names[c] for c in close)}" if close else ""
    raise NotFoundError(f"no {what} named {query!r}{hint}")
