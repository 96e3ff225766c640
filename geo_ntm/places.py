"""Find a province or district the user named (by code or by name, tone- and prefix-insensitive)
in a boundary vintage; never guess between several."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from geo_ntm.domain import AdminLevel, Unit, Vintage
from geo_ntm.errors import NotFoundError
from geo_ntm.store import Store
from geo_ntm.text import fold, name_key, split_prefix


@dataclass(frozen=True)
class Scope:
    """Where a query looks: a vintage, a province and optionally one district."""

    vintage: Vintage
    province: Unit
    district: Unit | None = None

    @property
    def label(self) -> str:
        return ", ".join(u.name for u in (self.district, self.province) if u is not None)


def find_unit(units: list[Unit], query: str, what: str) -> Unit:
    """The one unit of ``units`` whose code is ``query`` or whose name matches it."""
    query = query.strip()
    by_code = [u for u in units if u.code == query]
    if by_code:
        return by_code[0]
    types, _ = split_prefix(query)
    key = name_key(query)
    hits = [u for u in units if u.name and (name_key(u.name) == key or fold(u.name) == fold(query))]
    if len(hits) > 1 and types:
        hits = [u for u in hits if u.unit_type in types] or hits
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise NotFoundError(f"{what} {query!r} is ambiguous: it matches "
                            + "; ".join(f"{u.name} (code {u.code})" for u in hits)
                            + ". Give the full name with its type or the code.")
    names = {fold(u.name): u.name for u in units if u.name}
    close = difflib.get_close_matches(fold(query), list(names), n=3, cutoff=0.5)
    hint = f"; closest: {', '.join(names[c] for c in close)}" if close else ""
    raise NotFoundError(f"no {what} named {query!r}{hint}")


def resolve_scope(store: Store, vintage: Vintage, province: str, district: str | None = None) -> Scope:
    """Resolve a province (and district) name or code within ``vintage``."""
    provinces = store.unit_records(vintage.vintage_id, AdminLevel.PROVINCE)
    prov = find_unit(provinces, province, "province")
    dist = None
    if district:
        districts = [u for u in store.unit_records(vintage.vintage_id, AdminLevel.DISTRICT)
                     if u.province_code == prov.province_code]
        dist = find_unit(districts, district, f"district of {prov.name}")
    return Scope(vintage, prov, dist)
