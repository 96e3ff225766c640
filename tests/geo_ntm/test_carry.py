"""Carrying an assessment across vintages: a hand-made case with known answers, then the 2020
statuses of Thành phố Bến Tre (2009 boundaries, the shared sample) carried onto the full-resolution
2025 wards of Vĩnh Long."""

from __future__ import annotations

import math
import shutil

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from geo_ntm.carry import RULES, CarryRule, carry, parse_rule
from geo_ntm.crosswalk import crosswalk
from geo_ntm.errors import InputError
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store
from geo_ntm.views import commune_view

UTM_48N = 32648
KM = 1000.0


def _strips(rows: list[dict]) -> gpd.GeoDataFrame:
    """Units given as strips 1 km high, from x0 to x1 km (UTM 48N, near 105°E 10°N), in EPSG:4326."""
    x, y = 500_000, 1_150_000
    geoms = [shapely.box(x + r.pop("x0") * KM, y, x + r.pop("x1") * KM, y + r.pop("h", 1) * KM) for r in rows]
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=UTM_48N).to_crs(4326)


def _old(code, x0, x1, *, unit_type="xa", has_data=True, level=None, met=None, population=float("nan"), h=1):
    return {
        "code": code,
        "name": f"Old {code}",
        "unit_type": unit_type,
        "x0": x0,
        "x1": x1,
        "h": h,
        "year": 2020,
        "assessed": unit_type == "xa",
        "has_data": has_data,
        "level": level,
        "criteria_met": met,
        "population": population,
    }


@pytest.fixture(scope="module")
def toy():
    old = _strips(
        [
            _old("A", 0, 1, level="ntm", met=19, population=1000),
            _old("B", 1, 2, has_data=False, population=3000),
            _old("C", 2, 3, level="ntm_nang_cao", met=19),  # population unknown
            _old("E", 3, 4, level="ntm", met=19, population=500),
            _old("W", 4, 5, unit_type="phuong", has_data=False, population=5000),
            _old("D", 4.995, 7, met=15, population=2000),  # a 5 m strip over N2: a sliver
            _old("G", 7, 8, met=12, population=1000),
            _old("F", 9, 11, level="ntm", met=19, population=100),
            _old("S", 9, 9.1, has_data=False, population=10, h=1.01),  # 100% of S, 0.05% of N7
        ]
    )
    old["criteria_met"] = old["criteria_met"].astype("Int64")
    old.loc[old["code"] == "S", "geometry"] = old.loc[old["code"] == "S", "geometry"].difference(
        old.loc[old["code"] == "F", "geometry"].iloc[0]
    )
    new = _strips(
        [
            {"code": c, "name": f"New {c}", "unit_type": "xa", "x0": a, "x1": b, "h": h}
            for c, a, b, h in [
                ("N1", 0, 2, 1),
                ("N3", 2, 4, 1),
                ("N2", 4, 5, 1),
                ("N4", 5, 8, 1),
                ("N5", 8, 9, 1),
                ("N7", 9, 11, 1.01),
            ]
        ]
    )
    return old, new


def _rows(frame: pd.DataFrame) -> dict[str, dict]:
    return frame.set_index("code").to_dict("index")


def test_rule_all_on_hand_made_units(toy):
    old, new = toy
    out = carry(old, new, CarryRule("all"))
    assert list(out["code"]) == list(new["code"]) and out.crs == new.crs
    assert (out["carry_rule"] == "all").all() and (out["carried_from_year"] == 2020).all()
    r = _rows(out)
    # 50/50 of an NTM xã and a xã without data: unknown
    assert pd.isna(r["N1"]["level"]) and not r["N1"]["has_data"] and r["N1"]["assessed"]
    assert r["N1"]["old_units"] == ["A", "B"] and (r["N1"]["assessed_parts"], r["N1"]["parts_with_data"]) == (2, 1)
    assert math.isnan(r["N1"]["criteria_met"])
    # an advanced commune counts as NTM: the lowest level of the parts is NTM
    assert r["N3"]["level"] == "ntm" and r["N3"]["has_data"] and r["N3"]["criteria_met"] == 19.0
    # an old ward only (D's strip is a sliver and does not count): not assessed
    assert not r["N2"]["assessed"] and r["N2"]["old_units"] == ["W"] and r["N2"]["assessed_parts"] == 0
    # two parts with data, neither reached: no level, known; area-weighted count (2 x 15 + 1 x 12) / 3
    assert pd.isna(r["N4"]["level"]) and r["N4"]["has_data"] and r["N4"]["criteria_met"] == pytest.approx(14.0)
    # no old unit at all: no data (not "not assessed"), nothing covered
    assert r["N5"]["assessed"] and not r["N5"]["has_data"] and r["N5"]["old_units"] == [] and r["N5"]["coverage"] == 0
    # S (no data) is all of itself but 0.05% of N7: under the tolerance of the new unit, it does not count
    assert r["N7"]["level"] == "ntm" and r["N7"]["old_units"] == ["F"]
    assert r["N7"]["coverage"] == pytest.approx((2 + 0.001) / 2.02, rel=1e-4)

    assert (
        carry(old.assign(has_data=old["code"] != "A"), new, CarryRule("all")).set_index("code").loc["N1", "has_data"]
    )  # B reached nothing: N1 has reached nothing whatever A was


