"""The 2025 units after the July 2025 reform: 34 provinces, 3,321 wards and communes, no
districts, each province tiled by its wards with no gap or overlap above a stated tolerance."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pytest

from boundaries.importer import import_boundaries
from boundaries.quality import measure_boundary_quality
from geo_ntm.domain import AdminTier
from geo_ntm.geometry import area_ha
from geo_ntm.store import open_store

#: Tolerances: the national 2025 layer is a clean coverage (coverage_clean + coverage_simplify);
#: the full-resolution Mekong wards were not cleaned, and their slivers are under 0.001%.
OVERLAP_PCT = {"vn_admin_2025.gpkg": 1e-6, "vn_admin_2025_mekong_full.gpkg": 1e-3}
GAP_PCT = 1e-3


@pytest.fixture(scope="module")
def store_2025(tmp_path_factory, data_dir):
    store = open_store(str(tmp_path_factory.mktemp("v2025") / "s.gpkg"))
    vintage, report = import_boundaries(
        store, data_dir / "vn_admin_2025.gpkg", dt.date(2025, 7, 1), measure_quality=False
    )
    yield store, vintage, report
    store.close()


def test_2025_vintage_levels_and_types(store_2025):
    store, vintage, report = store_2025
    assert {lr.level: lr.rows_read for lr in report.layers} == {"province": 34, "commune": 3321}
    units = store.units(vintage.vintage_id, geometry=False)
    communes = units[units["level"] == "commune"]
    assert communes["unit_type"].value_counts().to_dict() == {"xa": 2611, "phuong": 697, "dac_khu": 13}
    assert communes["district_code"].isna().all()  # no district level since 1 July 2025
    assert set(communes["parent_code"]) == set(units.loc[units["level"] == "province", "code"])
    assert store.vintage_on(dt.date(2025, 7, 1)) == vintage
    with pytest.raises(Exception, match="no boundary vintage is in force"):
        store.vintage_on(dt.date(2025, 6, 30))


@pytest.mark.parametrize("file_name", ["vn_admin_2025.gpkg", "vn_admin_2025_mekong_full.gpkg"])
def test_wards_tile_each_province(store_2025, data_dir, file_name):
    store, vintage, _ = store_2025
    wards = gpd.read_file(data_dir / file_name, layer="wards").rename(columns={"ward_code": "code"})
    provinces = store.units(vintage.vintage_id, AdminTier.PROVINCE).set_index("code")
    checked = 0
    for code, group in wards.groupby("province_code"):
        coverage = measure_boundary_quality(group)
        assert coverage.overlap_pct <= OVERLAP_PCT[file_name], (code, coverage.summary())
        union_ha = area_ha(group.dissolve().geometry)[0]
        province_ha = provinces.loc[code, "area_ha"]
        # the province polygon is the union of the (simplified) wards: the Mekong full-resolution
        # wards differ from it only by the 13 m simplification
        tolerance = GAP_PCT if file_name == "vn_admin_2025.gpkg" else 0.1
        assert abs(union_ha - province_ha) / province_ha * 100 <= tolerance, (code, union_ha, province_ha)
        checked += 1
    assert checked == (34 if file_name == "vn_admin_2025.gpkg" else 3)
