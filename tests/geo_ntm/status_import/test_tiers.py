"""District and province rows (issue 12 §3), on both stores with the real 2009 boundaries: a file
without a commune column names districts, a unit named as a district or province goes to it (never
to a commune of its name), stored like a commune's and assessed on its own; a row of one tier under
a framework of another stores nothing. The statuses and decisions are the made-up TEST rows of
tests/data/status_districts_ben_tre_2019_TEST.csv and recognitions_tiers_ben_tre_TEST.csv."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from cli.main import main
from geo_ntm.domain import AdminTier
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.views import status_view

TEST_DATA = Path(__file__).parents[2] / "data"
DISTRICT_STATUSES = TEST_DATA / "status_districts_ben_tre_2019_TEST.csv"
TIER_RECOGNITIONS = TEST_DATA / "recognitions_tiers_ben_tre_TEST.csv"


def stored_units(store) -> dict[int, tuple[AdminTier, str]]:
    vintage = store.vintage_for_year(2019)
    return {u.unit_id: (u.level, u.code) for u in store.unit_records(vintage.vintage_id)}


def row_of(store, tier: AdminTier, code: str, year: int) -> dict:
    frame = status_view(store, store.vintage_for_year(year), tier, year, codes=[code], geometry=False)
    (row,) = frame.to_dict("records")
    return row


def test_a_file_without_a_commune_column_stores_district_statuses(store_2009):
    report = import_status_file(store_2009, DISTRICT_STATUSES)
    assert report.ok and report.stored, report.text()
    assert (report.rows_read, report.matched, report.statuses_stored) == (2, 2, 18)
    units = stored_units(store_2009)
    stored = {(units[s.unit_id], s.criterion, s.met) for s in store_2009.statuses()}
    assert ((AdminTier.DISTRICT, "81105"), 9, True) in stored  # Huyện Chợ Lách
    assert ((AdminTier.DISTRICT, "81113"), 8, False) in stored  # Huyện Ba Tri
    assert {u[0] for u, _, _ in stored} == {AdminTier.DISTRICT}


def test_a_district_is_assessed_on_its_own_criteria(store_2009):
    import_status_file(store_2009, DISTRICT_STATUSES)
    cho_lach = row_of(store_2009, AdminTier.DISTRICT, "81105", 2019)
    assert (cho_lach["assessed"], cho_lach["framework"], cho_lach["criteria_met"], cho_lach["criteria_total"]) == (
        True,
        "qd558_2016",
        9,
        9,
    )
    assert cho_lach["criteria_level"] == "ntm" and cho_lach["recognised_level"] is None
    assert cho_lach["all_criteria_met_not_recognised"] and not cho_lach["completed_task"]
    ba_tri = row_of(store_2009, AdminTier.DISTRICT, "81113", 2019)
    assert (ba_tri["criteria_met"], ba_tri["criteria_unmet"], ba_tri["level"]) == (8, [8], None)


def test_recognitions_of_a_district_a_city_and_a_province(store_2009):
    report = import_status_file(store_2009, TIER_RECOGNITIONS)
    assert report.ok and report.recognitions_stored == 3, report.text()
    units = stored_units(store_2009)
    stored = {units[r.unit_id]: (r.level, r.framework_id, r.decision) for r in store_2009.recognitions()}
    assert stored == {
        (AdminTier.DISTRICT, "81105"): ("ntm", "qd320_2022", "01/QĐ-TTg-KIỂM-THỬ"),
        (AdminTier.DISTRICT, "81101"): ("ntm", "qd320_2022", "02/QĐ-TTg-KIỂM-THỬ"),  # Thành phố Bến Tre
        (AdminTier.PROVINCE, "811"): ("ntm", "qd321_2022", "03/QĐ-TTg-KIỂM-THỬ"),
    }
    cho_lach = row_of(store_2009, AdminTier.DISTRICT, "81105", 2024)
    assert (cho_lach["recognised_level"], cho_lach["recognition_date"]) == ("ntm", "2023-03-15")
    assert not cho_lach["completed_task"]  # a huyện is đạt chuẩn, not "hoàn thành nhiệm vụ"
    city = row_of(store_2009, AdminTier.DISTRICT, "81101", 2024)
    assert city["recognised_level"] == "ntm" and city["completed_task"]
    assert row_of(store_2009, AdminTier.DISTRICT, "81101", 2022)["recognised_level"] is None
    province = row_of(store_2009, AdminTier.PROVINCE, "811", 2024)
    assert (province["recognised_level"], province["recognition_decision"], province["completed_task"]) == (
        "ntm",
        "03/QĐ-TTg-KIỂM-THỬ",
        True,
    )


def test_a_district_row_under_a_commune_framework_stores_nothing(store_2009, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(
        DISTRICT_STATUSES.read_text(encoding="utf-8").replace("Ba Tri,2019,qd558_2016", "Ba Tri,2019,qd1980_2016"),
        encoding="utf-8",
    )
    report = import_status_file(store_2009, path)
    assert not report.stored and store_2009.statuses() == []
    (issue,) = {(i.row, i.message) for i in report.invalid if "names a district" in i.message}
    assert issue[0] == 4 and "framework qd1980_2016 assesses communes" in issue[1]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Huyện Chợ Lách Mới", "district 'Huyện Chợ Lách Mới' not found in Tỉnh Bến Tre"),
        ("Tỉnh Bến Trẻ Mới", "province 'Tỉnh Bến Trẻ Mới' not found in the whole country"),
    ],
)
def test_an_unknown_district_or_province_is_unmatched(store_2009, tmp_path, name, message):
    path = tmp_path / "unknown.csv"
    lines = TIER_RECOGNITIONS.read_text(encoding="utf-8").splitlines()[:3]
    framework = "qd321_2022" if name.startswith("Tỉnh") else "qd320_2022"
    lines[2] = lines[2].replace("Huyện Chợ Lách", name).replace("qd320_2022", framework)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_status_file(store_2009, path)
    assert not report.stored and store_2009.recognitions() == []
    (issue,) = report.unmatched
    assert issue.row == 3 and message in issue.message


def _report(db: str, capsys, year: int, fmt: str) -> str:
    args = ["--db", db, "report", "--province", "Bến Tre", "--year", str(year), "--format", fmt]
    assert main(args) == 0
    return capsys.readouterr().out


def test_the_report_gives_each_district_and_the_province_their_own_status(store_2009, db_location, capsys):
    for path in (DISTRICT_STATUSES, TIER_RECOGNITIONS):
        assert import_status_file(store_2009, path).ok
    report = json.loads(_report(db_location, capsys, 2024, "json"))
    own = {d["district"]: d["district_status"] for d in report["districts"]}
    assert own["Huyện Chợ Lách"] == {
        "recognised_level": "ntm",
        "recognition_decision": "01/QĐ-TTg-KIỂM-THỬ",
        "recognition_date": "2023-03-15",
        "completed_task": False,
        "framework": None,  # no criteria reported for 2024
        "criteria_met": None,
        "criteria_total": None,
    }
    assert own["Thành phố Bến Tre"]["completed_task"] and own["Huyện Ba Tri"]["recognised_level"] is None
    assert report["province_status"]["recognition_decision"] == "03/QĐ-TTg-KIỂM-THỬ"
    assert report["province_status"]["completed_task"]
    in_2019 = json.loads(_report(db_location, capsys, 2019, "json"))
    ba_tri = next(d for d in in_2019["districts"] if d["district"] == "Huyện Ba Tri")["district_status"]
    assert (ba_tri["framework"], ba_tri["criteria_met"], ba_tri["criteria_total"]) == ("qd558_2016", 8, 9)
    assert in_2019["province_status"]["recognised_level"] is None
    rows = {r["district"]: r for r in csv.DictReader(io.StringIO(_report(db_location, capsys, 2024, "csv")))}
    assert (rows["Huyện Chợ Lách"]["own_recognised_level"], rows["Huyện Chợ Lách"]["own_completed_task"]) == (
        "ntm",
        "False",
    )
    assert rows["Tổng / Total"]["own_recognition_decision"] == "03/QĐ-TTg-KIỂM-THỬ"
    assert rows["Huyện Ba Tri"]["own_recognised_level"] == ""
    table = {line.split("  ")[0]: line for line in _report(db_location, capsys, 2024, "table").splitlines()}
    assert table["Huyện Chợ Lách"].endswith("   ntm") and table["Thành phố Bến Tre"].endswith("   ntm (HTNV)")
    assert table["Tổng / Total"].endswith("   ntm (HTNV)") and table["Huyện Ba Tri"].endswith("   —")


def test_the_cli_map_of_districts_draws_the_districts(store_2009, db_location, tmp_path, capsys):
    assert import_status_file(store_2009, TIER_RECOGNITIONS).ok
    out = tmp_path / "districts.html"
    args = ["--db", db_location, "map", "--province", "Bến Tre", "--year", "2024", "--measure", "level"]
    assert main([*args, "--tier", "district", "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    escaped = {name: json.dumps(name)[1:-1] for name in ("Huyện Chợ Lách", "Thị trấn Chợ Lách")}  # as in the page
    assert escaped["Huyện Chợ Lách"] in page and escaped["Thị trấn Chợ Lách"] not in page
    assert "recognised_ntm" in page
    assert main([*args, "--tier", "district", "--measure", "tc1", "-o", str(out)]) == 2
    assert "a district map colours by level or criteria_met" in capsys.readouterr().err


def test_a_counts_file_of_districts_names_them_by_the_district_column(store_2009, tmp_path):
    path = tmp_path / "counts.csv"
    path.write_text(
        "DỮ LIỆU KIỂM THỬ / TEST DATA: made-up counts\n"
        "Tỉnh,Huyện,Năm,Bộ tiêu chí,Cấp,Số tiêu chí đạt\n"
        "Bến Tre,Chợ Lách,2019,qd558_2016,ntm,7/9\n",  # no type: the district column names the district
        encoding="utf-8",
    )
    report = import_status_file(store_2009, path)
    assert report.ok and report.summaries_stored == 1, report.text()
    ((unit, met, total),) = [
        (stored_units(store_2009)[s.unit_id], s.criteria_met, s.criteria_total) for s in store_2009.summaries()
    ]
    assert (unit, met, total) == ((AdminTier.DISTRICT, "81105"), 7, 9)
    assert row_of(store_2009, AdminTier.DISTRICT, "81105", 2019)["criteria_met"] == 7


def test_a_file_with_only_a_province_column_names_provinces(store_2009, tmp_path):
    path = tmp_path / "provinces.csv"
    path.write_text(
        "DỮ LIỆU KIỂM THỬ / TEST DATA: a made-up decision (not a real decision)\n"
        "Tỉnh,Năm,Bộ tiêu chí,Mức đạt chuẩn,Quyết định,Ngày\n"
        "Bến Tre,2024,qd321_2022,Hoàn thành nhiệm vụ xây dựng nông thôn mới,03/QĐ-TTg-KIỂM-THỬ,10/03/2025\n",
        encoding="utf-8",
    )
    report = import_status_file(store_2009, path)
    assert report.ok and report.recognitions_stored == 1, report.text()
    (recognition,) = store_2009.recognitions()
    assert stored_units(store_2009)[recognition.unit_id] == (AdminTier.PROVINCE, "811")
    assert recognition.level == "ntm"
