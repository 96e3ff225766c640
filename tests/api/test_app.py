"""The HTTP service on a store with the real 2009 boundaries and the status samples."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geo_ntm.settings import Settings
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store


@pytest.fixture(scope="module")
def demo_store(backend, new_location, data_dir) -> str:
    """The 2009 boundaries with every status sample imported, on each backend."""
    location = new_location(backend)
    with open_store(location) as store:
        for sample in sorted((data_dir / "samples").glob("status_*.csv")):
            assert import_status_file(store, sample).ok
    return location


@pytest.fixture(scope="module")
def client(demo_store):
    settings = Settings.from_env().model_copy(update=dict(db=demo_store))
    with TestClient(create_app(settings)) as c:
        yield c


def test_health_and_collections(client):
    health = client.get("/health").json()
    assert health["status"] == "ok" and len(health["vintages"]) == 1
    ids = [c["id"] for c in client.get("/collections").json()["collections"]]
    assert ids == ["provinces", "districts", "communes", "units"]


def test_communes_of_a_district_with_statuses(client):
    r = client.get(
        "/collections/communes/items",
        params={"province": "Bến Tre", "district": "Thành phố Bến Tre", "year": 2020, "limit": 50},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    body = r.json()
    assert body["type"] == "FeatureCollection" and body["numberMatched"] == 17 and body["numberReturned"] == 17
    props = {f["properties"]["name"]: f["properties"] for f in body["features"]}
    nhon_thanh = props["Xã Nhơn Thạnh"]
    assert nhon_thanh["code"] == "8110125" and nhon_thanh["assessed"] is True
    assert nhon_thanh["criteria_met"] == 19 and nhon_thanh["criteria_total"] == 19
    assert nhon_thanh["criteria_unmet"] == [] and nhon_thanh["level"] == "ntm"
    assert nhon_thanh["framework"] == "qd1980_2016" and nhon_thanh["district"] == "Thành phố Bến Tre"
    assert nhon_thanh["province"] == "Tỉnh Bến Tre" and nhon_thanh["unit_type"] == "xa"
    ward = props["Phường Phú Khương"]
    assert ward["assessed"] is False and ward["criteria_met"] is None and ward["level"] is None
    my_thanh = props["Xã Mỹ Thành"]  # no data in the sample: assessed, but no figures
    assert my_thanh["assessed"] is True and my_thanh["criteria_met"] is None
    geom = body["features"][0]["geometry"]
    assert geom["type"] == "MultiPolygon" and 105 < geom["coordinates"][0][0][0][0] < 107


def test_partial_year_lists_unmet_criterion(client):
    r = client.get("/collections/communes/items/8110125", params={"year": 2011})
    assert r.status_code == 200
    p = r.json()["properties"]
    assert p["criteria_unmet"] == [9] and p["criteria_met"] is None and p["level"] is None


def test_paging_bbox_and_levels(client):
    r = client.get("/collections/communes/items", params={"province": "811", "limit": 10, "offset": 0})
    body = r.json()
    assert body["numberReturned"] == 10 and body["numberMatched"] > 100
    next_link = next(link for link in body["links"] if link["rel"] == "next")["href"]
    assert "offset=10" in next_link
    second = client.get(next_link).json()
    assert {f["id"] for f in second["features"]}.isdisjoint({f["id"] for f in body["features"]})
    boxed = client.get("/collections/communes/items", params={"bbox": "106.36,10.22,106.40,10.26"}).json()
    assert "Phường Phú Khương" in {f["properties"]["name"] for f in boxed["features"]}
    assert all(f["properties"]["province"] == "Tỉnh Bến Tre" for f in boxed["features"])
    provinces = client.get("/collections/provinces/items", params={"limit": 100}).json()
    assert provinces["numberMatched"] == 63
    districts = client.get("/collections/districts/items", params={"province": "Quảng Bình"}).json()
    assert "Thành phố Đồng Hới" in {f["properties"]["name"] for f in districts["features"]}
    one = client.get("/collections/provinces/items/811").json()
    assert one["id"] == "811" and one["properties"]["name"] == "Tỉnh Bến Tre"


@pytest.mark.parametrize(
    "path, params, status, words",
    [
        ("/collections/villages/items", {}, 404, "no collection 'villages'"),
        ("/collections/communes/items/0000000", {}, 404, "no unit with code '0000000'"),
        ("/collections/communes/items", {"province": "Bến Treee"}, 404, "Bến Tre"),
        ("/collections/communes/items", {"bbox": "1,2,3"}, 400, "four numbers"),
        ("/collections/communes/items", {"bbox": "a,b,c,d"}, 400, "bbox"),
        ("/collections/communes/items", {"limit": 0}, 400, "limit"),
        ("/collections/communes/items", {"year": "abc"}, 400, "year"),
        ("/collections/communes/items", {"district": "Đồng Hới"}, 400, "district needs its province"),
        ("/collections/communes/items", {"year": 1995}, 404, "no boundary vintage is in force"),
        ("/nowhere", {}, 404, "/nowhere"),
    ],
)
def test_errors_are_json_with_a_message(client, path, params, status, words):
    r = client.get(path, params=params)
    assert r.status_code == status
    body = r.json()
    assert set(body) == {"code", "description"} and words in body["description"]


def test_map_page_and_index(client):
    index = client.get("/planner")
    assert index.status_code == 200
    html = index.text
    assert "Bản đồ nông thôn mới" in html and "Tỉnh Bến Tre" in html
    options = json.loads(re.search(r'<script type="application/json" id="ntm-options">(.*?)</script>', html, re.S)[1])
    assert options["province"] == "" and options["year"] == 2023  # the whole country, at the latest year of any sample
    for asset in re.findall(r'<(?:script|link)[^>]+(?:src|href)="(/static/[^"]+)"', html):
        assert client.get(asset).status_code == 200, asset  # Leaflet and our own script and style, nothing else
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="https?://', html)
    page = client.get("/map.html", params={"province": "811", "year": 2020})
    assert page.status_code == 200 and json.dumps("Xã Nhơn Thạnh")[1:-1] in page.text  # in the GeoJSON
    assert "/static/leaflet/leaflet.js" in page.text
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="https?://', page.text)
    assert client.get("/static/leaflet/leaflet.js").status_code == 200
    english = client.get("/planner", params={"lang": "en", "province": "Quảng Bình", "year": 2019})
    assert "New Rural Development map" in english.text and '"province": "407"' in english.text
    bad = client.get("/map.html", params={"province": "811", "year": 2020, "measure": "tc42"})
    assert bad.status_code == 400 and "tc42" in bad.json()["description"]
