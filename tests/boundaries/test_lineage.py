"""Lineage events: the shipped Bến Tre example applied to the real 2009 units of Thành phố Bến Tre,
a hand-made merge with known geometry, and broken lineage files made here."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

import boundaries
from boundaries.importer import detect_spec, prepare_layer
from boundaries.lineage import (
    LINEAGE_COLUMNS,
    EventKind,
    derive_vintage,
    merge_geometry,
    read_lineage,
    validate_against,
)
from geo_ntm.domain import UNIT_COLUMNS
from geo_ntm.errors import InputError
from geo_ntm.geometry import area_ha

EXAMPLE = Path(boundaries.__file__).parent / "examples" / "ben_tre_city_lineage.csv"
# The 2009 file already shows Thành phố Bến Tre after NQ 49/NQ-CP (17 units, with Xã Mỹ Thành),
# so its city is taken as the vintage valid from that act's date.
BASE = dt.date(2013, 4, 5)
END_2020 = dt.date(2020, 12, 31)
PHUONG_1_2_3 = ["8110101", "8110103", "8110105"]
CITY_2020 = {
    "phuong": {
        "Phường An Hội",
        "Phường 4",
        "Phường 5",
        "Phường 6",
        "Phường 7",
        "Phường 8",
        "Phường Phú Khương",
        "Phường Phú Tân",
    },
    "xa": {"Xã Sơn Đông", "Xã Bình Phú", "Xã Phú Hưng", "Xã Nhơn Thạnh", "Xã Mỹ Thạnh An", "Xã Phú Nhuận"},
}


@pytest.fixture(scope="module")
def city_2013(data_dir) -> gpd.GeoDataFrame:
    """The 17 units of Thành phố Bến Tre from the 2009 file, in the store's unit columns."""
    frame = pyogrio.read_dataframe(data_dir / "vn_admin_2009.gpkg", layer="communes", where="district_id = '81101'")
    units, _ = prepare_layer(detect_spec("communes", [c for c in frame.columns if c != "geometry"]), frame)
    assert len(units) == 17
    return units


@pytest.fixture(scope="module")
def city_2020(city_2013) -> gpd.GeoDataFrame:
    return derive_vintage(city_2013, read_lineage(EXAMPLE), END_2020, vintage_start=BASE)


def _union_ha(geoms) -> float:
    return float(area_ha(gpd.GeoSeries([shapely.union_all(list(geoms))], crs=4326))[0])


def test_the_example_file_reads_as_three_events():
    events = read_lineage(EXAMPLE)
    assert [(e.event_id, e.kind, e.effective_date) for e in events] == [
        ("bt-2013-my-thanh", EventKind.TRANSFER, dt.date(2013, 4, 5)),
        ("bt-2020-an-hoi", EventKind.MERGE, dt.date(2020, 2, 1)),
        ("bt-2020-my-thanh", EventKind.MERGE, dt.date(2020, 2, 1)),
    ]
    an_hoi = events[1]
    assert an_hoi.before == tuple(PHUONG_1_2_3) and an_hoi.after == ("28777",)
    assert an_hoi.after_name == ("Phường An Hội",) and an_hoi.line == 3
    assert events[2].before == ("8110121", "8110131") and events[2].after == ("8110121",)


def test_the_example_fits_the_2013_city(city_2013):
    validate_against(read_lineage(EXAMPLE), city_2013, BASE)


