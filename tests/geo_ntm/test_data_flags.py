"""Data checks (issue 12 §5): contradictions found at import and over what is stored, flagged,
listed in the report, kept in the store, never blocking the import. On both stores, with small
files labelled as test data (tests/data/flags_*_TEST.csv) and the shipped Bến Tre city lineage."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from boundaries.vintages import import_lineage
from geo_ntm.data_flags import check_stored
from geo_ntm.domain import DataFlagKind
from geo_ntm.frameworks import all_frameworks
from geo_ntm.status_import.importer import import_status_file

TEST_DATA = Path(__file__).parents[1] / "data"
BEN_TRE = "811"
BEN_TRE_LINEAGE = resources.files("boundaries") / "examples" / "ben_tre_city_lineage.csv"


def _kinds(flags) -> dict:
    return {(f.kind, tuple(u.code for u in f.units), f.year) for f in flags}


def test_a_summary_against_stored_rows_and_a_recognition_with_unmet_criteria_are_flagged(store_2009):
    first = import_status_file(store_2009, TEST_DATA / "status_ben_tre_city_2019_TEST.csv")
    assert first.stored and first.flags == []
    report = import_status_file(store_2009, TEST_DATA / "flags_ben_tre_city_2019_counts_TEST.csv")
    assert report.ok and report.stored, report.text()  # flags never block an import
    # Nhơn Thạnh (8110125): "19/19" and recognised, its criterion rows (an earlier import) say 17 unmet;
    # Phú Nhuận (8110129): 19/19 and its rows say all 19 met, so no flag
    assert _kinds(report.flags) == {
        (DataFlagKind.SUMMARY_DISAGREES, ("8110125",), 2019),
        (DataFlagKind.RECOGNISED_WITH_UNMET, ("8110125",), 2019),
    }
    disagree = next(f for f in report.flags if f.kind is DataFlagKind.SUMMARY_DISAGREES)
    assert "19/19" in disagree.message_vi and "18 met and 1 unmet (17)" in disagree.message_en
    assert disagree.rows == (3,) and disagree.framework_id == "qd1980_2016" and disagree.import_id is None
    assert "Data checks / Kiểm tra dữ liệu (2)" in report.text()
    assert [f["kind"] for f in report.to_dict()["flags"]] == ["summary_disagrees", "recognised_with_unmet"]

    stored = store_2009.data_flags(year=2019, province_code=BEN_TRE)
    assert _kinds(stored) == _kinds(report.flags)
    assert {f.import_id for f in stored} == {report.import_id} and all(f.flag_id for f in stored)
    assert stored[0].units[0].name == "Xã Nhơn Thạnh" and stored[0].district_code == "81101"
    assert store_2009.data_flags(year=2020) == [] and store_2009.data_flags(province_code="01") == []

    again = import_status_file(store_2009, TEST_DATA / "flags_ben_tre_city_2019_counts_TEST.csv")
    assert again.stored and again.flags == []  # found again: stored once
    assert len(store_2009.data_flags()) == 2


def test_a_dry_run_lists_flags_and_stores_none(store_2009):
    import_status_file(store_2009, TEST_DATA / "status_ben_tre_city_2019_TEST.csv")
    report = import_status_file(store_2009, TEST_DATA / "flags_ben_tre_city_2019_counts_TEST.csv", dry_run=True)
    assert len(report.flags) == 2 and not report.stored
    assert store_2009.data_flags() == []


def test_a_ward_row_and_rows_on_a_unit_merged_away_later(store_2009):
    report = import_status_file(store_2009, TEST_DATA / "flags_ward_and_gone_TEST.csv")
    assert report.stored
    # Phường 6 (8110111) is a ward: not assessed by a commune set; Mỹ Thành's 2021 row lands on the
    # 2009 boundaries, the only ones stored: nothing contradicts it yet
    assert _kinds(report.flags) == {(DataFlagKind.NOT_ASSESSED_UNIT, ("8110111",), 2019)}
    assert "Phường" in report.flags[0].message_vi

    lineage = import_lineage(store_2009, BEN_TRE_LINEAGE)  # Mỹ Thành merged into Bình Phú, 2020-02-01
    assert lineage.stored  # and the lineage import ran the checks again over Bến Tre's stored rows
    found = lineage.flags
    assert any("unit_gone" in line for line in lineage.lines())
    assert _kinds(found) == {
        (DataFlagKind.UNIT_GONE, ("8110131",), 2021),
        (DataFlagKind.BOUNDARIES_BEHIND, ("8110131",), 2021),
    }
    gone = next(f for f in found if f.kind is DataFlagKind.UNIT_GONE)
    assert "856/NQ-UBTVQH14" in gone.message_en and gone.import_id is None
    assert _kinds(store_2009.data_flags(year=2021)) == _kinds(found)
    assert check_stored(store_2009, BEN_TRE, all_frameworks()) == []  # nothing new the second time
