"""Dates, vintages, lineage and crosswalk over HTTP, on the 2009 boundaries with the Bến Tre city
lineage example imported (three vintages: 2009-04-01, 2013-04-05, 2020-02-01)."""

from __future__ import annotations

import csv
import io
from importlib import resources

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from boundaries.vintages import import_lineage
from geo_ntm.settings import Settings
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store


@pytest.fixture(scope="module")
def client(backend, new_location, data_dir):
    location = new_location(backend)
    with open_store(location) as store:
        assert import_status_file(store, data_dir / "samples" / "status_ben_tre_city_long.csv").ok
        import_lineage(store, resources.files("boundaries") / "examples" / "ben_tre_city_lineage.csv")
    with TestClient(create_app(Settings.from_env().model_copy(update=dict(db=location)))) as c:
        yield c


def _names(body) -> set[str]:
    return {f["properties"]["name"] for f in body["features"]}


def test_vintages_listed_with_intervals(client):
    listed = client.get("/vintages").json()["vintages"]
    assert [(v["valid_from"], v["valid_to"]) for v in listed] == [
        ("2009-04-01", "2013-04-05"),
        ("2013-04-05", "2020-02-01"),
        ("2020-02-01", None),
    ]


@pytest.mark.parametrize(
    "params, count, present, absent",
    [
        ({"date": "2019-12-31"}, 17, "Phường 1", "Phường An Hội"),
        ({"date": "2020-02-01"}, 14, "Phường An Hội", "Phường 1"),
        ({"year": 2019}, 17, "Xã Mỹ Thành", "Phường An Hội"),
        ({"vintage": "2020-02-01"}, 14, "Xã Bình Phú", "Xã Mỹ Thành"),
    ],
)
def test_units_of_a_date(client, params, count, present, absent):
    body = client.get(
        "/collections/communes/items",
        params={"province": "Bến Tre", "district": "Thành phố Bến Tre", "limit": 100, **params},
    ).json()
    assert body["numberMatched"] == count and present in _names(body) and absent not in _names(body)


def test_units_collection_spans_levels_and_pages_across_them(client):
    params = {"province": "Bến Tre", "district": "Thành phố Bến Tre", "date": "2021-01-01"}
    body = client.get("/collections/units/items", params={**params, "limit": 100}).json()
    levels = [f["properties"]["admin_level"] for f in body["features"]]
    assert levels[0] == "province" and levels.count("district") == 1 and levels.count("commune") == 14
    assert body["numberMatched"] == 16 and body["vintage"]["valid_from"] == "2020-02-01"
    page1 = client.get("/collections/units/items", params={**params, "limit": 2}).json()
    page2 = client.get("/collections/units/items", params={**params, "limit": 2, "offset": 2}).json()
    assert [f["properties"]["admin_level"] for f in page1["features"]] == ["province", "district"]
    assert [f["properties"]["admin_level"] for f in page2["features"]] == ["commune", "commune"]
    only = client.get("/collections/units/items", params={**params, "level": "district"}).json()
    assert only["numberMatched"] == 1
    bad = client.get("/collections/units/items", params={**params, "level": "hamlet"})
    assert bad.status_code == 400 and "hamlet" in bad.json()["description"]


def test_statuses_on_the_derived_vintage(client):
    p = client.get("/collections/communes/items/8110125", params={"year": 2020}).json()["properties"]
    assert p["criteria_met"] == 19 and p["level"] == "ntm"


def test_lineage_of_a_unit(client):
    body = client.get("/lineage/28777").json()
    assert [e["before"] for e in body["came_from"]] == [["8110101", "8110103", "8110105"]]
    assert body["came_from"][0]["legal_act"].startswith("856/NQ-UBTVQH14") and body["became"] == []
    my_thanh = client.get("/lineage/8110131").json()
    assert [e["after"] for e in my_thanh["became"]][-1] == ["8110121"]
    assert client.get("/lineage/0000").json() == {"code": "0000", "came_from": [], "became": []}