def test_derived_2020_city_has_14_units_with_names_and_types(city_2020, city_2013):
    assert len(city_2020) == 14
    assert list(city_2020.columns) == list(city_2013.columns)
    assert set(city_2020.columns) == set(UNIT_COLUMNS) - {"unit_id", "vintage_id"}
    assert city_2020.crs.equals("EPSG:4326")
    by_type = city_2020.groupby("unit_type")["name"].agg(set).to_dict()
    assert by_type == CITY_2020
    units = city_2020.set_index("code")
    an_hoi = units.loc["28777"]
    assert (an_hoi["name"], an_hoi["name_short"], an_hoi["unit_type"]) == ("Phường An Hội", "An Hội", "phuong")
    assert (an_hoi["parent_code"], an_hoi["district_code"], an_hoi["province_code"]) == ("81101", "81101", "811")
    assert an_hoi["population"] == 5039 + 2758 + 5617  # census 2009 populations of Phường 1, 2, 3
    assert units.loc["8110121", "name"] == "Xã Bình Phú" and units.loc["8110121", "population"] == 4932 + 2257
    assert not {"8110101", "8110103", "8110105", "8110131"} & set(units.index)
    assert city_2020["area_ha"].to_numpy() == pytest.approx(area_ha(city_2020.geometry), abs=1e-3)


def test_derived_2020_city_keeps_the_area_of_the_2013_city(city_2020, city_2013):
    # the units overlap a little (independently thinned), so the city's area is that of the union
    assert _union_ha(city_2020.geometry) == pytest.approx(_union_ha(city_2013.geometry), rel=1e-4)
    binh_phu = city_2020.set_index("code").loc["8110121", "area_ha"]
    parts = city_2013.set_index("code").loc[["8110121", "8110131"]].geometry
    assert binh_phu == pytest.approx(_union_ha(parts), rel=1e-6)  # they overlap: no gap to close


def test_an_hoi_is_the_union_of_phuong_1_2_3_without_slivers_or_holes(city_2020, city_2013):
    an_hoi = city_2020.set_index("code").loc["28777", "geometry"]
    parts = list(city_2013.set_index("code").loc[PHUONG_1_2_3].geometry)
    assert shapely.union_all(parts).geom_type == "MultiPolygon"  # Phường 1 and 2 touch at one vertex
    assert len(an_hoi.geoms) == 1  # the thin gap between them is closed
    assert all(len(p.interiors) == 0 for g in parts for p in g.geoms) and len(an_hoi.geoms[0].interiors) == 0
    union_ha = _union_ha(parts)
    left_out = shapely.difference(shapely.union_all(parts), an_hoi)
    assert area_ha(gpd.GeoSeries([left_out], crs=4326))[0] < 1e-4  # every part is inside
    # the closed gap (about 0.1 ha between Phường 1 and 2) is all that was added
    assert 0 < city_2020.set_index("code").loc["28777", "area_ha"] - union_ha < 0.15
    others = shapely.union_all(list(city_2020[city_2020["code"] != "28777"].geometry))
    overlap_parts, overlap_an_hoi = area_ha(
        gpd.GeoSeries(
            [shapely.intersection(shapely.union_all(parts), others), shapely.intersection(an_hoi, others)], crs=4326
        )
    )
    assert overlap_an_hoi == pytest.approx(overlap_parts, abs=1e-3)  # the closed gap takes nothing from neighbours


def test_events_apply_by_date(city_2013):
    events = read_lineage(EXAMPLE)
    assert len(derive_vintage(city_2013, events, dt.date(2020, 1, 31), vintage_start=BASE)) == 17
    # on a vintage from before 2013, where Xã Mỹ Thành still belongs to huyện Châu Thành, the 2013
    # transfer moves it into the city (81101) before the 2020 merge
    before_2013 = city_2013.copy()
    my_thanh = before_2013["code"] == "8110131"
    before_2013.loc[my_thanh, ["parent_code", "district_code"]] = "81103"
    in_2013 = derive_vintage(before_2013, events, dt.date(2013, 12, 31), vintage_start=dt.date(2009, 4, 1))
    assert in_2013.set_index("code").loc["8110131", ["parent_code", "district_code"]].tolist() == ["81101", "81101"]
    from_2009 = derive_vintage(before_2013, events, END_2020, vintage_start=dt.date(2009, 4, 1))
    assert sorted(from_2009["code"]) == sorted(derive_vintage(city_2013, events, END_2020, vintage_start=BASE)["code"])


