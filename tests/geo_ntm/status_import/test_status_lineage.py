"""Status import: names of other boundary vintages matched (or explained) through the stored
lineage, on the real 2009 boundaries with the shipped Bến Tre city lineage imported, and with a
small test lineage for Thành phố Đồng Hới.

The Đồng Hới lineage below is a TEST FIXTURE, not a claim about reality: "Xã Thử Nghiệm",
"Phường Thử Nghiệm" and "Xã Thử Ghép" are invented names (thử nghiệm = test) and the acts are
marked "TEST-ONLY"."""

from __future__ import annotations

import datetime as dt
import shutil
from importlib import resources

import pytest

from boundaries.vintages import import_lineage
from geo_ntm.domain import AdminTier
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.status_import.matching import UnitMatcher
from geo_ntm.store import ImportRecord, open_store

BEN_TRE_LINEAGE = resources.files("boundaries") / "examples" / "ben_tre_city_lineage.csv"
BT = ("Bến Tre", "Thành phố Bến Tre")
DH = ("Quảng Bình", "Thành phố Đồng Hới")
ACT_1 = "TEST-ONLY 1/TEST (not a real act)"
ACT_2 = "TEST-ONLY 2/TEST (not a real act)"
LINEAGE_HEADER = "event_id,effective_date,legal_act,kind,before,after,after_name,after_type,parent_after,note"
# Real 2009 codes of Thành phố Đồng Hới: Xã Bảo Ninh 4070125, Xã Lộc Ninh 4070123, Xã Quang Phú
# 4070121 (neighbours), Xã Thuận Đức 4070116, Xã Đức Ninh 4070119; Huyện Bố Trạch 40709.
TEST_LINEAGE = [
    LINEAGE_HEADER,
    f"t-rename,2021-01-01,{ACT_1},rename,4070125,4070125,Xã Thử Nghiệm,,,test fixture: invented name",
    f"t-absorb,2021-01-01,{ACT_1},merge,4070123;4070121,4070123,Xã Thử Ghép,,,test fixture: invented name",
    f"t-type,2022-01-01,{ACT_2},type_change,4070125,4070125,Phường Thử Nghiệm,phuong,,test fixture",
    f"t-move,2022-01-01,{ACT_2},transfer,4070116,4070116,,,40709,test fixture",
]
LONG_HEADER = "province,district,commune,year,framework,level,criterion,status,source"


def _write(path, lines: list[str]):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def ben_tre_path(tmp_path_factory, boundaries_2009_template):
    """A store file: the 2009 boundaries with the Bến Tre city lineage (vintages 2009, 2013, 2020)."""
    path = tmp_path_factory.mktemp("lineage") / "ben_tre.gpkg"
    shutil.copy(boundaries_2009_template, path)
    with open_store(str(path)) as store:
        assert import_lineage(store, BEN_TRE_LINEAGE).stored
    return path


@pytest.fixture(scope="module")
def dong_hoi_path(tmp_path_factory, ben_tre_path):
    """The Bến Tre store plus the test lineage of Đồng Hới (vintages of 2021-01-01 and 2022-01-01)."""
    folder = tmp_path_factory.mktemp("lineage")
    path = folder / "dong_hoi.gpkg"
    shutil.copy(ben_tre_path, path)
    with open_store(str(path)) as store:
        report = import_lineage(store, _write(folder / "dong_hoi_test_lineage.csv", TEST_LINEAGE))
        assert report.stored and len(report.derived) == 2
    return path


def _open_copy(source, tmp_path):
    path = tmp_path / source.name
    shutil.copy(source, path)
    return open_store(str(path))


@pytest.fixture
def ben_tre(ben_tre_path, tmp_path):
    store = _open_copy(ben_tre_path, tmp_path)
    yield store
    store.close()


@pytest.fixture
def dong_hoi(dong_hoi_path, tmp_path):
    store = _open_copy(dong_hoi_path, tmp_path)
    yield store
    store.close()


# -- Bến Tre city: the real 2020 merger (NQ 856/NQ-UBTVQH14) ------------------------------------


def test_unchanged_commune_still_matches_directly(ben_tre):
    match = UnitMatcher(ben_tre).match(2021, *BT, "Xã Nhơn Thạnh")
    assert match.unit.name == "Xã Nhơn Thạnh" and match.note is None and match.found_in is None
    assert match.vintage == ben_tre.vintage_for_year(2021).name and match.vintage.startswith("2020-02-01")


