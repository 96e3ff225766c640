"""Status import: reading CSV/XLSX layouts, matching names to the 2009 communes, merging,
conflicts and the all-or-nothing rule, on the real samples and on small broken files."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest

from geo_ntm.domain import AdminTier, Unit, UnitType
from geo_ntm.errors import InputError
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.status_import.matching import UnitMatcher, _NameIndex
from geo_ntm.status_import.reading import read_status_file

LONG_HEADER = "province,district,commune,year,framework,level,criterion,status,source"
BEN_TRE = "Bến Tre,Thành phố Bến Tre"


@pytest.fixture(scope="module")
def samples(data_dir):
    return data_dir / "samples"


def write_csv(tmp_path, lines: list[str], name: str = "status.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def long_csv(tmp_path, rows: list[str], **kw):
    """A long-layout file: each row is 'commune,year,criterion,status,source' in Bến Tre city."""
    lines = [LONG_HEADER]
    for r in rows:
        commune, year, criterion, status, source = r.split(",")
        lines.append(f"{BEN_TRE},{commune},{year},qd1980_2016,ntm,{criterion},{status},{source}")
    return write_csv(tmp_path, lines, **kw)


def unit_names(store, unit_ids) -> dict[int, str]:
    vintage = store.vintage_for_year(2020)
    communes = store.unit_records(vintage.vintage_id, AdminTier.COMMUNE)
    return {u.unit_id: u.name for u in communes if u.unit_id in unit_ids}


# -- the real samples ----------------------------------------------------------------------------


def test_ben_tre_long_sample(store_2009, samples):
    report = import_status_file(store_2009, samples / "status_ben_tre_city_long.csv")
    assert report.ok and report.stored and report.layout == "long"
    assert (report.rows_read, report.matched, report.statuses_stored) == (120, 120, 120)
    assert not (report.unmatched or report.ambiguous or report.invalid or report.conflicts)
    # the sample labels its 2011 rows with the 2016-2020 set: each is named, and still stored
    assert [w.row for w in report.warnings] == list(range(2, 8))
    assert all("2011 is outside the period of qd1980_2016 (2016-2020" in w.message for w in report.warnings)
    statuses = store_2009.statuses()
    names = unit_names(store_2009, {s.unit_id for s in statuses})
    assert sorted(names.values()) == [
        "Xã Bình Phú",
        "Xã Mỹ Thạnh An",
        "Xã Nhơn Thạnh",
        "Xã Phú Hưng",
        "Xã Phú Nhuận",
        "Xã Sơn Đông",
    ]
    in_2020 = [s for s in statuses if s.year == 2020]
    assert len(in_2020) == 6 * 19 and all(s.met for s in in_2020)
    assert {(s.criterion, s.met) for s in statuses if s.year == 2011} == {(9, False)}
    assert len([s for s in statuses if s.year == 2011]) == 6
    assert all(
        s.framework_id == "qd1980_2016" and s.level == "ntm" and s.source.startswith("Báo cáo") for s in statuses
    )
    record = store_2009.imports()[-1]
    assert (record.kind, record.rows_read, record.rows_stored) == ("status", 120, 120)
    assert record.report["statuses_stored"] == 120


def test_dong_hoi_wide_csv_and_xlsx_give_identical_statuses(store_2009, samples):
    csv_sheet = read_status_file(samples / "status_dong_hoi_wide.csv")
    xlsx_sheet = read_status_file(samples / "status_dong_hoi_wide.xlsx")
    assert (xlsx_sheet.header_row, xlsx_sheet.rows_skipped_notes, xlsx_sheet.rows[0].row) == (4, 1, 5)

    def content(sheet):
        return [(r.province, r.district, r.commune, r.year, r.framework_id, r.level, r.values) for r in sheet.rows]

    assert content(csv_sheet) == content(xlsx_sheet)
    first = import_status_file(store_2009, samples / "status_dong_hoi_wide.csv")
    assert first.ok and first.layout == "wide" and first.statuses_stored == 6 * 19
    second = import_status_file(store_2009, samples / "status_dong_hoi_wide.xlsx")
    assert second.ok and second.statuses_stored == 0 and second.already_stored == 6 * 19
    statuses = store_2009.statuses(year=2019)
    assert len(statuses) == 6 * 19 and all(s.met for s in statuses)
    assert sorted(set(unit_names(store_2009, {s.unit_id for s in statuses}).values())) == [
        "Xã Bảo Ninh",
        "Xã Lộc Ninh",
        "Xã Nghĩa Ninh",
        "Xã Quang Phú",
        "Xã Thuận Đức",
        "Xã Đức Ninh",
    ]


def test_hong_ngu_counts_sample_falls_back_from_the_reclassified_district(store_2009, samples):
    report = import_status_file(store_2009, samples / "status_hong_ngu_counts.csv")
    assert report.ok and report.layout == "counts" and report.summaries_stored == 4
    (note,) = report.notes
    assert note.rows == (2, 3, 4, 5)
    assert "Thành phố Hồng Ngự" in note.message and "found in Thị xã Hồng Ngự" in note.message
    summaries = {
        (s.year, s.criteria_met, s.criteria_total, s.recognized, s.decision, s.decision_date)
        for s in store_2009.summaries()
    }
    assert (2022, 19, 19, True, "694/QĐ-UBND-HC", dt.date(2023, 6, 30)) in summaries
    assert (2023, 19, 19, True, "141/QĐ-UBND-HC", dt.date(2024, 2, 16)) in summaries
    assert (2021, 14, 19, False, None, None) in summaries
    names = unit_names(store_2009, {s.unit_id for s in store_2009.summaries()})
    assert sorted(names.values()) == ["Xã Bình Thạnh", "Xã Tân Hội"]
    assert "Thị xã Hồng Ngự" in report.text()


def test_reimport_is_idempotent(store_2009, samples):
    import_status_file(store_2009, samples / "status_ben_tre_city_long.csv")
    again = import_status_file(store_2009, samples / "status_ben_tre_city_long.csv")
    assert again.ok and again.stored
    assert (again.statuses_stored, again.already_stored, again.conflicts) == (0, 120, [])
    assert len(store_2009.statuses()) == 120


def test_dry_run_reports_fully_and_stores_nothing(store_2009, samples):
    report = import_status_file(store_2009, samples / "status_ben_tre_city_long.csv", dry_run=True)
    assert report.ok and not report.stored and report.matched == 120
    assert store_2009.statuses() == [] and [i.kind for i in store_2009.imports()] == ["boundaries"]
    assert "dry run" in report.text()


# -- matching --------------------------------------------------------------------------------------


def test_misspelled_commune_is_unmatched_with_closest_candidates_and_nothing_is_stored(store_2009, tmp_path):
    path = long_csv(tmp_path, ["Phú Nhuận,2020,1,đạt,A", "Phú Hưngg,2020,1,đạt,A"])
    report = import_status_file(store_2009, path)
    assert not report.ok and not report.stored
    (issue,) = report.unmatched
    assert issue.row == 3 and "Phú Hưngg" in issue.message
    assert issue.candidates[0]["name"] == "Xã Phú Hưng" and issue.candidates[0]["district"] == "Thành phố Bến Tre"
    assert len(issue.candidates) <= 3
    assert store_2009.statuses() == [] and len(store_2009.imports()) == 1
    text = report.text()
    assert "row 3" in text and "Xã Phú Hưng (Thành phố Bến Tre)" in text and "NOTHING STORED" in text


def test_skip_unmatched_stores_the_good_rows_and_reports_the_rest(store_2009, tmp_path):
    path = long_csv(tmp_path, ["Phú Nhuận,2020,1,đạt,A", "Phú Hưngg,2020,1,đạt,A", "Phú Nhuận,2020,2,xyz,A"])
    report = import_status_file(store_2009, path, skip_unmatched=True)
    assert not report.ok and report.stored and report.statuses_stored == 1
    assert [i.row for i in report.unmatched] == [3] and [i.row for i in report.invalid] == [4]
    (status,) = store_2009.statuses()
    assert (status.criterion, status.met, status.row_number) == (1, True, 2)


def test_ambiguous_names_are_reported_never_guessed(store_2009, tmp_path):
    lines = [
        "Tỉnh,Huyện,Xã,Năm,Bộ tiêu chí,Cấp,TC1",
        "Đồng Tháp,,Bình Thạnh,2020,qd1980_2016,ntm,Đạt",  # a xã in Thị xã Hồng Ngự and in Huyện Cao Lãnh
        "Nam Định,Trực Ninh,Truc Hung,2020,qd1980_2016,ntm,Đạt",  # Trực Hưng or Trực Hùng
    ]
    report = import_status_file(store_2009, write_csv(tmp_path, lines))
    assert not report.ok and [i.row for i in report.ambiguous] == [2, 3]
    by_row = {i.row: {(c["name"], c["district"]) for c in i.candidates} for i in report.ambiguous}
    assert by_row[2] == {("Xã Bình Thạnh", "Thị xã Hồng Ngự"), ("Xã Bình Thạnh", "Huyện Cao Lãnh")}
    assert by_row[3] == {("Xã Trực Hưng", "Huyện Trực Ninh"), ("Xã Trực Hùng", "Huyện Trực Ninh")}
    assert store_2009.statuses() == []


def test_a_xa_and_a_town_of_one_name_are_ambiguous_without_a_framework(store_2009):
    # Thị trấn Yên Viên and Xã Yên Viên, both in Huyện Gia Lâm: only a framework assessing xã
    # only may choose between them (see test_matching_last_mile.py)
    match = UnitMatcher(store_2009).match(2020, "Hà Nội", "Gia Lâm", "Yên Viên")
    assert match.problem == "ambiguous"
    assert {(c["name"], c["district"]) for c in match.candidates} == {
        ("Thị trấn Yên Viên", "Huyện Gia Lâm"),
        ("Xã Yên Viên", "Huyện Gia Lâm"),
    }


@pytest.mark.parametrize(
    ("province", "district", "commune", "expected"),
    [
        ("Nam Định", "Huyện Trực Ninh", "Trực Hưng", "Xã Trực Hưng"),  # exact spelling decides
        ("Hà Nội", "Gia Lâm", "Xã Yên Viên", "Xã Yên Viên"),  # the sheet's type prefix narrows
        ("Đồng Tháp", "Thị xã Hồng Ngự", "Tân Hội", "Xã Tân Hội"),  # a district type prefix narrows
        ("Ben Tre", "TP Ben Tre", "Phu Hung", "Xã Phú Hưng"),  # tone-less
        ("Tỉnh Bến Tre", "TP. Bến Tre", "Nhon Thanh", "Xã Nhơn Thạnh"),
        ("Bến Tre", "Thành phố Bến Tre", "Phù Hưng", "Xã Phú Hưng"),  # wrong tone
        ("Trà Vinh", "Càng Long", "Phương Thạnh", "Xã Phương Thạnh"),  # "Phương" is a name, not "Phường"
        ("Tra Vinh", "Cang Long", "Phuong Thanh", "Xã Phương Thạnh"),
        ("Thừa Thiên Huế", "Thành phố Huế", "Phường Đúc", "Phường Phường Đúc"),  # the unit is "Phường Phường Đúc"
        ("TP. Hồ Chí Minh", "Quận 1", "P. Bến Nghé", "Phường Bến Nghé"),
        (None, None, "Phương Thiện", "Xã Phương Thiện"),  # no province: the whole country, unique there
    ],
)
def test_names_match_despite_tones_prefixes_and_types(store_2009, province, district, commune, expected):
    match = UnitMatcher(store_2009).match(2020, province, district, commune)
    assert match.problem is None, match.reason
    assert match.unit.name == expected


def test_district_type_prefix_that_names_another_district_is_not_taken_for_it(store_2009):
    # Xã Tân Hội is in Thị xã Hồng Ngự, not in Huyện Hồng Ngự: found once in the province, with the note
    match = UnitMatcher(store_2009).match(2020, "Đồng Tháp", "Huyện Hồng Ngự", "Tân Hội")
    assert match.unit.name == "Xã Tân Hội" and match.district == "Thị xã Hồng Ngự"
    assert "named under district 'Huyện Hồng Ngự'" in match.note and "have it in Thị xã Hồng Ngự" in match.note
    missing = UnitMatcher(store_2009).match(2020, "Đồng Tháp", "Huyện Hồng Ngự", "Tân Hội Không Có")
    assert missing.problem == "unmatched" and "not found in Huyện Hồng Ngự nor anywhere in Tỉnh Đồng Tháp" in (
        missing.reason
    )


def test_flagged_polygons_and_blank_scopes_are_never_guessed(store_2009):
    matcher = UnitMatcher(store_2009)
    # a training centre, flagged as not an administrative unit
    assert matcher.match(2020, "Bắc Giang", "Lục Ngạn", "Trung tâm huấn luyện Cấm Sơn").problem == "unmatched"
    match = matcher.match(2020, None, None, "Phương Độ")  # in Hà Nội and in Hà Giang
    assert match.problem == "ambiguous"
    assert {c["province"] for c in match.candidates} == {"Thành phố Hà Nội", "Tỉnh Hà Giang"}


def test_year_without_boundaries_is_unmatched(store_2009, tmp_path):
    report = import_status_file(store_2009, long_csv(tmp_path, ["Phú Nhuận,2008,1,đạt,A", "Phú Nhuận,2009,1,đạt,A"]))
    assert [i.row for i in report.unmatched] == [2] and "2008-12-31" in report.unmatched[0].message
    assert report.matched == 1 and not report.stored


def test_unknown_district_falls_back_to_the_province_with_a_note(store_2009):
    match = UnitMatcher(store_2009).match(2020, "Quảng Bình", "Huyện Không Có", "Bảo Ninh")
    assert match.unit.name == "Xã Bảo Ninh"
    assert "Huyện Không Có" in match.note and "found in Thành phố Đồng Hới" in match.note


def test_ward_is_matched_with_a_warning(store_2009, tmp_path):
    report = import_status_file(store_2009, long_csv(tmp_path, ["Phường 1,2020,1,đạt,A"]))
    assert report.ok and report.statuses_stored == 1
    (warning,) = report.warnings
    assert warning.row == 2 and "Phường 1" in warning.message and "not a xã" in warning.message


def test_ascii_name_hitting_a_commune_and_a_ward_is_ambiguous():
    # Two units whose names differ only by the tone that tells "Phương" (a name) from "Phường"
    # (ward): the 2009 data has no such pair in one district, so the index is tested directly.
    def unit(uid, name, short, utype):
        return Unit(uid, 1, AdminTier.COMMUNE, str(uid), name, short, utype, "d", "p", "d")

    index = _NameIndex(
        [unit(1, "Xã Phương Thạnh", "Phương Thạnh", UnitType.XA), unit(2, "Phường Thạnh", "Thạnh", UnitType.PHUONG)]
    )
    assert {u.unit_id for u in index.find("Phuong Thanh")} == {1, 2}
    assert [u.unit_id for u in index.find("Phương Thạnh")] == [1]
    assert [u.unit_id for u in index.find("Phường Thạnh")] == [2]
    assert [u.unit_id for u in index.find("P. Thạnh")] == [2]


# -- merging and conflicts ------------------------------------------------------------------------


def test_duplicate_rows_are_merged(store_2009, tmp_path):
    path = long_csv(tmp_path, ["Phú Nhuận,2020,1,đạt,A", "Xã Phú Nhuận,2020,1,Đạt,B", "Phú Nhuận,2020,2,đạt,A"])
    report = import_status_file(store_2009, path)
    assert report.ok and report.merged_duplicates == 1 and report.statuses_stored == 2
    assert report.conflicts == []
    assert sorted(s.criterion for s in store_2009.statuses()) == [1, 2]


def test_conflicting_rows_are_both_kept_and_reported(store_2009, tmp_path):
    path = long_csv(tmp_path, ["Phú Nhuận,2020,9,đạt,Báo cáo A", "Phú Nhuận,2020,9,chưa đạt,Báo cáo B"])
    report = import_status_file(store_2009, path)
    assert report.ok and report.statuses_stored == 2
    (conflict,) = report.conflicts
    assert (conflict.unit, conflict.year, conflict.criterion) == ("Xã Phú Nhuận (Thành phố Bến Tre)", 2020, 9)
    assert [(c["value"], c["row"], c["source"]) for c in conflict.claims] == [
        ("met", 2, "Báo cáo A"),
        ("unmet", 3, "Báo cáo B"),
    ]
    assert sorted((s.met, s.source) for s in store_2009.statuses()) == [(False, "Báo cáo B"), (True, "Báo cáo A")]
    assert "Báo cáo B" in report.text()


def test_disagreeing_with_the_store_is_a_conflict(store_2009, samples, tmp_path):
    first = import_status_file(store_2009, samples / "status_ben_tre_city_long.csv")
    report = import_status_file(
        store_2009,
        long_csv(tmp_path, ["Nhơn Thạnh,2020,9,chưa đạt,Báo cáo khác", "Nhơn Thạnh,2020,10,đạt,Báo cáo khác"]),
    )
    assert report.ok and report.statuses_stored == 1 and report.already_stored == 1
    (conflict,) = report.conflicts
    assert conflict.criterion == 9
    assert {c.get("import_id") for c in conflict.claims} == {None, first.import_id}
    assert len(store_2009.statuses()) == 121


def test_counts_conflict_with_the_store(store_2009, samples, tmp_path):
    import_status_file(store_2009, samples / "status_hong_ngu_counts.csv")
    path = write_csv(
        tmp_path,
        [
            "province,district,commune,year,framework,level,criteria_met",
            "Đồng Tháp,Thị xã Hồng Ngự,Tân Hội,2021,qd318_2022,ntm_nang_cao,17",
        ],
    )
    report = import_status_file(store_2009, path)
    (conflict,) = report.conflicts
    assert conflict.criterion is None and {c["value"] for c in conflict.claims} == {"16/19", "17/19"}
    assert report.summaries_stored == 1


# -- reading ------------------------------------------------------------------------------------------


def test_header_below_title_rows_with_english_names_and_bom(store_2009, tmp_path):
    lines = [
        "Criterion status of Ben Tre city,,,,,,,,",
        ",,,,,,,,",
        "",
        "Province,District,Commune,Year,Framework,Level,Criterion,Status,Source",
        f"{BEN_TRE},Phú Nhuận,2020,qd1980_2016,ntm,TC 3,met,A",
        ",,,,,,,,",
        "Total,,,,,,,,",
        f"{BEN_TRE},Phú Nhuận,2020,qd1980_2016,ntm,4,maybe,A",
    ]
    path = tmp_path / "english.csv"
    path.write_bytes("\ufeff".encode() + "\r\n".join(lines).encode())
    report = import_status_file(store_2009, path)
    assert (report.header_row, report.layout, report.rows_read) == (4, "long", 4)
    assert (report.rows_skipped_blank, report.rows_skipped_notes) == (1, 1)
    (invalid,) = report.invalid
    assert (invalid.row, invalid.column, invalid.value) == (8, "Status", "maybe")
    ok = import_status_file(store_2009, path, skip_unmatched=True)
    (status,) = store_2009.statuses()
    assert ok.stored and (status.criterion, status.met, status.row_number) == (3, True, 5)


def test_invalid_values_are_reported_with_row_and_column(store_2009, tmp_path):
    lines = [
        "Tỉnh,Huyện,Xã,Năm,Bộ tiêu chí,Cấp,TC1,TC2,TC20,Số tiêu chí đạt",
        f"{BEN_TRE},Phú Nhuậnn,2020,qd1980_2016,ntm,Đạt,đạt?,,2",
        f"{BEN_TRE},Phú Nhuận,20x0,qd1980_2016,ntm,Đạt,,,1",
        f"{BEN_TRE},Phú Nhuận,2020,qd9999,ntm,Đạt,,,1",
        f"{BEN_TRE},Phú Nhuận,2020,qd1980_2016,ntm_nang_cao,Đạt,,,1",
        f"{BEN_TRE},Phú Nhuận,2020,qd1980_2016,ntm,Đạt,,x,1",
        f"{BEN_TRE},Phú Nhuận,2021,qd1980_2016,ntm,Đạt,Chưa đạt,,2",
    ]
    report = import_status_file(store_2009, write_csv(tmp_path, lines))
    assert not report.ok and not report.stored and store_2009.statuses() == []
    problems = {(i.row, i.column) for i in report.invalid}
    assert problems == {(2, "TC2"), (3, "Năm"), (4, "Bộ tiêu chí"), (5, "Cấp"), (6, "TC20")}
    assert "'đạt?'" in next(i.message for i in report.invalid if i.row == 2)
    assert [i.row for i in report.unmatched] == [2]  # its name is checked too: every problem at once
    period, warning = report.warnings  # row 7: a 2021 status on the 2016-2020 set; says 2 criteria met, the columns 1
    assert (period.row, period.column, period.value) == (7, "Năm", "2021") and "outside the period" in period.message
    assert warning.row == 7 and warning.column == "Số tiêu chí đạt"
    assert "row 3" in report.text() and "TC20" in report.text()


def test_counts_are_checked_and_parsed(store_2009, tmp_path):
    lines = [
        "Tỉnh,Huyện,Xã,Năm,Bộ tiêu chí,Cấp,Số tiêu chí đạt,Tổng số tiêu chí,Công nhận,Số quyết định,Ngày công nhận",
        f"{BEN_TRE},Phú Nhuận,2020,qd1980_2016,ntm,19,19,có,123/QĐ-UBND,30/12/2020",
        f"{BEN_TRE},Bình Phú,2020,qd1980_2016,ntm,17/19,,,,",
        f"{BEN_TRE},Sơn Đông,2020,qd1980_2016,ntm,20,19,,,",
        f"{BEN_TRE},Phú Hưng,2020,qd1980_2016,ntm,19,19,yes,1/QĐ,31/02/2020",
    ]
    report = import_status_file(store_2009, write_csv(tmp_path, lines), skip_unmatched=True)
    assert {(i.row, i.column) for i in report.invalid} == {(4, "Số tiêu chí đạt"), (5, "Ngày công nhận")}
    summaries = sorted(
        (s.criteria_met, s.criteria_total, s.recognized, s.decision, s.decision_date) for s in store_2009.summaries()
    )
    assert summaries == [(17, 19, False, None, None), (19, 19, True, "123/QĐ-UBND", dt.date(2020, 12, 30))]


def test_defaults_for_files_without_framework_and_level(store_2009, tmp_path):
    path = write_csv(tmp_path, ["Xã,Huyện,Tỉnh,Năm,TC1,TC2", "Phú Nhuận,Thành phố Bến Tre,Bến Tre,2020,x,0"])
    with pytest.raises(InputError, match="Bộ tiêu chí"):
        import_status_file(store_2009, path)
    report = import_status_file(store_2009, path, default_framework="qd1980_2016", default_level="ntm")
    assert report.ok and report.statuses_stored == 2
    assert sorted((s.criterion, s.met, s.framework_id) for s in store_2009.statuses()) == [
        (1, True, "qd1980_2016"),
        (2, False, "qd1980_2016"),
    ]


def test_xlsx_with_title_merged_district_cells_and_a_chosen_sheet(store_2009, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Ghi chú"
    ws = wb.create_sheet("Kết quả 2020")
    ws.append(["BIỂU TỔNG HỢP"])
    ws.merge_cells("A1:G1")
    ws.append(["Tỉnh", "Huyện/thị xã/thành phố", "Tên xã", "Năm", "Bộ tiêu chí", "Mức", "Tiêu chí 1"])
    ws.append(["Đồng Tháp", "Thị xã Hồng Ngự", "Tân Hội", 2022, "qd318_2022", "NTM nâng cao", "Đạt"])
    # the district written once beside its communes; "Bình Thạnh" alone is ambiguous in the province
    ws.append(["Đồng Tháp", None, "Bình Thạnh", 2022.0, "qd318_2022", "ntm_nang_cao", 0])
    ws.merge_cells("B3:B4")
    ws.append(["Ghi chú: số liệu tổng hợp"])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    with pytest.raises(InputError, match=r"no sheet 'Khác'.*Kết quả 2020"):
        import_status_file(store_2009, path, sheet="Khác")
    report = import_status_file(store_2009, path, sheet="Kết quả 2020")
    assert report.ok, report.text()
    assert (report.sheet, report.header_row, report.matched, report.rows_skipped_notes) == ("Kết quả 2020", 2, 2, 1)
    by_name = {unit_names(store_2009, {s.unit_id})[s.unit_id]: s for s in store_2009.statuses()}
    assert by_name["Xã Tân Hội"].met and not by_name["Xã Bình Thạnh"].met
    assert by_name["Xã Bình Thạnh"].row_number == 4 and by_name["Xã Bình Thạnh"].level == "ntm_nang_cao"
    assert import_status_file(store_2009, path, dry_run=True).sheet == "Kết quả 2020"  # found without the option


def test_unreadable_files_raise_input_error_naming_the_file(store_2009, tmp_path):
    with pytest.raises(InputError, match=r"missing.csv"):
        import_status_file(store_2009, tmp_path / "missing.csv")
    latin = tmp_path / "cp1258.csv"  # the Vietnamese Windows code page
    latin.write_bytes(f"{LONG_HEADER}\nBen Tre,,Phú Hưng,2020,qd1980_2016,ntm,1,x,A\n".encode("cp1258"))
    with pytest.raises(InputError, match=r"cp1258.csv is not UTF-8"):
        import_status_file(store_2009, latin)
    no_header = write_csv(tmp_path, ["a,b,c", "1,2,3"], name="noheader.csv")
    with pytest.raises(InputError, match=r"noheader.csv: no header row"):
        import_status_file(store_2009, no_header)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip file")
    with pytest.raises(InputError, match=r"broken.xlsx"):
        import_status_file(store_2009, broken)
    with pytest.raises(InputError, match="unsupported file type"):
        import_status_file(store_2009, write_csv(tmp_path, ["x"], name="status.ods"))
    assert store_2009.statuses() == []


def test_report_is_json_and_names_every_problem(store_2009, tmp_path):
    path = long_csv(tmp_path, ["Phú Hưngg,2020,1,đạt,A", "Phú Nhuận,2020,1,đạt,A", "Phú Nhuận,2020,1,chưa đạt,B"])
    report = import_status_file(store_2009, path, dry_run=True)
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert data["unmatched"][0]["row"] == 2 and data["conflicts"][0]["criterion"] == 1
    assert data["unmatched"][0]["candidates"][0]["name"] == "Xã Phú Hưng"
    text = report.text()
    assert "row 2 (Bến Tre / Thành phố Bến Tre / Phú Hưngg)" in text
    assert "met (row 3, source: A) vs unmet (row 4, source: B)" in text
