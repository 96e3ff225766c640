"""Crosswalk between vintages: a hand-made case with known answers, then the 17 communes of
Thành phố Bến Tre (2009 file) against the full-resolution 2025 wards of Vĩnh Long, whose expected
shares are published in the shared data README."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from geo_ntm.crosswalk import PAIR_COLUMNS, POPULATION_COLUMNS, crosswalk
from geo_ntm.errors import InputError

UTM_48N = 32648

# From the data README: for each 2009 unit, the 2025 ward with its largest share (percent).
LARGEST_SHARE = {
    "8110101": ("28777", 93.9),
    "8110103": ("28777", 100.0),
    "8110105": ("28777", 100.0),
    "8110107": ("28777", 93.5),
    "8110109": ("28777", 99.6),
    "8110111": ("28783", 93.7),
    "8110113": ("28789", 91.9),
    "8110115": ("28756", 99.3),
    "8110117": ("28756", 95.8),
    "8110119": ("28783", 97.7),
    "8110121": ("28789", 99.6),
    "8110123": ("28756", 98.2),
    "8110125": ("28756", 97.2),
    "8110127": ("28777", 98.7),
    "8110129": ("28777", 97.4),
    "8110130": ("28858", 98.1),
    "8110131": ("28789", 99.6),
}
# The old city as a whole: ward -> (percent of the old city, percent of the ward).
CITY_SPLIT = {
    "28756": (35.06, 97.4),
    "28777": (24.11, 52.7),
    "28783": (17.96, 53.1),
    "28789": (16.87, 36.6),
    "28858": (5.71, 14.9),
}
PP = 0.2  # tolerance in percentage points: the README rounds to 0.1 or 0.01


def _utm_boxes(codes: list[str], boxes: list[tuple[float, float, float, float]], **columns) -> gpd.GeoDataFrame:
    """Rectangles given in metres of UTM zone 48N (about 10°N, 105°E), returned in EPSG:4326."""
    frame = gpd.GeoDataFrame(
        {"code": codes, "name": [f"Unit {c}" for c in codes], **columns},
        geometry=[shapely.box(*b) for b in boxes],
        crs=UTM_48N,
    )
    return frame.to_crs(4326)


def test_hand_made_split_has_known_areas_and_shares():
    x, y = 500_000, 1_150_000  # on the zone's central meridian, where UTM's scale factor is 0.9996
    old = _utm_boxes(["A"], [(x, y, x + 2000, y + 1000)], population=[1000])
    new = _utm_boxes(
        ["L", "R", "N", "T"],
        [
            (x, y, x + 1000, y + 1000),  # left half of A
            (x + 1000, y, x + 2000, y + 1000),  # right half of A
            (x, y + 995, x + 2000, y + 1995),  # overlaps A by a 5 m strip: a sliver (0.5% of each)
            (x + 2000, y, x + 3000, y + 1000),  # only touches A: no pair
        ],
    )
    walk = crosswalk(old, new)
    pairs = walk.pairs.set_index("new_code")
    assert list(walk.pairs.columns) == PAIR_COLUMNS + POPULATION_COLUMNS
    assert sorted(pairs.index) == ["L", "R"] and list(walk.slivers["new_code"]) == ["N"]
    # 1 km² in UTM is 1/0.9996² km² on the ellipsoid at the central meridian
    assert pairs["shared_ha"].tolist() == pytest.approx([100 / 0.9996**2] * 2, rel=1e-4)
    assert pairs["share_of_old"].tolist() == pytest.approx([0.5, 0.5], abs=1e-6)
    assert pairs["share_of_new"].tolist() == pytest.approx([1.0, 1.0], abs=1e-6)
    assert pairs["population"].tolist() == pytest.approx([500, 500], abs=1e-3)
    assert pairs["population_share"].tolist() == pytest.approx([1.0, 1.0])
    sliver = walk.slivers.iloc[0]
    assert sliver["share_of_old"] == pytest.approx(0.005, abs=1e-5) and pd.isna(sliver["population_share"])
    coverage = walk.coverage_of_old.iloc[0]
    # N overlaps L and R too: the covered area counts that strip once, so coverage stays 100%
    assert coverage["coverage"] == pytest.approx(1.0, abs=1e-9)
    assert coverage["pairs_share"] == pytest.approx(1.0, abs=1e-6)
    assert coverage["slivers_share"] == pytest.approx(0.005, abs=1e-5)

    strict = crosswalk(old, new, sliver_tolerance=0)
    assert len(strict.slivers) == 0 and sorted(strict.pairs["new_code"]) == ["L", "N", "R"]
    assert "population" not in crosswalk(old.drop(columns="population"), new).pairs.columns


def test_bad_frames_are_rejected():
    frame = _utm_boxes(["A"], [(500_000, 1_150_000, 501_000, 1_151_000)])
    with pytest.raises(InputError, match="lack the column"):
        crosswalk(frame.drop(columns="name"), frame)
    with pytest.raises(InputError, match="no coordinate reference system"):
        crosswalk(frame, frame.set_crs(None, allow_override=True))
    with pytest.raises(InputError, match="sliver tolerance"):
        crosswalk(frame, frame, sliver_tolerance=1.5)


@pytest.fixture(scope="module")
def old_city(data_dir) -> gpd.GeoDataFrame:
    """The 17 units of Thành phố Bến Tre in the 2009 file."""
    frame = pyogrio.read_dataframe(
        data_dir / "vn_admin_2009.gpkg",
        layer="communes",
        where="district_id = '81101'",
        columns=["commune_id", "commune_name", "population_2009"],
    )
    assert len(frame) == 17
    return frame.rename(columns={"commune_id": "code", "commune_name": "name", "population_2009": "population"})


@pytest.fixture(scope="module")
def wards(data_dir, old_city) -> gpd.GeoDataFrame:
    """The full-resolution 2025 wards of Vĩnh Long (86) that reach the old city's bounding box."""
    frame = pyogrio.read_dataframe(
        data_dir / "vn_admin_2025_mekong_full.gpkg",
        layer="wards",
        where="province_code = '86'",
        bbox=tuple(old_city.total_bounds),
        columns=["ward_code", "ward_name"],
    )
    return frame.rename(columns={"ward_code": "code", "ward_name": "name"})


