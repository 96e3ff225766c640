"""Indicators (chỉ tiêu) of a criterion in status files: "TC 19.2" is indicator 19.2, never
criterion 19; labels, values with units (decimal comma), refusals naming the row and the column;
imported into ``indicator_statuses`` on both stores, listed in the commune profile, and criterion 2
derived from 2.1-2.4 (the only criterion whose indicators a cited source lists in full).

The files in tests/data are TEST DATA (made-up statuses on real commune names)."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from geo_ntm.domain import AdminTier
from geo_ntm.profile import commune_profile
from geo_ntm.status_import.cells import indicator_label, parse_indicator_value
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.status_import.reading import read_status_file

DATA = Path(__file__).resolve().parents[2] / "data"
LONG = DATA / "indicators_ben_tre_city_2019_long_TEST.csv"
WIDE = DATA / "indicators_dong_hoi_2019_wide_TEST.csv"
HEADER = "Tỉnh,Huyện,Xã,Năm,Bộ tiêu chí,Cấp"
PLACE = "Quảng Bình,TP. Đồng Hới,Quang Phú,2019,qd1980_2016,ntm"


def wide_xlsx(tmp_path) -> Path:
    """The wide test file as an Excel workbook (same cells, the title row above the header)."""
    book = openpyxl.Workbook()
    sheet = book.active
    with WIDE.open(encoding="utf-8") as handle:
        for row in csv.reader(handle):
            sheet.append(row)
    path = tmp_path / "indicators_wide_TEST.xlsx"
    book.save(path)
    return path


# -- labels and values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "bare", "expected"),
    [
        ("TC17.1", False, (17, "17.1", None)),
        ("TC 19.2", False, (19, "19.2", None)),
        ("Chỉ tiêu 17.1", False, (17, "17.1", None)),
        ("Tiêu chí 2.3", False, (2, "2.3", None)),
        ("TC17.1 (%)", False, (17, "17.1", "%")),
        ("17.1", True, (17, "17.1", None)),
        ("17.1 Tỷ lệ hộ sử dụng nước hợp vệ sinh", True, (17, "17.1", None)),
        ("17.1", False, None),  # a bare number is an indicator in the long layout's criterion cell only
        ("TC 19", False, None),
        ("Tiêu chí 3", True, None),
        ("17", True, None),
    ],
)
def test_indicator_labels(label, bare, expected):
    assert indicator_label(label, bare=bare) == expected


@pytest.mark.parametrize(
    ("text", "column_unit", "expected"),
    [
        ("Đạt", None, (True, None, None)),
        ("chưa đạt", "%", (False, None, None)),
        ("95,9%", None, (None, 95.9, "%")),
        ("95.9", None, (None, 95.9, None)),
        ("95,9", "%", (None, 95.9, "%")),
        ("57,621 km", None, (None, 57.621, "km")),  # one comma: the Vietnamese decimal comma
        ("57,621", "km", (None, 57.621, "km")),
        ("1.234,5 triệu đồng", None, (None, 1234.5, "triệu đồng")),
        ("1,234.5", None, (None, 1234.5, None)),
        ("1.234.567", None, (None, 1234567.0, None)),
        ("1,234 hộ", None, (None, 1234.0, "hộ")),  # a count is whole: the comma groups thousands
    ],
)
def test_values_and_units(text, column_unit, expected):
    assert parse_indicator_value(text, column_unit) == expected


@pytest.mark.parametrize(
    ("text", "column_unit", "complaint"),
    [
        ("nhiều", None, "neither a status"),
        ("120%", None, "outside 0-100%"),
        ("5 km", "%", "has the unit 'km' but its column is in '%'"),
        ("95,9% (2019)", None, "write only the value and its unit"),
        ("1,5 hộ", None, "not a whole number of hộ"),
        ("1.234,5,6", None, "two decimal separators"),
        ("12,34,567", None, "groups of thousands"),
    ],
)
def test_values_refused(text, column_unit, complaint):
    with pytest.raises(ValueError, match=complaint):
        parse_indicator_value(text, column_unit)


# -- reading ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_tc_19_2_is_indicator_19_2_not_criterion_19(tmp_path, kind):
    """The bug: the column "TC 19.2" was read as criterion 19 (and "Đạt" stored for it)."""
    sheet = read_status_file(WIDE if kind == "csv" else wide_xlsx(tmp_path))
    assert sheet.layout.name == "wide" and not sheet.invalid
    by_commune = {row.commune: row for row in sheet.rows}
    assert all(v.criterion in (1, 2) for row in sheet.rows for v in row.values)  # never 19
    quang_phu = by_commune["Quang Phú"]
    assert [(v.criterion, v.met) for v in quang_phu.values] == [(1, True), (2, True)]
    assert [(i.indicator_id, i.criterion, i.met, i.value, i.unit, i.column) for i in quang_phu.indicators] == [
        ("17.1", 17, True, None, None, "TC17.1"),
        ("19.2", 19, True, None, None, "TC 19.2"),
        ("2.1", 2, None, 100.0, "%", "Chỉ tiêu 2.1 (%)"),
    ]
    bao_ninh = {i.indicator_id: (i.met, i.value, i.unit) for i in by_commune["Bảo Ninh"].indicators}
    assert bao_ninh == {"17.1": (None, 95.9, "%"), "19.2": (False, None, None), "2.1": (None, 87.5, "%")}
    # a row with indicators only (no criterion filled in) is read, without a warning
    assert [i.indicator_id for i in by_commune["Lộc Ninh"].indicators] == ["19.2"]
    assert [w.row for w in sheet.warnings] == []


def test_long_layout_indicator_rows():
    sheet = read_status_file(LONG)
    assert sheet.layout.name == "long" and not sheet.invalid and len(sheet.rows) == 18
    first = sheet.rows[:4]
    assert [r.indicators[0].indicator_id for r in first] == ["2.1", "2.2", "2.3", "2.4"]
    assert all(not r.values for r in first)
    binh_phu = [r for r in sheet.rows if r.commune == "Bình Phú"]
    assert (binh_phu[0].indicators[0].value, binh_phu[0].indicators[0].unit) == (57.621, "km")
    assert [v.criterion for v in binh_phu[1].values] == [2]  # "2" stays criterion 2


def test_refusals_name_the_row_and_the_column(tmp_path):
    path = tmp_path / "bad_TEST.csv"
    path.write_text(
        "\n".join(
            [
                f"{HEADER},TC1,TC17.1,TC 20.1",
                f"{PLACE},Đạt,nhiều,",  # row 2: the value of 17.1 cannot be read
                f"{PLACE},Đạt,,Đạt",  # row 3: qd1980_2016 has no criterion 20
                f"{PLACE},Đạt,150%,",  # row 4: a share over 100%
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    sheet = read_status_file(path)
    assert [(i.row, i.column) for i in sheet.invalid] == [(2, "TC17.1"), (3, "TC 20.1"), (4, "TC17.1")]
    assert "TC17.1 'nhiều' is neither a status" in sheet.invalid[0].message
    assert "is not a criterion of qd1980_2016 (criteria 1-19)" in sheet.invalid[1].message
    long = tmp_path / "bad_long_TEST.csv"
    long.write_text(
        "province,district,commune,year,framework,level,criterion,status\n"
        "Bến Tre,Thành phố Bến Tre,Phú Hưng,2019,qd1980_2016,ntm,20.1,Đạt\n"
        'Bến Tre,Thành phố Bến Tre,Phú Hưng,2019,qd1980_2016,ntm,17.1,"95,9 km"\n',
        encoding="utf-8",
    )
    sheet = read_status_file(long)
    assert [(i.row, i.column) for i in sheet.invalid] == [(2, "criterion")]
    assert "criterion '20.1' is not a criterion of qd1980_2016" in sheet.invalid[0].message
    assert [(r.row, r.indicators[0].value, r.indicators[0].unit) for r in sheet.rows] == [(3, 95.9, "km")]


# -- import, both stores ---------------------------------------------------------------------------


def _commune_code(store, name: str) -> str:
    """The code of the commune ``name`` among those with indicators stored (names repeat elsewhere)."""
    vintage = store.vintage_for_year(2019)
    ids = {s.unit_id for s in store.indicator_statuses()}
    units = store.unit_records(vintage.vintage_id, AdminTier.COMMUNE)
    (code,) = [u.code for u in units if u.name == name and u.unit_id in ids]
    return code


def test_long_import_stores_indicators_and_derives_criterion_2(store_2009):
    report = import_status_file(store_2009, LONG)
    assert report.ok and report.stored, report.lines()
    assert (report.indicators_stored, report.statuses_stored, report.rows_stored) == (15, 3, 18)
    stored = store_2009.indicator_statuses(year=2019)
    assert len(stored) == 15 and all(s.import_id == report.import_id for s in stored)
    assert {s.criterion for s in store_2009.statuses(year=2019)} == {2, 17}  # never an indicator's
    assert [(e.year, e.rows) for e in store_2009.data_extent()] == [(2019, 18)]  # a province with data
    values = {(s.indicator_id, s.value, s.value_unit) for s in stored if s.value is not None}
    assert values == {("17.1", 95.9, "%"), ("2.1", 57.621, "km")}
    vintage = store_2009.vintage_for_year(2019)

    def profile(name):
        return commune_profile(store_2009, vintage, _commune_code(store_2009, name), 2019)

    nhon_thanh = profile("Xã Nhơn Thạnh")  # 2.4 unmet: criterion 2 derived unmet
    assert nhon_thanh["criteria_derived"] == [2] and nhon_thanh["criteria_unmet"] == [2]
    assert [(i["indicator"], i["met"]) for i in nhon_thanh["reported_indicators"]] == [
        ("2.1", True),
        ("2.2", True),
        ("2.3", True),
        ("2.4", False),
    ]
    phu_nhuan = profile("Xã Phú Nhuận")  # all four met: derived met; 17 is reported, 17.1 a value only
    assert phu_nhuan["criteria_derived"] == [2] and phu_nhuan["criteria_unmet"] == []
    water = next(i for i in phu_nhuan["reported_indicators"] if i["indicator"] == "17.1")
    assert (water["met"], water["value"], water["unit"]) == (None, 95.9, "%")
    assert water["name_en"].startswith("Share of households using hygienic water")
    criteria = {c["number"]: c["status"] for c in phu_nhuan["criteria"]}
    assert criteria[2] == "no_data" and criteria[17] == "met"  # the list shows what was reported itself
    binh_phu = profile("Xã Bình Phú")  # 2.1 a value only: nothing derived, criterion 2 as reported
    assert binh_phu["criteria_derived"] == [] and binh_phu["criteria_unmet"] == []
    phu_hung = profile("Xã Phú Hưng")  # indicators all met, criterion 2 reported unmet: a conflict
    assert phu_hung["criteria_conflicting"] == [2] and phu_hung["criteria_derived"] == []

    again = import_status_file(store_2009, LONG)
    assert (again.already_stored, again.indicators_stored, again.conflicts) == (18, 0, [])


def test_wide_import_never_stores_criterion_19(store_2009, tmp_path):
    report = import_status_file(store_2009, wide_xlsx(tmp_path))
    assert report.ok and report.stored, report.lines()
    assert {s.criterion for s in store_2009.statuses()} == {1, 2}
    stored = {(s.indicator_id, s.criterion, s.met, s.value, s.value_unit) for s in store_2009.indicator_statuses()}
    assert ("19.2", 19, False, None, None) in stored and ("2.1", 2, None, 87.5, "%") in stored
    assert len(store_2009.indicator_statuses()) == 7  # 3 + 3 + 1 filled-in indicator cells
    # a second file reporting 19.2 otherwise is a conflict naming the indicator; all reports kept
    other = tmp_path / "other_TEST.csv"
    other.write_text(
        f"{HEADER},TC 19.2,Chỉ tiêu 2.1 (%),Nguồn\n{PLACE},Chưa đạt,90,DỮ LIỆU KIỂM THỬ khác\n", encoding="utf-8"
    )
    report = import_status_file(store_2009, other)
    assert [(c.indicator, c.criterion) for c in report.conflicts] == [("19.2", 19), ("2.1", 2)]
    text = "\n".join(report.lines())
    assert "indicator 19.2: unmet (row 2" in text and "indicator 2.1: 90 % (row 2" in text and "100 %" in text
    assert report.stored and report.indicators_stored == 2
