"""OGC API - Features, proven with real clients against a real uvicorn server: GDAL's OAPIF driver
(pyogrio's GDAL) and OWSLib's Features client. The store holds the 2009 boundaries, the Bến Tre
city statuses and the city's lineage (vintages 2009-04-01, 2013-04-05, 2020-02-01)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from urllib.parse import quote, unquote

import httpx
import pyogrio
import pytest
from openapi_spec_validator import validate
from owslib.ogcapi.features import Features

from boundaries.vintages import import_lineage
from tests.support.local_service import free_port, wait_until_serving
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store

pytestmark = pytest.mark.e2e  # every test reads the uvicorn subprocess (the `server` fixture)

CITY_XA_2020 = {"Xã Bình Phú", "Xã Mỹ Thạnh An", "Xã Nhơn Thạnh", "Xã Phú Hưng", "Xã Phú Nhuận", "Xã Sơn Đông"}


@pytest.fixture(scope="module")
def ogc_store(tmp_path_factory, boundaries_2009_template, data_dir) -> str:
    path = tmp_path_factory.mktemp("ogc") / "store.gpkg"
    shutil.copy(boundaries_2009_template, path)
    with open_store(str(path)) as store:
        assert import_status_file(store, data_dir / "samples" / "status_ben_tre_city_long.csv").ok
        import_lineage(store, resources.files("boundaries") / "examples" / "ben_tre_city_lineage.csv")
    return str(path)


class Server:
    """The service run by uvicorn in a subprocess on 127.0.0.1 (GDAL's HTTP calls hold the GIL, so
    the server cannot share the test's process); its access log says what each client asked."""

    def __init__(self, db: str, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**os.environ, "GEO_NTM_DB": db}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "info"],
            env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
        try:
            assert wait_until_serving(self.url, self.process, 30).status_code == 200
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"{exc}: {log.read_text()}") from None

    def requests(self) -> list[str]:
        """The request lines ('GET /path?query') logged so far."""
        return re.findall(r'"(GET [^ ]+) HTTP', self.log.read_text())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture(scope="module")
def server(ogc_store, tmp_path_factory):
    srv = Server(ogc_store, tmp_path_factory.mktemp("uvicorn") / "access.log")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def _names(body) -> set[str]:
    return {f["properties"]["name"] for f in body["features"]}


