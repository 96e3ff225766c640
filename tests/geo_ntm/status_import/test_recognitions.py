"""Recognition is a fact of its own: decisions imported from the counts layout (with or without a
count) and from the recognitions layout (English or Vietnamese headers), holding in later years
until revoked, kept apart from "all criteria met"; a bad file stores nothing. On both stores, with
the real Hồng Ngự sample and small files labelled as test data."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from cli.main import main
from geo_ntm.domain import AdminTier, RecognitionKind
from geo_ntm.profile import commune_profile
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.views import commune_view

TEST_DATA = Path(__file__).parents[2] / "data"
HONG_NGU = "Đồng Tháp,Thị xã Hồng Ngự"
TEST_SOURCE = "DỮ LIỆU KIỂM THỬ (không phải quyết định thật)"


@pytest.fixture(scope="module")
def samples(data_dir):
    return data_dir / "samples"


def write_csv(tmp_path, lines: list[str], name: str = "recognitions.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def view_of(store, name: str, district: str, year: int):
    """The commune view row of the xã ``name`` of ``district`` in ``year``."""
    vintage = store.vintage_for_year(year)
    districts = store.units(vintage.vintage_id, AdminTier.DISTRICT, geometry=False)
    code = districts.loc[districts["name"] == district, "code"].item()
    frame = commune_view(store, vintage, year, district_code=code, geometry=False)
    row = frame[frame["name"] == name].iloc[0]
    return row.where(row.notna(), None)  # None rather than NaN where the view has no value


def test_hong_ngu_counts_sample_gives_recognitions_that_hold(store_2009, samples):
    report = import_status_file(store_2009, samples / "status_hong_ngu_counts.csv")
    assert report.ok and report.summaries_stored == 4 and report.recognitions_stored == 2
    events = {(r.year, r.level, r.kind, r.decision, r.decision_date) for r in store_2009.recognitions()}
    assert events == {
        (2022, "ntm_nang_cao", RecognitionKind.RECOGNISED, "694/QĐ-UBND-HC", dt.date(2023, 6, 30)),
        (2023, "ntm_nang_cao", RecognitionKind.RECOGNISED, "141/QĐ-UBND-HC", dt.date(2024, 2, 16)),
    }
    tan_hoi_2021 = view_of(store_2009, "Xã Tân Hội", "Thị xã Hồng Ngự", 2021)
    assert tan_hoi_2021["recognised_level"] is None and tan_hoi_2021["criteria_met"] == 16
    for year in (2022, 2023, 2024):  # no rows for 2023 and 2024: the recognition holds
        tan_hoi = view_of(store_2009, "Xã Tân Hội", "Thị xã Hồng Ngự", year)
        assert tan_hoi["has_data"] and tan_hoi["recognised_level"] == "ntm_nang_cao", year
        assert (tan_hoi["recognition_decision"], tan_hoi["recognition_date"]) == ("694/QĐ-UBND-HC", "2023-06-30")
        assert tan_hoi["recognition_year"] == 2022 and not tan_hoi["all_criteria_met_not_recognised"]
    binh_thanh_2022 = view_of(store_2009, "Xã Bình Thạnh", "Thị xã Hồng Ngự", 2022)
    assert not binh_thanh_2022["has_data"] and binh_thanh_2022["recognised_level"] is None
    binh_thanh_2024 = view_of(store_2009, "Xã Bình Thạnh", "Thị xã Hồng Ngự", 2024)
    assert binh_thanh_2024["recognition_decision"] == "141/QĐ-UBND-HC"
    again = import_status_file(store_2009, samples / "status_hong_ngu_counts.csv")
    assert again.ok and again.recognitions_stored == 0 and again.already_stored == 6 and not again.conflicts
    assert len(store_2009.recognitions()) == 2


def test_a_recognised_counts_row_without_a_count_is_a_recognition(store_2009, tmp_path):
    header = "province,district,commune,year,framework,level,criteria_met,recognized,decision,decision_date,source"
    path = write_csv(
        tmp_path,
        [header, f"{HONG_NGU},Tân Hội,2022,qd318_2022,ntm_nang_cao,,yes,694/QĐ-UBND-HC,2023-06-30,{TEST_SOURCE}"],
    )
    report = import_status_file(store_2009, path)
    assert report.ok and report.layout == "counts" and (report.summaries_stored, report.recognitions_stored) == (0, 1)
    assert store_2009.summaries() == [] and [r.decision for r in store_2009.recognitions()] == ["694/QĐ-UBND-HC"]
    unrecognised = write_csv(tmp_path, [header, f"{HONG_NGU},Bình Thạnh,2022,qd318_2022,ntm_nang_cao,,,,,x"], "no.csv")
    refused = import_status_file(store_2009, unrecognised)  # neither a count nor a recognition
    assert not refused.ok and "is empty" in refused.invalid[0].message


def test_vietnamese_recognitions_layout_and_a_revocation(store_2009):
    report = import_status_file(store_2009, TEST_DATA / "recognitions_hong_ngu_TEST.csv")
    assert report.ok and report.stored and report.layout == "recognitions" and report.header_row == 2
    assert report.recognitions_stored == 3 and "3 recognitions" in report.text()
    stored = sorted(store_2009.recognitions(), key=lambda r: r.year)
    assert [(r.year, r.level, r.kind, r.framework_id) for r in stored] == [
        (2022, "ntm_nang_cao", RecognitionKind.RECOGNISED, None),
        (2024, "ntm_kieu_mau", RecognitionKind.RECOGNISED, None),
        (2025, "ntm_nang_cao", RecognitionKind.REVOKED, None),
    ]
    assert stored[1].issuing_body == "Cơ quan kiểm thử" and stored[1].decision_date == dt.date(2025, 3, 20)
    assert view_of(store_2009, "Xã Tân Hội", "Thị xã Hồng Ngự", 2024)["recognised_level"] == "ntm_nang_cao"
    for year in (2025, 2026):  # revoked in 2025: no longer recognised
        assert view_of(store_2009, "Xã Tân Hội", "Thị xã Hồng Ngự", year)["recognised_level"] is None
    assert store_2009.recognitions(up_to_year=2023) == stored[:1]
    binh_thanh = view_of(store_2009, "Xã Bình Thạnh", "Thị xã Hồng Ngự", 2025)
    assert binh_thanh["recognised_level"] == "ntm_kieu_mau" and binh_thanh["level"] == "ntm_kieu_mau"


def test_without_a_year_column_a_recognition_is_for_its_decision_year(store_2009, tmp_path):
    path = write_csv(
        tmp_path,
        [
            "Tỉnh,Huyện,Xã,Mức đạt chuẩn,Quyết định,Ngày,Nguồn",
            f"{HONG_NGU},Tân Hội,NTM nâng cao,694/QĐ-UBND-HC,30/06/2023,{TEST_SOURCE}",
        ],
    )
    report = import_status_file(store_2009, path)
    assert report.ok and [r.year for r in store_2009.recognitions()] == [2023]


def test_a_bad_recognitions_file_changes_nothing(store_2009, tmp_path):
    before = (len(store_2009.imports()), store_2009.recognitions())
    path = write_csv(
        tmp_path,
        [
            "province,district,commune,year,level,decision,decision_date,event,source",
            f"{HONG_NGU},Tân Hội,2022,ntm_nang_cao,694/QĐ-UBND-HC,2023-06-30,recognised,{TEST_SOURCE}",
            f"{HONG_NGU},Bình Thạnh,2023,siêu mẫu,03/QĐ-KIỂM-THỬ,2024-02-16,recognised,{TEST_SOURCE}",
            f"{HONG_NGU},Bình Thạnh,2023,ntm,04/QĐ-KIỂM-THỬ,31/02/2024,recognised,{TEST_SOURCE}",
            f"{HONG_NGU},Bình Thạnh,2023,ntm,05/QĐ-KIỂM-THỬ,2024-02-16,maybe,{TEST_SOURCE}",
            f"{HONG_NGU},Không Có Xã Này,2023,ntm,06/QĐ-KIỂM-THỬ,2024-02-16,,{TEST_SOURCE}",
        ],
    )
    report = import_status_file(store_2009, path)
    assert not report.ok and not report.stored
    assert [i.row for i in report.invalid] == [3, 4, 5] and [i.row for i in report.unmatched] == [6]
    assert "is not a level" in report.invalid[0].message and "is not a valid date" in report.invalid[1].message
    assert "is not a recognition event" in report.invalid[2].message
    assert (len(store_2009.imports()), store_2009.recognitions()) == before


def test_all_criteria_met_is_not_recognised_and_the_report_counts_apart(store_2009, db_location, tmp_path, capsys):
    """Test data: the made-up 2019 statuses of Thành phố Bến Tre (Phú Nhuận 19/19, Nhơn Thạnh 18/19)
    and made-up decisions: Phú Nhuận kiểu mẫu 2019, Nhơn Thạnh NTM 2018 (holds in 2019), Bình Phú
    nâng cao 2017 revoked in 2019."""
    assert import_status_file(store_2009, TEST_DATA / "status_ben_tre_city_2019_TEST.csv").stored
    phu_nhuan = view_of(store_2009, "Xã Phú Nhuận", "Thành phố Bến Tre", 2019)
    assert phu_nhuan["criteria_met"] == 19 and phu_nhuan["criteria_level"] == "ntm"
    assert phu_nhuan["recognised_level"] is None and phu_nhuan["all_criteria_met_not_recognised"]
    report = _report(db_location, capsys)
    assert report["total"]["recognised"] == {"ntm": 0, "ntm_nang_cao": 0, "ntm_kieu_mau": 0, "ntm_hien_dai": 0}
    assert report["total"]["all_criteria_met_not_recognised"] == report["total"]["all_criteria_met"] == 1

    city = "Bến Tre,Thành phố Bến Tre"
    decisions = write_csv(
        tmp_path,
        [
            "province,district,commune,year,level,decision,decision_date,event,source",
            f"{city},Phú Nhuận,2019,ntm_kieu_mau,11/QĐ-KIỂM-THỬ,2019-12-20,recognised,{TEST_SOURCE}",
            f"{city},Nhơn Thạnh,2018,ntm,12/QĐ-KIỂM-THỬ,2018-12-20,recognised,{TEST_SOURCE}",
            f"{city},Bình Phú,2017,ntm_nang_cao,13/QĐ-KIỂM-THỬ,2017-12-20,recognised,{TEST_SOURCE}",
            f"{city},Bình Phú,2019,ntm_nang_cao,14/QĐ-KIỂM-THỬ,2019-10-01,revoked,{TEST_SOURCE}",
        ],
    )
    assert import_status_file(store_2009, decisions).stored
    report = _report(db_location, capsys)
    (district,) = report["districts"]
    for counts in (district, report["total"]):
        assert counts["recognised"] == {"ntm": 2, "ntm_nang_cao": 1, "ntm_kieu_mau": 1, "ntm_hien_dai": 0}  # at least
        assert counts["recognised_exact"] == {"ntm": 1, "ntm_nang_cao": 0, "ntm_kieu_mau": 1, "ntm_hien_dai": 0}
        assert counts["all_criteria_met_not_recognised"] == 0  # Phú Nhuận is now recognised
    csv_out = _report(db_location, capsys, "csv")
    header, first = csv_out.splitlines()[:2]
    row = dict(zip(header.split(","), first.split(","), strict=True))
    assert (row["recognised_ntm"], row["recognised_exact_ntm"], row["all_criteria_met_not_recognised"]) == (
        "2",
        "1",
        "0",
    )


def _report(db: str, capsys, fmt: str = "json"):
    """The CLI report of Thành phố Bến Tre in 2019, read from the store at ``db``."""
    args = ["--db", db, "report", "--province", "Bến Tre", "--district", "Thành phố Bến Tre", "--year", "2019"]
    assert main([*args, "--format", fmt]) == 0
    out = capsys.readouterr().out
    return json.loads(out) if fmt == "json" else out


def test_the_profile_lists_the_decisions_and_carries_the_recognition(store_2009, samples):
    import_status_file(store_2009, samples / "status_hong_ngu_counts.csv")
    (recognition,) = [r for r in store_2009.recognitions() if r.decision == "694/QĐ-UBND-HC"]
    vintage = store_2009.vintage_for_year(2024)
    units = store_2009.units(vintage.vintage_id, AdminTier.COMMUNE, geometry=False)
    code = units.loc[units["unit_id"] == recognition.unit_id, "code"].item()
    profile = commune_profile(store_2009, vintage, code, 2024)
    assert (profile["recognised_level"], profile["recognition_decision"]) == ("ntm_nang_cao", "694/QĐ-UBND-HC")
    assert profile["criteria_met"] is None and profile["has_data"]
    assert [(r["year"], r["event"], r["decision_date"]) for r in profile["recognitions"]] == [
        (2022, "recognised", "2023-06-30")
    ]
    history = {h["year"]: h["recognised_level"] for h in profile["history"]}
    assert history == {2021: None, 2022: "ntm_nang_cao"}


def test_two_decisions_for_one_event_are_a_conflict_and_both_kept(store_2009, samples, tmp_path):
    import_status_file(store_2009, samples / "status_hong_ngu_counts.csv")
    path = write_csv(
        tmp_path,
        [
            "province,district,commune,year,level,decision,decision_date,source",
            f"{HONG_NGU},Tân Hội,2022,ntm_nang_cao,07/QĐ-KIỂM-THỬ,2023-07-01,{TEST_SOURCE}",
        ],
    )
    report = import_status_file(store_2009, path)
    assert report.ok and report.recognitions_stored == 1
    (conflict,) = report.conflicts
    assert (conflict.year, conflict.level, conflict.framework_id, conflict.criterion) == (
        2022,
        "ntm_nang_cao",
        None,
        None,
    )
    assert {c["value"] for c in conflict.claims} == {
        "recognised: decision 07/QĐ-KIỂM-THỬ of 2023-07-01",
        "recognised: decision 694/QĐ-UBND-HC of 2023-06-30",
    }
    assert "—/ntm_nang_cao" in report.text()
    assert len(store_2009.recognitions()) == 3


def test_an_excel_recognitions_sheet_with_date_cells(store_2009, tmp_path):
    """Test data: a workbook with a title row and the decision date as an Excel date."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["DỮ LIỆU KIỂM THỬ / TEST DATA: danh sách xã được công nhận"])
    sheet.append(["Tỉnh", "Huyện", "Xã", "Năm", "Mức đạt chuẩn", "Số quyết định", "Ngày ban hành", "Nguồn"])
    sheet.append(["Đồng Tháp", "Thị xã Hồng Ngự", "Bình Thạnh", 2023, "NTM nâng cao", "141/QĐ-UBND-HC",
                  dt.datetime(2024, 2, 16), TEST_SOURCE])  # fmt: skip
    path = tmp_path / "recognitions.xlsx"
    workbook.save(path)
    report = import_status_file(store_2009, path)
    assert report.ok and report.layout == "recognitions" and report.header_row == 2
    (stored,) = store_2009.recognitions()
    assert (stored.year, stored.level, stored.decision_date) == (2023, "ntm_nang_cao", dt.date(2024, 2, 16))
