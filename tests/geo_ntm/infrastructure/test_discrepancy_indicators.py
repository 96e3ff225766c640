"""Reported indicators beside the computed ones in the discrepancy view, under the same ids:
17.1 in the hand-made world (both stores), 2.1-2.4 of a Bến Tre commune against the SYNTHETIC
road network, where criterion 2 is derived from its four reported indicators. The statuses
below are TEST DATA."""

from __future__ import annotations

import pandas as pd

from geo_ntm.infrastructure.queries import coverage
from geo_ntm.infrastructure.thresholds import load_thresholds
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store
from tests.support.questions import coverage_request

WORLD_INDICATORS = """DỮ LIỆU KIỂM THỬ / TEST DATA: hand-made world
province,district,commune,year,framework,level,criterion,status,source
Tỉnh Thử,Huyện Thử,Xã A,2020,qd1980_2016,ntm,TC17.1,Đạt,test report A (hand-made world)
Tỉnh Thử,Huyện Thử,Xã A,2020,qd1980_2016,ntm,17.1,"95,9%",test report A (hand-made world)
Tỉnh Thử,Huyện Thử,Xã B,2020,qd1980_2016,ntm,Chỉ tiêu 17.1,Chưa đạt,test report B (hand-made world)
"""
THRESHOLD = """[[threshold]]
framework = "qd1980_2016"
indicator = "17.1"
value = 0.9
source = "test threshold"
"""
BEN_TRE_INDICATORS = "DỮ LIỆU KIỂM THỬ / TEST DATA: made-up 2020 indicators on a real commune name\n" + "\n".join(
    ["province,district,commune,year,framework,level,criterion,status,source"]
    + [f"Bến Tre,Thành phố Bến Tre,Nhơn Thạnh,2020,qd1980_2016,ntm,2.{n},Đạt,TEST DATA" for n in range(1, 5)]
)


def _value(v):
    return None if pd.isna(v) else v


def test_reported_17_1_beside_the_computed_one(world_db, tmp_path):
    """A reports 17.1 met (and 95.9%), B unmet; with a 90% threshold both compute not met
    (A 2 of 4 households within 250 m, B 1 of 3): A's is a discrepancy, B's agrees."""
    (tmp_path / "indicators.csv").write_text(WORLD_INDICATORS, encoding="utf-8")
    (tmp_path / "thresholds.toml").write_text(THRESHOLD, encoding="utf-8")
    with open_store(world_db) as store:
        imported = import_status_file(store, tmp_path / "indicators.csv")
        assert imported.stored and imported.indicators_stored == 3
        assert imported.conflicts == []  # A's status and A's value are not compared
        request = coverage_request(store, "discrepancies", year=2020, distance=250, households_layer="households")
        table, totals = coverage(store, request, load_thresholds(tmp_path / "thresholds.toml"))
    rows = table.set_index("name")
    a, b = rows.loc["Xã A"], rows.loc["Xã B"]
    assert (a["ind_17_1_reported"], b["ind_17_1_reported"]) == ("met", "not_met")
    assert (a["ind_17_1_reported_value"], _value(b["ind_17_1_reported_value"])) == ("95.9 %", None)
    assert (a["ind_17_1_verdict"], b["ind_17_1_verdict"]) == ("not_met", "not_met")
    assert a["ind_17_1_discrepancy"] == "reported_met_computed_not_met" and _value(b["ind_17_1_discrepancy"]) is None
    assert bool(a["discrepancy"]) and not bool(b["discrepancy"])
    assert a["tc17_reported"] == "no_data"  # 17 is not derived: its indicators are not all known
    assert rows.loc["Phường C", "ind_17_1_reported"] == "no_data"
    assert totals["ind_17_1"] == {"reported": 2, "compared": 2, "reported_met_computed_not_met": 1}


def test_criterion_2_derived_from_reported_indicators(ben_tre_db, tmp_path):
    (tmp_path / "indicators.csv").write_text(BEN_TRE_INDICATORS + "\n", encoding="utf-8")
    with open_store(ben_tre_db) as store:
        assert import_status_file(store, tmp_path / "indicators.csv").indicators_stored == 4
        table, totals = coverage(store, coverage_request(store, "discrepancies", province="Bến Tre", year=2020))
    row = table.set_index("name").loc["Xã Nhơn Thạnh"]
    assert row["tc2_reported"] == "met"  # derived: no criterion 2 row, its four indicators met
    for n in range(1, 5):
        key = f"ind_2_{n}"
        assert row[f"{key}_reported"] == "met"
        expected = "reported_met_computed_not_met" if row[f"{key}_verdict"] == "not_met" else None
        assert _value(row[f"{key}_discrepancy"]) == expected
    assert (table["ind_2_1_reported"] != "no_data").sum() == totals["ind_2_1"]["reported"] == 1
