"""The whole country on the map (issue 14 §1), on both stores: ``/map/data`` and ``/map.png``
without a province colour the provinces (or the districts of a province) by figures of their
communes, checked against the commune maps of the same provinces; the OGC collections without a
province are national. Stores: the real 2009 boundaries with every status sample, the made-up
TEST statuses of Thành phố Bến Tre and TEST recognitions of Hồng Ngự; the real 2025 units with the
made-up 2026 TEST statuses of Vĩnh Long."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from api.app import create_app
from boundaries.importer import import_boundaries
from geo_ntm.settings import Settings
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store

TEST_DATA = Path(__file__).resolve().parents[1] / "data"


def client_of(location: str, **settings):
    return TestClient(create_app(Settings.from_env().model_copy(update=dict(db=location, **settings))))


@pytest.fixture(scope="module")
def client(backend, new_location, data_dir):
    location = new_location(backend)
    with open_store(location) as store:
        for statuses in [
            *sorted((data_dir / "samples").glob("status_*.csv")),
            TEST_DATA / "status_ben_tre_city_2019_TEST.csv",
            TEST_DATA / "recognitions_hong_ngu_TEST.csv",
        ]:
            assert import_status_file(store, statuses).ok, statuses
    with client_of(location) as c:
        yield c


@pytest.fixture(scope="module")
def client_2025(backend, new_location, data_dir):
    location = new_location(backend, False)
    with open_store(location) as store:
        import_boundaries(store, data_dir / "vn_admin_2025.gpkg", dt.date(2025, 7, 1), measure_quality=False)
        assert import_status_file(store, TEST_DATA / "status_vinh_long_2026_qd51_TEST.csv").ok
    with client_of(location) as c:
        yield c


def features(body: dict) -> dict[str, dict]:
    return {f["id"]: f["properties"] for f in body["features"]}


def test_the_national_map_colours_every_province_by_its_communes_recognised(client):
    r = client.get("/map/data", params={"year": 2023})
    assert r.status_code == 200
    body = r.json()
    assert (body["national"], body["province"], body["tier"], body["measure"]["id"]) == (
        True,
        None,
        "province",
        "recognised_ntm",
    )
    assert body["title"] == "Tỷ lệ xã được công nhận: Đạt chuẩn NTM — Cả nước (theo tỉnh, tổng hợp từ các xã)"
    provinces = features(body)
    assert len(provinces) == 63
    # Đồng Tháp against its own commune map: the communes assessed and those recognised by a decision
    communes = client.get("/map/data", params={"province": "Đồng Tháp", "year": 2023, "measure": "level"}).json()
    rows = list(features(communes).values())
    assessed = [c for c in rows if c["class"] != "not_assessed"]
    recognised = [c for c in assessed if c["class"].startswith("recognised_")]
    assert recognised, "the Hồng Ngự recognitions hold in 2023"
    dong_thap = next(p for p in provinces.values() if p["name"] == "Tỉnh Đồng Tháp")
    assert dong_thap["communes"] == len(rows) and dong_thap["communes_assessed"] == len(assessed)
    assert dong_thap["recognised"]["ntm"] == len(recognised)
    assert dong_thap["value"] == pytest.approx(len(recognised) / len(assessed))
    assert dong_thap["class"] == "share_0" and "Xã được đánh giá" in dong_thap["tooltip"]
    assert provinces[next(k for k, p in provinces.items() if p["name"] == "Thành phố Hà Nội")]["class"] == "no_data"
    legend = {e["key"]: e["count"] for e in body["legend"]["entries"]}
    assert sum(legend.values()) == 63 and legend["no_data"] == 63 - sum(
        1 for p in provinces.values() if p["communes_with_data"]
    )
    assert len(r.content) < 1_000_000  # 63 province polygons simplified for the screen, not 11,163 communes


def test_the_mean_criteria_met_of_a_province_is_that_of_its_communes_with_data(client):
    body = client.get("/map/data", params={"year": 2019, "measure": "mean_criteria_met", "lang": "en"}).json()
    ben_tre = next(p for p in features(body).values() if p["name"] == "Tỉnh Bến Tre")
    communes = client.get("/map/data", params={"province": "Bến Tre", "year": 2019}).json()
    met = [c["criteria_met"] for c in features(communes).values() if c["has_data"] and c["criteria_met"] is not None]
    assert met and ben_tre["value"] == pytest.approx(sum(met) / len(met))
    assert body["title"].startswith("Average criteria met by the communes — Whole country (by province")
    assert body["scheme"] == "equal_interval"


def test_the_districts_of_a_province_by_their_communes(client):
    params = {"province": "Bến Tre", "year": 2019, "tier": "district", "measure": "with_data"}
    body = client.get("/map/data", params=params).json()
    districts = features(body)
    assert len(districts) == 9 and body["title"].endswith("— Tỉnh Bến Tre (theo huyện, tổng hợp từ các xã)")
    city = districts["81101"]  # Thành phố Bến Tre: the only district with statuses in 2019
    communes = client.get(
        "/map/data", params={"province": "Bến Tre", "district": "Thành phố Bến Tre", "year": 2019}
    ).json()
    rows = [c for c in features(communes).values() if c["assessed"]]
    assert city["value"] == pytest.approx(sum(c["has_data"] for c in rows) / len(rows))
    others = [d for code, d in districts.items() if code != "81101"]
    assert all(d["value"] == 0 and d["class"] == "share_0" for d in others if d["communes_assessed"])


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"tier": "commune"}, "a map of the whole country colours provinces"),
        ({"province": "Bến Tre", "measure": "recognised_ntm"}, "use tier=province or tier=district"),
        ({"measure": "tc3"}, "or by a figure of its communes"),
        ({"measure": "recognised_gold"}, "unknown map measure"),
        ({"district": "Thành phố Bến Tre"}, "a district needs its province"),
    ],
)
def test_what_a_national_map_refuses(client, params, words):
    r = client.get("/map/data", params={"year": 2019, **params})
    assert r.status_code == 400 and words in r.json()["description"], r.text


def test_the_national_png_names_the_country(client):
    r = client.get("/map.png", params={"year": 2023, "width": 800, "height": 600})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.headers["content-disposition"] == 'attachment; filename="ntm_viet_nam_2023_recognised-ntm.png"'
    image = Image.open(io.BytesIO(r.content))
    assert image.size == (800, 600) and "Cả nước" in image.text["Title"]
    assert "tổng hợp từ tình trạng của" in image.text["Source"]


def test_the_national_folium_page(client):
    r = client.get("/map.html", params={"year": 2023, "measure": "recognised_ntm_nang_cao"})
    assert r.status_code == 200
    assert "Tỷ lệ xã được công nhận: NTM nâng cao — Cả nước" in r.text and r.text.count('"type": "Feature"') == 63


def test_the_collections_without_a_province_are_national(client):
    for collection, count in (("provinces", 63), ("districts", 703)):
        body = client.get(f"/collections/{collection}/items", params={"year": 2019, "limit": 1000}).json()
        assert body["numberMatched"] == body["numberReturned"] == count, collection
    assert client.get("/collections/communes/items", params={"limit": 1}).json()["numberMatched"] == 11163


def test_the_2025_country_has_34_provinces_and_no_district_tier(client_2025):
    r = client_2025.get("/map/data", params={"year": 2026, "lang": "en"})
    body = r.json()
    provinces = features(body)
    assert len(provinces) == 34 and body["boundaries"]["valid_from"] == "2025-07-01"
    vinh_long = provinces["86"]
    assert vinh_long["communes_with_data"] > 0 and vinh_long["class"] != "no_data"
    assert sum(1 for p in provinces.values() if p["communes_with_data"]) == 1
    assert len(r.content) < 3_000_000
    r = client_2025.get("/map/data", params={"year": 2026, "tier": "district"})
    assert r.status_code == 400 and "no district tier" in r.json()["description"]


def test_the_page_carries_the_office_basemap_only_when_set(db_location):
    tiles = "https://tiles.office.example/{z}/{x}/{y}.png"
    with client_of(db_location, basemap_url=tiles) as c:
        assert c.get("/map/options").json()["basemap"] == tiles
        assert f'"basemap": "{tiles}"' in c.get("/planner").text
    with client_of(db_location) as c:
        assert '"basemap": null' in c.get("/planner").text