def test_merge_geometry_closes_gaps_but_keeps_holes_and_neighbours():
    x, y = 500_000, 1_150_000  # metres, UTM zone 48N
    lake = shapely.box(x + 400, y + 400, x + 600, y + 600)
    left = shapely.box(x, y, x + 1000, y + 1000).difference(lake)
    right = shapely.box(x + 1010, y, x + 2010, y + 1000)  # 10 m away
    neighbour = shapely.box(x + 1000, y + 800, x + 1010, y + 1000)  # fills the top of the gap
    expected = shapely.box(x, y, x + 2010, y + 1000).difference(lake).difference(neighbour)
    lonlat = gpd.GeoSeries([left, right, neighbour, expected], crs=32648).to_crs(4326).tolist()
    merged = merge_geometry(lonlat[:2], [lonlat[2]])
    assert len(merged.geoms) == 1 and len(merged.geoms[0].interiors) == 1
    got, want = area_ha(gpd.GeoSeries([merged, lonlat[3]], crs=4326))
    assert got == pytest.approx(want, rel=1e-5)  # 200 ha - 4 ha lake + 0.8 ha of the gap


def _lineage_file(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "lineage.csv"
    path.write_text(",".join(LINEAGE_COLUMNS) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


MERGE_AN_HOI = "an-hoi,2020-02-01,856/NQ-UBTVQH14,merge,8110101;8110103;8110105,28777,Phường An Hội,phuong,,"

READ_ERRORS = [
    (
        "malformed date",
        "x,01/02/2020,act,merge,8110101;8110103,8110101,Phường 1,,,",
        "line 2",
        "not a date written YYYY-MM-DD",
    ),
    ("unknown kind", "x,2020-02-01,act,mrege,8110101;8110103,8110101,Phường 1,,,", "line 2", "unknown kind 'mrege'"),
    (
        "merged twice on one day",
        MERGE_AN_HOI + "\ny,2020-02-01,act,merge,8110103;8110107,8110107,Phường 4,,,",
        "line 3",
        "unit 8110103 is already changed on 2020-02-01 by line 2",
    ),
    ("merge of one unit", "x,2020-02-01,act,merge,8110101,8110101,Phường 1,,,", "line 2", "at least 2 before"),
    ("split into one unit", "x,2020-02-01,act,split,8110101,8110101,Phường 1,,,", "line 2", "at least 2 after"),
    ("transfer without parent", "x,2020-02-01,act,transfer,8110101,8110101,,,,", "line 2", "needs parent_after"),
    ("no legal act", "x,2020-02-01,,rename,8110101,8110101,Phường Một,,,", "line 2", "no legal_act"),
    (
        "unknown type",
        "x,2020-02-01,act,type_change,8110131,8110131,Phường Mỹ Thành,ward,,",
        "line 2",
        "unknown after_type 'ward'",
    ),
    (
        "duplicate event id",
        MERGE_AN_HOI + "\nan-hoi,2021-01-01,act,rename,28777,28777,Phường An Hội 2,,,",
        "line 3",
        "event_id already used on line 2",
    ),
]


@pytest.mark.parametrize(("case", "rows", "line", "message"), READ_ERRORS, ids=[c[0] for c in READ_ERRORS])
def test_broken_lineage_files_are_rejected_with_the_line(tmp_path, case, rows, line, message):
    with pytest.raises(InputError) as err:
        read_lineage(_lineage_file(tmp_path, *rows.split("\n")))
    assert f"{line}" in str(err.value) and message in str(err.value), str(err.value)


def test_a_header_without_all_columns_is_rejected(tmp_path):
    path = tmp_path / "lineage.csv"
    path.write_text("event_id,date,legal_act,kind,before,after\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"line 1 lacks the column.*effective_date"):
        read_lineage(path)


FIT_ERRORS = [
    ("unknown unit", "x,2020-02-01,act,merge,8110101;9999999,8110101,Phường 1,,,", "line 2", "unknown unit 9999999"),
    (
        "before the vintage",
        "x,2012-12-31,act,rename,8110101,8110101,Phường Một,,,",
        "line 2",
        "takes effect on 2012-12-31, before the vintage starts (2013-04-05)",
    ),
    (
        "parts do not touch",
        "x,2020-02-01,act,merge,8110103;8110113,8110113,Phường 7,,,",
        "line 2",
        "the parts 8110103, 8110113 of the merge do not touch",
    ),
    (
        "unit already merged",
        MERGE_AN_HOI + "\nx,2021-01-01,act,rename,8110101,8110101,Phường Một,,,",
        "line 3",
        "unit 8110101 no longer exists on 2021-01-01: line 2 (event an-hoi) changed it on 2020-02-01",
    ),
    (
        "unit not created yet",
        "x,2019-06-01,act,rename,28777,28777,Phường An Hội,,,\n" + MERGE_AN_HOI,
        "line 2",
        "unit 28777 does not exist yet on 2019-06-01: line 3 (event an-hoi) creates it on 2020-02-01",
    ),
    (
        "new code in use",
        "x,2020-02-01,act,merge,8110101;8110103,8110107,Phường Mới,,,",
        "line 2",
        "the new code 8110107 is already used",
    ),
    ("unknown parent", "x,2020-02-01,act,transfer,8110131,8110131,,,99999,", "line 2", "unknown parent_after 99999"),
]


@pytest.mark.parametrize(("case", "rows", "line", "message"), FIT_ERRORS, ids=[c[0] for c in FIT_ERRORS])
def test_lineage_that_does_not_fit_the_vintage_is_rejected_with_the_line(
    tmp_path, city_2013, case, rows, line, message
):
    events = read_lineage(_lineage_file(tmp_path, *rows.split("\n")))
    with pytest.raises(InputError) as err:
        validate_against(events, city_2013, BASE)
    assert f"{line}" in str(err.value) and message in str(err.value), str(err.value)
    with pytest.raises(InputError):  # derive never applies a lineage that does not fit
        derive_vintage(city_2013, events, dt.date(2030, 1, 1), vintage_start=BASE)


def test_a_split_cannot_be_derived(tmp_path, city_2013):
    events = read_lineage(
        _lineage_file(tmp_path, "x,2020-02-01,act,split,8110119,8110119;8110199,Xã Sơn Đông;Xã Sơn Tây,,,")
    )
    validate_against(events, city_2013, BASE)  # the codes fit ...
    with pytest.raises(InputError, match="cannot give the geometry") as err:  # ... the geometry is unknown
        derive_vintage(city_2013, events, END_2020, vintage_start=BASE)
    assert "line 2 (event x): split of 8110119 into 8110119;8110199" in str(err.value)


def test_rename_type_change_and_transfer_keep_the_geometry(tmp_path, city_2013):
    events = read_lineage(
        _lineage_file(
            tmp_path,
            "a,2021-01-01,act,type_change,8110121,8110121,Phường Bình Phú,phuong,,",
            "b,2022-01-01,act,rename,8110121,8110199,Phường Bình Phú Mới,,,",
            "c,2022-06-01,act,transfer,8110199,8110199,,,81101,moved within the same district: no change",
        )
    )
    derived = derive_vintage(city_2013, events, END_2020.replace(year=2022), vintage_start=BASE).set_index("code")
    row = derived.loc["8110199"]
    assert (row["name"], row["name_short"], row["unit_type"]) == ("Phường Bình Phú Mới", "Bình Phú Mới", "phuong")
    original = city_2013.set_index("code").loc["8110121"]
    assert row.geometry.equals(original.geometry) and row["area_ha"] == pytest.approx(original["area_ha"])
    assert len(derived) == 17 and "8110121" not in derived.index
