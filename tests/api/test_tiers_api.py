"""District and province statuses in the API (issue 12 §3), on both stores with the real 2009
boundaries and the made-up TEST district statuses and decisions of tests/data: the districts and
provinces collections carry the same status fields as the communes, queryable."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geo_ntm.settings import Settings
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store

TEST_DATA = Path(__file__).resolve().parents[1] / "data"
STATUS_FIELDS = {"recognised_level", "recognition_decision", "recognition_date", "criteria_met", "criteria_total"}


@pytest.fixture(scope="module")
def client(backend, new_location):
    location = new_location(backend)
    with open_store(location) as store:
        for name in ("status_districts_ben_tre_2019_TEST.csv", "recognitions_tiers_ben_tre_TEST.csv"):
            assert import_status_file(store, TEST_DATA / name).ok, name
    with TestClient(create_app(Settings.from_env().model_copy(update=dict(db=location)))) as c:
        yield c


def props(body: dict) -> dict[str, dict]:
    return {f["id"]: f["properties"] for f in body["features"]}


def test_districts_carry_their_own_status(client):
    body = client.get("/collections/districts/items", params={"province": "Bến Tre", "year": 2019}).json()
    districts = props(body)
    assert STATUS_FIELDS | {"framework", "level", "completed_task", "assessed"} <= set(districts["81105"])
    cho_lach = districts["81105"]
    assert (cho_lach["framework"], cho_lach["criteria_met"], cho_lach["criteria_total"]) == ("qd558_2016", 9, 9)
    assert cho_lach["all_criteria_met_not_recognised"] and cho_lach["recognised_level"] is None
    assert (districts["81113"]["criteria_met"], districts["81113"]["criteria_unmet"]) == (8, [8])
    chau_thanh = districts["81103"]  # Huyện Châu Thành: assessed, no data
    assert chau_thanh["assessed"] and (chau_thanh["framework"], chau_thanh["criteria_met"]) == (None, None)


def test_recognised_districts_and_province_by_filter(client):
    body = client.get(
        "/collections/districts/items",
        params={"province": "Bến Tre", "year": 2024, "filter": "recognised_level = 'ntm'"},
    ).json()
    found = props(body)
    assert set(found) == {"81105", "81101"}
    assert found["81101"]["completed_task"] and not found["81105"]["completed_task"]
    assert (found["81105"]["recognition_decision"], found["81105"]["recognition_date"]) == (
        "01/QĐ-TTg-KIỂM-THỬ",
        "2023-03-15",
    )
    province = client.get("/collections/provinces/items/811", params={"year": 2024}).json()["properties"]
    assert (province["recognised_level"], province["completed_task"]) == ("ntm", True)
    assert (
        client.get("/collections/provinces/items/811", params={"year": 2023}).json()["properties"]["recognised_level"]
        is None
    )


def test_the_queryables_of_districts_and_provinces_name_the_status_fields(client):
    for collection in ("districts", "provinces"):
        queryables = client.get(f"/collections/{collection}/queryables").json()["properties"]
        assert STATUS_FIELDS | {"completed_task", "framework", "level"} <= set(queryables), collection


def test_the_map_colours_districts_by_their_own_recognised_level(client):
    body = client.get(
        "/map/data", params={"province": "Bến Tre", "year": 2024, "measure": "level", "tier": "district"}
    ).json()
    assert body["tier"] == "district" and body["title"].endswith("— Tỉnh Bến Tre (kết quả của các huyện)")
    classes = {f["id"]: f["properties"]["class"] for f in body["features"]}
    assert len(classes) == 9  # the nine districts of Bến Tre in 2009, never its communes
    assert (classes["81105"], classes["81101"]) == ("recognised_ntm", "recognised_ntm")
    assert classes["81113"] == "no_data"  # Huyện Ba Tri: its 2019 statuses are not of 2024
    legend = {e["key"]: e["count"] for e in body["legend"]["entries"]}
    assert legend["recognised_ntm"] == 2 and legend["no_data"] == 7
    communes = client.get("/map/data", params={"province": "Bến Tre", "year": 2024, "measure": "level"}).json()
    assert [e["key"] for e in communes["legend"]["entries"]] == [e["key"] for e in body["legend"]["entries"]]


def test_the_map_colours_a_district_by_its_own_criteria_met_and_the_province_by_its_level(client):
    cho_lach = {"province": "Bến Tre", "district": "Huyện Chợ Lách", "year": 2019, "tier": "district"}
    body = client.get("/map/data", params={**cho_lach, "measure": "level"}).json()
    ((code, key),) = [(f["id"], f["properties"]["class"]) for f in body["features"]]
    assert (code, key) == ("81105", "met_not_recognised")  # 9 of 9 criteria, no decision in 2019
    met = client.get("/map/data", params={**cho_lach, "measure": "criteria_met"}).json()
    assert met["features"][0]["properties"]["criteria_met"] == 9
    province = client.get(
        "/map/data", params={"province": "Bến Tre", "year": 2024, "measure": "level", "tier": "province"}
    ).json()
    assert [(f["id"], f["properties"]["class"]) for f in province["features"]] == [("811", "recognised_ntm")]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"measure": "tc1"}, "a district map colours by level or criteria_met"),
        ({"measure": "level", "compare": 2019}, "without a comparison"),
        ({"measure": "roads:km_total"}, "not 'roads:km_total'"),  # refused before any job starts
    ],
)
def test_a_district_map_refuses_what_it_cannot_show(client, params, words):
    r = client.get("/map/data", params={"province": "Bến Tre", "year": 2024, "tier": "district", **params})
    assert r.status_code == 400 and words in r.json()["description"]
