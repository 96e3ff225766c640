"""Matching's last mile (issue 12, §6 and §3) on the real 2009 boundaries, on both stores: a xã and
a town of one name under a framework assessing xã only, a commune named under another district,
a district the boundaries do not have, district rows that go to the district, never to a same-name
town, and rows of one tier under a framework of another.
The rows are the made-up TEST statuses of tests/data/status_last_mile_TEST.csv."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geo_ntm.domain import AdminTier
from geo_ntm.errors import NotFoundError
from geo_ntm.frameworks import get_framework
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.status_import.matching import UnitMatcher
from geo_ntm.where import resolve_where

LAST_MILE = Path(__file__).resolve().parents[2] / "data" / "status_last_mile_TEST.csv"
COMMUNES = get_framework("qd1980_2016")  # applies_to = "commune": xã only
DISTRICTS = get_framework("qd558_2016")  # applies_to = "district"


def test_the_frameworks_used_assess_what_the_tests_say():
    assert (COMMUNES.applies_to, DISTRICTS.applies_to) == (AdminTier.COMMUNE, AdminTier.DISTRICT)


def test_a_xa_and_a_town_of_one_name_go_to_the_xa_under_a_framework_assessing_xa_only(store_2009):
    matcher = UnitMatcher(store_2009)
    # Xã Định An and Thị trấn Định An, both in Huyện Trà Cú (Trà Vinh)
    match = matcher.match(2018, "Trà Vinh", "Trà Cú", "Định An", COMMUNES)
    assert (match.unit.name, match.unit.code, match.district) == ("Xã Định An", "8171318", "Huyện Trà Cú")
    assert "Thị trấn Định An, Xã Định An" in match.note and "assesses xã only" in match.note
    assert matcher.match(2018, "Trà Vinh", "Trà Cú", "Định An").problem == "ambiguous"  # no framework: no choice
    town = matcher.match(2018, "Trà Vinh", "Trà Cú", "Thị trấn Định An", COMMUNES)  # named as the town: the town
    assert town.unit.name == "Thị trấn Định An" and town.note is None


def test_two_xa_of_one_name_stay_ambiguous_under_a_framework_assessing_xa_only(store_2009):
    # Xã Bình Thạnh in Thị xã Hồng Ngự and in Huyện Cao Lãnh: the xã-only rule does not choose
    match = UnitMatcher(store_2009).match(2018, "Đồng Tháp", None, "Bình Thạnh", COMMUNES)
    assert match.problem == "ambiguous" and len(match.candidates) == 2


def test_a_commune_named_under_another_district_is_found_in_the_province(store_2009):
    # Xã Đôn Xuân is in Huyện Trà Cú in the 2009 boundaries; later reports name it under Duyên Hải
    match = UnitMatcher(store_2009).match(2018, "Trà Vinh", "huyện Duyên Hải", "Đôn Xuân", COMMUNES)
    assert (match.unit.name, match.unit.code, match.district) == ("Xã Đôn Xuân", "8171319", "Huyện Trà Cú")
    assert match.note == (
        "commune 'Đôn Xuân' is named under district 'huyện Duyên Hải', the 2009-04-01 vn_admin_2009 "
        "boundaries have it in Huyện Trà Cú"
    )


def test_a_district_the_boundaries_do_not_have_is_reported_never_taken_silently(store_2009):
    matcher = UnitMatcher(store_2009)
    # Thị xã Duyên Hải is not in the 2009 boundaries; Huyện Duyên Hải bears the name
    long_toan = matcher.match(2018, "Trà Vinh", "Thị xã Duyên Hải", "Long Toàn", COMMUNES)
    assert long_toan.unit.name == "Xã Long Toàn" and long_toan.district == "Huyện Duyên Hải"
    assert "district 'Thị xã Duyên Hải' is not in the 2009-04-01 vn_admin_2009 boundaries" in long_toan.note
    don_xuan = matcher.match(2018, "Trà Vinh", "Thị xã Duyên Hải", "Đôn Xuân", COMMUNES)
    assert don_xuan.unit.code == "8171319" and don_xuan.district == "Huyện Trà Cú"
    assert "is not in the 2009-04-01" in don_xuan.note and "have it in Huyện Trà Cú" in don_xuan.note
    with pytest.raises(NotFoundError) as err:
        resolve_where(store_2009, year=2018, province="Trà Vinh", district="Thị xã Duyên Hải")
    assert "no district of Tỉnh Trà Vinh in the 2009-04-01 vn_admin_2009 boundaries named 'Thị xã Duyên Hải'" in str(
        err.value
    )
    assert "Huyện Duyên Hải (code 81715) bears the name as another type" in str(err.value)
    for named in ("Huyện Duyên Hải", "Duyên Hải", "81715"):
        assert resolve_where(store_2009, year=2018, province="Trà Vinh", district=named).district.code == "81715"
    with pytest.raises(NotFoundError) as err:  # Huyện and Thị xã Hồng Ngự in 2009, no thành phố
        resolve_where(store_2009, year=2018, province="Đồng Tháp", district="Thành phố Hồng Ngự")
    message = str(err.value)
    assert "Huyện Hồng Ngự (code 80307)" in message and "Thị xã Hồng Ngự (code 80308)" in message
    assert "bear the name as another type" in message


@pytest.mark.parametrize(
    ("district", "commune", "framework"),
    [
        ("Chợ Lách", "Huyện Chợ Lách", None),  # named as a district, no framework known
        ("Huyện Chợ Lách", "Chợ Lách", DISTRICTS),  # a framework assessing districts
        (None, "Chợ Lách", DISTRICTS),
    ],
)
def test_a_district_row_goes_to_the_district_never_to_the_town_of_its_name(store_2009, district, commune, framework):
    match = UnitMatcher(store_2009).match(2018, "Bến Tre", district, commune, framework)
    assert match.problem is None and (match.unit.name, match.unit.code) == ("Huyện Chợ Lách", "81105")
    assert match.unit.level is AdminTier.DISTRICT


def test_a_district_row_under_a_commune_framework_is_a_tier_problem(store_2009):
    match = UnitMatcher(store_2009).match(2018, "Bến Tre", None, "Huyện Chợ Lách", COMMUNES)
    assert match.unit is None and match.problem == "tier"
    assert match.reason == (
        "'Huyện Chợ Lách' names a district, but framework qd1980_2016 assesses communes: report it under a "
        "framework of its tier"
    )


def test_a_commune_row_under_a_district_framework_is_a_tier_problem(store_2009):
    match = UnitMatcher(store_2009).match(2018, "Bến Tre", "Chợ Lách", "Thị trấn Chợ Lách", DISTRICTS)
    assert match.unit is None and match.problem == "tier"
    assert "names a commune, but framework qd558_2016 assesses districts" in match.reason


def test_the_town_is_still_found_by_its_own_name(store_2009):
    match = UnitMatcher(store_2009).match(2018, "Bến Tre", "Chợ Lách", "Thị trấn Chợ Lách", COMMUNES)
    assert match.unit.name == "Thị trấn Chợ Lách" and not match.unit.assessed


def test_the_last_mile_file_reports_every_note_and_the_district_row_under_a_commune_framework(store_2009):
    report = import_status_file(store_2009, LAST_MILE)
    assert not report.ok and not report.stored and store_2009.statuses() == []
    assert (report.rows_read, report.matched) == (4, 3)
    assert report.unmatched == []
    (district_row,) = report.invalid
    assert district_row.row == 6 and "names a district, but framework qd1980_2016" in district_row.message
    notes = {n.rows: n.message for n in report.notes}
    assert set(notes) == {(3,), (4,), (5,)}
    assert "assesses xã only" in notes[(3,)] and "have it in Huyện Trà Cú" in notes[(4,)]
    assert "'Thị xã Duyên Hải' is not in" in notes[(5,)]
    text = report.text()
    assert "row 6 (Bến Tre / — / Huyện Chợ Lách): 'Huyện Chợ Lách' names a district" in text
    assert "row 4: commune 'Đôn Xuân' is named under district 'huyện Duyên Hải'" in text
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert [n["rows"] for n in data["notes"]] == [[3], [4], [5]]
    assert data["invalid"][0]["row"] == 6


def test_the_last_mile_file_with_skip_unmatched_stores_the_three_xa(store_2009):
    report = import_status_file(store_2009, LAST_MILE, skip_unmatched=True)
    assert report.stored and not report.ok and report.statuses_stored == 3
    assert "stored, skipping row 6 (problems below)" in report.text()
    vintage = store_2009.vintage_for_year(2018)
    codes = {u.unit_id: u.code for u in store_2009.unit_records(vintage.vintage_id, AdminTier.COMMUNE)}
    stored = {(codes[s.unit_id], s.row_number, s.met) for s in store_2009.statuses()}
    assert stored == {("8171318", 3, True), ("8171319", 4, True), ("8171503", 5, False)}
