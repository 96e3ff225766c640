"""The service's stores: on PostGIS one connection pool per process (``GEO_NTM_DB_POOL_SIZE``), so
requests reuse connections and the server never sees more than the pool's size from the service,
with the same answers; on GeoPackage a connection of its own per request. Checked on the real
throwaway cluster by asking the server (``pg_stat_activity``) which connections it has."""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geo_ntm.errors import GeoNtmError, StoreBusyError
from geo_ntm.settings import Settings
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import ImportRecord, StoreFactory, open_store
from geo_ntm.store.postgis import PostgisPool

ITEMS = "/collections/communes/items?province=Bến Tre&year=2020&limit=500"
REQUESTS = [
    ITEMS,
    "/health",
    "/vintages",
    "/collections/communes/items?province=Bến Tre&year=2020&limit=5&offset=7",
    "/collections/communes/items?province=nowhere",
]  # the last one is a 404: errors give connections back too


@pytest.fixture(scope="module")
def pg_store(postgis_cluster, new_location, data_dir) -> str:
    """A PostGIS store with the 2009 boundaries and Bến Tre's statuses."""
    url = new_location("postgis")
    with open_store(url) as store:
        assert import_status_file(store, data_dir / "samples" / "status_ben_tre_city_long.csv").ok
    yield url
    postgis_cluster.drop_database(url)


def _service_pids(url: str) -> list[int]:
    """Backend pids of the service's connections to the database of ``url`` (``application_name``
    geo_ntm; the test's own connection has another name)."""
    with psycopg.connect(url, autocommit=True, application_name="pool_test") as conn:
        return [
            r[0]
            for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'geo_ntm'"
            )
        ]


def _client(url: str, pool_size: int) -> TestClient:
    return TestClient(create_app(Settings.from_env().model_copy(update=dict(db=url, db_pool_size=pool_size))))


def _answer(response) -> tuple[int, object]:
    """Status and body of a response, without the time a feature collection was made."""
    body = response.json()
    if isinstance(body, dict):
        body.pop("timeStamp", None)
    return response.status_code, body


def _answers(client: TestClient) -> dict[str, tuple[int, object]]:
    return {path: _answer(client.get(path)) for path in REQUESTS}


def test_pool_size_setting():
    assert Settings.from_env({}).db_pool_size == 10
    assert Settings.from_env({"GEO_NTM_DB_POOL_SIZE": "3"}).db_pool_size == 3


def test_sequential_requests_reuse_the_pool(pg_store):
    """60 requests one after the other: the server sees at most the pool's connections, always the
    same ones (a new connection per request would show a new backend pid each time)."""
    seen = set()
    with _client(pg_store, pool_size=2) as client:
        expected = _answers(client)
        assert expected[ITEMS][0] == 200 and expected[REQUESTS[-1]][0] == 404
        assert len(client.get(ITEMS).json()["features"]) == 164
        for i in range(60):
            path = REQUESTS[i % len(REQUESTS)]
            response = client.get(path)
            assert _answer(response) == expected[path]
            pids = _service_pids(pg_store)
            assert len(pids) <= 2
            seen.update(pids)
        assert 1 <= len(seen) <= 2
    assert _service_pids(pg_store) == []  # the pool is closed when the service stops


def test_without_a_pool_every_request_connects(pg_store):
    """``GEO_NTM_DB_POOL_SIZE=0``: the old behaviour, a connection per request (so the check above
    would see it), with the same answers."""
    with _client(pg_store, pool_size=2) as pooled:
        expected = _answers(pooled)
    with _client(pg_store, pool_size=0) as client:
        assert _answers(client) == expected
        for _ in range(8):
            assert client.get("/health").status_code == 200
            # the request's connection is closed once its answer is sent (the store dependency ends
            # after the response, so on a loaded machine it may take a moment): none stays open
            assert _no_service_connection_within(pg_store, seconds=5)
    # watch while requests run: the connections come and go, each a new backend
    with _client(pg_store, pool_size=0) as client:
        pids = _watch_while(pg_store, lambda: [client.get(ITEMS) for _ in range(8)])
    assert len(pids["distinct"]) >= 4  # 8 requests, 8 backends (some may start and end between two looks)


