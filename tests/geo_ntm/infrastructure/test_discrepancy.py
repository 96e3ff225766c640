"""The discrepancy view on the real Bến Tre boundaries: the 2020 statuses of Thành phố Bến Tre
(real report, every criterion met) against the criterion 2 indicators of a SYNTHETIC road
network; through the function, the CLI and the API."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from cli.main import main
from geo_ntm.infrastructure.queries import coverage
from geo_ntm.settings import Settings
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store
from tests.support.questions import coverage_request

BEN_TRE_CITY_2020 = {"Xã Nhơn Thạnh", "Xã Phú Nhuận", "Xã Bình Phú", "Xã Mỹ Thạnh An", "Xã Phú Hưng", "Xã Sơn Đông"}


@pytest.fixture
def statuses_db(ben_tre_db, data_dir) -> str:
    with open_store(ben_tre_db) as store:
        report = import_status_file(store, data_dir / "samples" / "status_ben_tre_city_long.csv")
        assert report.stored and report.statuses_stored == 120
    return ben_tre_db


def test_reported_criterion_2_against_the_road_indicators(statuses_db):
    with open_store(statuses_db) as store:
        table, totals = coverage(store, coverage_request(store, "discrepancies", province="Bến Tre", year=2020))
        roads, _ = coverage(store, coverage_request(store, "roads", province="Bến Tre", year=2020))
    assert table.crs == roads.crs and table.geometry.geom_equals(roads.geometry).all()  # each commune's polygon
    reported = table[table["tc2_reported"] != "no_data"]
    assert set(reported["name"]) == BEN_TRE_CITY_2020 and (reported["tc2_reported"] == "met").all()
    assert reported["tc2_source"].str.contains("Báo cáo UBND Thành phố Bến Tre").all()
    roads = roads.set_index("unit_id")
    for row in reported.itertuples():
        verdicts = [roads.loc[row.unit_id, f"ind_2_{i}_verdict"] for i in range(1, 5)]
        short = "not_met" in verdicts
        assert (row.tc2_computed == "not_met") == short
        assert (row.tc2_discrepancy == "reported_met_computed_not_met") if short else pd.isna(row.tc2_discrepancy)
        assert row.discrepancy == short
    unreported = table[table["tc2_reported"] == "no_data"]
    assert len(unreported) == 164 - 6 and unreported["tc2_discrepancy"].isna().all()
    assert totals["tc2"]["reported"] == 6
    assert totals["discrepancies"] == int(table["discrepancy"].sum()) > 0  # synthetic roads fall short of 100%
    assert "distance" in totals["not_checked"]["water"]  # criterion 17 needs a reach distance
    assert "tc17_reported" not in table.columns


def test_cli_and_api(statuses_db, tmp_path, capsys):
    out = tmp_path / "discrepancies.csv"
    assert (
        main(
            [
                "--db",
                statuses_db,
                "coverage",
                "discrepancies",
                "--province",
                "Bến Tre",
                "--year",
                "2020",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    with out.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    flagged = {r["name"] for r in rows if r["discrepancy"] == "True"}
    assert len(rows) == 164 and flagged and flagged <= BEN_TRE_CITY_2020

    client = TestClient(create_app(Settings.from_env().model_copy(update=dict(db=statuses_db))))
    answer = client.get("/coverage/discrepancies", params={"province": "Bến Tre", "year": 2020}).json()
    assert {c["name"] for c in answer["communes"] if c["discrepancy"]} == flagged
    assert answer["totals"]["tc2"]["reported_met_computed_not_met"] == len(flagged)


def test_nothing_to_compare_is_an_error(ben_tre_db):
    with open_store(ben_tre_db) as store:
        store_layers = [x.name for x in store.layers()]
    assert store_layers == ["synthetic_roads"]
    client = TestClient(create_app(Settings.from_env().model_copy(update=dict(db=ben_tre_db))))
    answer = client.get("/coverage/discrepancies", params={"province": "Bến Tre", "year": 2015})
    assert answer.status_code == 404  # the road layer is dated 2020: none on 31 December 2015
    assert "nothing to compare" in answer.json()["description"] and "distance" in answer.json()["description"]


WORLD_STATUSES = """province,district,commune,year,framework,level,criterion,status,source
Tỉnh Thử,Huyện Thử,Xã A,2020,qd1980_2016,ntm,17,đạt,test report (hand-made world)
Tỉnh Thử,Huyện Thử,Xã B,2020,qd1980_2016,ntm,17,chưa đạt,test report (hand-made world)
"""
WORLD_THRESHOLD = """[[threshold]]
framework = "qd1980_2016"
indicator = "17.1"
value = {value}
source = "test threshold"
"""


@pytest.mark.parametrize(("value", "expected"), [(0.9, ["reported_met_computed_not_met", None]), (0.5, [None, None])])
def test_criterion_17_against_the_households_within_reach(world_db, tmp_path, value, expected):
    """Hand-made world (both stores): A has 2 of 4 households within 250 m of water, B 1 of 3.
    At 90% A's reported "met" is contradicted; at 50% A's 17.1 is met, which does not prove
    criterion 17 (waste, cemeteries), and B's "not met" agrees."""
    from geo_ntm.infrastructure.thresholds import load_thresholds

    (tmp_path / "statuses.csv").write_text(WORLD_STATUSES, encoding="utf-8")
    (tmp_path / "thresholds.toml").write_text(WORLD_THRESHOLD.format(value=value), encoding="utf-8")
    with open_store(world_db) as store:
        imported = import_status_file(store, tmp_path / "statuses.csv")  # the store is shared by the module
        assert imported.statuses_stored + imported.already_stored == 2
        request = coverage_request(store, "discrepancies", year=2020, distance=250, households_layer="households")
        table, totals = coverage(store, request, load_thresholds(tmp_path / "thresholds.toml"))
    rows = table.set_index("name")
    assert list(rows.loc[["Xã A", "Xã B"], "tc17_reported"]) == ["met", "not_met"]
    assert list(rows.loc[["Xã A", "Xã B"], "ind_17_1_value"]) == pytest.approx([0.5, 1 / 3])
    assert [None if pd.isna(v) else v for v in rows.loc[["Xã A", "Xã B"], "tc17_discrepancy"]] == expected
    assert rows.loc["Phường C", "tc17_reported"] == "no_data"  # a ward is not assessed
    assert totals["tc17"]["reported"] == 2 and totals["not_checked"] == {}