def test_rule_share_area_on_hand_made_units(toy):
    old, new = toy
    r = _rows(carry(old, new, CarryRule("share_area")))
    assert (r["N1"]["share"], r["N1"]["share_known"], r["N1"]["share_assessed"]) == pytest.approx((0.5, 0.5, 1.0))
    assert (r["N3"]["share"], r["N3"]["share_known"]) == pytest.approx((1.0, 1.0))
    assert (r["N2"]["share"], r["N2"]["share_known"], r["N2"]["share_assessed"]) == (0, 0, 0)  # the sliver never counts
    assert (r["N4"]["share"], r["N4"]["share_known"]) == pytest.approx((0.0, 1.0))
    assert (r["N5"]["share"], r["N5"]["share_known"], r["N5"]["coverage"]) == (0, 0, 0)
    assert r["N7"]["old_units"] == ["F", "S"]
    assert (r["N7"]["share"], r["N7"]["share_assessed"]) == pytest.approx((2 / 2.02, 2.001 / 2.02), rel=1e-4)

    advanced = _rows(carry(old, new, CarryRule("share_area", level="ntm_nang_cao")))
    assert advanced["N3"]["share"] == pytest.approx(0.5) and advanced["N1"]["share"] == 0


def test_rule_share_population_on_hand_made_units(toy):
    old, new = toy
    r = _rows(carry(old, new, CarryRule("share_population")))
    # 1000 people in the NTM half, 3000 in the half without data
    assert (r["N1"]["share"], r["N1"]["share_known"], r["N1"]["share_assessed"]) == pytest.approx((0.25, 0.25, 1.0))
    assert r["N1"]["population_known"] == pytest.approx(1.0)
    # C's population is unknown: the share is over E's people, and says that half the area is known
    assert (r["N3"]["share"], r["N3"]["population_known"]) == pytest.approx((1.0, 0.5))
    assert math.isnan(r["N5"]["share"]) and r["N5"]["population_known"] == 0
    with pytest.raises(InputError, match="population"):
        carry(old.drop(columns="population"), new, CarryRule("share_population"))


def test_rules_are_parsed():  # their labels: tests/maps/test_i18n.py
    assert parse_rule(" Share-Area ", level="NTM_nang_cao") == CarryRule("share_area", "ntm_nang_cao")
    for bad, kwargs in (("majority", {}), ("all", {"level": "gold"}), ("all", {"sliver_tolerance": 1.0})):
        with pytest.raises(InputError) as err:
            parse_rule(bad, **kwargs)
        assert ("all, share_area, share_population" in str(err.value)) == (bad == "majority")
    with pytest.raises(InputError) as err:
        parse_rule("all", "gold")
    assert "ntm, ntm_nang_cao, ntm_kieu_mau" in str(err.value)


def test_old_frame_must_hold_one_year(toy):
    old, new = toy
    with pytest.raises(InputError, match="exactly one year"):
        carry(old.assign(year=[2019] + [2020] * (len(old) - 1)), new, CarryRule("all"))
    with pytest.raises(InputError, match="lack the column"):
        carry(old.drop(columns="has_data"), new, CarryRule("all"))
    with pytest.raises(InputError, match="codes repeat: N1"):
        carry(old, pd.concat([new, new.iloc[:1]]), CarryRule("all"))


# --- Real data: Thành phố Bến Tre 2020 (2009 boundaries) -> 2025 wards of Vĩnh Long --------------------------

PHU_KHUONG, AN_HOI, SON_DONG, BEN_TRE = "28756", "28777", "28783", "28789"
NTM_2020 = {"8110119", "8110121", "8110123", "8110125", "8110127", "8110129"}  # the sample's 6 xã, 19/19
MY_THANH, THANH_TAN, SON_PHU = "8110131", "8110703", "8110913"  # xã without data in the sample
FAR_WARD = ("29518", "Xã Long Hữu")  # former Duyên Hải (Trà Vinh), far from the old Bến Tre province