@pytest.fixture(scope="module")
def city_walk(old_city, wards):
    return crosswalk(old_city, wards)


def test_largest_share_of_each_2009_unit_matches_the_data_readme(city_walk):
    largest = city_walk.pairs.sort_values("share_of_old").groupby("old_code").tail(1).set_index("old_code")
    assert set(largest.index) == set(LARGEST_SHARE)
    for code, (ward, pct) in LARGEST_SHARE.items():
        assert largest.loc[code, "new_code"] == ward, code
        assert 100 * largest.loc[code, "share_of_old"] == pytest.approx(pct, abs=PP), code
    assert largest.loc["8110131", "new_name"] == "Phường Bến Tre"  # Xã Mỹ Thành, 99.6%


def test_split_of_the_old_city_matches_the_data_readme(old_city, wards):
    city = gpd.GeoDataFrame(
        {"code": ["81101"], "name": ["Thành phố Bến Tre"]},
        geometry=[shapely.union_all(old_city.geometry.array)],
        crs=4326,
    )
    walk = crosswalk(city, wards)
    pairs = walk.pairs.set_index("new_code")
    assert set(pairs.index) == set(CITY_SPLIT)
    for ward, (pct_of_city, pct_of_ward) in CITY_SPLIT.items():
        assert 100 * pairs.loc[ward, "share_of_old"] == pytest.approx(pct_of_city, abs=PP), ward
        assert 100 * pairs.loc[ward, "share_of_new"] == pytest.approx(pct_of_ward, abs=PP), ward
    assert set(walk.slivers["new_name"]) == {"Xã Lương Phú", "Xã Phú Túc"}  # under 1%, as the README says
    assert walk.coverage_of_old.loc[0, "old_ha"] == pytest.approx(6941, abs=1)  # 69.41 km²


def test_shares_of_each_old_unit_sum_to_100_percent(city_walk):
    coverage = city_walk.coverage_of_old.set_index("old_code")
    assert len(coverage) == 17
    # The 2025 wards cover the whole 2009 outline here (the rivers lie inside wards): real pairs
    # plus slivers make up 100% of every old unit, within 0.01% ...
    assert (coverage["coverage"] > 0.9999).all()
    assert (coverage["pairs_share"] + coverage["slivers_share"] - coverage["coverage"]).abs().max() < 1e-4
    # ... and the real pairs alone within 2 percentage points: the rest is slivers along borders
    # the two sources draw differently (at most 1.7%, Phường 6, in two slivers under 1% each).
    assert coverage["pairs_share"].between(0.98, 1 + 1e-9).all()
    assert coverage.loc["8110103", "pairs_share"] == pytest.approx(1.0)  # Phường 2 lies inside An Hội


def test_slivers_are_below_the_tolerance_on_both_sides(city_walk):
    slivers, pairs = city_walk.slivers, city_walk.pairs
    assert len(slivers) > 0
    assert (slivers["share_of_old"] < 0.01).all() and (slivers["share_of_new"] < 0.01).all()
    assert ((pairs["share_of_old"] >= 0.01) | (pairs["share_of_new"] >= 0.01)).all()


def test_population_is_spread_by_area(city_walk, old_city):
    moved = pd.concat([city_walk.pairs, city_walk.slivers]).groupby("old_code")["population"].sum()
    population = old_city.set_index("code")["population"]
    assert moved.to_numpy() == pytest.approx(population[moved.index].to_numpy(), rel=1e-4)
    assert city_walk.pairs.groupby("new_code")["population_share"].sum().to_numpy() == pytest.approx(1.0)


def test_to_csv_writes_pairs_and_slivers(city_walk, tmp_path):
    path = tmp_path / "crosswalk.csv"
    city_walk.to_csv(path)
    table = pd.read_csv(path, dtype={"old_code": str, "new_code": str})
    assert len(table) == len(city_walk.pairs) + len(city_walk.slivers)
    assert table["sliver"].sum() == len(city_walk.slivers)
    assert list(table.columns) == PAIR_COLUMNS + POPULATION_COLUMNS + ["sliver"]
    assert "Phường An Hội" in set(table["new_name"])
