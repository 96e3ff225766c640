"""Indicator sets of QĐ 51/2025 (issue 13 §1): the shipped 2026-2030 framework (10 criteria, levels
ntm and ntm_hien_dai, indicators "to be loaded"); a ministry's or province's file (TOML or CSV)
validated with file, row and field named; stored with its source on both stores; thresholds looked
up by framework, indicator and commune group, "unknown" where one is missing; and criterion-level
statuses under qd51_2025 imported and assessed on real 2025 units with no indicator set loaded.

The indicator files here are TEST data (tests/data/indicator_set_qd51_TEST.*), not Annex I."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from boundaries.importer import import_boundaries
from cli.main import main
from geo_ntm.domain import LEVEL_ORDER, Comparison, IndicatorStatus, Threshold, levels_held
from geo_ntm.errors import InputError
from geo_ntm.frameworks import get_framework
from geo_ntm.indicator_sets import import_indicator_set, parse_indicator_set, threshold_book, verdict
from geo_ntm.status_import.cells import parse_level
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store
from geo_ntm.views import commune_view

DATA = Path(__file__).parent.parent / "data"
TEST_CSV = DATA / "indicator_set_qd51_TEST.csv"
TEST_TOML = DATA / "indicator_set_qd51_TEST.toml"
STATUS_2026 = DATA / "status_vinh_long_2026_qd51_TEST.csv"
HEADER = "framework,criterion,indicator,name_vi,name_en,unit,comparison,group1,group2,group3,source_act\n"


def test_qd51_is_shipped_with_ten_criteria_and_indicators_to_load():
    fw = get_framework("qd51_2025")
    assert fw.criteria_total == 10 and fw.years == (2026, 2030) and fw.act_date == dt.date(2025, 12, 29)
    assert fw.criterion(2).name_vi == "Hạ tầng kinh tế - xã hội" and fw.criterion(10).name_en.startswith("Access")
    assert fw.levels == ("ntm", "ntm_hien_dai") and fw.indicators == () and fw.indicators_to_load
    assert "0 of 47" in (fw.note or "") and "15/02/2026" in fw.legal_act
    # the modern commune ranks above ntm; the old levels keep their ranks (old figures unchanged)
    assert LEVEL_ORDER[:3] == ("ntm", "ntm_nang_cao", "ntm_kieu_mau") and LEVEL_ORDER.index("ntm_hien_dai") > 0
    # it nests in ntm of its period, not in the old nâng cao / kiểu mẫu ladder (report counts)
    assert levels_held("ntm_hien_dai") == {"ntm", "ntm_hien_dai"} and levels_held(None) == set()
    assert levels_held("ntm_kieu_mau") == {"ntm", "ntm_nang_cao", "ntm_kieu_mau"}
    assert parse_level("NTM hiện đại", None, fw) == parse_level("xã NTM hiện đại", None, fw) == "ntm_hien_dai"
    with pytest.raises(ValueError):
        parse_level("NTM hiện đại", None, get_framework("qd318_2022"))  # not a level of 2021-2025


def test_csv_and_toml_sets_are_read_with_thresholds_per_group():
    csv_set = parse_indicator_set(TEST_CSV.name, TEST_CSV.read_text(encoding="utf-8"))
    assert csv_set.framework_id == "qd51_2025" and [d.indicator_id for d in csv_set.indicators] == ["2.1", "6.1", "9.1"]
    road, poverty, yes_no = csv_set.indicators
    assert road.threshold(1) == Threshold(Comparison.AT_LEAST, 100.0) and road.threshold(3) is None
    assert poverty.threshold(2) == Threshold(Comparison.AT_MOST, 3.5)  # "3,5": decimal comma
    assert yes_no.threshold(3) == Threshold(Comparison.YES_NO) and yes_no.unit is None
    assert "TEST DATA" in road.source_act
    toml_set = parse_indicator_set(TEST_TOML.name, TEST_TOML.read_text(encoding="utf-8"))
    assert [d.indicator_id for d in toml_set.indicators] == ["2.1", "8.1"]
    assert toml_set.indicators[0].threshold(2) == Threshold(Comparison.AT_LEAST, 95.0)
    assert toml_set.indicators[1].threshold(1) is None and "TEST DATA" in toml_set.indicators[1].source_act


@pytest.mark.parametrize(
    "row, message",
    [
        ("qd51_2025,11,11.1,a,b,%,>=,1,1,1,act", "row 2: field 'criterion': qd51_2025 has no criterion 11"),
        ("qd51_2025,2,3.1,a,b,%,>=,1,1,1,act", "row 2: field 'indicator': '3.1' is not '2.<n>'"),
        ("qd51_2025,2,2.1,a,b,%,>,1,1,1,act", "row 2: field 'comparison': '>' is not one of"),
        ("qd51_2025,2,2.1,a,b,%,>=,1,many,1,act", "row 2: field 'group2': 'many' is not a number"),
        ("qd51_2025,2,2.1,a,b,,yes/no,yes,no,,act", "row 2: field 'group2': 'no' is not 'yes'"),
        ("qd99_2031,2,2.1,a,b,%,>=,1,1,1,act", "row 2: field 'framework': 'qd99_2031' is not a known framework"),
        ("qd51_2025,2,2.1,a,b,%,>=,1,1,1,", "row 2: field(s) source_act empty or missing"),
        ("qd51_2025,2,2.1,a,b,%,>=,1,1,1,act\nqd51_2025,2,2.1,a,b,%,>=,1,1,1,act", "row 3, field 'indicator': 2.1"),
        (
            "qd51_2025,2,2.1,a,b,%,>=,1,1,1,act\nqd318_2022,2,2.1,a,b,%,>=,1,1,1,act",
            "row 3, field 'framework': qd318_2022 differs",
        ),
    ],
)
def test_a_bad_row_is_refused_naming_file_row_and_field(row, message):
    with pytest.raises(InputError, match=r"indicator set file mine\.csv") as caught:
        parse_indicator_set("mine.csv", HEADER + row + "\n")
    assert message in str(caught.value)


def test_a_bad_header_or_toml_entry_is_refused():
    with pytest.raises(InputError, match=r"mine.csv, row 1 \(header\).*missing source_act"):
        parse_indicator_set("mine.csv", HEADER.replace(",source_act", "") + "qd51_2025,2,2.1,a,b,%,>=,1,1,1\n")
    bad = TEST_TOML.read_text(encoding="utf-8").replace('comparison = "yes/no"', 'comparison = "yes/no"\nweight = 2')
    with pytest.raises(InputError, match=r"mine\.toml, indicators entry 2: unknown field"):
        parse_indicator_set("mine.toml", bad)


def test_verdicts_are_unknown_without_threshold_or_group():
    book = threshold_book([parse_indicator_set(TEST_CSV.name, TEST_CSV.read_text(encoding="utf-8"))])
    assert book.threshold("qd51_2025", "2.1", 2) == Threshold(Comparison.AT_LEAST, 90.0)
    assert book.threshold("qd51_2025", "2.1", 3) is None and book.threshold("qd51_2025", "2.1", None) is None
    assert book.threshold("qd51_2025", "2.2", 1) is None and book.threshold("qd318_2022", "2.1", 1) is None

    def status(indicator: str, **kw) -> IndicatorStatus:
        return IndicatorStatus(1, 2026, "qd51_2025", "ntm", int(indicator.split(".")[0]), indicator, **kw)

    assert book.verdict(status("2.1", value=92.0, value_unit="%"), group=2) == "met"
    assert book.verdict(status("2.1", value=92.0, value_unit="%"), group=1) == "unmet"
    assert book.verdict(status("2.1", value=92.0, value_unit="%"), group=3) == "unknown"  # no threshold
    assert book.verdict(status("2.1", value=92.0, value_unit="%"), group=None) == "unknown"  # group not known
    assert book.verdict(status("2.1", value=92.0, value_unit="km"), group=2) == "unknown"  # another unit
    assert book.verdict(status("6.1", value=3.5), group=2) == "met"
    assert book.verdict(status("6.1", value=3.6), group=2) == "unmet"
    assert book.verdict(status("9.1", met=False), group=1) == "unmet" and book.verdict(status("9.1"), 1) == "unknown"
    assert verdict(Threshold(Comparison.EQUAL, 1.0), value=1.0) == "met" and verdict(None, value=1.0) == "unknown"


def test_sets_are_stored_with_their_source_and_a_later_one_wins(empty_db_location):
    with open_store(empty_db_location) as store:
        assert store.indicator_sets() == []
        first = import_indicator_set(store, TEST_CSV.name, TEST_CSV.read_text(encoding="utf-8"), actor="ministry")
        second = import_indicator_set(store, TEST_TOML.name, TEST_TOML.read_text(encoding="utf-8"))
        with pytest.raises(InputError, match="row 2"):
            import_indicator_set(store, "bad.csv", HEADER + "qd51_2025,2,2.1,a,b,%,>=,x,1,1,act\n")
        stored = store.indicator_sets("qd51_2025")
        assert [s.set_id for s in stored] == [first.set_id, second.set_id] and store.indicator_sets("qd318_2022") == []
        assert (stored[0].source_file, stored[0].actor, stored[1].actor) == (TEST_CSV.name, "ministry", "cli")
        assert stored[0].indicators == parse_indicator_set(TEST_CSV.name, TEST_CSV.read_text("utf-8")).indicators
        assert stored[0].imported_at is not None and stored[0].imported_at.tzinfo is not None
        assert [r.kind for r in store.imports()] == ["indicator_set", "indicator_set"]  # the refused file: none
        book = threshold_book(store.indicator_sets())
        assert book.threshold("qd51_2025", "2.1", 2) == Threshold(Comparison.AT_LEAST, 95.0)  # the TOML's
        assert book.threshold("qd51_2025", "6.1", 2) == Threshold(Comparison.AT_MOST, 3.5)  # only in the CSV


def test_cli_imports_a_set_and_exits_2_on_a_bad_one(empty_db_location, tmp_path, capsys):
    assert main(["--db", empty_db_location, "indicators", "import", str(TEST_CSV)]) == 0
    assert "of qd51_2025 from indicator_set_qd51_TEST.csv: 3 indicators, 3 with a threshold" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text('framework = "qd51_2025"\n[[indicators]]\ncriterion = 2\n', encoding="utf-8")
    assert main(["--db", empty_db_location, "indicators", "import", str(bad)]) == 2
    assert "bad.toml, indicators entry 1: field(s) indicator, name_vi" in capsys.readouterr().err
    with open_store(empty_db_location) as store:
        assert len(store.indicator_sets()) == 1


@pytest.fixture
def vinh_long_2025(empty_db_location, data_dir, tmp_path):
    """A store holding the real 2025 units of Vĩnh Long (province 86: 124 wards and communes)."""
    source = tmp_path / "vinh_long_2025.gpkg"
    for layer in ("provinces", "wards"):
        frame = gpd.read_file(data_dir / "vn_admin_2025.gpkg", layer=layer, where="province_code = '86'")
        frame.to_file(source, layer=layer)
    with open_store(empty_db_location) as store:
        vintage, _ = import_boundaries(store, source, dt.date(2025, 7, 1), measure_quality=False)
        yield store, vintage


def test_qd51_criterion_statuses_import_and_assess_without_an_indicator_set(vinh_long_2025):
    store, vintage = vinh_long_2025
    assert store.indicator_sets() == []
    report = import_status_file(store, STATUS_2026)
    assert report.ok and report.stored and len(store.statuses(year=2026)) == 30
    view = commune_view(store, vintage, 2026, province_code="86").set_index("name")
    assert len(view) == 124
    giao_long, phu_tuc, tan_phu = (view.loc[f"Xã {n}"] for n in ("Giao Long", "Phú Túc", "Tân Phú"))
    assert (giao_long["framework"], giao_long["criteria_met"], giao_long["criteria_total"]) == ("qd51_2025", 10, 10)
    assert giao_long["level"] == "ntm" and giao_long["criteria_level"] == "ntm"
    assert (phu_tuc["criteria_met"], list(phu_tuc["criteria_unmet"])) == (8, [2, 7]) and pd.isna(phu_tuc["level"])
    assert list(tan_phu["criteria_unmet"]) == [9]
    assert not view.loc["Xã Chợ Lách", "has_data"]
