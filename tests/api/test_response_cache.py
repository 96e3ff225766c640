"""The response cache behind the validators (api/caching.py, docs/http.md#response-cache), on both
stores: a repeated request is answered from memory without running the route, byte for byte the
same; a write makes the next answer new; the cache keeps within its size; tiles are kept too."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest
from fastapi.testclient import TestClient

import api.ogc.collections.registry
import api.ogc.items
import api.ogc.tiles
from api.app import create_app
from api.caching import CachedAnswer, ResponseCache
from boundaries.importer import import_boundaries
from geo_ntm.settings import Settings
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store
from geo_ntm.tiles import ensure_generalised
from tests.api import test_http
from tests.api.test_http import CONDITIONAL

BEN_TRE_ITEMS = ("/collections/communes/items", {"province": "Bến Tre", "year": 2020, "limit": 20})
#: A tile of Tỉnh Vĩnh Long (2025 units) at zoom 10 holding communes.
VINH_LONG_TILE = "/collections/communes/tiles/WebMercatorQuad/10/483/814"


def _client(db: str, **settings) -> TestClient:
    return TestClient(create_app(Settings.from_env().model_copy(update={"db": db, **settings})))


def _counting(monkeypatch, module, name: str) -> list[int]:
    """Count the calls of ``module.name`` (a function a route calls) from now on."""
    calls: list[int] = []
    real = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


#: A private 2009 store with the Bến Tre city statuses, on each backend (the same fixture).
store_location = test_http.store_location


@pytest.mark.parametrize(("path", "params"), CONDITIONAL)
def test_a_repeated_request_is_answered_from_the_cache(store_location, path, params):
    with _client(store_location) as client:
        cache: ResponseCache = client.app.state.response_cache  # type: ignore[attr-defined]
        first = client.get(path, params=params)
        assert first.status_code == 200 and len(cache) == 1 and cache.hits == 0
        again = client.get(path, params=params)
        assert again.status_code == 200 and cache.hits == 1
        assert again.content == first.content
        for name in ("etag", "last-modified", "content-type", "cache-control", "vary"):
            assert again.headers[name] == first.headers[name], name
        assert client.get(path, params=params, headers={"If-None-Match": first.headers["etag"]}).status_code == 304


def test_items_run_once_and_an_import_makes_a_new_answer(db_location, data_dir, monkeypatch):
    path, params = BEN_TRE_ITEMS
    calls = _counting(monkeypatch, api.ogc.items, "run")
    with _client(db_location) as client:
        before = client.get(path, params=params)
        assert client.get(path, params=params).content == before.content and len(calls) == 1
        with open_store(db_location) as store:  # another connection writes, as the command line would
            assert import_status_file(store, data_dir / "samples" / "status_ben_tre_city_long.csv").ok
        after = client.get(path, params=params)
        assert len(calls) == 2 and after.headers["etag"] != before.headers["etag"]
        levels = {f["properties"].get("level") for f in after.json()["features"]}
        assert levels != {f["properties"].get("level") for f in before.json()["features"]}
        assert client.get(path, params=params).content == after.content and len(calls) == 2


def test_a_gzipped_answer_is_kept_gzipped_apart_from_the_plain_one(store_location):
    path, params = BEN_TRE_ITEMS
    with _client(store_location) as client:
        cache: ResponseCache = client.app.state.response_cache  # type: ignore[attr-defined]
        zipped = [client.get(path, params=params, headers={"Accept-Encoding": "gzip"}) for _ in range(2)]
        plain = [client.get(path, params=params, headers={"Accept-Encoding": "identity"}) for _ in range(2)]
        assert cache.hits == 2 and len(cache) == 2
        assert all(r.headers["content-encoding"] == "gzip" for r in zipped)
        assert all("content-encoding" not in r.headers for r in plain)
        assert plain[1].content == plain[0].content  # the plain one from the cache, byte for byte
        answer = {k: v for k, v in plain[0].json().items() if k != "timeStamp"}  # computed a second apart maybe
        assert {k: v for k, v in zipped[1].json().items() if k != "timeStamp"} == answer
        kept = {dict(a.headers).get(b"content-encoding") for a in cache._entries.values()}
        assert kept == {b"gzip", None}
        sizes = sorted(a.size for a in cache._entries.values())
        assert sizes[0] < sizes[1] / 3  # the gzipped copy is the small one
        gz = next(a for a in cache._entries.values() if dict(a.headers).get(b"content-encoding") == b"gzip")
        assert gzip.decompress(gz.body) == plain[0].content


def test_the_cache_keeps_within_its_size(store_location, monkeypatch):
    path, params = BEN_TRE_ITEMS
    plain = {"Accept-Encoding": "identity"}
    calls = _counting(monkeypatch, api.ogc.items, "run")
    with _client(store_location, response_cache_mb=0.3) as client:  # 300 kB; pages of 20 communes: ~21 kB
        cache: ResponseCache = client.app.state.response_cache  # type: ignore[attr-defined]
        pages = [{**params, "offset": offset} for offset in range(0, 145, 4)]  # 37 pages, ~780 kB
        for page in pages:
            assert client.get(path, params=page, headers=plain).status_code == 200
            assert cache.used <= cache.max_bytes
        assert 2 <= len(cache) < len(pages) and len(calls) == len(pages)
        client.get(path, params=pages[-1], headers=plain)  # the newest is kept
        assert len(calls) == len(pages)
        client.get(path, params=pages[0], headers=plain)  # the oldest went out
        assert len(calls) == len(pages) + 1
        big = client.get(path, params={**params, "limit": 100}, headers=plain)
        assert len(big.content) > cache.max_entry_bytes  # over 1/8 of the cache: not kept
        client.get(path, params={**params, "limit": 100}, headers=plain)
        assert len(calls) == len(pages) + 3 and cache.used <= cache.max_bytes


def test_size_zero_keeps_nothing(store_location, monkeypatch):
    path, params = BEN_TRE_ITEMS
    calls = _counting(monkeypatch, api.ogc.items, "run")
    with _client(store_location, response_cache_mb=0) as client:
        first, second = (client.get(path, params=params).json() for _ in range(2))
        assert first["features"] == second["features"]  # computed twice (their timeStamp may differ)
        assert len(calls) == 2 and len(client.app.state.response_cache) == 0  # type: ignore[attr-defined]


def test_errors_are_not_kept(store_location):
    with _client(store_location) as client:
        for _ in range(2):
            assert client.get("/collections/communes/items", params={"province": "Nowhere"}).status_code == 404
            assert client.get("/collections/communes/items", params={"limit": 0}).status_code == 400
        assert len(client.app.state.response_cache) == 0  # type: ignore[attr-defined]


def test_lru_drops_the_least_recently_used():
    cache = ResponseCache(800)  # entries of at most 100 bytes
    answer = CachedAnswer(((b"content-type", b"x"),), b"." * 87)  # 100 bytes with its header
    for key in "abcdefgh":
        assert cache.put(key, answer)
    assert cache.used == 800 and cache.get("a") is answer  # "a" is now the most recent
    cache.put("i", answer)
    assert cache.get("b") is None and cache.get("a") is answer and cache.used == 800
    assert not cache.put("big", CachedAnswer((), b"." * 101)) and cache.get("big") is None


@pytest.fixture(scope="module")
def vinh_long(backend, new_location, vinh_long_2025) -> str:
    """A store of the 1 July 2025 units of Tỉnh Vĩnh Long (with every province), generalised."""
    location = new_location(backend, False)
    with open_store(location) as store:
        vintage, _ = import_boundaries(store, vinh_long_2025, dt.date(2025, 7, 1), measure_quality=False)
        assert vintage is not None
        ensure_generalised(store, vintage)
    return location


def test_tiles_are_answered_from_the_cache(vinh_long, monkeypatch):
    calls = _counting(monkeypatch, api.ogc.tiles, "vector_tile")
    with _client(vinh_long) as client:
        first = client.get(VINH_LONG_TILE, params={"year": 2026})
        assert first.status_code == 200 and first.headers["content-type"] == "application/vnd.mapbox-vector-tile"
        again = client.get(VINH_LONG_TILE, params={"year": 2026})
        assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
        assert len(calls) == 1
        client.get(VINH_LONG_TILE, params={"year": 2025})  # another answer: computed
        assert len(calls) == 2


def test_a_kept_answer_is_sent_before_routing_and_never_past_a_token_check(store_location, tmp_path, monkeypatch):
    path, params = BEN_TRE_ITEMS
    routed = _counting(monkeypatch, api.ogc.collections.registry, "collection")  # the items route's first step
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("ann reader " + "r" * 40 + "\n")
    tokens.chmod(0o600)
    with _client(store_location, tokens_file=tokens) as client:
        cache: ResponseCache = client.app.state.response_cache  # type: ignore[attr-defined]
        first = client.get(path, params=params)
        assert len(routed) == 1
        again = client.get(path, params=params)
        assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
        assert len(routed) == 1 and cache.hits == 1  # answered from the cache, the route never reached
        refused = client.get(path, params=params, headers={"Authorization": "Bearer " + "x" * 40})
        assert refused.status_code == 401  # a token is checked by the routes, kept answer or not
        assert client.get(path, params=params, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
        assert client.head(path, params=params).headers["etag"] == first.headers["etag"]
        assert len(routed) == 1 and cache.hits == 2  # the 401 and the 304 before the route's work; HEAD kept


def test_a_service_needing_read_tokens_sends_no_kept_answer_without_one(store_location, tmp_path):
    path, params = BEN_TRE_ITEMS
    tokens = tmp_path / "tokens.txt"
    token = "r" * 40
    tokens.write_text(f"ann reader {token}\n")
    tokens.chmod(0o600)
    with _client(store_location, tokens_file=tokens, read_token_required=True) as client:
        reader = {"Authorization": f"Bearer {token}"}
        first = client.get(path, params=params, headers=reader)
        assert first.status_code == 200
        assert client.get(path, params=params, headers=reader).content == first.content
        assert client.get(path, params=params).status_code == 401
