"""The tallies of communes by province or district (``geo_ntm.aggregate``): on hand-made
assessments (TEST values, no real units) wards are not counted as assessed, nested levels count at
every level they nest in, the mean criteria met is over the communes with data; on the real 2009
boundaries with the Bến Tre status sample, on both stores, the tallies agree with the communes'
own assessments (``geo_ntm.views.commune_view``)."""

from __future__ import annotations

import pytest

from geo_ntm.aggregate import Tally, commune_tallies, tally_of
from geo_ntm.domain import AdminTier, Assessment
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.views import commune_view
from geo_ntm.where import resolve_where


def assessment(assessed=True, has_data=True, met=None, recognised=None, framework=None) -> Assessment:
    return Assessment(
        unit_id=0,
        year=2023,
        assessed=assessed,
        has_data=has_data,
        criteria_met=met,
        recognised_level=recognised,
        framework_id=framework,
    )


def test_a_tally_counts_assessed_communes_nested_levels_and_the_mean():
    d1 = tally_of(
        [
            assessment(met=19, recognised="ntm_kieu_mau", framework="qd318_2022"),
            assessment(met=15, framework="qd318_2022"),
            assessment(has_data=False),
            assessment(assessed=False, has_data=False),  # a ward: not assessed
        ]
    )
    assert (d1.communes, d1.assessed, d1.with_data) == (4, 3, 2)
    assert d1.recognised == {"ntm": 1, "ntm_nang_cao": 1, "ntm_kieu_mau": 1}
    assert d1.recognised_share("ntm") == pytest.approx(1 / 3) and d1.data_share == pytest.approx(2 / 3)
    assert d1.mean_criteria_met == 17 and d1.framework == "qd318_2022"
    d2 = tally_of([assessment(met=19, recognised="ntm_hien_dai", framework="qd51_2025"), assessment(met=10)])
    assert d2.recognised == {"ntm": 1, "ntm_hien_dai": 1}  # hiện đại nests in ntm only
    assert d2.framework == "qd51_2025" and d2.mean_criteria_met == 14.5


def test_a_tally_without_assessed_communes_has_no_shares():
    empty = Tally(communes=3)
    assert (empty.recognised_share("ntm"), empty.data_share, empty.mean_criteria_met) == (None, None, None)
    assert empty.as_dict()["recognised"] == {"ntm": 0, "ntm_nang_cao": 0, "ntm_kieu_mau": 0, "ntm_hien_dai": 0}


def test_the_tallies_agree_with_the_communes_own_assessments(store_2009, data_dir):
    assert import_status_file(store_2009, data_dir / "samples" / "status_ben_tre_city_long.csv").ok
    where = resolve_where(store_2009, year=2020, province="Bến Tre")
    communes = commune_view(store_2009, where.vintage, 2020, geometry=False, **where.place_filters)
    by_district = commune_tallies(store_2009, where, AdminTier.DISTRICT)
    assert set(by_district) == set(communes["district_code"])
    for code, tally in by_district.items():
        mine = communes[communes["district_code"] == code]
        assessed = mine[mine["assessed"]]
        with_data = assessed[assessed["has_data"]]
        assert (tally.communes, tally.assessed, tally.with_data) == (len(mine), len(assessed), len(with_data)), code
        assert tally.criteria_met_sum == int(with_data["criteria_met"].dropna().sum()), code
        assert tally.recognised.get("ntm", 0) == int(assessed["recognised_level"].notna().sum()), code
    assert sum(t.with_data for t in by_district.values()) > 0
    (province,) = commune_tallies(store_2009, where, AdminTier.PROVINCE).values()
    assert province.communes == len(communes) and province.with_data == sum(t.with_data for t in by_district.values())
