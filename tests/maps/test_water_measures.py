"""Water reach as a map measure (``water:<column>@<metres>``) on the hand-made world of
``tests/geo_ntm/infrastructure/reach_world.py`` (answers known by construction)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geo_ntm.errors import InputError
from geo_ntm.infrastructure.queries import coverage
from geo_ntm.settings import Settings
from geo_ntm.store import open_store
from geo_ntm.where import resolve_where
from maps.figures import figure_values, offered, parse_figure
from tests.support.questions import coverage_request

WORLD = Path(__file__).resolve().parents[1] / "geo_ntm" / "infrastructure" / "reach_world.py"


@pytest.fixture(scope="module")
def world_store(new_location, tmp_path_factory) -> str:
    world = runpy.run_path(str(WORLD))
    return world["stored"](new_location("gpkg", with_2009=False), tmp_path_factory.mktemp("world"))


def test_water_measures_carry_their_distance():
    indicator = parse_figure("water:population_within_share@250")
    assert indicator.distance == 250 and indicator.name == "water:population_within_share@250"
    assert "250 m" in indicator.label("vi") and "within 250 m" in indicator.label("en")
    with pytest.raises(InputError, match=r"within a distance.*@500"):
        parse_figure("water:ind_17_1_value")


def test_water_values_are_the_coverage_table(world_store):
    with open_store(world_store) as store:
        names = [i.name for i in offered(store, 2020)]
        assert "water:ind_17_1_value@500" in names and "water:population_within_share@500" in names
        where = resolve_where(store, vintage=store.vintages()[0], year=2020, province="999")
        values, totals = figure_values(store, where, parse_figure("water:population_within_share@250"))
        table, _ = coverage(store, coverage_request(store, "water", province="999", year=2020, distance=250))
    expected = table.set_index("code")["population_within_share"]
    assert values.to_dict() == pytest.approx(expected.to_dict())
    assert 0 < values["9990101"] < 1 and totals["distance_m"] == 250  # A: the pipe reaches part of it


def test_the_page_maps_water_reach(world_store):
    client = TestClient(create_app(Settings.from_env().model_copy(update=dict(db=world_store))))
    answer = client.get(
        "/map/data", params={"province": "999", "year": 2020, "measure": "water:population_within_share@250"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert len(body["features"]) == 3 and "250 m" in body["title"]
    missing = client.get("/map/data", params={"province": "999", "year": 2020, "measure": "water:ind_17_1_value"})
    assert missing.status_code == 400 and "@500" in missing.json()["description"]
