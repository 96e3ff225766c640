"""``GET /coverage/water`` and ``GET /coverage/facilities`` on the hand-made world of
``tests/geo_ntm/infrastructure/reach_world.py`` (each backend): JSON, CSV, user thresholds from
the settings, and errors a client can act on."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geo_ntm.settings import Settings

WATER = {"year": 2020, "distance": 250, "households_layer": "households"}


@pytest.fixture(scope="module")
def world_location(backend, new_location, tmp_path_factory, world) -> str:
    return world.stored(new_location(backend, with_2009=False), tmp_path_factory.mktemp("world"))


def client_for(location: str, **settings) -> TestClient:
    return TestClient(create_app(Settings.from_env().model_copy(update=dict(db=location, **settings))))


def test_water_as_json_and_csv(world_location, world):
    with client_for(world_location) as client:
        body = client.get("/coverage/water", params={"province": "999", **WATER}).json()
        rows = {r["code"]: r for r in body["communes"]}
        assert body["totals"]["distance_m"] == 250 and body["totals"]["households"] == 8
        assert rows[world.A]["households_within_share"] == 0.5 and rows[world.B]["households_within"] == 1
        assert rows[world.A]["ind_17_1_verdict"] == "unknown" and rows[world.A]["ind_17_1_threshold"] is None
        assert rows[world.C]["assessed"] is False
        text = client.get("/coverage/water", params={**WATER, "f": "csv"}).text
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["code"] for r in table] == [world.A, world.B, world.C]
    assert float(table[0]["ind_17_1_value"]) == 0.5 and float(table[1]["population_within"]) > 0


def test_facilities_as_json_and_csv(world_location, world):
    with client_for(world_location) as client:
        body = client.get("/coverage/facilities", params={"year": 2020, "kind": "school", "distance": 250}).json()
        rows = {r["code"]: r for r in body["communes"]}
        assert rows[world.A]["facilities_school"] == 2 and rows[world.A]["population_within"] > 0
        assert rows[world.B]["population_within"] == 0 and body["totals"]["kind"] == "school"
        text = client.get("/coverage/facilities", params={"year": 2020, "f": "csv"}).text
    table = {r["code"]: r for r in csv.DictReader(io.StringIO(text))}
    assert table[world.B]["facilities_health_station"] == "1" and "population_within" not in table[world.B]


def test_user_thresholds_from_the_settings(world_location, world, tmp_path):
    path = tmp_path / "thresholds.toml"
    path.write_text(
        '[[threshold]]\nframework = "qd1980_2016"\nindicator = "17.1"\nprovince = "999"\nvalue = 0.5\n'
        'source = "QĐ 999/QĐ-UBND (test)"\n',
        encoding="utf-8",
    )
    with client_for(world_location, thresholds_file=path) as client:
        rows = client.get("/coverage/water", params=WATER).json()["communes"]
    assert [r["ind_17_1_verdict"] for r in rows] == ["met", "not_met", "not_met"]
    assert rows[0]["ind_17_1_source"] == "QĐ 999/QĐ-UBND (test)" and rows[0]["ind_17_1_threshold"] == 0.5


@pytest.mark.parametrize(
    "path, params, status, message",
    [
        ("/coverage/facilities", {"kind": "hospital", "distance": 500}, 400, "its kinds: health_station (1)"),
        ("/coverage/water", {"distance": -5}, 400, "give metres between 0 and 100,000"),
        ("/coverage/water", {}, 400, "needs a distance in metres"),
        ("/coverage/water", {"distance": 250, "layer": "roads"}, 400, "holds roads, not water_lines"),
        ("/coverage/water", {"distance": 250, "year": 2019}, 404, "no water_lines or water_points layer"),
    ],
)
def test_errors_are_json_a_client_can_act_on(world_location, path, params, status, message):
    with client_for(world_location) as client:
        answer = client.get(path, params={"year": 2020, **params})
    assert answer.status_code == status and message in answer.json()["description"]
