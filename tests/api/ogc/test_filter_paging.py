"""A filter the store runs alone (unit columns only, no box): it counts (``numberMatched``) and
pages across the tiers, and the pages are the unpaged answer cut in order, on both stores."""

from __future__ import annotations

from api.ogc.collections.base import Selection
from api.ogc.collections.registry import collection
from geo_ntm import filters
from geo_ntm.where import resolve_where


def test_a_filter_on_unit_columns_is_counted_and_paged_by_the_store(store_2009):
    units = collection("units")
    where = resolve_where(store_2009, vintage=None, day=None, year=None, province=None, district=None)
    expr = filters.parse_text("name LIKE '%Bến Tre%' OR name LIKE 'Xã Phú%'", units.queryable_types)
    selection = Selection(units.tiers, where, None, None, expr)
    assert selection.store_pages(store_2009)
    matched, frames = units.features(store_2009, selection)
    every = [code for _, frame in frames for code in frame["code"]]
    pages = []
    for offset in range(0, matched + 7, 7):
        n, page = units.features(store_2009, selection, limit=7, offset=offset)
        assert n == matched
        pages += [code for _, frame in page for code in frame["code"]]
    assert pages == every and matched == len(every) > 7
    assert {tier.value for tier, _ in frames} == {"province", "district", "commune"}