# -- landing page, conformance, API definition -------------------------------------------------
def test_landing_page_is_json_when_asked_and_the_planner_page_otherwise(http, server):
    landing = http.get("/", headers={"Accept": "application/json"})
    assert landing.status_code == 200 and landing.headers["content-type"].startswith("application/json")
    rels = {link["rel"]: link for link in landing.json()["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert http.get("/?f=json").json()["links"] == landing.json()["links"]
    browser = http.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.headers["content-type"].startswith("text/html") and "OGC" not in browser.text[:200]
    assert "service-desc" in http.get("/?f=html").text  # the HTML landing page lists the links


def test_conformance_and_openapi_30(http):
    classes = http.get("/conformance").json()["conformsTo"]
    for part in ("ogcapi-features-1/1.0/conf/core", "ogcapi-features-1/1.0/conf/geojson",
                 "ogcapi-features-1/1.0/conf/html", "ogcapi-features-1/1.0/conf/oas30",
                 "ogcapi-features-2/1.0/conf/crs", "ogcapi-features-3/1.0/conf/filter",
                 "ogcapi-features-3/1.0/conf/features-filter", "cql2/1.0/conf/cql2-text", "cql2/1.0/conf/basic-cql2"):
        assert f"http://www.opengis.net/spec/{part}" in classes
    r = http.get("/api")
    assert r.headers["content-type"] == "application/vnd.oai.openapi+json;version=3.0"
    doc = r.json()
    assert doc["openapi"] == "3.0.3"
    validate(doc)  # a valid OpenAPI 3.0 document
    params = {p["name"] for p in doc["paths"]["/collections/communes/items"]["get"]["parameters"]}
    assert {"bbox", "datetime", "limit", "crs", "bbox-crs", "filter", "filter-lang", "criteria_met",
            "unit_type"} <= params


def test_collection_metadata(http):
    c = http.get("/collections/communes").json()
    assert c["id"] == "communes" and c["itemType"] == "feature"
    minx, miny, maxx, maxy = c["extent"]["spatial"]["bbox"][0]
    assert 102 < minx < 103 and 23 < maxy < 24
    assert c["extent"]["temporal"]["interval"][0][0].startswith("2009-04-01")
    assert c["storageCrs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    assert {f"http://www.opengis.net/def/crs/EPSG/0/{n}" for n in (4326, 4756, 3405, 3406)} <= set(c["crs"])
    rels = {(link["rel"], link["type"]) for link in c["links"]}
    assert ("items", "application/geo+json") in rels and ("describedby", "application/schema+json") in rels
    q = http.get("/collections/communes/queryables").json()
    assert q["properties"]["criteria_met"]["type"] == "integer" and q["properties"]["name"]["type"] == "string"
    assert http.get("/collections/nowhere").status_code == 404


# -- GDAL -------------------------------------------------------------------------------------
def test_gdal_lists_the_collections(server):
    layers = pyogrio.list_layers(f"OAPIF:{server.url}/")
    assert [name for name, _ in layers] == ["provinces", "districts", "communes", "units"]


def test_gdal_copies_a_cql2_filtered_collection_to_a_geopackage(server, tmp_path):
    base = server.url
    where = "district = 'Thành phố Bến Tre' AND unit_type = 'xa' AND criteria_met >= 19"
    frame = pyogrio.read_dataframe(f"OAPIF:{base}/?year=2020", layer="communes", where=where)
    # GDAL sent the filter to the server as CQL text (it found filter-lang and the queryables in /api)
    sent = [r for r in server.requests() if r.startswith("GET /collections/communes/items?") and "filter=" in r]
    assert sent and "filter-lang=cql" in sent[-1] and "criteria_met" in unquote(sent[-1])
    out = tmp_path / "city_xa.gpkg"
    pyogrio.write_dataframe(frame, out, layer="communes", driver="GPKG")  # what ogr2ogr -where does
    copied = pyogrio.read_dataframe(out)
    assert set(copied["name"]) == CITY_XA_2020 and len(copied) == 6
    assert set(copied["criteria_met"]) == {19} and copied.crs.equals(frame.crs)
    assert copied.geometry.geom_type.eq("MultiPolygon").all()
    assert copied.total_bounds[0] > 106.2 and copied.total_bounds[2] < 106.5


def test_gdal_reads_url_parameters_and_pages(server):
    base = server.url
    # the province as a query parameter of the dataset URL; GDAL pages with limit and next links
    frame = pyogrio.read_dataframe(f"OAPIF:{base}/?province=811&district={quote('Thành phố Bến Tre')}&year=2019",
                                   layer="communes", PAGE_SIZE=5)
    assert len(frame) == 17 and "Xã Mỹ Thành" in set(frame["name"])  # the 2019 boundaries: 17 units


@pytest.mark.parametrize("epsg", [4756, 3405])
def test_gdal_reads_vn2000(server, epsg):
    url = f"OAPIF:{server.url}/"
    wgs84 = pyogrio.read_dataframe(url, layer="communes", where="code = '8110125'")
    vn2000 = pyogrio.read_dataframe(url, layer="communes", where="code = '8110125'", CRS=f"EPSG:{epsg}")
    assert vn2000.crs.to_epsg() == epsg
    expected = wgs84.to_crs(epsg).geometry.iloc[0]
    got = vn2000.geometry.iloc[0]
    assert got.symmetric_difference(expected).area < 1e-9 * max(expected.area, 1)
    if epsg == 3405:
        assert 600_000 < got.centroid.x < 700_000 and 1_100_000 < got.centroid.y < 1_200_000


# -- OWSLib -----------------------------------------------------------------------------------
def test_owslib_features_client(server):
    w = Features(f"{server.url}/", headers={"Accept": "application/json"})
    assert w.feature_collections() == ["provinces", "districts", "communes", "units"]
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in w.conformance()["conformsTo"]
    body = w.collection_items("communes", province="Bến Tre", year=2020, limit=50,
                              filter="district = 'Thành phố Bến Tre' AND (criteria_met >= 19 OR level = 'ntm')")
    assert body["numberMatched"] == 6 and _names(body) == CITY_XA_2020
    assert "criteria_met" in w.collection_queryables("communes")["properties"]
    assert w.collection_item("communes", "8110125")["properties"]["name"] == "Xã Nhơn Thạnh"
    assert w.collection("communes")["storageCrs"].endswith("CRS84")


# -- the parameters -----------------------------------------------------------------------------
def test_datetime_chooses_the_boundary_vintage(http):
    city = {"province": "Bến Tre", "district": "Thành phố Bến Tre", "limit": 50}
    before = http.get("/collections/communes/items", params=city | {"datetime": "2019-06-01"}).json()
    after = http.get("/collections/communes/items", params=city | {"datetime": "2020-06-01T00:00:00Z"}).json()
    assert before["numberMatched"] == 17 and after["numberMatched"] == 14
    assert "Phường An Hội" in _names(after) and "Phường An Hội" not in _names(before)
    inside = http.get("/collections/communes/items", params=city | {"datetime": "2020-03-01/2020-12-31"}).json()
    assert inside["numberMatched"] == 14
    spans = http.get("/collections/communes/items", params=city | {"datetime": "2019-01-01/2020-12-31"})
    assert spans.status_code == 400 and "spans 2 boundary vintages" in spans.json()["description"]


def test_property_parameters_cql2_and_paging(http):
    params = {"province": "Bến Tre", "year": 2020, "unit_type": "xa", "limit": 50}
    xa = http.get("/collections/communes/items", params=params).json()
    assert xa["numberMatched"] > 100 and all(f["properties"]["unit_type"] == "xa" for f in xa["features"])
    one = http.get("/collections/communes/items", params={"name": "Xã Nhơn Thạnh", "year": 2020}).json()
    assert [f["id"] for f in one["features"]] == ["8110125"]
    cql = {"filter": "criteria_met BETWEEN 15 AND 19 AND NOT unit_type <> 'xa'", "filter-lang": "cql2-text",
           "year": 2020, "limit": 4}
    page1 = http.get("/collections/communes/items", params=cql).json()
    assert page1["numberMatched"] == 6 and page1["numberReturned"] == 4
    nxt = next(link["href"] for link in page1["links"] if link["rel"] == "next")
    page2 = httpx.get(nxt).json()
    assert page2["numberReturned"] == 2 and _names(page1) | _names(page2) == CITY_XA_2020
    ntm = http.get("/collections/communes/items", params={"level": "ntm", "year": 2020, "province": "811"}).json()
    assert ntm["numberMatched"] >= 1 and {f["properties"]["level"] for f in ntm["features"]} == {"ntm"}
    like = http.get("/collections/units/items", params={"filter": "name LIKE 'Tỉnh Bến%'", "level": "province"}).json()
    assert _names(like) == {"Tỉnh Bến Tre"}


@pytest.mark.parametrize("params, words", [
    ({"filter": "criteria_met >= "}, "expected a property or a literal"),
    ({"filter": "nothing = 1"}, "unknown property 'nothing'"),
    ({"filter": "name = 5"}, "compares a string with a number"),
    ({"filter": "name = 'x'", "filter-lang": "cql2-json"}, "only cql2-text"),
    ({"colour": "red"}, "unknown parameter 'colour'"),
    ({"criteria_met": "many"}, "criteria_met is a number"),
    ({"crs": "EPSG:2154"}, "not supported"),
    ({"bbox": "10,106,10.3,106.5", "bbox-crs": "EPSG:9999"}, "not supported"),
    ({"datetime": "yesterday"}, "not a date"),
    ({"datetime": "2020-01-01", "date": "2020-01-01"}, "only one"),
])
def test_bad_parameters_are_400_with_a_reason(http, params, words):
    r = http.get("/collections/communes/items", params=params)
    assert r.status_code == 400 and words in r.json()["description"], r.json()


def test_crs_and_bbox_crs(http):
    r = http.get("/collections/communes/items/8110125", params={"crs": "http://www.opengis.net/def/crs/EPSG/0/4326"})
    assert r.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4326>"
    lat, lon = r.json()["geometry"]["coordinates"][0][0][0]  # EPSG:4326: latitude first
    assert 9 < lat < 11 and 106 < lon < 107
    default = http.get("/collections/communes/items/8110125")
    assert default.headers["content-crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    # a box around Phường Phú Khương in VN-2000 / UTM 48N
    boxed = http.get("/collections/communes/items", params={
        "bbox": "651000,1131000,655000,1134500", "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/3405"}).json()
    assert "Phường Phú Khương" in _names(boxed)
    # the same box in EPSG:4756 axis order (latitude first)
    geo = http.get("/collections/communes/items", params={
        "bbox": "10.23,106.37,10.25,106.39", "bbox-crs": "EPSG:4756"}).json()
    assert "Phường Phú Khương" in _names(geo)
    utm = http.get("/collections/communes/items/8110125", params={"crs": "EPSG:3405"}).json()
    x, y = utm["geometry"]["coordinates"][0][0][0]
    assert 600_000 < x < 700_000 and 1_100_000 < y < 1_200_000


def test_html_encodings(http):
    for path, words in [("/collections", "communes"), ("/collections/communes", "storageCrs"),
                        ("/collections/communes/items?year=2020&province=811&limit=5", "Số tiêu chí đạt"),
                        ("/collections/communes/items/8110125?year=2020", "Xã Nhơn Thạnh"),
                        ("/conformance", "conf/core"), ("/collections/communes/queryables", "criteria_met")]:
        r = http.get(path, headers={"Accept": "text/html"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
        assert r.text.startswith("<!DOCTYPE html>") and words in r.text, path
    page = http.get("/collections/communes/items", params={"f": "html", "province": "811", "limit": 5}).text
    assert 'rel="next"' in page and 'rel="alternate"' in page