def _no_service_connection_within(url: str, seconds: float) -> bool:
    """Whether the service holds no connection to the server at some moment within ``seconds``."""
    deadline = time.monotonic() + seconds
    while _service_pids(url):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _watch_while(url: str, work) -> dict:
    """Run ``work()`` while sampling the service's connections; the largest count seen and every pid."""
    stop, counts, distinct = threading.Event(), [], set()

    def watch():
        with psycopg.connect(url, autocommit=True, application_name="pool_test") as conn:
            while not stop.is_set():
                pids = [
                    r[0]
                    for r in conn.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                        " AND application_name = 'geo_ntm'"
                    )
                ]
                counts.append(len(pids))
                distinct.update(pids)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        result = work()
    finally:
        stop.set()
        watcher.join()
    return {"max": max(counts), "distinct": distinct, "result": result}


@pytest.mark.parametrize("backend", ["gpkg", "postgis"])
def test_concurrent_requests_stay_within_the_pool(backend, pg_store, new_location, data_dir):
    """16 clients at once, 96 requests: the answers are those of sequential requests; on PostGIS the
    server never holds more than the pool's 3 connections of the service, and requests waited for
    one rather than connecting."""
    if backend == "gpkg":
        location = new_location("gpkg")
        with open_store(location) as store:
            assert import_status_file(store, data_dir / "samples" / "status_ben_tre_city_long.csv").ok
    else:
        location = pg_store
    with _client(location, pool_size=3) as client:
        expected = _answers(client)
        paths = [REQUESTS[i % len(REQUESTS)] for i in range(96)]
        with ThreadPoolExecutor(16) as pool:
            watched = _watch_while(pg_store, lambda: list(pool.map(client.get, paths)))
        for path, response in zip(paths, watched["result"], strict=True):
            assert _answer(response) == expected[path]
        if backend == "postgis":
            assert 1 <= watched["max"] <= 3 and len(watched["distinct"]) <= 3
            stats = client.app.state.stores.pool_stats()
            assert stats["pool_max"] == 3 and stats["requests_num"] >= 96
        else:
            assert watched["max"] == 0 and client.app.state.stores.pool_stats() == {}


def test_a_failed_write_gives_back_a_clean_connection(pg_store):
    """A write that fails inside its transaction rolls back; the one connection of a pool of one is
    then borrowed again, idle, and sees the data as before."""
    factory = StoreFactory(pg_store, pool_size=1)
    try:
        with factory.open() as store:
            before = len(store.imports())
            vintage = store.vintages()[0]
            pid = store._conn.execute("SELECT pg_backend_pid()").fetchone()[0]
            # a vintage whose name is taken: refused inside the transaction, after its import row was written
            with pytest.raises(GeoNtmError, match="already"):
                store.add_vintage(
                    vintage.name,
                    dt.date(2030, 1, 1),
                    "test",
                    store.units(vintage.vintage_id).iloc[:0],
                    ImportRecord("boundaries", "test", 0, 0),
                )
        with factory.open() as store:
            conn = store._conn
            assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            assert conn.execute("SELECT pg_backend_pid()").fetchone()[0] == pid
            assert len(store.imports()) == before and store.vintages() == [vintage]
        store.close()  # closing twice gives nothing back twice
        assert factory.pool_stats()["pool_size"] == 1
        with pytest.raises(AttributeError):
            store.vintages()  # a closed pooled store cannot use the connection another borrower now has
    finally:
        factory.close()
    assert _service_pids(pg_store) == []


def test_a_pool_that_cannot_connect_says_so(postgis_cluster):
    factory = StoreFactory(postgis_cluster.url("no_such_database"), pool_size=2)
    with pytest.raises(GeoNtmError, match="cannot open the store"):
        factory.open()
    factory.close()


def test_geopackage_stores_have_their_own_connection(new_location):
    factory = StoreFactory(new_location("gpkg"), pool_size=4)
    a, b = factory.open(), factory.open()
    try:
        assert a._conn is not b._conn and not factory.pooled
        assert a.vintages() == b.vintages()
    finally:
        a.close()
        b.close()
        factory.close()


def test_a_busy_store_is_a_503_with_retry_after():
    app = create_app(Settings.from_env())

    @app.get("/busy")
    def busy():
        raise StoreBusyError("no connection to the store became free within 30 s")

    answer = TestClient(app).get("/busy")
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    assert answer.json() == {
        "code": "ServiceUnavailable",
        "description": "no connection to the store became free within 30 s",
    }


def test_a_request_waits_for_a_free_connection_then_is_refused(pg_store):
    pool = PostgisPool(pg_store, size=1, timeout=0.5)
    try:
        held = pool.store()
        started = time.perf_counter()
        with pytest.raises(StoreBusyError, match="became free"):
            pool.store()
        assert time.perf_counter() - started >= 0.4
        held.close()
        with pool.store() as again:
            assert again.vintages()
    finally:
        pool.close()
