"""HTTP done properly (api/caching.py): gzip, ETag/Last-Modified with 304 invalidated by any write to
the store, Cache-Control of data and static files, and CORS, on both stores."""

from __future__ import annotations

import gzip
import json
import re

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.caching import IMMUTABLE, content_hash
from api.ogc.collections import registry
from geo_ntm.settings import Settings
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store
from maps.assets import PLANNER_STATIC
from tests.api.test_frameworks_api import TEST_SET, upload
from tests.support.local_service import Server
from tests.support.tokens import bearer, token_file

#: Tỉnh Thanh Hóa (GSO province 38; code 401 in the 2009 boundaries): the province of the issue's figures.
THANH_HOA = {"province": "401", "year": 2020}
#: The conditional routes of issue 14, with the Bến Tre city sample's province and year.
CONDITIONAL = [
    ("/collections", {}),
    ("/collections/communes", {}),
    ("/collections/communes/items", {"province": "Bến Tre", "year": 2020, "limit": 20}),
    ("/collections/communes/items/8110125", {"year": 2020}),
    ("/map/data", {"province": "Bến Tre", "year": 2020}),
    ("/map/options", {"province": "Bến Tre", "year": 2020}),
]
#: Test origins (reserved .example names, RFC 2606), not real sites.
ALLOWED, REFUSED = "https://planner.example", "https://elsewhere.example"


def _client(db: str, **settings) -> TestClient:
    return TestClient(create_app(Settings.from_env().model_copy(update={"db": db, **settings})))


@pytest.fixture
def store_location(db_location, data_dir) -> str:
    """A private 2009 store with the Bến Tre city statuses, on each backend (the tests write to it)."""
    with open_store(db_location) as store:
        assert import_status_file(store, data_dir / "samples" / "status_ben_tre_city_long.csv").ok
    return db_location


