"""Items pages cost what they return (issue 14 §3): the store counts the units (``count_units``),
pages them in SQL and names the parents of the page only (``unit_names``). The answers are those of
reading the whole level and cutting it in Python, which is how they were computed before: the same
features, in the same order, with the same properties (status attributes included) and the same
``numberMatched``, on both stores."""

from __future__ import annotations

import json

import pytest

from api.ogc.collections.base import Selection
from api.ogc.collections.registry import collection
from api.ogc.crs import CRS84
from api.ogc.features import encode_features
from geo_ntm import filters
from geo_ntm.domain import AdminTier
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store.base import unit_from_row
from geo_ntm.where import resolve_where


@pytest.fixture
def store_with_statuses(store_2009, data_dir):
    """The 2009 boundaries with the Bến Tre city statuses (2011-2020)."""
    assert import_status_file(store_2009, data_dir / "samples" / "status_ben_tre_city_long.csv").ok
    return store_2009


def _encoded(frames) -> list[str]:
    return [json.dumps(f, sort_keys=True) for f in encode_features(frames, CRS84)]


#: Around Bến Tre city (CRS84): communes of two districts and the province itself.
BOX = (106.3, 10.2, 106.5, 10.3)


@pytest.mark.parametrize(
    ("collection_id", "province", "text", "box", "pages"),
    [
        ("communes", "Bến Tre", None, None, [(100, 0), (100, 100), (7, 150), (10, 164)]),
        ("communes", None, None, None, [(1000, 2000), (10, 11160)]),
        ("units", "Bến Tre", None, None, [(20, 0), (20, 5), (200, 0)]),
        ("units", None, "name LIKE 'Xã Phú%' OR name LIKE '%Bến Tre%'", None, [(7, 0), (50, 20)]),
        ("communes", None, None, BOX, [(5, 2), (40, 30)]),
        ("units", None, "name LIKE 'Xã P%'", BOX, [(3, 0), (10, 2)]),
    ],
)
def test_store_pages_are_the_whole_level_cut_in_python(store_with_statuses, collection_id, province, text, box, pages):
    store = store_with_statuses
    chosen = collection(collection_id)
    where = resolve_where(store, year=2020, province=province)
    expr = filters.parse_text(text, chosen.queryable_types) if text else None
    selection = Selection(chosen.tiers, where, None, box, expr)
    assert selection.store_pages
    whole = [(tier, chosen._filtered(store, selection, tier)) for tier in selection.tiers]  # every unit read
    every = _encoded(whole)
    if collection_id == "communes":  # with the statuses of Bến Tre city
        assert any(json.loads(f)["properties"]["criteria_met"] for f in every)
    assert len(every) > max(offset for _, offset in pages[:-1])  # the last page may be past the end
    for limit, offset in pages:
        matched, frames = chosen.features(store, selection, limit=limit, offset=offset)
        assert matched == len(every)
        assert _encoded(frames) == every[offset : offset + limit]


def test_counts_names_and_records_are_those_of_the_units_read(store_2009):
    store = store_2009
    vintage_id = store.vintages()[0].vintage_id
    bến_tre = store.units(vintage_id, AdminTier.PROVINCE, geometry=False).query("name_short == 'Bến Tre'")
    province_code = bến_tre["province_code"].iloc[0]
    expr = filters.parse_text("name LIKE 'Xã Phú%'", collection("communes").queryable_types)
    for level, scope, e, box in [
        (None, {}, None, None),
        (AdminTier.COMMUNE, {}, expr, None),
        (AdminTier.COMMUNE, {"province_code": province_code}, None, None),
        (AdminTier.DISTRICT, {"province_code": province_code}, None, None),
        (AdminTier.COMMUNE, {}, None, BOX),
        (None, {"province_code": province_code}, expr, BOX),
    ]:
        read = store.units(vintage_id, level, geometry=False, expr=e, bbox=box, **scope)
        assert store.count_units(vintage_id, level, expr=e, bbox=box, **scope) == len(read) > 0
    communes = store.units(vintage_id, AdminTier.COMMUNE, province_code=province_code, geometry=False)
    districts = store.units(vintage_id, AdminTier.DISTRICT, province_code=province_code, geometry=False)
    names = store.unit_names(vintage_id, AdminTier.DISTRICT, [*communes["district_code"], None])
    assert names == dict(zip(districts["code"], districts["name"], strict=True))
    assert store.unit_names(vintage_id, AdminTier.DISTRICT, []) == {}
    for level, code in [(AdminTier.PROVINCE, None), (AdminTier.DISTRICT, province_code), (None, province_code)]:
        frame = store.units(vintage_id, level, province_code=code, geometry=False)
        records = store.unit_records(vintage_id, level, province_code=code)
        assert records == [unit_from_row(r) for r in frame.itertuples(index=False)] and records