@pytest.mark.parametrize(
    ("commune", "merged_into", "code", "others"),
    [
        ("Phường 1", "Phường An Hội", "28777", "merged with Phường 2, Phường 3 into Phường An Hội (28777)"),
        ("Xã Mỹ Thành", "Xã Bình Phú", "8110121", "merged into Xã Bình Phú (8110121)"),
    ],
)
def test_part_of_a_merger_is_unmatched_with_the_lineage(ben_tre, commune, merged_into, code, others):
    match = UnitMatcher(ben_tre).match(2021, *BT, commune)
    assert match.unit is None and match.problem == "unmatched"
    assert f"'{commune}'" in match.reason and "existed until 2020-02-01" in match.reason
    assert others in match.reason and "by 856/NQ-UBTVQH14" in match.reason
    assert "a status of a former part is not the status of the merged unit" in match.reason
    assert match.reason.endswith(f"report it for the year before the merger or for {merged_into}")
    (candidate,) = match.candidates
    assert (candidate["name"], candidate["code"], candidate["district"]) == (merged_into, code, "Thành phố Bến Tre")


def test_commune_in_force_in_its_year_matches_directly(ben_tre):
    match = UnitMatcher(ben_tre).match(2019, *BT, "Xã Mỹ Thành")
    assert match.unit.name == "Xã Mỹ Thành" and match.unit.code == "8110131"
    assert match.note is None and match.found_in is None


def test_merged_unit_named_for_a_year_before_the_merger_is_unmatched_with_its_parts(ben_tre):
    match = UnitMatcher(ben_tre).match(2019, *BT, "Phường An Hội")
    assert match.problem == "unmatched"
    assert "exists only from 2020-02-01" in match.reason and "formed by merging Phường 1" in match.reason
    assert "856/NQ-UBTVQH14" in match.reason
    assert sorted(c["name"] for c in match.candidates) == ["Phường 1", "Phường 2", "Phường 3"]


def test_import_reports_merged_parts_and_stores_nothing(ben_tre, tmp_path):
    rows = [
        f"{BT[0]},{BT[1]},{commune},{year},qd1980_2016,ntm,1,đạt,Test"
        for commune, year in (("Nhơn Thạnh", 2021), ("Phường 1", 2021), ("Mỹ Thành", 2021), ("Mỹ Thành", 2019))
    ]
    report = import_status_file(ben_tre, _write(tmp_path / "s.csv", [LONG_HEADER, *rows]))
    assert not report.ok and not report.stored and ben_tre.statuses() == []
    assert report.matched == 2 and report.matched_through_lineage == 0
    assert [i.row for i in report.unmatched] == [3, 4]
    assert "Phường An Hội" in report.unmatched[0].message and "Xã Bình Phú" in report.unmatched[1].message
    assert [c["name"] for c in report.unmatched[1].candidates] == ["Xã Bình Phú"]
    text = report.text()
    assert "row 4 (" in text and "merged into Xã Bình Phú (8110121) by 856/NQ-UBTVQH14" in text
    assert "candidates: Xã Bình Phú (Thành phố Bến Tre)" in text


# -- renames, absorption, transfer (test lineage of Đồng Hới) -------------------------------------


def test_old_name_after_a_rename_is_matched_with_a_note(dong_hoi):
    match = UnitMatcher(dong_hoi).match(2021, *DH, "Bảo Ninh")
    assert match.problem is None and match.unit.name == "Xã Thử Nghiệm" and match.unit.code == "4070125"
    assert match.unit.vintage_id == dong_hoi.vintage_for_year(2021).vintage_id
    assert match.found_in == dong_hoi.vintage_for_year(2020).name
    assert match.note == (
        f"'Bảo Ninh' (Xã Bảo Ninh, code 4070125) is the name before 2021-01-01; renamed to "
        f"'Xã Thử Nghiệm' (code 4070125) by {ACT_1}; matched to Xã Thử Nghiệm (Thành phố Đồng Hới)"
    )