@pytest.mark.parametrize(("path", "params"), CONDITIONAL)
def test_second_request_is_304_and_an_import_makes_it_200(store_location, data_dir, path, params):
    with _client(store_location) as client:
        first = client.get(path, params=params)
        assert first.status_code == 200 and first.headers["cache-control"] == "no-cache"
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert re.fullmatch(r'W/"[0-9a-f]{32}"', etag) and "Accept" in first.headers["vary"]
        again = client.get(path, params=params, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
        since = client.get(path, params=params, headers={"If-Modified-Since": modified})
        assert since.status_code == 304
        stale = client.get(path, params=params, headers={"If-None-Match": 'W/"another"'})
        assert stale.status_code == 200 and stale.headers["etag"] == etag

        with open_store(store_location) as store:  # another connection writes, as the command line would
            assert import_status_file(store, data_dir / "samples" / "status_hong_ngu_counts.csv").ok
        after = client.get(path, params=params, headers={"If-None-Match": etag})
        assert after.status_code == 200 and after.headers["etag"] != etag
        assert client.get(path, params=params, headers={"If-None-Match": after.headers["etag"]}).status_code == 304


def test_a_framework_added_over_http_makes_the_validators_stale(store_location, tmp_path, monkeypatch):
    folder = tmp_path / "frameworks"
    folder.mkdir()
    monkeypatch.setenv("GEO_NTM_FRAMEWORKS_DIR", str(folder))  # where POST /frameworks writes
    with _client(store_location, frameworks_dir=folder, tokens_file=token_file(tmp_path)) as client:
        params = {"province": "Bến Tre", "year": 2020}
        etag = client.get("/map/options", params=params).headers["etag"]
        assert client.get("/map/options", params=params, headers={"If-None-Match": etag}).status_code == 304
        text = TEST_SET.read_text(encoding="utf-8")
        posted = client.post("/frameworks", files=upload(text), headers=bearer("admin"))
        assert posted.status_code == 201
        after = client.get("/map/options", params=params, headers={"If-None-Match": etag})
        assert after.status_code == 200 and after.headers["etag"] != etag


def test_the_openapi_document_shows_the_304_of_each_conditional_route(store_location):
    with _client(store_location) as client:
        paths = client.get("/openapi.json").json()["paths"]
    documented = {path for path, ops in paths.items() if "304" in ops.get("get", {}).get("responses", {})}
    tiles = "/collections/{collectionId}/tiles/{tileMatrixSetId}"  # tests/api/ogc/test_tiles.py asks them
    per_collection = {f"/collections/{c.id}/items" for c in registry.served()}  # the items path of each
    assert (
        documented
        == {
            path.replace("communes/items/8110125", "{collectionId}/items/{featureId}").replace(
                "communes", "{collectionId}"
            )
            for path, _ in CONDITIONAL
        }
        | {tiles, f"{tiles}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}"}
        | per_collection
    )


def test_validator_varies_with_the_query_and_the_encoding(store_location):
    with _client(store_location) as client:
        items = "/collections/communes/items"
        json_tag = client.get(items, params={"limit": 5}).headers["etag"]
        html = client.get(items, params={"limit": 5}, headers={"Accept": "text/html"})
        assert html.headers["content-type"].startswith("text/html") and html.headers["etag"] != json_tag
        assert client.get(items, params={"limit": 6}).headers["etag"] != json_tag
        # a copy in another encoding is not this one: refreshed, not 304
        plain = client.get(items, params={"limit": 5}, headers={"Accept-Encoding": "identity"})
        assert plain.headers["etag"] != json_tag
        assert (
            client.get(
                items, params={"limit": 5}, headers={"Accept-Encoding": "identity", "If-None-Match": json_tag}
            ).status_code
            == 200
        )


def test_an_error_and_a_job_answer_carry_no_validator(store_location):
    with _client(store_location) as client:
        missing = client.get("/collections/communes/items/0000000", params={"year": 2020})
        assert missing.status_code == 404 and "etag" not in missing.headers


def test_static_files_are_immutable_under_their_content_hash(store_location):
    with _client(store_location) as client:
        page = client.get("/planner", params={"province": "Bến Tre", "year": 2020}).text
        version = content_hash(PLANNER_STATIC / "planner.js")
        assert f'<script src="/static/planner/planner.js?v={version}"></script>' in page
        leaflet = re.search(r'href="(/static/leaflet/leaflet\.css\?v=[0-9a-f]{16})"', page)
        assert leaflet is not None and client.get(leaflet[1]).headers["cache-control"] == IMMUTABLE
        hashed = client.get(f"/static/planner/planner.js?v={version}")
        assert hashed.status_code == 200 and hashed.headers["cache-control"] == IMMUTABLE
        assert hashed.headers["content-encoding"] == "gzip"  # JavaScript is compressed
        for url in ("/static/planner/planner.js", "/static/planner/planner.js?v=0123456789abcdef"):
            assert client.get(url).headers["cache-control"] == "no-cache"  # revalidated by its ETag
        etag = hashed.headers["etag"]
        assert client.get("/static/planner/planner.js", headers={"If-None-Match": etag}).status_code == 304


def test_binary_answers_are_not_gzipped(store_location):
    with _client(store_location) as client:
        png = client.get("/map.png", params={"province": "Bến Tre", "year": 2020})
        assert png.headers["content-type"] == "image/png" and "content-encoding" not in png.headers
        magic = {"gpkg": b"SQLite format 3\x00", "shp": b"PK\x03\x04", "xlsx": b"PK\x03\x04"}
        for fmt, start in magic.items():
            file = client.get("/collections/communes/download", params={"province": "Bến Tre", "format": fmt})
            assert file.status_code == 200 and file.content.startswith(start), fmt
            assert "content-encoding" not in file.headers, fmt
        geojson = client.get("/collections/communes/download", params={"province": "Bến Tre"})
        assert geojson.headers["content-encoding"] == "gzip"  # a text download is compressed
        small = client.get("/health")  # under the minimum size: sent as it is
        assert small.status_code == 200 and "content-encoding" not in small.headers


@pytest.mark.parametrize("backend", ["gpkg"], indirect=True)
def test_map_data_of_thanh_hoa_is_gzipped_over_a_real_connection(db_location, tmp_path):
    """A real uvicorn and a real HTTP client: the map data of Thanh Hóa (no status data: every
    commune drawn) is sent gzipped and decodes to the same JSON as the uncompressed answer."""
    server = Server(db_location, tmp_path / "access.log")
    try:
        with httpx.Client(base_url=server.url, timeout=120) as http:
            plain = http.get("/map/data", params=THANH_HOA, headers={"Accept-Encoding": "identity"})
            with http.stream("GET", "/map/data", params=THANH_HOA, headers={"Accept-Encoding": "gzip"}) as zipped:
                raw = b"".join(zipped.iter_raw())
    finally:
        server.stop()
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip" and int(zipped.headers["content-length"]) == len(raw)
    assert json.loads(gzip.decompress(raw)) == plain.json()
    assert len(raw) < len(plain.content) / 4  # GeoJSON compresses well (docs/http.md: the figures)


def test_no_cors_headers_without_the_setting(store_location):
    with _client(store_location) as client:
        r = client.get("/collections", headers={"Origin": ALLOWED})
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
        preflight = client.options("/collections", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET"})
        assert "access-control-allow-origin" not in preflight.headers


def test_cors_allows_the_listed_origins_only(store_location):
    with _client(store_location, cors_origins=(ALLOWED,)) as client:
        asked = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "If-None-Match"}
        preflight = client.options("/map/data", headers={"Origin": ALLOWED, **asked})
        assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == ALLOWED
        assert "GET" in preflight.headers["access-control-allow-methods"]
        refused = client.options("/map/data", headers={"Origin": REFUSED, **asked})
        assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers

        simple = client.get("/collections", headers={"Origin": ALLOWED})
        assert simple.status_code == 200 and simple.headers["access-control-allow-origin"] == ALLOWED
        assert "ETag" in simple.headers["access-control-expose-headers"]
        other = client.get("/collections", headers={"Origin": REFUSED})
        assert other.status_code == 200 and "access-control-allow-origin" not in other.headers


def test_cors_headers_on_a_refused_token(store_location, tmp_path):
    """The gate's 401 carries the CORS headers, so the page of an allowed origin can read why."""
    tokens = token_file(tmp_path)
    with _client(store_location, cors_origins=(ALLOWED,), tokens_file=tokens, read_token_required=True) as client:
        denied = client.get("/collections", headers={"Origin": ALLOWED})
        assert denied.status_code == 401 and denied.headers["access-control-allow-origin"] == ALLOWED
        ok = client.get("/collections", headers={"Origin": ALLOWED, **bearer("reader")})
        assert ok.status_code == 200 and ok.headers["cache-control"] == "private, no-cache"