@pytest.fixture(scope="module")
def old_2020(tmp_path_factory, boundaries_2009_template, data_dir) -> gpd.GeoDataFrame:
    """commune_view of the 164 units of Bến Tre province, 2009 boundaries, 2020, with the sample."""
    path = tmp_path_factory.mktemp("carry") / "store.gpkg"
    shutil.copy(boundaries_2009_template, path)
    with open_store(str(path)) as store:
        import_status_file(store, data_dir / "samples" / "status_ben_tre_city_long.csv")
        frame = commune_view(store, store.vintage_for_year(2020), 2020, province_code="811")
    assert set(frame.loc[frame["level"] == "ntm", "code"]) == NTM_2020
    assert not frame.set_index("code").loc[[MY_THANH, THANH_TAN, SON_PHU], "has_data"].any()
    return frame


@pytest.fixture(scope="module")
def wards_2025(data_dir) -> gpd.GeoDataFrame:
    frame = pyogrio.read_dataframe(
        data_dir / "vn_admin_2025_mekong_full.gpkg",
        layer="wards",
        where="province_code = '86'",
        columns=["ward_code", "ward_name", "unit_type"],
    )
    assert len(frame) == 124
    return frame.rename(columns={"ward_code": "code", "ward_name": "name"}).assign(population=float("nan"))


@pytest.fixture(scope="module")
def carried(old_2020, wards_2025) -> dict[str, pd.DataFrame]:
    return {name: carry(old_2020, wards_2025, CarryRule(name)).set_index("code") for name in RULES}


def test_every_ward_is_kept_with_its_columns(carried, wards_2025):
    for name, frame in carried.items():
        assert list(frame.index) == list(wards_2025["code"]) and (frame["carry_rule"] == name).all()
        assert (frame["carried_from_year"] == 2020).all() and frame["name"].notna().all()
        assert frame.geometry.geom_equals_exact(wards_2025.set_index("code").geometry, tolerance=0).all()


def test_shares_are_ordered_fractions(carried):
    for name in ("share_area", "share_population"):
        frame = carried[name].dropna(subset=["share"])
        assert len(frame) > 40, name  # every ward of the former Bến Tre province
        assert frame["share"].between(0, 1).all() and frame["share_assessed"].le(1 + 1e-12).all()
        assert (frame["share"] <= frame["share_known"] + 1e-12).all()
        assert (frame["share_known"] <= frame["share_assessed"] + 1e-12).all()
    # only the city's 6 xã have data: the wards outside the old city have nothing known, except
    # Xã Lương Phú, which holds 1.2% of Nhơn Thạnh's 2009 polygon (a real pair, 0.4% of Lương Phú)
    area = carried["share_area"]
    assert set(area.index[area["share_known"] > 0]) == {PHU_KHUONG, AN_HOI, SON_DONG, BEN_TRE, "28858", "28993"}
    assert 0 < area.loc["28993", "share"] < 0.01 and pd.isna(carried["all"].loc["28993", "level"])


def test_phu_khuong_share_matches_the_crosswalk(carried, old_2020, wards_2025):
    pairs = crosswalk(old_2020, wards_2025).pairs
    mine = pairs[pairs["new_code"] == PHU_KHUONG]
    # Phường 8 and Phường Phú Khương (wards), Xã Phú Hưng and Xã Nhơn Thạnh (NTM) make up most of it
    assert {"8110115", "8110117", "8110123", "8110125"} <= set(mine["old_code"])
    ntm = mine[mine["old_code"].isin(NTM_2020)]
    row = carried["share_area"].loc[PHU_KHUONG]
    assert row["share"] == pytest.approx(ntm["share_of_new"].sum(), abs=1e-12)
    assert 0.7 < row["share"] < 0.8
    # no xã without data and none that failed lies in it: known and assessed shares are the same
    assert row["share_known"] == pytest.approx(row["share"]) and row["share_assessed"] == pytest.approx(row["share"])
    assert row["old_units"][:3] == ["8110123", "8110125", "8110117"]  # largest parts first
    people = carried["share_population"].loc[PHU_KHUONG]
    assert people["share"] == pytest.approx(ntm["population"].sum() / mine["population"].sum())
    assert people["population_known"] == pytest.approx(row["coverage"])  # every 2009 unit has a population
    # its xã parts are all NTM, but old wards (Phường 8, Phú Khương) make up part of it: no level
    assert pd.isna(carried["all"].loc[PHU_KHUONG, "level"]) and carried["all"].loc[PHU_KHUONG, "has_data"]


def test_far_ward_has_nothing_known(carried):
    code, name = FAR_WARD
    area, rule_all = carried["share_area"].loc[code], carried["all"].loc[code]
    assert area["name"] == name
    assert (area["share"], area["share_known"], area["coverage"], area["old_units"]) == (0, 0, 0, [])
    assert math.isnan(carried["share_population"].loc[code, "share"])
    assert rule_all["assessed"] and not rule_all["has_data"] and pd.isna(rule_all["level"])