def test_old_name_follows_several_changes(dong_hoi):
    match = UnitMatcher(dong_hoi).match(2022, *DH, "Xã Bảo Ninh")
    assert match.unit.name == "Phường Thử Nghiệm"
    assert f"renamed to 'Xã Thử Nghiệm' (code 4070125) by {ACT_1}" in match.note
    assert f"on 2022-01-01 changed type to 'Phường Thử Nghiệm' (code 4070125) by {ACT_2}" in match.note


def test_new_name_for_a_year_before_the_rename_is_matched_backwards(dong_hoi):
    # a 1 -> 1 rename is the same unit, so mapping back is as safe as mapping forward
    match = UnitMatcher(dong_hoi).match(2020, *DH, "Xã Thử Nghiệm")
    assert match.unit.name == "Xã Bảo Ninh"
    assert match.unit.vintage_id == dong_hoi.vintage_for_year(2020).vintage_id
    assert "is the name from 2021-01-01" in match.note and "the same unit: matched to Xã Bảo Ninh" in match.note
    assert f"on 2021-01-01 Xã Bảo Ninh renamed to 'Xã Thử Nghiệm' (code 4070125) by {ACT_1}" in match.note


def test_survivor_of_an_absorption_is_matched_and_the_absorbed_unit_is_not(dong_hoi):
    matcher = UnitMatcher(dong_hoi)
    survivor = matcher.match(2021, *DH, "Lộc Ninh")
    assert survivor.unit.name == "Xã Thử Ghép" and survivor.unit.code == "4070123"
    assert f"absorbed Xã Quang Phú and became 'Xã Thử Ghép' (code 4070123) by {ACT_1}" in survivor.note
    absorbed = matcher.match(2021, *DH, "Quang Phú")
    assert absorbed.unit is None and absorbed.problem == "unmatched"
    assert f"existed until 2021-01-01, when it was merged into Xã Thử Ghép (4070123) by {ACT_1}" in absorbed.reason
    assert [c["name"] for c in absorbed.candidates] == ["Xã Thử Ghép"]
    merged_before = matcher.match(2020, *DH, "Xã Thử Ghép")
    assert merged_before.problem == "unmatched" and "formed by merging" in merged_before.reason
    assert sorted(c["name"] for c in merged_before.candidates) == ["Xã Lộc Ninh", "Xã Quang Phú"]


def test_transferred_commune_is_found_under_its_former_district(dong_hoi):
    match = UnitMatcher(dong_hoi).match(2022, *DH, "Thuận Đức")
    assert match.unit.name == "Xã Thuận Đức" and match.district == "Huyện Bố Trạch"
    assert f"moved to Huyện Bố Trạch by {ACT_2}" in match.note
    direct = UnitMatcher(dong_hoi).match(2022, "Quảng Bình", "Bố Trạch", "Thuận Đức")
    assert direct.unit == match.unit and direct.note is None


def test_import_stores_the_renamed_unit_and_reports_the_note(dong_hoi, tmp_path):
    rows = [
        f"{DH[0]},{DH[1]},Bảo Ninh,2021,qd1980_2016,ntm,1,đạt,Test",
        f"{DH[0]},{DH[1]},Xã Nghĩa Ninh,2021,qd1980_2016,ntm,1,đạt,Test",
    ]
    report = import_status_file(dong_hoi, _write(tmp_path / "s.csv", [LONG_HEADER, *rows]))
    assert report.ok and report.stored and report.statuses_stored == 2
    assert (report.matched, report.matched_through_lineage) == (2, 1)
    (note,) = [n for n in report.notes if "Bảo Ninh" in n.message]
    assert note.rows == (2,) and "renamed to 'Xã Thử Nghiệm'" in note.message
    assert "2 matched (1 through lineage)" in report.text()
    assert "row 2: 'Bảo Ninh' (Xã Bảo Ninh, code 4070125) is the name before 2021-01-01" in report.text()
    v2021 = dong_hoi.vintage_for_year(2021)
    units = {u.unit_id: u.name for u in dong_hoi.unit_records(v2021.vintage_id, AdminTier.COMMUNE)}
    assert sorted(units[s.unit_id] for s in dong_hoi.statuses()) == ["Xã Nghĩa Ninh", "Xã Thử Nghiệm"]


# -- no link, conflicting links, typos --------------------------------------------------------------


