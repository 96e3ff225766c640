"""GET /issues: the data flags of a province (or district) and year over HTTP, with links to the
communes that work; on both stores, with the small files labelled as test data of
tests/data/flags_*_TEST.csv on the 2009 boundaries."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geo_ntm.settings import Settings
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store

TEST_DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(scope="module")
def client(backend, new_location):
    location = new_location(backend)
    with open_store(location) as store:
        for name in ("status_ben_tre_city_2019_TEST.csv", "flags_ben_tre_city_2019_counts_TEST.csv"):
            assert import_status_file(store, TEST_DATA / name).stored
        assert import_status_file(store, TEST_DATA / "flags_ward_and_gone_TEST.csv").stored
    with TestClient(create_app(Settings.from_env().model_copy(update=dict(db=location)))) as c:
        yield c


def test_issues_of_a_province_and_year_with_working_links(client):
    body = client.get("/issues", params={"province": "Bến Tre", "year": 2019}).json()
    assert body["province"] == "Tỉnh Bến Tre" and body["year"] == 2019 and body["count"] == 3
    kinds = [(i["kind"], [u["code"] for u in i["units"]]) for i in body["issues"]]
    assert kinds == [
        ("summary_disagrees", ["8110125"]),
        ("recognised_with_unmet", ["8110125"]),
        ("not_assessed_unit", ["8110111"]),
    ]
    first = body["issues"][0]
    assert first["message_vi"].startswith("Xã Nhơn Thạnh, 2019") and first["rows"] == [3]
    assert first["import_id"] and first["framework"] == "qd1980_2016"
    link = first["units"][0]["link"]
    assert link == "/collections/communes/items/8110125?year=2019"
    item = client.get(link)
    assert item.status_code == 200 and item.json()["properties"]["name"] == "Xã Nhơn Thạnh"


def test_issues_by_district_and_other_years(client):
    district = client.get("/issues", params={"province": "Bến Tre", "district": "Thành phố Bến Tre", "year": 2019})
    assert district.json()["count"] == 3
    other = client.get("/issues", params={"province": "Bến Tre", "district": "Châu Thành", "year": 2019})
    assert other.json()["count"] == 0
    assert client.get("/issues", params={"province": "Bến Tre", "year": 2018}).json()["issues"] == []


def test_issues_need_a_province_and_a_year(client):
    missing = client.get("/issues", params={"year": 2019})
    assert missing.status_code == 400 and "province" in missing.json()["description"]
    unknown = client.get("/issues", params={"province": "Không Có", "year": 2019})
    assert unknown.status_code == 404


def test_issues_in_the_openapi_document(client):
    paths = client.get("/api", headers={"Accept": "application/vnd.oai.openapi+json;version=3.0"}).json()["paths"]
    assert set(paths["/issues"]["get"]["parameters"][i]["name"] for i in range(3)) >= {"year", "province"}