def test_rule_all_on_the_city_wards(carried, old_2020, wards_2025):
    frame = carried["all"]
    # An Hội: old Phường 3-5 (wards), Mỹ Thạnh An and Phú Nhuận (NTM), and Xã Sơn Phú of Giồng Trôm
    # (45% of it, no data in the sample): unknown. Phường 1 and 2 are under 1% of the new ward.
    an_hoi = frame.loc[AN_HOI]
    assert {"8110127", "8110129", SON_PHU} <= set(an_hoi["old_units"]) and "8110101" not in an_hoi["old_units"]
    assert (an_hoi["assessed_parts"], an_hoi["parts_with_data"]) == (3, 2)
    # Sơn Phú has no data: unknown; old wards (Phường 3-5) make up part of it, so even with all its
    # xã at NTM it has no level
    assert pd.isna(an_hoi["level"]) and not an_hoi["has_data"]

    def with_ntm(codes, level="ntm"):
        changed = old_2020.copy()
        changed.loc[changed["code"].isin(codes), ["has_data", "level", "criteria_met"]] = [True, level, 19]
        return carry(changed, wards_2025, CarryRule("all")).set_index("code")

    all_xa_ntm = with_ntm([SON_PHU, "8110127", "8110129"]).loc[AN_HOI]
    assert pd.isna(all_xa_ntm["level"]) and all_xa_ntm["has_data"]
    # a 2025 commune made only of old xã: NTM when every part is, unknown while one has no data
    pairs = crosswalk(old_2020, wards_2025).pairs
    pairs = pairs[pairs["share_of_new"] > 0.01].join(old_2020.set_index("code")["assessed"], on="old_code")
    rural = pairs.groupby("new_code")["assessed"].all()
    new_code = sorted(rural[rural].index)[0]
    parts = list(pairs.loc[pairs["new_code"] == new_code, "old_code"])
    assert with_ntm(parts).loc[new_code, "level"] == "ntm"
    assert with_ntm(parts, "ntm_nang_cao").loc[new_code, "level"] == "ntm_nang_cao"
    if len(parts) > 1:
        assert pd.isna(with_ntm(parts[1:]).loc[new_code, "level"])  # the first part has no data
    assert with_ntm(parts).loc[new_code, "criteria_met"] == 19.0


def test_indicators_are_carried_as_sums_and_weighted_means():
    # 1 km strips in UTM 48N: old A (0-1 km) and B (1-2 km); new N covers A and half of B
    from shapely.geometry import box

    from geo_ntm.carry import carry_indicator

    def strip(x0, x1):
        return box(600_000 + x0 * 1000, 1_130_000, 600_000 + x1 * 1000, 1_131_000)

    old = gpd.GeoDataFrame(
        {
            "code": ["A", "B"],
            "name": ["A", "B"],
            "households": [100.0, 40.0],
            "water_share": [0.9, 0.5],
            "population": [1000.0, 3000.0],
        },
        geometry=[strip(0, 1), strip(1, 2)],
        crs=32648,
    ).to_crs(4326)
    new = gpd.GeoDataFrame(
        {"code": ["N", "M"], "name": ["N", "M"]}, geometry=[strip(0, 1.5), strip(1.5, 2)], crs=32648
    ).to_crs(4326)
    sums = carry_indicator(old, new, "households", how="sum")
    assert sums.loc["N", "households"] == pytest.approx(120, rel=1e-5)  # 100 + half of 40
    assert sums.loc["M", "households"] == pytest.approx(20, rel=1e-5) and sums["known"].tolist() == pytest.approx(
        [1, 1], rel=1e-5
    )
    by_area = carry_indicator(old, new, "water_share")
    assert by_area.loc["N", "water_share"] == pytest.approx((0.9 * 1 + 0.5 * 0.5) / 1.5, rel=1e-5)
    by_people = carry_indicator(old, new, "water_share", weight="population")
    assert by_people.loc["N", "water_share"] == pytest.approx((0.9 * 1000 + 0.5 * 1500) / 2500, rel=1e-5)
    partial = old.assign(water_share=[0.9, None])
    unknown = carry_indicator(partial, new, "water_share")
    assert unknown.loc["N", "water_share"] == pytest.approx(0.9, rel=1e-5) and unknown.loc[
        "N", "known"
    ] == pytest.approx(1 / 1.5, rel=1e-5)
    assert pd.isna(unknown.loc["M", "water_share"]) and unknown.loc["M", "known"] == 0
    with pytest.raises(InputError, match="how=mean"):
        carry_indicator(old, new, "households", how="median")