def test_name_of_another_vintage_without_lineage_is_unmatched_and_says_where_it_was_found(ben_tre):
    v2009 = ben_tre.vintages()[0]
    units = ben_tre.units(v2009.vintage_id, province_code="407").drop(columns=["unit_id", "vintage_id"])
    units.loc[units["code"] == "4070119", ["name", "name_short"]] = ["Xã Tên Thử Khác", "Tên Thử Khác"]  # test name
    ben_tre.add_vintage(
        "test 2024 Quảng Bình",
        dt.date(2024, 1, 1),
        "test",
        units,
        ImportRecord(kind="boundaries", source_file="test", rows_read=len(units), rows_stored=len(units)),
    )
    match = UnitMatcher(ben_tre).match(2021, *DH, "Tên Thử Khác")
    assert match.unit is None and match.problem == "unmatched"
    assert match.reason == (
        "commune 'Tên Thử Khác' not found in Thành phố Đồng Hới; found in vintage test 2024 "
        "Quảng Bình as Xã Tên Thử Khác (4070119), but no lineage event links it to the "
        f"{ben_tre.vintage_for_year(2021).name} boundaries; by the crosswalk of the two boundaries its area "
        "lies in Xã Đức Ninh (code 4070119, 100%): a status of a former commune is not the status of the "
        "new unit; report it for the new unit"
    )  # the test vintage has the same polygons: the crosswalk hint names the unit of the same area
    assert match.found_in == "test 2024 Quảng Bình" and [c["code"] for c in match.candidates] == ["4070119"]


def test_name_leading_to_different_units_in_other_vintages_is_ambiguous(dong_hoi, tmp_path):
    # test fixture: in 2023 Xã Đức Ninh takes the name Bảo Ninh, which Xã Thử Nghiệm gave up in 2021
    lines = [LINEAGE_HEADER, f"t-reuse,2023-01-01,{ACT_2},rename,4070119,4070119,Xã Bảo Ninh,,,test fixture"]
    import_lineage(dong_hoi, _write(tmp_path / "reuse.csv", lines))
    matcher = UnitMatcher(dong_hoi)
    assert matcher.match(2023, *DH, "Bảo Ninh").unit.code == "4070119"  # in force then
    match = matcher.match(2022, *DH, "Bảo Ninh")  # the old name of one unit, the new name of another
    assert match.unit is None and match.problem == "ambiguous"
    assert {c["name"] for c in match.candidates} == {"Phường Thử Nghiệm", "Xã Đức Ninh"}
    assert "leads to different units" in match.reason


def test_misspelled_name_stays_unmatched_with_the_closest_candidates(dong_hoi):
    match = UnitMatcher(dong_hoi).match(2021, *BT, "Phú Hưngg")
    assert match.problem == "unmatched" and match.found_in is None
    assert "vintage" not in match.reason and match.candidates[0]["name"] == "Xã Phú Hưng"


def test_each_vintage_and_the_lineage_are_read_once_per_import(dong_hoi, monkeypatch):
    calls = {"unit_records": [], "lineage_events": 0}
    unit_records, lineage_events = dong_hoi.unit_records, dong_hoi.lineage_events

    def count_units(vintage_id, *args, **kwargs):
        calls["unit_records"].append(vintage_id)
        return unit_records(vintage_id, *args, **kwargs)

    def count_events(*args, **kwargs):
        calls["lineage_events"] += 1
        return lineage_events(*args, **kwargs)

    monkeypatch.setattr(dong_hoi, "unit_records", count_units)
    monkeypatch.setattr(dong_hoi, "lineage_events", count_events)
    matcher = UnitMatcher(dong_hoi)
    names = [
        (DH, "Bảo Ninh"),
        (DH, "Quang Phú"),
        (DH, "Lộc Ninh"),
        (BT, "Phường 1"),
        (BT, "Phường 2"),
        (BT, "Mỹ Thành"),
        (BT, "Nhơn Thạnh"),
        (DH, "Không Có"),
    ]
    results = [matcher.match(year, *place, name) for year in range(2018, 2024) for place, name in names]
    assert sum(m.found_in is not None for m in results) > 10
    assert sorted(calls["unit_records"]) == sorted(v.vintage_id for v in dong_hoi.vintages())
    assert calls["lineage_events"] == 1