def test_crosswalk_json_and_csv(client):
    body = client.get("/crosswalk", params={"from": "2019-01-01", "to": "2021-01-01", "province": "Bến Tre"}).json()
    assert body["from"]["vintage"].startswith("2013-04-05") and body["to"]["vintage"].startswith("2020-02-01")
    an_hoi = [p for p in body["pairs"] if p["new_code"] == "28777" and p["share_of_old"] > 0.99]
    assert {p["old_code"] for p in an_hoi} == {"8110101", "8110103", "8110105"}
    assert all(max(s["share_of_old"], s["share_of_new"]) < 0.01 for s in body["slivers"])
    text = client.get("/crosswalk", params={"from": "2019-01-01", "to": "2021-01-01", "province": "811", "f": "csv"})
    assert text.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text.text)))
    assert len(rows) == len(body["pairs"]) + len(body["slivers"])


@pytest.mark.parametrize(
    "path, params, status, words",
    [
        ("/collections/communes/items", {"date": "2020-13-01"}, 400, "YYYY-MM-DD"),
        ("/collections/communes/items", {"date": "2001-01-01"}, 404, "no boundary vintage is in force"),
        ("/collections/communes/items", {"vintage": "1999"}, 404, "no boundary vintage '1999'"),
        ("/crosswalk", {"from": "2019-01-01"}, 400, "to"),
        ("/crosswalk", {"from": "2019-01-01", "to": "2021-01-01", "f": "xml"}, 400, "json or csv"),
    ],
)
def test_errors(client, path, params, status, words):
    r = client.get(path, params=params)
    assert r.status_code == status and words in r.json()["description"]


def test_statuses_carried_to_other_boundaries(client):
    # the 2020 statuses (on the 2020 boundaries) shown on the boundaries of 2019: carried by a rule
    params = {"year": 2020, "date": "2019-06-01"}
    my_thanh = client.get("/collections/communes/items/8110131", params=params).json()["properties"]
    assert my_thanh["carry_rule"] == "all" and my_thanh["carried_from_year"] == 2020
    assert my_thanh["level"] == "ntm" and my_thanh["old_units"] == ["8110121"]  # now part of Bình Phú (NTM)
    share = client.get("/collections/communes/items/8110131", params={**params, "rule": "share_area"}).json()
    assert share["properties"]["share"] == pytest.approx(1.0) and share["properties"]["carry_rule"] == "share_area"
    ward = client.get("/collections/communes/items/8110101", params=params).json()["properties"]
    assert ward["assessed"] is False and ward["level"] is None  # made of old wards only
    direct = client.get("/collections/communes/items/8110125", params={"year": 2020}).json()["properties"]
    assert "carry_rule" not in direct  # the boundaries of the status year: no carrying
    bad = client.get("/collections/communes/items/8110131", params={**params, "rule": "most"})
    assert bad.status_code == 400 and "all, share_area, share_population" in bad.json()["description"]


def test_map_of_carried_statuses_states_boundaries_and_rule(client):
    base = {"province": "Bến Tre", "district": "Thành phố Bến Tre", "year": 2020, "date": "2019-06-01"}
    page = client.get("/map.html", params={**base, "rule": "share_area", "measure": "share"})
    assert page.status_code == 200
    assert "Quy tắc &#x27;share_area&#x27;" in page.text or "Quy tắc 'share_area'" in page.text
    assert "2013-04-05" in page.text  # the vintage drawn is named in the legend
    counts = client.get("/map.html", params={**base, "measure": "criteria_met", "lang": "en"})
    assert counts.status_code == 200 and "Rule &#x27;all&#x27;" in counts.text
    level = client.get("/map.html", params={**base, "measure": "level"})  # a decision names its own unit
    assert level.status_code == 400 and "not carried" in level.json()["description"]
    criterion = client.get("/map.html", params={**base, "measure": "tc3"})
    assert criterion.status_code == 400 and "not carried" in criterion.json()["description"]


def test_page_offers_boundaries_and_rule(client):
    carried = client.get("/map/options", params={"province": "811", "year": 2020, "vintage": "2"}).json()
    assert carried["vintage"] == "2" and carried["carried"] is True and "share_area" in carried["rules"]
    measures = [m["id"] for m in carried["measures"]]
    assert "share" in measures and "tc3" not in measures  # a single criterion is not carried
    default = client.get("/map/options", params={"province": "811", "year": 2020}).json()
    assert default["vintage"] == "" and default["carried"] is False  # boundaries of the status year by default
    shown = client.get(
        "/map/data", params={"province": "811", "year": 2020, "vintage": "2", "rule": "share_area", "measure": "share"}
    ).json()
    assert shown["boundaries"]["valid_from"] == "2013-04-05" and "share_area" in shown["note"]
